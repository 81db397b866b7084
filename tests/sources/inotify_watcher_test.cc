// The inotify watcher against a real temporary folder.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <set>

#include "fakes/temp_dir.h"
#include "sources/dir_watcher.h"

namespace eb {
namespace {

namespace fs = std::filesystem;

class InotifyWatcherTest : public ::testing::Test {
 protected:
  std::unique_ptr<DirWatcher> Watch(std::vector<std::string> ignore = {}, int interrupt_fd = -1) {
    auto w = NewInotifyWatcher({root_.string(), std::move(ignore), interrupt_fd});
    EXPECT_TRUE(w.ok()) << w.status().ToString();
    return w.ok() ? std::move(*w) : nullptr;
  }
  void Write(const std::string& rel, const std::string& text = "data") {
    fs::create_directories((root_ / rel).parent_path());
    std::ofstream(root_ / rel) << text;
  }
  static std::set<std::string> Keys(const WatchBatch& b) {
    std::set<std::string> keys;
    for (const auto& f : b.files) keys.insert(f.key);
    return keys;
  }
  // Collects files from Next until `want` keys were seen or 5 s passed.
  std::set<std::string> Collect(DirWatcher& w, size_t want) {
    std::set<std::string> keys;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (keys.size() < want && std::chrono::steady_clock::now() < deadline) {
      auto b = w.Next(100);
      EXPECT_TRUE(b.ok()) << b.status().ToString();
      if (!b.ok()) break;
      for (const auto& f : b->files) keys.insert(f.key);
    }
    return keys;
  }
  test::TempDir root_{"inotify"};
};

TEST_F(InotifyWatcherTest, StartScansEverythingButIgnoredDirs) {
  Write("a.csv");
  Write("x/y/z.csv", "12345");
  Write(".eventbarrier/b/_/a/tag.id");
  Write(".eb-tmp/123");
  fs::create_symlink(root_ / "a.csv", root_ / "link.csv");
  auto w = Watch({".eventbarrier", ".eb-tmp"});
  auto b = w->Start();
  ASSERT_TRUE(b.ok());
  EXPECT_TRUE(b->full_scan);
  EXPECT_EQ(Keys(*b), (std::set<std::string>{"a.csv", "x/y/z.csv"})) << "no state, temp files or symlinks";
  for (const auto& f : b->files) {
    EXPECT_TRUE(f.from_scan);
    if (f.key == "x/y/z.csv") {
      EXPECT_EQ(f.version.size, 5);
      EXPECT_GT(f.version.inode, 0u);
      EXPECT_GT(f.version.mtime_ns, 0);
    }
  }
}

TEST_F(InotifyWatcherTest, FileCountsOnlyWhenClosed) {
  auto w = Watch();
  ASSERT_TRUE(w->Start().ok());
  int fd = ::open((root_ / "half.csv").c_str(), O_WRONLY | O_CREAT, 0644);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::write(fd, "part", 4), 4);
  auto b = w->Next(200);
  ASSERT_TRUE(b.ok());
  EXPECT_TRUE(b->files.empty()) << "created and written, not closed: not complete";
  ASSERT_EQ(::write(fd, "-rest", 5), 5);
  ::close(fd);
  b = w->Next(2000);
  ASSERT_TRUE(b.ok());
  ASSERT_EQ(b->files.size(), 1u);
  EXPECT_EQ(b->files[0].key, "half.csv");
  EXPECT_EQ(b->files[0].version.size, 9) << "reported whole";
  EXPECT_FALSE(b->files[0].from_scan);
}

TEST_F(InotifyWatcherTest, ScanSkipsAFileStillBeingWritten) {
  // Leases are how the scan tells; skip where this filesystem does not grant them.
  Write("probe");
  int probe = ::open((root_ / "probe").c_str(), O_RDONLY);
  bool leases = ::fcntl(probe, F_SETLEASE, F_RDLCK) == 0;
  if (leases) ::fcntl(probe, F_SETLEASE, F_UNLCK);
  ::close(probe);
  if (!leases) GTEST_SKIP() << "no file leases here";
  int fd = ::open((root_ / "writing.csv").c_str(), O_WRONLY | O_CREAT, 0644);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::write(fd, "part", 4), 4);
  auto w = Watch();
  auto b = w->Start();
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(Keys(*b), std::set<std::string>{"probe"}) << "writing.csv is still open for writing";
  ::close(fd);
  EXPECT_EQ(Collect(*w, 1), std::set<std::string>{"writing.csv"}) << "its close event reports it";
}

