#include "cli/operator_scenario.h"

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "fakes/run_command.h"
#include "fakes/s3_events.h"

namespace eb::test {

namespace {

using json = nlohmann::json;

void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

std::string ShellQuote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

CliResult RunCli(const std::string& binary, const std::string& args, bool with_stderr) {
  test::CommandResult ran =
      test::RunCommand(binary + " " + args + (with_stderr ? " 2>&1" : " 2>/dev/null"));
  return CliResult{ran.exit_code, std::move(ran.out)};
}

void RunOperatorScenario(const OperatorScenario& s) {
  const std::string config = s.dir + "/barriers.json";
  WriteFile(config, R"({"barriers": {
      "daily": {"members": ["in/{day}/east", "in/{day}/west", "in/{day}/north"], "timeout": "6h",
                "on_complete": [{"type": "manifest", "key": "ready/{day}/{generation}.json"},
                                {"type": "manifest", "key": "copy/{day}/{generation}.json"}]},
      "parts": {"count": 2, "prefix": "parts/{run}/"}}})");
  const std::string common = " --config " + ShellQuote(config) + " --state " + ShellQuote(s.state);
  auto cli = [&](const std::string& args, bool with_stderr = true) {
    return RunCli(s.binary, args + common, with_stderr);
  };
  auto deliver = [&](const std::string& key, int seq) {
    std::string payload = s.dir + "/payload-" + std::to_string(seq) + ".json";
    WriteFile(payload, S3Notification({S3Record(s.bucket, key, seq)}));
    CliResult r = cli("handle " + ShellQuote(payload));
    ASSERT_EQ(r.exit_code, 0) << r.out;
  };

  // Every new command: --help with an example.
  for (const char* command : {"trip", "rerun", "history"}) {
    CliResult help = RunCli(s.binary, std::string(command) + " --help");
    EXPECT_EQ(help.exit_code, 0) << command;
    EXPECT_NE(help.out.find("Example"), std::string::npos) << help.out;
    EXPECT_NE(help.out.find("eventbarrier " + std::string(command) + " "), std::string::npos)
        << help.out;
  }
  CliResult status_help = RunCli(s.binary, "status --help");
  EXPECT_NE(status_help.out.find("--html"), std::string::npos);

  deliver("in/2026-11-24/east/a.csv", 1);
  deliver("in/2026-11-24/west/b.csv", 2);

  // Refusals name what is wrong, exit non-zero.
  CliResult no_instance = cli("trip daily --force --reason x");
  EXPECT_EQ(no_instance.exit_code, 1) << no_instance.out;
  EXPECT_NE(no_instance.out.find("INSTANCE"), std::string::npos) << no_instance.out;
  EXPECT_NE(no_instance.out.find("2026-11-24"), std::string::npos)
      << "lists the open instances: " << no_instance.out;
  CliResult no_reason = cli("trip daily 2026-11-24 --force");
  EXPECT_EQ(no_reason.exit_code, 2) << no_reason.out;
  EXPECT_NE(no_reason.out.find("--reason"), std::string::npos) << no_reason.out;
  CliResult no_force = cli("trip daily 2026-11-24 --reason x");
  EXPECT_EQ(no_force.exit_code, 2) << no_force.out;
  EXPECT_NE(no_force.out.find("--force"), std::string::npos) << no_force.out;
  CliResult unknown = cli("trip weekly 2026-11-24 --force --reason x");
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_NE(unknown.out.find("'weekly' is not in the configuration"), std::string::npos)
      << unknown.out;
  CliResult bad_instance = cli("trip daily a,b --force --reason x");
  EXPECT_EQ(bad_instance.exit_code, 1);
  EXPECT_NE(bad_instance.out.find("{day}"), std::string::npos) << bad_instance.out;

  // --dry-run: what would be consumed, nothing written.
  CliResult dry =
      cli("trip daily 2026-11-24 --force --reason 'north feed lost' --dry-run --json", false);
  ASSERT_EQ(dry.exit_code, 0) << dry.out;
  json d = json::parse(dry.out);
  EXPECT_TRUE(d["dry_run"].get<bool>());
  EXPECT_EQ(d["generation"], 1);
  EXPECT_EQ(d["status"], "forced");
  EXPECT_EQ(d["objects"].size(), 2u);
  EXPECT_EQ(d["missing"], json::array({"in/2026-11-24/north"}));
  CliResult empty_history = cli("history daily 2026-11-24");
  EXPECT_EQ(empty_history.exit_code, 0) << empty_history.out;
  EXPECT_NE(empty_history.out.find("no generation claimed yet"), std::string::npos)
      << "a dry run claims nothing";

