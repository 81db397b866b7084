#include "core/ignore_rules.h"

#include <gtest/gtest.h>

#include <string>

namespace eb {
namespace {

struct GlobCase {
  const char* glob;
  const char* text;
  bool match;
};

class GlobTest : public ::testing::TestWithParam<GlobCase> {};

TEST_P(GlobTest, Matches) {
  const GlobCase& c = GetParam();
  EXPECT_EQ(GlobMatch(c.glob, c.text), c.match) << c.glob << " vs " << c.text;
}

INSTANTIATE_TEST_SUITE_P(
    Table, GlobTest,
    ::testing::Values(GlobCase{"_*", "_temporary", true}, GlobCase{"_*", "_", true},
                      GlobCase{"_*", "a_b", false}, GlobCase{"*.tmp", "x.tmp", true},
                      GlobCase{"*.tmp", ".tmp", true}, GlobCase{"*.tmp", "x.tmp.gz", false},
                      GlobCase{"*", "a/b", false}, GlobCase{"**", "a/b", true},
                      GlobCase{"**/", "out/r2/", true}, GlobCase{"**/", "out/r2", false},
                      GlobCase{"**/", "/", true}, GlobCase{"a/*/c", "a/b/c", true},
                      GlobCase{"a/*/c", "a/b/x/c", false}, GlobCase{"a/**/c", "a/b/x/c", true},
                      GlobCase{"a/**", "a/", true}, GlobCase{"?", "", false}, GlobCase{"?", "/", false},
                      GlobCase{"a?c", "abc", true}, GlobCase{"", "", true}, GlobCase{"", "a", false},
                      GlobCase{"*_$folder$", "r1_$folder$", true}, GlobCase{"*~", "notes.txt~", true},
                      GlobCase{"*a*a*a*a*a*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", false}));

TEST(IgnoreGlobProblemTest, RefusesEmptyLongAndIgnoreEverything) {
  EXPECT_NE(IgnoreGlobProblem(""), "");
  EXPECT_NE(IgnoreGlobProblem(std::string(kMaxIgnoreGlob + 1, 'a')), "");
  EXPECT_NE(IgnoreGlobProblem("*"), "");
  EXPECT_NE(IgnoreGlobProblem("**"), "");
  EXPECT_EQ(IgnoreGlobProblem("_*"), "");
  for (const auto& g : DefaultIgnoreGlobs()) {
    EXPECT_EQ(IgnoreGlobProblem(g), "") << g;
    EXPECT_NE(DescribeIgnoreGlob(g), "") << "every default says what it is for: " << g;
  }
}

Pattern P(const std::string& text) {
  auto p = Pattern::Parse(text);
  if (!p.ok()) throw std::runtime_error(p.status().ToString());
  return *p;
}

struct KeyCase {
  const char* pattern;  // the member pattern (or count prefix) that matched the key
  const char* key;
  const char* rule;     // the default rule that ignores it, or "" if it is data
};

class DefaultRulesTest : public ::testing::TestWithParam<KeyCase> {};

TEST_P(DefaultRulesTest, IgnoreWhatProducersWriteBesideTheData) {
  const KeyCase& c = GetParam();
  IgnoreRules rules(DefaultIgnoreGlobs());
  Pattern p = P(c.pattern);
  ASSERT_TRUE(p.Match(c.key)) << "the case must be a key the pattern matches";
  auto why = rules.Ignores(c.key, p);
  EXPECT_EQ(why.value_or(""), c.rule) << c.key << " under " << c.pattern;
}

INSTANTIATE_TEST_SUITE_P(
    Table, DefaultRulesTest,
    ::testing::Values(
        // Spark / Hadoop FileOutputCommitter (issue 19's first report).
        KeyCase{"out/{run}", "out/r1/_temporary/0/part-0", "_*"},
        KeyCase{"out/{run}", "out/r1/.part-0.crc", ".*"},
        KeyCase{"out/{run}", "out/r1/_SUCCESS", "_*"},
        KeyCase{"out/{run}", "out/r1/part-00000-1b2c.snappy.parquet", ""},
        KeyCase{"out/{run}", "out/r1/.spark-staging-4f2a/part-0", ".*"},
        // A variable bound to a hidden name is not named explicitly.
        KeyCase{"out/{run}", "out/_tmp/part-0", "_*"},
        // Directory markers (S3 console "Create folder", S3A mkdirs, S3N).
        KeyCase{"out/{run}", "out/r2/", "**/"},
        KeyCase{"out/{run}", "out/r3/sub/", "**/"},
        KeyCase{"out", "out/r1_$folder$", "*_$folder$"},
        // Uploaders' temporary names.
        KeyCase{"in/{d}", "in/x/.file.txt.Xy12ab", ".*"},
        KeyCase{"in/{d}", "in/x/file.txt._COPYING_", "*._COPYING_"},
        KeyCase{"in/{d}", "in/x/file.txt.tmp", "*.tmp"},
        KeyCase{"in/{d}", "in/x/file.txt.part", "*.part"},
        KeyCase{"in/{d}", "in/x/file.txt.crdownload", "*.crdownload"},
        KeyCase{"in/{d}", "in/x/file.txt~", "*~"},
        KeyCase{"in/{d}", "in/x/file.txt", ""},
        // Named explicitly: the recommended way to wait for a Spark job.
        KeyCase{"sales/{date}/_SUCCESS", "sales/2026-11-24/_SUCCESS", ""},
        KeyCase{"data/.staging/{d}", "data/.staging/x/f.csv", ""},
        KeyCase{"in/f.tmp", "in/f.tmp", ""},
        // ...but only where the pattern names it: below a literal member, the rules apply.
        KeyCase{"sales/{date}/_SUCCESS", "sales/2026-11-24/_SUCCESS/_temporary", "_*"},
        // The original format's member "0/0" and its objects.
        KeyCase{"0/0", "0/0/file1.txt", ""}, KeyCase{"0/0", "0/0/", "**/"}));

TEST(IgnoreRulesTest, WholeKeyGlobYieldsToAPatternThatNamesIt) {
  IgnoreRules rules({"staging/**"});
  EXPECT_EQ(rules.Ignores("staging/x/a.csv", P("{area}")).value_or(""), "staging/**");
  EXPECT_FALSE(rules.Ignores("staging/x/a.csv", P("staging/{d}")))
      << "the member's own text matches the glob: it names the place explicitly";
}

TEST(IgnoreRulesTest, NoRulesIgnoreNothing) {
  IgnoreRules none;
  EXPECT_TRUE(none.empty());
  EXPECT_FALSE(none.Ignores("out/r1/_temporary/0/part-0", P("out/{run}")));
  EXPECT_FALSE(none.Ignores("out/r2/", P("out/{run}")));
}

}  // namespace
}  // namespace eb