TEST_F(InotifyWatcherTest, CloseEventWhileTheFileStillLooksOpenIsLookedAtAgain) {
  // The kernel sends IN_CLOSE_WRITE before the closing writer lets go of the
  // file, so for an instant the file still looks open for writing. Stand-in: a
  // second writer through a hard link outside the watched folder (its close
  // makes no event here). Only a second look can report the file.
  Write("probe");
  int probe = ::open((root_ / "probe").c_str(), O_RDONLY);
  bool leases = ::fcntl(probe, F_SETLEASE, F_RDLCK) == 0;
  if (leases) ::fcntl(probe, F_SETLEASE, F_UNLCK);
  ::close(probe);
  if (!leases) GTEST_SKIP() << "no file leases here";
  fs::path outside = root_.string() + "-outside";
  fs::create_directories(outside);
  auto w = Watch();
  ASSERT_TRUE(w->Start().ok());
  Write("f.csv", "");
  EXPECT_EQ(Collect(*w, 1), std::set<std::string>{"f.csv"});
  fs::create_hard_link(root_ / "f.csv", outside / "link");
  int other = ::open((outside / "link").c_str(), O_WRONLY);
  ASSERT_GE(other, 0);
  Write("f.csv", "complete now");  // a close event, but `other` keeps it open for writing
  auto b = w->Next(200);
  ASSERT_TRUE(b.ok());
  EXPECT_TRUE(b->files.empty()) << "still open for writing: not reported";
  ::close(other);  // no event for this close
  std::set<std::string> keys;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(3);
  FileEvent got;
  while (keys.empty() && std::chrono::steady_clock::now() < deadline) {
    auto next = w->Next(100);
    ASSERT_TRUE(next.ok());
    for (const auto& f : next->files) {
      keys.insert(f.key);
      got = f;
    }
  }
  EXPECT_EQ(keys, std::set<std::string>{"f.csv"}) << "found by looking again";
  EXPECT_EQ(got.version.size, 12);
  fs::remove_all(outside);
}

TEST_F(InotifyWatcherTest, MovedInCounts) {
  fs::path outside = root_.string() + "-outside";
  fs::create_directories(outside);
  std::ofstream(outside / "m.csv") << "moved";
  auto w = Watch();
  ASSERT_TRUE(w->Start().ok());
  fs::rename(outside / "m.csv", root_ / "m.csv");
  EXPECT_EQ(Collect(*w, 1), std::set<std::string>{"m.csv"});
  fs::remove_all(outside);
}

TEST_F(InotifyWatcherTest, NewNestedDirectoriesAreWatchedBeforeTheyAreListed) {
  auto w = Watch();
  ASSERT_TRUE(w->Start().ok());
  // Files written right after mkdir -p land before the watcher can add a watch:
  // the listing after adding it finds them; later ones come as events.
  for (int i = 0; i < 20; ++i) Write("d1/d2/d3/f" + std::to_string(i));
  std::set<std::string> keys = Collect(*w, 20);
  EXPECT_EQ(keys.size(), 20u);
  Write("d1/d2/d3/later");
  EXPECT_EQ(Collect(*w, 1), std::set<std::string>{"d1/d2/d3/later"});
}

TEST_F(InotifyWatcherTest, DirectoryMovedWithinTheTreeIsFollowed) {
  Write("old/a");
  auto w = Watch();
  ASSERT_TRUE(w->Start().ok());
  fs::rename(root_ / "old", root_ / "new");
  std::set<std::string> keys = Collect(*w, 1);
  EXPECT_EQ(keys, std::set<std::string>{"new/a"}) << "the moved directory is listed under its new name";
  Write("new/b");
  EXPECT_EQ(Collect(*w, 1), std::set<std::string>{"new/b"}) << "and events use the new path";
}

TEST_F(InotifyWatcherTest, IgnoredDirsProduceNoEvents) {
  auto w = Watch({".eventbarrier"});
  ASSERT_TRUE(w->Start().ok());
  Write(".eventbarrier/x");
  Write(".eventbarrier/deep/y");
  Write("real");
  EXPECT_EQ(Collect(*w, 1), std::set<std::string>{"real"});
  auto b = w->Next(200);
  ASSERT_TRUE(b.ok());
  EXPECT_TRUE(b->files.empty());
}

TEST_F(InotifyWatcherTest, InterruptFdWakesNext) {
  int p[2];
  ASSERT_EQ(::pipe(p), 0);
  auto w = Watch({}, p[0]);
  ASSERT_TRUE(w->Start().ok());
  ASSERT_EQ(::write(p[1], "x", 1), 1);
  auto start = std::chrono::steady_clock::now();
  auto b = w->Next(10'000);
  ASSERT_TRUE(b.ok());
  EXPECT_TRUE(b->interrupted);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
  ::close(p[0]);
  ::close(p[1]);
}

TEST_F(InotifyWatcherTest, QueueOverflowBecomesAFullScan) {
  std::ifstream limit("/proc/sys/fs/inotify/max_queued_events");
  int max_events = 16384;
  limit >> max_events;
  if (max_events > 100000) GTEST_SKIP() << "max_queued_events is " << max_events;
  Write("a");
  Write("b");
  auto w = Watch();
  ASSERT_TRUE(w->Start().ok());
  // Closing two files in turn: one event each time (only identical consecutive
  // events are merged), more than the queue holds. Cheaper than creating files.
  int fds[2];
  for (int i = 0; i <= max_events / 2 + 100; ++i) {
    for (int k = 0; k < 2; ++k) {
      fds[k] = ::open((root_ / (k == 0 ? "a" : "b")).c_str(), O_WRONLY | O_APPEND);
      ASSERT_GE(fds[k], 0);
      ::close(fds[k]);
    }
  }
  Write("c");  // after the overflow: only a full scan can find it
  auto b = w->Next(2000);
  ASSERT_TRUE(b.ok());
  EXPECT_TRUE(b->full_scan) << "events were lost: everything is listed again";
  EXPECT_EQ(Keys(*b), (std::set<std::string>{"a", "b", "c"}));
}

TEST_F(InotifyWatcherTest, RootMustBeADirectory) {
  Write("file");
  EXPECT_FALSE(NewInotifyWatcher({(root_ / "file").string(), {}, -1}).ok());
  EXPECT_FALSE(NewInotifyWatcher({(root_ / "missing").string(), {}, -1}).ok());
}

}  // namespace
}  // namespace eb
