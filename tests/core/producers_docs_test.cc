// Every example in docs/PRODUCERS.md, checked: each ```json configuration is
// followed by a ```keys block saying, key by key in the order a producer
// writes them, whether the key counts or which rule ignores it, and which
// instances have tripped at the end. The test feeds the keys to an engine.
//
//   KEY [size=N] [event=NAME] -> counts
//   KEY [size=N] [event=NAME] -> ignored (RULE)
//   tripped: INSTANCE... | none
#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <sstream>

#include "core/config.h"
#include "core/engine.h"
#include "core/upload.h"
#include "fakes/fault_store.h"
#include "stores/memory_store.h"

namespace eb {
namespace {

struct Example {
  int line = 0;  // of the json block, for messages
  std::string config;
  std::vector<std::string> keys;  // the keys block's lines
};

std::vector<Example> ReadExamples(const std::string& path) {
  std::ifstream in(path);
  std::vector<Example> out;
  std::string line, block;
  std::string* sink = nullptr;
  int n = 0;
  Example current;
  while (std::getline(in, line)) {
    ++n;
    if (sink == nullptr && line == "```json") {
      current = Example{n, "", {}};
      sink = &current.config;
    } else if (sink == nullptr && line == "```keys") {
      sink = &block;
      block.clear();
    } else if (sink != nullptr && line == "```") {
      if (sink == &block) {
        std::istringstream lines(block);
        for (std::string l; std::getline(lines, l);) {
          if (!l.empty()) current.keys.push_back(l);
        }
        out.push_back(current);
      }
      sink = nullptr;
    } else if (sink != nullptr) {
      *sink += line + "\n";
    }
  }
  return out;
}

std::string Trim(std::string s) {
  while (!s.empty() && s.back() == ' ') s.pop_back();
  while (!s.empty() && s.front() == ' ') s.erase(0, 1);
  return s;
}

TEST(ProducersDocTest, EveryExampleDoesWhatThePageSays) {
  auto examples = ReadExamples(std::string(EB_SOURCE_DIR) + "/docs/PRODUCERS.md");
  ASSERT_GE(examples.size(), 6u) << "docs/PRODUCERS.md lost its examples";
  for (const Example& ex : examples) {
    SCOPED_TRACE("docs/PRODUCERS.md example at line " + std::to_string(ex.line));
    ConfigParse parsed = ParseConfig(ex.config);
    ASSERT_TRUE(parsed.ok()) << parsed.ErrorText();
    FakeClock clock;
    MemoryStore store(clock);
    test::RecordingActions actions;
    Engine engine(parsed.config, store, actions, clock, Logger::Null());
    std::set<std::string> tripped;
    bool saw_tripped_line = false;
    int seq = 0;
    for (const std::string& line : ex.keys) {
      if (line.rfind("tripped:", 0) == 0) {
        saw_tripped_line = true;
        std::istringstream want(line.substr(8));
        std::set<std::string> expected;
        for (std::string w; want >> w;) {
          if (w != "none") expected.insert(w);
        }
        EXPECT_EQ(tripped, expected);
        continue;
      }
      size_t arrow = line.find("->");
      ASSERT_NE(arrow, std::string::npos) << "a keys line without '->': " << line;
      std::istringstream left(line.substr(0, arrow));
      std::string verdict = Trim(line.substr(arrow + 2));
      std::string key, token;
      left >> key;
      Arrival a = test::Upload(key, std::to_string(++seq));
      while (left >> token) {
        if (token.rfind("size=", 0) == 0) a.size = std::stoll(token.substr(5));
        else if (token.rfind("event=", 0) == 0) a.event_name = token.substr(6);
        else FAIL() << "unknown token '" << token << "' in: " << line;
      }
      auto outcome = engine.OnArrival(a);
      ASSERT_TRUE(outcome.ok()) << outcome.status().ToString();
      std::string got;
      if (outcome->counted > 0) {
        got = "counts";
      } else if (!outcome->ignored_by.empty()) {
        got = "ignored (" + outcome->ignored_by[0].rule + ")";
      } else {
        got = "matches no barrier";
      }
      EXPECT_EQ(got, verdict) << "key " << key;
      for (const auto& t : outcome->trips) tripped.insert(t.instance);
    }
    EXPECT_TRUE(saw_tripped_line) << "each keys block ends with 'tripped: ...'";
  }
}

}  // namespace
}  // namespace eb
