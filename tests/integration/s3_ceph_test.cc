// The S3 store against a real S3 server (Ceph RGW, started by the CTest
// fixture): the store contract, odd keys round-tripped through the AWS CLI,
// pagination past 1,000 keys, and clear errors for wrong credentials.
#include <gtest/gtest.h>

#include <thread>

#include "aws/s3_config.h"
#include "fakes/vectors.h"
#include "integration/ceph_env.h"
#include "stores/s3_store.h"
#include "stores/store_contract.h"

namespace eb::test {
namespace {

std::unique_ptr<S3Store> OpenCephStore(const std::string& prefix,
                                       const std::map<std::string, std::string>& overrides = {}) {
  const CephEnv& env = LoadCephEnv();
  if (!env.ok) return nullptr;
  EnvLookup lookup = [overrides, real = ProcessEnv()](const std::string& name) {
    auto it = overrides.find(name);
    return it != overrides.end() ? std::optional<std::string>(it->second) : real(name);
  };
  auto store = S3Store::Open("s3://" + env.bucket + "/" + prefix, lookup);
  EXPECT_TRUE(store.ok()) << store.status().ToString();
  return store.ok() ? std::move(*store) : nullptr;
}

INSTANTIATE_TEST_SUITE_P(Ceph, StoreContractTest,
                         ::testing::Values(StoreFactory{
                             "ceph_rgw",
                             [](Clock&, const std::string&) -> std::unique_ptr<ObjectStore> {
                               return OpenCephStore(UniquePrefix("contract"));
                             }}),
                         [](const auto& info) { return std::string(info.param.name); });

const std::vector<std::string> kOddKeys = {"with space.txt",
                                           "plus+sign.txt",
                                           "percent%20not-a-space.txt",
                                           "100%.txt",
                                           "ünïcødé/日本語.csv",
                                           "emoji 😀🎉/x.json",
                                           "a+b c%2Fd/e=f&g?h#i;j,k.txt",
                                           "~tilde/(paren)/[b]'q'!*$@"};

TEST(CephS3, OddKeysRoundTripThroughTheAwsCli) {
  EB_REQUIRE_CEPH(env);
  std::string aws = FindAwsCli();
  if (aws.empty()) {
    if (InCi()) FAIL() << "CI=true but the AWS CLI is missing (apt-get install awscli)";
    GTEST_SKIP() << "AWS CLI not installed";
  }
  std::string base = UniquePrefix("oddkeys");
  auto ours = OpenCephStore(base + "ours/");
  ASSERT_NE(ours, nullptr);
  char tmp[] = "/tmp/eb-cli-XXXXXX";
  std::string dir = ::mkdtemp(tmp);

  // Written by us, read by the AWS CLI.
  for (const std::string& key : kOddKeys) {
    ASSERT_TRUE(ours->Put(key, "body of " + key).ok()) << key;
    std::string out = dir + "/got";
    auto r = RunProcess({aws, "--endpoint-url", env.endpoint, "s3api", "get-object", "--bucket",
                         env.bucket, "--key", base + "ours/" + key, out});
    EXPECT_EQ(r.exit_code, 0) << key << ": " << r.output;
    EXPECT_EQ(ReadFileOrEmpty(out), "body of " + key) << key;
  }

  // Written by the AWS CLI, read and listed by us.
  auto theirs = OpenCephStore(base + "theirs/");
  ASSERT_NE(theirs, nullptr);
  for (const std::string& key : kOddKeys) {
    std::string in = dir + "/body";
    FILE* f = std::fopen(in.c_str(), "w");
    std::fputs(("cli wrote " + key).c_str(), f);
    std::fclose(f);
    auto r = RunProcess({aws, "--endpoint-url", env.endpoint, "s3api", "put-object", "--bucket",
                         env.bucket, "--key", base + "theirs/" + key, "--body", in});
    ASSERT_EQ(r.exit_code, 0) << key << ": " << r.output;
    auto got = theirs->Get(key);
    ASSERT_TRUE(got.ok()) << key << ": " << got.status().ToString();
    EXPECT_EQ(*got, "cli wrote " + key);
  }
  auto listed = ListAll(*theirs, "");
  ASSERT_TRUE(listed.ok()) << listed.status().ToString();
  std::vector<std::string> keys, want = kOddKeys;
  for (const auto& o : *listed) keys.push_back(o.key);
  std::sort(want.begin(), want.end());
  EXPECT_EQ(keys, want) << "LIST decodes every key exactly";
  int rc = std::system(("rm -rf " + dir).c_str());
  (void)rc;
}

TEST(CephS3, PaginationPastAThousandKeys) {
  EB_REQUIRE_CEPH(env);
  auto store = OpenCephStore(UniquePrefix("pages"));
  ASSERT_NE(store, nullptr);
  constexpr int kKeys = 1234;
  std::vector<std::thread> writers;
  std::atomic<int> failures{0};
  for (int t = 0; t < 8; ++t) {
    writers.emplace_back([&, t] {
      for (int i = t; i < kKeys; i += 8) {
        char key[32];
        std::snprintf(key, sizeof key, "k/%05d", i);
        if (!store->Put(key, "v").ok()) failures++;
      }
    });
  }
  for (auto& w : writers) w.join();
  ASSERT_EQ(failures.load(), 0);

  ListOptions options;
  options.prefix = "k/";
  auto first = store->List(options);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ(first->objects.size(), 1000u);
  ASSERT_FALSE(first->next_continuation.empty());
  options.continuation = first->next_continuation;
  auto second = store->List(options);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->objects.size(), 234u);
  EXPECT_TRUE(second->next_continuation.empty());
  EXPECT_EQ(second->objects.front().key, "k/01000");

