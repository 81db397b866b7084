// The ObjectStore contract, run against every implementation (see store_contract.h).
#include "stores/store_contract.h"

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <thread>
#include <vector>

namespace eb::test {

TEST_P(StoreContractTest, GetPutDelete) {
  EXPECT_TRUE(store_->Get("a/b").status().IsNotFound());
  ASSERT_TRUE(store_->Put("a/b", "one").ok());
  EXPECT_EQ(*store_->Get("a/b"), "one");
  ASSERT_TRUE(store_->Put("a/b", "two").ok());
  EXPECT_EQ(*store_->Get("a/b"), "two");
  ASSERT_TRUE(store_->Delete("a/b").ok());
  EXPECT_TRUE(store_->Get("a/b").status().IsNotFound());
  EXPECT_TRUE(store_->Delete("a/b").ok()) << "deleting a missing key is ok";
}

TEST_P(StoreContractTest, DeleteManyInOneCall) {
  std::vector<std::string> keys;
  for (int i = 0; i < 30; ++i) {
    keys.push_back("many/" + std::to_string(i) + (i % 3 ? "" : " & <odd> 'key'"));
    ASSERT_TRUE(store_->Put(keys.back(), "x").ok()) << keys.back();
  }
  ASSERT_TRUE(store_->Put("many/keep", "x").ok());
  keys.push_back("many/never-existed");
  Status s = store_->DeleteMany(keys);
  ASSERT_TRUE(s.ok()) << s.ToString();
  auto left = ListAll(*store_, "many/");
  ASSERT_TRUE(left.ok());
  ASSERT_EQ(left->size(), 1u);
  EXPECT_EQ(left->front().key, "many/keep");
  EXPECT_TRUE(store_->DeleteMany({}).ok());
}

TEST_P(StoreContractTest, PutIfAbsentHasOneWinner) {
  ASSERT_TRUE(store_->PutIfAbsent("t/1", "first").ok());
  Status again = store_->PutIfAbsent("t/1", "second");
  EXPECT_TRUE(again.IsAlreadyExists()) << again.ToString();
  EXPECT_EQ(*store_->Get("t/1"), "first");
}

// The batch calls (a trip's tombstones, a claimant's marker bodies): results
// in the order of the input, each meaning what the single call would.
TEST_P(StoreContractTest, BatchCallsAnswerInOrder) {
  ASSERT_TRUE(store_->Put("batch/7", "old").ok());
  std::vector<std::pair<std::string, std::string>> items;
  for (int i = 0; i < 40; ++i) items.emplace_back("batch/" + std::to_string(i), "v" + std::to_string(i));
  std::vector<Status> put = store_->PutIfAbsentMany(items);
  ASSERT_EQ(put.size(), items.size());
  for (size_t i = 0; i < put.size(); ++i) {
    if (i == 7) {
      EXPECT_TRUE(put[i].IsAlreadyExists()) << put[i].ToString();
    } else {
      EXPECT_TRUE(put[i].ok()) << items[i].first << ": " << put[i].ToString();
    }
  }
  std::vector<std::string> keys;
  for (const auto& [key, body] : items) keys.push_back(key);
  keys.push_back("batch/missing");
  std::vector<Result<std::string>> got = store_->GetMany(keys);
  ASSERT_EQ(got.size(), keys.size());
  for (size_t i = 0; i + 1 < got.size(); ++i) {
    ASSERT_TRUE(got[i].ok()) << keys[i];
    EXPECT_EQ(*got[i], i == 7 ? "old" : items[i].second);
  }
  EXPECT_TRUE(got.back().status().IsNotFound());
  EXPECT_TRUE(store_->PutIfAbsentMany({}).empty());
  EXPECT_TRUE(store_->GetMany({}).empty());
}

TEST_P(StoreContractTest, PutIfAbsentRaceAcrossThreads) {
  for (int round = 0; round < 20; ++round) {
    std::string key = "race/" + std::to_string(round);
    std::atomic<int> winners{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 8; ++t) {
      threads.emplace_back([&, t] {
        if (store_->PutIfAbsent(key, std::to_string(t)).ok()) winners++;
      });
    }
    for (auto& th : threads) th.join();
    EXPECT_EQ(winners.load(), 1) << key;
  }
}

TEST_P(StoreContractTest, ListIsSortedPagedAndPrefixed) {
  for (int i = 0; i < 25; ++i) {
    char key[32];
    std::snprintf(key, sizeof key, "p/x/%03d", 24 - i);
    ASSERT_TRUE(store_->Put(key, "v").ok());
  }
  ASSERT_TRUE(store_->Put("p/y", "v").ok());
  ASSERT_TRUE(store_->Put("q/z", "v").ok());
  ListOptions options;
  options.prefix = "p/x/";
  options.max_keys = 10;
  std::vector<std::string> keys;
  int pages = 0;
  for (;;) {
    auto page = store_->List(options);
    ASSERT_TRUE(page.ok()) << page.status().ToString();
    ++pages;
    for (auto& o : page->objects) keys.push_back(o.key);
    if (page->next_continuation.empty()) break;
    options.continuation = page->next_continuation;
  }
  EXPECT_EQ(pages, 3);
  ASSERT_EQ(keys.size(), 25u);
  EXPECT_EQ(keys.front(), "p/x/000");
  EXPECT_EQ(keys.back(), "p/x/024");
  EXPECT_TRUE(std::is_sorted(keys.begin(), keys.end()));
  auto all = ListAll(*store_, "p/");
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), 26u);
  auto after = ListAll(*store_, "p/x/", "p/x/019");
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->size(), 5u);
  auto partial = ListAll(*store_, "p/x/02");  // a prefix that ends mid-segment
  ASSERT_TRUE(partial.ok());
  EXPECT_EQ(partial->size(), 5u);
  auto none = ListAll(*store_, "nothing/");
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
}

