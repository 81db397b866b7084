#include "sources/local_files.h"

#include <gtest/gtest.h>

#include "fakes/fake_dir_watcher.h"

namespace eb {
namespace {

using test::File;

TEST(LocalFilesTest, RescanOfAnUnchangedFileIsTheSameArrival) {
  FileEvent event = File("sales/d1/east.csv", 1'700'000'000'123'456'789, 42, 100);
  FileEvent rescan = event;
  rescan.from_scan = true;
  EXPECT_EQ(ArrivalId(LocalFileArrival(event)), ArrivalId(LocalFileArrival(rescan)));
}

TEST(LocalFilesTest, ARewrittenFileIsANewArrival) {
  FileEvent v1 = File("k", 1'700'000'000'000'000'000, 42, 100);
  std::string id = ArrivalId(LocalFileArrival(v1));
  FileEvent later = v1, replaced = v1, resized = v1, other_key = v1;
  later.version.mtime_ns += 1;        // written again in place
  replaced.version.inode = 43;        // replaced by rename, same mtime (cp -p, rsync -t)
  resized.version.size = 101;         // same tick, different size
  other_key.key = "k2";
  for (const FileEvent* f : {&later, &replaced, &resized, &other_key}) {
    EXPECT_NE(ArrivalId(LocalFileArrival(*f)), id) << f->key << " " << LocalFileVersion(f->version);
  }
}

TEST(LocalFilesTest, ArrivalFields) {
  Arrival a = LocalFileArrival(File("a/b.csv", 1'700'000'000'123'000'000, 7, 5));
  EXPECT_EQ(a.bucket, "local");
  EXPECT_EQ(a.key, "a/b.csv");
  EXPECT_EQ(a.size, 5);
  EXPECT_EQ(a.version_id, "i7-m1700000000123000000-s5");
  EXPECT_EQ(a.etag.size(), 32u);
  EXPECT_EQ(a.event_name, "ObjectCreated:Put");
  EXPECT_EQ(a.event_time, "2023-11-14T22:13:20.123Z");
  EXPECT_EQ(a.source, "local");
  EXPECT_EQ(LocalFileArrival(File("x"), "inbox").bucket, "inbox");
}

TEST(LocalFilesTest, KeyTemplates) {
  EXPECT_TRUE(MatchesKeyTemplate("ready/{date}/_SUCCESS.json", "ready/2026-11-24/_SUCCESS.json"));
  EXPECT_FALSE(MatchesKeyTemplate("ready/{date}/_SUCCESS.json", "ready/a/b/_SUCCESS.json"));
  EXPECT_FALSE(MatchesKeyTemplate("ready/{date}/_SUCCESS.json", "ready//_SUCCESS.json"));
  EXPECT_FALSE(MatchesKeyTemplate("ready/{date}/_SUCCESS.json", "ready/x/_SUCCESS.jsonx"));
  EXPECT_TRUE(MatchesKeyTemplate("out/{barrier}-{generation}.json", "out/event-barrier-0-12.json"));
  EXPECT_FALSE(MatchesKeyTemplate("out/{barrier}-{generation}.json", "out/x.json"));
  EXPECT_TRUE(MatchesKeyTemplate("plain/key", "plain/key"));
  EXPECT_FALSE(MatchesKeyTemplate("plain/key", "plain/key2"));
  EXPECT_TRUE(MatchesKeyTemplate("odd{", "odd{"));
}

}  // namespace
}  // namespace eb
