#include "stores/folder_store.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>

namespace eb {
namespace {

class FolderStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/eb-folder-XXXXXX";
    dir_ = ::mkdtemp(tmpl);
  }
  void TearDown() override { std::system(("rm -rf " + dir_).c_str()); }
  std::string dir_;
};

TEST_F(FolderStoreTest, KeysCannotEscapeTheRoot) {
  FolderStore store(dir_ + "/root");
  ASSERT_TRUE(store.init_status().ok());
  for (std::string bad : std::vector<std::string>{"../x", "a/../../x", "/etc/passwd", "a/./b", "a//b", "", "a/", ".eb-tmp/x",
                          std::string("a\0b", 3), "tab\there", "nl\nx", "del\x7f"}) {
    Status s = store.Put(bad, "x");
    EXPECT_EQ(s.code(), Code::kInvalidArgument) << "key: " << bad;
    EXPECT_EQ(store.Get(bad).status().code(), Code::kInvalidArgument) << bad;
    EXPECT_EQ(store.Delete(bad).code(), Code::kInvalidArgument) << bad;
  }
  struct stat st;
  EXPECT_NE(::stat((dir_ + "/x").c_str(), &st), 0) << "nothing written outside the root";
}

TEST_F(FolderStoreTest, ErrorsNameTheProblem) {
  FolderStore store(dir_);
  Status s = store.Put("a/../b", "x");
  EXPECT_NE(s.message().find("'..'"), std::string::npos) << s.message();
  s = store.Put(std::string("a\0b", 3), "x");
  EXPECT_NE(s.message().find("control character"), std::string::npos) << s.message();
}

TEST_F(FolderStoreTest, NoTemporaryFilesLeftAndNotListed) {
  FolderStore store(dir_);
  ASSERT_TRUE(store.Put("k", "v").ok());
  ASSERT_TRUE(store.PutIfAbsent("k2", "v").ok());
  ASSERT_TRUE(store.PutIfAbsent("k2", "v").IsAlreadyExists());
  auto all = ListAll(store, "");
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ(std::system(("test -z \"$(ls -A " + dir_ + "/.eb-tmp)\"").c_str()), 0);
}

TEST_F(FolderStoreTest, SharedBetweenTwoInstances) {
  FolderStore a(dir_), b(dir_);
  ASSERT_TRUE(a.PutIfAbsent("x/1", "a").ok());
  EXPECT_TRUE(b.PutIfAbsent("x/1", "b").IsAlreadyExists());
  EXPECT_EQ(*b.Get("x/1"), "a");
}

}  // namespace
}  // namespace eb