TEST_P(StoreContractTest, ListWithDelimiterRollsUpFolders) {
  // Keys at the top, three folders (one with a nested folder), and a key
  // that sorts between folders ('.' < '/').
  for (const char* key : {"d/a.1", "d/0000/x", "d/0000/y", "d/0001.z", "d/0001/x", "d/0001/sub/x", "d/0002/x",
                          "d/zz", "e/0000/x"}) {
    ASSERT_TRUE(store_->Put(key, "v").ok()) << key;
  }
  ListOptions options;
  options.prefix = "d/";
  options.delimiter = "/";
  options.max_keys = 2;  // pages end on a key and on a folder
  std::vector<std::string> entries;
  for (int pages = 0; pages < 10; ++pages) {
    auto page = store_->List(options);
    ASSERT_TRUE(page.ok()) << page.status().ToString();
    ASSERT_LE(page->objects.size() + page->common_prefixes.size(), 2u);
    for (auto& o : page->objects) entries.push_back(o.key);
    for (auto& f : page->common_prefixes) entries.push_back("folder " + f);
    if (page->next_continuation.empty()) break;
    options.continuation = page->next_continuation;
  }
  std::sort(entries.begin(), entries.end());
  EXPECT_EQ(entries, (std::vector<std::string>{"d/0001.z", "d/a.1", "d/zz", "folder d/0000/", "folder d/0001/",
                                               "folder d/0002/"}));
}

TEST_P(StoreContractTest, ListAllFoldersListsWhatListAllLists) {
  std::vector<std::string> keys;
  for (int shard = 0; shard < 4; ++shard) {
    for (int i = 0; i < 7; ++i) keys.push_back("w/a/000" + std::to_string(shard) + "/t" + std::to_string(i) + ".id");
  }
  // Outside the expected folders: an unsharded marker, a folder of an older
  // layout, keys between folders.
  for (const char* key : {"w/a/t.id", "w/a/0009/t.id", "w/a/0001.t", "w/a/zz/t.id", "w/b/0000/x"}) keys.push_back(key);
  for (const auto& key : keys) ASSERT_TRUE(store_->Put(key, "v").ok()) << key;
  auto expected = ListAll(*store_, "w/a/");
  ASSERT_TRUE(expected.ok());
  auto folders = ListAllFolders(*store_, "w/a/", {"0000/", "0001/", "0002/", "0003/"});
  ASSERT_TRUE(folders.ok()) << folders.status().ToString();
  std::vector<std::string> want, got;
  for (const auto& o : *expected) want.push_back(o.key);
  for (const auto& o : *folders) got.push_back(o.key);
  EXPECT_EQ(got, want);
  EXPECT_EQ(got.size(), keys.size() - 1);  // all but w/b/
}

TEST_P(StoreContractTest, OddKeysRoundTrip) {
  for (std::string key : {"sales/2026-11-24/east.csv", "with space/and+plus",
                          "percent%2Fnot-decoded", "unicode/ü/日本/😀.json", "a=b,c;d"}) {
    ASSERT_TRUE(store_->Put(key, key).ok()) << key;
    EXPECT_EQ(*store_->Get(key), key);
  }
}

}  // namespace eb::test
