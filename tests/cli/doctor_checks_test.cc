// The doctor's checks against stores that keep the promises (memory, folder)
// and against wrappers that break exactly one promise each: every broken
// store must fail its check, name the promise in the verdict, and still be
// left without the scratch keys.
#include "cli/doctor_checks.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "fakes/fault_store.h"
#include "fakes/non_atomic_store.h"
#include "stores/folder_store.h"
#include "stores/memory_store.h"

namespace eb::cli {
namespace {

using test::StoreWrapper;

const CheckResult* Find(const DoctorReport& report, const std::string& name) {
  for (const auto& c : report.checks) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

std::string Dump(const DoctorReport& report) {
  std::string out;
  for (const auto& c : report.checks)
    out += std::string(OutcomeName(c.outcome)) + " " + c.name + ": " + c.evidence + "\n";
  return out + "verdict: " + report.Verdict();
}

Outcome OutcomeOf(const DoctorReport& report, const std::string& name) {
  const CheckResult* c = Find(report, name);
  EXPECT_NE(c, nullptr) << name;
  return c ? c->outcome : Outcome::kSkip;
}

DoctorOptions Options() {
  DoctorOptions o;
  o.scratch = ".eventbarrier/_doctor/test/";
  return o;
}

bool IsRaceKey(const std::string& key) { return key.find("/race/") != std::string::npos; }

class DoctorChecksTest : public ::testing::Test {
 protected:
  FakeClock clock_;
  MemoryStore memory_{clock_};
};

TEST_F(DoctorChecksTest, MemoryStoreKeepsEveryPromise) {
  DoctorReport report = RunDoctor(memory_, clock_, Options());
  EXPECT_TRUE(report.ok()) << Dump(report);
  for (const auto& c : report.checks) EXPECT_EQ(c.outcome, Outcome::kPass) << Dump(report);
  EXPECT_NE(Find(report, "racers")
                ->evidence.find("20 keys x 32 racers, 65536-byte bodies: exactly one winner each"),
            std::string::npos);
  EXPECT_EQ(memory_.size(), 0u) << "scratch keys left behind";
  EXPECT_NE(report.Verdict().find("every promise"), std::string::npos);
}

TEST(DoctorFolderTest, FolderStoreKeepsEveryPromise) {
  std::string dir = ::testing::TempDir() + "eb-doctor-folder-" + std::to_string(::getpid());
  std::filesystem::remove_all(dir);
  FolderStore folder(dir, {.fsync = false});
  ASSERT_TRUE(folder.init_status().ok());
  SystemClock clock;  // file times are the kernel's clock
  DoctorReport report = RunDoctor(folder, clock, Options());
  EXPECT_TRUE(report.ok()) << Dump(report);
  for (const auto& c : report.checks) EXPECT_EQ(c.outcome, Outcome::kPass) << Dump(report);
  auto left = ListAll(folder, "");
  ASSERT_TRUE(left.ok());
  EXPECT_TRUE(left->empty());
  std::filesystem::remove_all(dir);
}

TEST_F(DoctorChecksTest, NonAtomicPutIfAbsentFailsTheRacersEveryTime) {
  for (int run = 0; run < 3; ++run) {
    test::NonAtomicPutIfAbsentStore store(memory_, 32, IsRaceKey);
    DoctorReport report = RunDoctor(store, clock_, Options());
    // The sequential check cannot see it; only the race does.
    EXPECT_EQ(OutcomeOf(report, "put-if-absent"), Outcome::kPass) << Dump(report);
    ASSERT_EQ(OutcomeOf(report, "racers"), Outcome::kFail) << Dump(report);
    EXPECT_NE(Find(report, "racers")->evidence.find("20 keys without exactly one winner"),
              std::string::npos)
        << Dump(report);
    EXPECT_NE(Find(report, "racers")->evidence.find("32 of 32 racers won"), std::string::npos)
        << Dump(report);
    EXPECT_FALSE(report.ok());
    EXPECT_NE(report.Verdict().find("exactly one trip per generation"), std::string::npos)
        << report.Verdict();
    EXPECT_EQ(memory_.size(), 0u) << "run " << run << ": scratch keys left behind";
  }
}

// Answers 409 where AWS answers 412 (a refused conditional write).
class ConflictInsteadOf412 : public StoreWrapper {
 public:
  using StoreWrapper::StoreWrapper;
  Status PutIfAbsent(const std::string& key, const std::string& body) override {
    Status s = base_.PutIfAbsent(key, body);
    return s.IsAlreadyExists() ? Status::Conflict("409 ConditionalRequestConflict") : s;
  }
};

TEST_F(DoctorChecksTest, A409ForARefusedWriteFails) {
  ConflictInsteadOf412 store(memory_);
  DoctorReport report = RunDoctor(store, clock_, Options());
  EXPECT_EQ(OutcomeOf(report, "put-if-absent"), Outcome::kFail) << Dump(report);
  EXPECT_NE(Find(report, "put-if-absent")->evidence.find("409"), std::string::npos) << Dump(report);
  EXPECT_EQ(OutcomeOf(report, "racers"), Outcome::kFail) << Dump(report);
  EXPECT_FALSE(report.ok());
  EXPECT_EQ(memory_.size(), 0u);
}

// Ignores If-None-Match: every conditional write replaces the object.
class IgnoresIfNoneMatch : public StoreWrapper {
 public:
  using StoreWrapper::StoreWrapper;
  Status PutIfAbsent(const std::string& key, const std::string& body) override {
    return base_.Put(key, body);
  }
};

TEST_F(DoctorChecksTest, IgnoringIfNoneMatchFails) {
  IgnoresIfNoneMatch store(memory_);
  DoctorReport report = RunDoctor(store, clock_, Options());
  EXPECT_EQ(OutcomeOf(report, "put-if-absent"), Outcome::kFail) << Dump(report);
  EXPECT_NE(Find(report, "put-if-absent")
                ->evidence.find("second PUT-if-absent of the same key succeeded"),
            std::string::npos);
  EXPECT_EQ(OutcomeOf(report, "racers"), Outcome::kFail) << Dump(report);
  EXPECT_EQ(memory_.size(), 0u);
}

// Drops the continuation token: a listing ends after its first page.
class NoContinuation : public StoreWrapper {
 public:
  using StoreWrapper::StoreWrapper;
  Result<ListPage> List(const ListOptions& options) override {
    auto page = base_.List(options);
    if (page.ok()) page->next_continuation.clear();
    return page;
  }
};

TEST_F(DoctorChecksTest, AListWithoutContinuationFailsPagination) {
  NoContinuation store(memory_);
  DoctorReport report = RunDoctor(store, clock_, Options());
  EXPECT_EQ(OutcomeOf(report, "list-pagination"), Outcome::kFail) << Dump(report);
  EXPECT_NE(report.Verdict().find("list-pagination"), std::string::npos);
  EXPECT_EQ(OutcomeOf(report, "racers"), Outcome::kPass) << Dump(report);
  EXPECT_EQ(memory_.size(), 0u) << "cleanup must delete what a listing cannot see";
}

// Ignores start-after.
class NoStartAfter : public StoreWrapper {
 public:
  using StoreWrapper::StoreWrapper;
  Result<ListPage> List(const ListOptions& options) override {
    ListOptions o = options;
    o.start_after.clear();
    return base_.List(o);
  }
};

TEST_F(DoctorChecksTest, IgnoringStartAfterFails) {
  NoStartAfter store(memory_);
  DoctorReport report = RunDoctor(store, clock_, Options());
  EXPECT_EQ(OutcomeOf(report, "list-start-after"), Outcome::kFail) << Dump(report);
  EXPECT_EQ(OutcomeOf(report, "list-pagination"), Outcome::kPass) << Dump(report);
}

// Lists in a collation other than byte order (case-insensitive).
class CaseInsensitiveOrder : public StoreWrapper {
 public:
  using StoreWrapper::StoreWrapper;
  Result<ListPage> List(const ListOptions& options) override {
    auto page = base_.List(options);
    if (page.ok()) {
      std::stable_sort(
          page->objects.begin(), page->objects.end(), [](const ObjectInfo& a, const ObjectInfo& b) {
            return std::lexicographical_compare(
                a.key.begin(), a.key.end(), b.key.begin(), b.key.end(),
                [](unsigned char x, unsigned char y) { return std::tolower(x) < std::tolower(y); });
          });
    }
    return page;
  }
};

TEST_F(DoctorChecksTest, ANonByteOrderFails) {
  CaseInsensitiveOrder store(memory_);
  DoctorReport report = RunDoctor(store, clock_, Options());
  EXPECT_EQ(OutcomeOf(report, "list-order"), Outcome::kFail) << Dump(report);
  EXPECT_NE(Find(report, "list-order")->evidence.find("not in byte order"), std::string::npos);
}

// Denies ListObjectsV2 as a bucket policy without s3:ListBucket would.
class DeniesList : public StoreWrapper {
 public:
  using StoreWrapper::StoreWrapper;
  Result<ListPage> List(const ListOptions&) override {
    return Status::PermissionDenied("S3 GET eb: 403 AccessDenied: access denied");
  }
};

TEST_F(DoctorChecksTest, ADeniedCallNamesItsIamAction) {
  DeniesList store(memory_);
  DoctorReport report = RunDoctor(store, clock_, Options());
  ASSERT_EQ(OutcomeOf(report, "permissions"), Outcome::kFail) << Dump(report);
  EXPECT_NE(Find(report, "permissions")->evidence.find("ListObjectsV2 needs s3:ListBucket"),
            std::string::npos)
      << Dump(report);
  EXPECT_EQ(OutcomeOf(report, "racers"), Outcome::kPass) << Dump(report);
  EXPECT_EQ(memory_.size(), 0u) << "the keys it wrote are deleted even when it cannot list them";
}

// DeleteObjects missing (as on stores without the bulk call).
class NoBulkDelete : public StoreWrapper {
 public:
  using StoreWrapper::StoreWrapper;
  Status DeleteMany(const std::vector<std::string>&) override {
    return Status::InvalidArgument("S3 POST eb: 501 NotImplemented");
  }
};

TEST_F(DoctorChecksTest, AMissingBulkDeleteFailsAndCleanupFallsBack) {
  NoBulkDelete store(memory_);
  DoctorReport report = RunDoctor(store, clock_, Options());
  EXPECT_EQ(OutcomeOf(report, "bulk-delete"), Outcome::kFail) << Dump(report);
  EXPECT_NE(Find(report, "bulk-delete")->evidence.find("501"), std::string::npos);
  EXPECT_EQ(OutcomeOf(report, "cleanup"), Outcome::kPass) << Dump(report);
  EXPECT_EQ(memory_.size(), 0u);
}

TEST_F(DoctorChecksTest, ClockSkewAboveTheToleranceFails) {
  FakeClock local(clock_.NowMs() - 60'000);  // the server is a minute ahead
  DoctorReport report = RunDoctor(memory_, local, Options());
  ASSERT_EQ(OutcomeOf(report, "clock"), Outcome::kFail) << Dump(report);
  EXPECT_NE(Find(report, "clock")->evidence.find("+60"), std::string::npos) << Dump(report);
  EXPECT_NE(report.Verdict().find("timeouts, leases and retention"), std::string::npos);

  FakeClock behind(clock_.NowMs() + 45'000);  // the server is 45 s behind
  report = RunDoctor(memory_, behind, Options());
  EXPECT_EQ(OutcomeOf(report, "clock"), Outcome::kFail) << Dump(report);
  EXPECT_NE(Find(report, "clock")->evidence.find("- local clock: -4"), std::string::npos)
      << Dump(report);
}

TEST_F(DoctorChecksTest, ClockSkewWithinTheToleranceWarns) {
  FakeClock local(clock_.NowMs() - 5'000);
  DoctorReport report = RunDoctor(memory_, local, Options());
  EXPECT_EQ(OutcomeOf(report, "clock"), Outcome::kWarn) << Dump(report);
  EXPECT_TRUE(report.ok()) << Dump(report);
}

TEST_F(DoctorChecksTest, TheServerDateIsComparedWhenTheStoreHasOne) {
  DoctorOptions o = Options();
  o.server_times = [&](const std::string&) -> Result<ServerTimes> {
    return ServerTimes{clock_.NowMs() + 120'000, 0};  // a Date two minutes ahead
  };
  DoctorReport report = RunDoctor(memory_, clock_, o);
  ASSERT_EQ(OutcomeOf(report, "clock"), Outcome::kFail) << Dump(report);
  EXPECT_NE(Find(report, "clock")->evidence.find("Date header - local clock: +120"),
            std::string::npos)
      << Dump(report);
}

// Every call fails as against a server that is down.
class Down : public StoreWrapper {
 public:
  using StoreWrapper::StoreWrapper;
  Result<std::string> Get(const std::string&) override {
    return Status::Unavailable("connection refused");
  }
  Status Put(const std::string&, const std::string&) override {
    return Status::Unavailable("connection refused");
  }
  Status PutIfAbsent(const std::string&, const std::string&) override {
    return Status::Unavailable("connection refused");
  }
  Result<ListPage> List(const ListOptions&) override {
    return Status::Unavailable("connection refused");
  }
  Status Delete(const std::string&) override { return Status::Unavailable("connection refused"); }
  Status DeleteMany(const std::vector<std::string>&) override {
    return Status::Unavailable("connection refused");
  }
};

TEST_F(DoctorChecksTest, AStoreThatIsDownStopsAfterTheFirstWrite) {
  Down down(memory_);
  test::CountingStore counting(down);
  DoctorReport report = RunDoctor(counting, clock_, Options());
  EXPECT_EQ(OutcomeOf(report, "put-if-absent"), Outcome::kFail) << Dump(report);
  EXPECT_NE(Find(report, "put-if-absent")->evidence.find("connection refused"), std::string::npos);
  EXPECT_EQ(OutcomeOf(report, "racers"), Outcome::kSkip) << Dump(report);
  EXPECT_LT(counting.total(), 10) << "no racers or list keys against a store that took no write";
  EXPECT_FALSE(report.ok());
  EXPECT_NE(report.Verdict().find("the store takes a write at all"), std::string::npos)
      << report.Verdict();
}

TEST_F(DoctorChecksTest, ConfiguredActionsAreListedNotExercised) {
  DoctorOptions o = Options();
  o.action_permissions = {"events:PutEvents (eventbridge action)"};
  DoctorReport report = RunDoctor(memory_, clock_, o);
  EXPECT_EQ(OutcomeOf(report, "actions"), Outcome::kSkip);
  EXPECT_NE(Find(report, "actions")->evidence.find("events:PutEvents"), std::string::npos);
  EXPECT_TRUE(report.ok());
}

}  // namespace
}  // namespace eb::cli