  // The force.
  CliResult forced = cli("trip daily 2026-11-24 --force --reason 'north feed lost' --by alice");
  ASSERT_EQ(forced.exit_code, 0) << forced.out;
  EXPECT_NE(forced.out.find("tripped daily/2026-11-24 generation 1 as forced"), std::string::npos)
      << forced.out;
  EXPECT_NE(forced.out.find("missing in/2026-11-24/north"), std::string::npos) << forced.out;
  CliResult again = cli("trip daily 2026-11-24 --force --reason 'north feed lost'");
  EXPECT_EQ(again.exit_code, 1) << again.out;
  EXPECT_NE(again.out.find("nothing to force"), std::string::npos) << again.out;

  // The late member opens generation 2.
  deliver("in/2026-11-24/north/c.csv", 3);

  CliResult history = cli("history daily 2026-11-24 --json", false);
  ASSERT_EQ(history.exit_code, 0) << history.out;
  json h = json::parse(history.out);
  ASSERT_EQ(h["generations"].size(), 1u) << history.out;
  const json& g1 = h["generations"][0];
  EXPECT_EQ(g1["outcome"], "forced");
  EXPECT_EQ(g1["forced_by"], "alice");
  EXPECT_EQ(g1["reason"], "north feed lost");
  EXPECT_EQ(g1["objects"], 2);
  EXPECT_EQ(g1["late"], 1) << "north arrived after the force";
  EXPECT_EQ(g1["actions"].size(), 2u);

  // Rerun: all actions, then one; refusals.
  CliResult rerun = cli("rerun daily 2026-11-24 1 --reason 'loader was down' --by bob");
  ASSERT_EQ(rerun.exit_code, 0) << rerun.out;
  EXPECT_NE(rerun.out.find("rerun 1 of daily/2026-11-24/1"), std::string::npos) << rerun.out;
  CliResult one = cli("rerun daily 2026-11-24 1 --action 1 --json", false);
  ASSERT_EQ(one.exit_code, 0) << one.out;
  json r2 = json::parse(one.out);
  EXPECT_EQ(r2["rerun"], 2);
  EXPECT_EQ(r2["idempotency_key"], "daily/2026-11-24/1");
  ASSERT_EQ(r2["actions"].size(), 1u);
  EXPECT_EQ(r2["actions"][0]["index"], 1);
  CliResult never = cli("rerun daily 2026-11-24 2");
  EXPECT_EQ(never.exit_code, 1);
  EXPECT_NE(never.out.find("generation 2 has no trip record"), std::string::npos) << never.out;
  CliResult range = cli("rerun daily 2026-11-24 1 --action 5");
  EXPECT_EQ(range.exit_code, 1);
  EXPECT_NE(range.out.find("on_complete[0..1]"), std::string::npos) << range.out;
  CliResult zero = cli("rerun daily 2026-11-24 0");
  EXPECT_NE(zero.exit_code, 0) << zero.out;
  EXPECT_NE(zero.out.find("GENERATION"), std::string::npos) << zero.out;

  CliResult table = cli("history daily 2026-11-24");
  ASSERT_EQ(table.exit_code, 0) << table.out;
  EXPECT_NE(table.out.find("forced by alice: north feed lost"), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("manifest, manifest"), std::string::npos) << table.out;
  CliResult all = cli("history daily --json --last 1", false);
  ASSERT_EQ(all.exit_code, 0) << all.out;
  json a = json::parse(all.out);
  ASSERT_EQ(a["generations"].size(), 1u);
  EXPECT_EQ(a["generations"][0]["reruns"].size(), 2u);

  // The count latch written with a trailing slash works end to end.
  deliver("parts/r1/part-0.parquet", 4);
  deliver("parts/r1/part-1.parquet", 5);
  CliResult parts = cli("history parts r1 --json", false);
  ASSERT_EQ(parts.exit_code, 0) << parts.out;
  EXPECT_EQ(json::parse(parts.out)["generations"][0]["outcome"], "complete") << parts.out;

  // status --html: one self-contained page.
  const std::string page = s.dir + "/status.html";
  CliResult html = cli("status --html " + ShellQuote(page));
  ASSERT_EQ(html.exit_code, 0) << html.out;
  std::string text = ReadFile(page);
  EXPECT_NE(text.find("<!DOCTYPE html>"), std::string::npos);
  EXPECT_NE(text.find("in/2026-11-24/north"), std::string::npos);
  EXPECT_EQ(text.find("<script src"), std::string::npos) << "no external script";
  EXPECT_EQ(text.find("<link"), std::string::npos) << "no external stylesheet";
  EXPECT_EQ(text.find("https://"), std::string::npos) << "no external fetch";
  CliResult unwritable = cli("status --html /nonexistent-dir/x.html");
  EXPECT_EQ(unwritable.exit_code, 1);
  EXPECT_NE(unwritable.out.find("--html"), std::string::npos) << unwritable.out;
}

}  // namespace eb::test