  auto all = ListAll(*store, "k/");
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), static_cast<size_t>(kKeys));
  for (int i = 0; i < kKeys; ++i) {
    char key[32];
    std::snprintf(key, sizeof key, "k/%05d", i);
    ASSERT_EQ((*all)[i].key, key);
    EXPECT_EQ((*all)[i].size, 1);
    EXPECT_GT((*all)[i].last_modified, 1'700'000'000'000);
  }
  auto after = ListAll(*store, "k/", "k/01200");
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->size(), 33u);
}

TEST(CephS3, TheStoresClockIsLearnedFromItsAnswers) {
  // RGW runs on this machine: the offset the Date headers give must be the
  // truth (0) within their one-second resolution.
  EB_REQUIRE_CEPH(env);
  auto store = OpenCephStore(UniquePrefix("clock"));
  ASSERT_NE(store, nullptr);
  ASSERT_NE(store->ServerTime(), nullptr);
  EXPECT_FALSE(store->ServerTime()->Known()) << "nothing asked yet";
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(store->Put("c/" + std::to_string(i), "v").ok());
  ASSERT_TRUE(store->ServerTime()->Known());
  EXPECT_LE(std::llabs(store->ServerTime()->EstimateMs()),
            1000 + store->ServerTime()->UncertaintyMs());
  EXPECT_LE(store->ServerTime()->UncertaintyMs(), 1000);
}

TEST(CephS3, WrongCredentialsGiveAClearErrorWithoutTheSecret) {
  EB_REQUIRE_CEPH(env);
  const std::string wrong_secret = "WRONGwrongWRONGwrongWRONGwrongWRONGwrong";
  auto bad_secret = OpenCephStore(UniquePrefix("creds"), {{"AWS_SECRET_ACCESS_KEY", wrong_secret}});
  ASSERT_NE(bad_secret, nullptr);
  Status s = bad_secret->Put("k", "v");
  EXPECT_EQ(s.code(), Code::kPermissionDenied) << s.ToString();
  EXPECT_NE(s.message().find("SignatureDoesNotMatch"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("AWS_SECRET_ACCESS_KEY"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("request id"), std::string::npos) << s.message();
  EXPECT_EQ(s.message().find(wrong_secret), std::string::npos);
  EXPECT_EQ(s.message().find(env.secret_key), std::string::npos);
  EXPECT_EQ(bad_secret->Describe().find(wrong_secret), std::string::npos);

  auto bad_key =
      OpenCephStore(UniquePrefix("creds"), {{"AWS_ACCESS_KEY_ID", "EBNOSUCHKEY000000000"}});
  ASSERT_NE(bad_key, nullptr);
  auto g = bad_key->Get("k");
  EXPECT_EQ(g.status().code(), Code::kPermissionDenied) << g.status().ToString();
  EXPECT_NE(g.status().message().find("InvalidAccessKeyId"), std::string::npos)
      << g.status().message();
  EXPECT_NE(g.status().message().find("AWS_ACCESS_KEY_ID"), std::string::npos);
  EXPECT_EQ(g.status().message().find(env.secret_key), std::string::npos);

  // The CLI says the same and exits 1, without the secret anywhere in its output.
  char tmp[] = "/tmp/eb-creds-XXXXXX";
  std::string dir = ::mkdtemp(tmp);
  {
    FILE* f = std::fopen((dir + "/barriers.json").c_str(), "w");
    std::fputs("{\"b\": [\"x/0\", \"x/1\"]}", f);
    std::fclose(f);
    f = std::fopen((dir + "/event.json").c_str(), "w");
    std::fputs(
        ("{\"Records\":[{\"eventSource\":\"aws:s3\",\"eventName\":\"ObjectCreated:Put\","
         "\"eventTime\":"
         "\"2026-11-24T06:00:00.000Z\",\"s3\":{\"bucket\":{\"name\":\"" +
         env.bucket +
         "\"},\"object\":{\"key\":\"x/0\",\"size\":1,\"eTag\":\"e\",\"sequencer\":\"01\"}}}]}")
            .c_str(),
        f);
    std::fclose(f);
  }
  auto r = RunProcess({EB_CLI_PATH, "handle", "--config", dir + "/barriers.json", "--state",
                       "s3://" + env.bucket + "/" + UniquePrefix("creds-cli"), dir + "/event.json"},
                      {{"AWS_SECRET_ACCESS_KEY", wrong_secret}});
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("SignatureDoesNotMatch"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("AWS_SECRET_ACCESS_KEY"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find(wrong_secret), std::string::npos) << r.output;
  int rc = std::system(("rm -rf " + dir).c_str());
  (void)rc;
}

}  // namespace
}  // namespace eb::test
