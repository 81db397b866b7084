#include "cli/doctor_checks.h"

#include <algorithm>
#include <atomic>
#include <barrier>
#include <cstdio>
#include <exception>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "actions/aws_api_calls.h"

namespace eb::cli {

const char* OutcomeName(Outcome outcome) {
  switch (outcome) {
    case Outcome::kPass:
      return "pass";
    case Outcome::kWarn:
      return "warn";
    case Outcome::kFail:
      return "fail";
    case Outcome::kSkip:
      return "skip";
  }
  return "?";
}

bool DoctorReport::ok() const {
  return std::none_of(checks.begin(), checks.end(),
                      [](const CheckResult& c) { return c.outcome == Outcome::kFail; });
}

std::string DoctorReport::Verdict() const {
  std::string broken;
  for (const auto& c : checks) {
    if (c.outcome != Outcome::kFail) continue;
    broken += (broken.empty() ? "" : "; ") + c.promise + " (" + c.name + ")";
  }
  if (broken.empty()) return "every promise the barrier protocol relies on holds on " + store;
  return "do not trust this store with barriers: " + broken;
}

namespace {

// The store calls the engine makes, by S3 API, with the IAM action that allows each.
enum class Api {
  kGetObject,
  kPutObject,
  kPutIfAbsent,
  kListObjectsV2,
  kDeleteObject,
  kDeleteObjects,
  kCount
};

struct ApiInfo {
  const char* name;       // shown to people
  const char* table_api;  // the api column of actions/aws_api_calls.h
};
constexpr ApiInfo kApis[] = {
    {"GetObject", "GetObject"},
    {"PutObject", "PutObject"},
    {"PutObject If-None-Match: *", "PutObject"},
    {"ListObjectsV2", "ListObjectsV2"},
    {"DeleteObject", "DeleteObject, DeleteObjects"},
    {"DeleteObjects", "DeleteObject, DeleteObjects"},
};
static_assert(std::size(kApis) == static_cast<size_t>(Api::kCount));

// Forwards to the store and remembers, per API, whether it was called and the
// first permission-denied answer, and every key written (after leveldb's EnvWrapper).
class PermissionRecorder : public ObjectStore {
 public:
  explicit PermissionRecorder(ObjectStore& base) : base_(base) {}
  Result<std::string> Get(const std::string& key) override {
    auto r = base_.Get(key);
    (void)Note(Api::kGetObject, r.ok() ? Status::Ok() : r.status());
    return r;
  }
  Status Put(const std::string& key, const std::string& body) override {
    return Note(Api::kPutObject, base_.Put(key, body), &key);
  }
  Status PutIfAbsent(const std::string& key, const std::string& body) override {
    return Note(Api::kPutIfAbsent, base_.PutIfAbsent(key, body), &key);
  }
  Result<ListPage> List(const ListOptions& options) override {
    auto r = base_.List(options);
    (void)Note(Api::kListObjectsV2, r.ok() ? Status::Ok() : r.status());
    return r;
  }
  Status Delete(const std::string& key) override {
    return Note(Api::kDeleteObject, base_.Delete(key));
  }
  Status DeleteMany(const std::vector<std::string>& keys) override {
    return Note(Api::kDeleteObjects, base_.DeleteMany(keys));
  }
  std::string Describe() const override { return base_.Describe(); }

  struct Record {
    bool called = false;
    std::string denied;  // the first permission-denied message
  };
  Record Recorded(Api api) const {
    std::lock_guard<std::mutex> lock(mu_);
    return records_[static_cast<int>(api)];
  }
  // Every key a Put or PutIfAbsent may have created (also those that failed:
  // a lost answer can hide a write).
  std::vector<std::string> Written() const {
    std::lock_guard<std::mutex> lock(mu_);
    return {written_.begin(), written_.end()};
  }

 private:
  Status Note(Api api, Status s, const std::string* key = nullptr) {
    std::lock_guard<std::mutex> lock(mu_);
    if (key != nullptr) written_.insert(*key);
    Record& r = records_[static_cast<int>(api)];
    r.called = true;
    if (s.code() == Code::kPermissionDenied && r.denied.empty()) r.denied = s.message();
    return s;
  }
  ObjectStore& base_;
  mutable std::mutex mu_;
  Record records_[static_cast<int>(Api::kCount)];
  std::set<std::string> written_;
};

// A status for one line of evidence: its code and message, cut to a readable length.
std::string Brief(const Status& s) {
  std::string text = s.ToString();
  return text.size() > 300 ? text.substr(0, 300) + "..." : text;
}

std::string Seconds(TimeMs ms) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%+.3f s", static_cast<double>(ms) / 1000.0);
  return buf;
}

std::string Padded(int n, int width) {
  std::string s = std::to_string(n);
  return std::string(width > static_cast<int>(s.size()) ? width - s.size() : 0, '0') + s;
}

// Runs `work(i)` for i in [0, n) on `threads` threads.
template <typename Work>
void Parallel(int n, int threads, Work work) {
  std::atomic<int> next{0};
  std::vector<std::thread> pool;
  for (int t = 0; t < std::max(1, std::min(threads, n)); ++t) {
    pool.emplace_back([&] {
      for (int i = next++; i < n; i = next++) work(i);
    });
  }
  for (auto& th : pool) th.join();
}

// Every key under `prefix` page by page (max_keys 1000), as the engine reads.
struct Listing {
  Status status;
  std::vector<ObjectInfo> objects;
  int pages = 0;
};
Listing ListPages(ObjectStore& store, const std::string& prefix,
                  const std::string& start_after = "") {
  Listing out;
  ListOptions options;
  options.prefix = prefix;
  options.start_after = start_after;
  for (;;) {
    auto page = store.List(options);
    if (!page.ok()) {
      out.status = page.status();
      return out;
    }
    ++out.pages;
    for (auto& o : page->objects) out.objects.push_back(std::move(o));
    if (page->next_continuation.empty()) return out;
    if (out.pages > 10'000) {
      out.status = Status::Internal("LIST of " + prefix + " never ended (10,000 pages)");
      return out;
    }
    options.continuation = page->next_continuation;
  }
}

std::vector<std::string> Keys(const std::vector<ObjectInfo>& objects) {
  std::vector<std::string> keys;
  for (const auto& o : objects) keys.push_back(o.key);
  return keys;
}

// The first place two key sequences differ, for evidence.
std::string FirstDifference(const std::vector<std::string>& got,
                            const std::vector<std::string>& want) {
  for (size_t i = 0; i < std::max(got.size(), want.size()); ++i) {
    std::string g = i < got.size() ? "'" + got[i] + "'" : "(end)";
    std::string w = i < want.size() ? "'" + want[i] + "'" : "(end)";
    if (g != w) return "at position " + std::to_string(i) + " got " + g + ", expected " + w;
  }
  return "none";
}

class Doctor {
 public:
  Doctor(ObjectStore& store, Clock& clock, const DoctorOptions& options)
      : store_(store), clock_(clock), o_(options) {}

  DoctorReport Run();

 private:
  using Check = void (Doctor::*)(CheckResult&);
  // Runs one check, timing it and turning an exception into a failure.
  void Add(const char* name, const char* promise, Check check);

  void PutIfAbsentOnce(CheckResult& r);
  void Racers(CheckResult& r);
  void ListAfterWrite(CheckResult& r);
  void ListOrder(CheckResult& r);
  void ListPagination(CheckResult& r);
  void ListStartAfter(CheckResult& r);
  void ListAfterDelete(CheckResult& r);
  void BulkDelete(CheckResult& r);
  void ClockSkew(CheckResult& r);
  CheckResult Permissions();
  CheckResult Cleanup();

  std::string Key(const std::string& name) const { return o_.scratch + name; }
  std::string ListKey(int i) const { return Key("list/" + Padded(i, 5)); }

  PermissionRecorder store_;
  Clock& clock_;
  const DoctorOptions& o_;
  DoctorReport report_;
  bool written_ = false;       // the first write succeeded: the other checks can run
  bool list_keys_ok_ = false;  // every list/ key was written
};

void Doctor::Add(const char* name, const char* promise, Check check) {
  CheckResult r;
  r.name = name;
  r.promise = promise;
  TimeMs start = clock_.NowMs();
  if (!written_ && check != &Doctor::PutIfAbsentOnce) {
    r.outcome = Outcome::kSkip;
    r.evidence = "not run: the store did not accept a first write (see put-if-absent)";
  } else {
    try {
      (this->*check)(r);
    } catch (const std::exception& e) {
      r.outcome = Outcome::kFail;
      r.evidence = std::string("internal error: ") + e.what();
    }
  }
  r.elapsed_ms = clock_.NowMs() - start;
  report_.checks.push_back(std::move(r));
}

void Doctor::PutIfAbsentOnce(CheckResult& r) {
  const std::string key = Key("put/once");
  Status first = store_.PutIfAbsent(key, "first");
  if (!first.ok()) {
    r.outcome = Outcome::kFail;
    r.evidence = "the first PUT-if-absent of a new key failed: " + Brief(first);
    r.promise = "the store takes a write at all (nothing else could be checked)";
    r.advice = first.IsAlreadyExists()
                   ? "the store says a key that was never written exists: it cannot be used"
                   : "fix access to the store first (endpoint, bucket, credentials, permissions)";
    return;
  }
  written_ = true;
  Status second = store_.PutIfAbsent(key, "second");
  auto body = store_.Get(key);
  std::string read = body.ok() ? "'" + *body + "'" : Brief(body.status());
  r.outcome = Outcome::kFail;
  if (second.ok()) {
    r.evidence = "a second PUT-if-absent of the same key succeeded; GET returns " + read;
    r.advice = "the store ignores If-None-Match: * on PUT: it cannot hold barrier state";
  } else if (second.code() == Code::kConflict) {
    r.evidence = "a second PUT-if-absent was answered conflict (409), not already-exists (412): " +
                 Brief(second);
    r.advice =
        "a lost claim must be told 412; the engine retries a 409 and keeps failing the event";
  } else if (!second.IsAlreadyExists()) {
    r.evidence = "a second PUT-if-absent failed with neither 412 nor 409: " + Brief(second);
    r.advice = "check the store's support for If-None-Match: * on PUT";
  } else if (!body.ok() || *body != "first") {
    r.evidence = "the second PUT-if-absent was refused, but GET returns " + read + ", not 'first'";
    r.advice = "the refused write replaced the object: the store cannot hold barrier state";
  } else {
    r.outcome = Outcome::kPass;
    r.evidence = "a second write is refused: " + Brief(second) + "; GET returns the first body";
  }
}

void Doctor::Racers(CheckResult& r) {
  const int keys = o_.race_keys, racers = o_.racers;
  // Bodies of race_body_bytes: a server that checks, then reads and stores the
  // body, then writes has a window as wide as the body takes.
  auto body = [&](int k, int t) {
    std::string b = "key " + std::to_string(k) + " racer " + std::to_string(t) + " ";
    b.resize(std::max<size_t>(b.size(), o_.race_body_bytes), '.');
    return b;
  };
  std::vector<std::vector<Status>> results(keys, std::vector<Status>(racers));
  {
    // All racers of a key start together; no racer starts the next key before all are done.
    std::barrier start(racers);
    std::vector<std::thread> threads;
    for (int t = 0; t < racers; ++t) {
      threads.emplace_back([&, t] {
        for (int k = 0; k < keys; ++k) {
          start.arrive_and_wait();
          const std::string key = Key("race/" + Padded(k, 2));
          // As the engine does: a conflict (409, two conditional writes collided) is tried again.
          Status s = store_.PutIfAbsent(key, body(k, t));
          for (int attempt = 1; attempt < 5 && s.code() == Code::kConflict; ++attempt) {
            s = store_.PutIfAbsent(key, body(k, t));
          }
          results[k][t] = std::move(s);
        }
      });
    }
    for (auto& th : threads) th.join();
  }
  int bad_keys = 0, most_winners = 0, read_back = 0, errors = 0;
  std::string first_bad, first_error, loser_answer;
  for (int k = 0; k < keys; ++k) {
    const std::string name = "race/" + Padded(k, 2);
    std::vector<int> winners;
    for (int t = 0; t < racers; ++t) {
      const Status& s = results[k][t];
      if (s.ok()) {
        winners.push_back(t);
      } else if (s.IsAlreadyExists()) {
        if (loser_answer.empty()) loser_answer = Brief(s);
      } else if (errors++ == 0) {
        first_error = name + " racer " + std::to_string(t) + ": " + Brief(s);
      }
    }
    auto stored = store_.Get(Key(name));
    std::string problem;
    if (!stored.ok()) {
      problem = "GET after the race: " + Brief(stored.status());
    } else if (winners.size() > 1) {
      problem = std::to_string(winners.size()) + " of " + std::to_string(racers) + " racers won";
    } else if (winners.size() == 1 && *stored != body(k, winners[0])) {
      problem = "racer " + std::to_string(winners[0]) + " won but GET returns '" +
                stored->substr(0, 40) + "...'";
    } else if (winners.empty()) {
      // A winner whose answer was lost sees its own write on the retry (412): the
      // protocol reads the record back, and so does this check.
      bool authored = false;
      for (int t = 0; t < racers; ++t)
        authored = authored || (*stored == body(k, t) && results[k][t].IsAlreadyExists());
      if (authored) {
        ++read_back;
      } else {
        problem = "no racer won";
      }
    }
    most_winners = std::max<int>(most_winners, winners.size());
    if (!problem.empty()) {
      ++bad_keys;
      if (first_bad.empty()) first_bad = name + ": " + problem;
    }
  }
  std::string size = std::to_string(keys) + " keys x " + std::to_string(racers) + " racers, " +
                     std::to_string(o_.race_body_bytes) + "-byte bodies";
  if (bad_keys > 0 || errors > 0) {
    r.outcome = Outcome::kFail;
    r.evidence = size + ": ";
    if (bad_keys > 0) {
      r.evidence += std::to_string(bad_keys) + " keys without exactly one winner (first " +
                    first_bad + "; most winners on one key: " + std::to_string(most_winners) + ")";
    }
    if (errors > 0) {
      r.evidence += std::string(bad_keys > 0 ? "; " : "") + std::to_string(errors) +
                    " racers neither won nor were told already-exists (after 5 tries), e.g. " +
                    first_error;
    }
    r.advice = most_winners > 1
                   ? "PUT-if-absent is not atomic here (concurrent If-None-Match: * writes both "
                     "succeed): use AWS S3, "
                     "Ceph RGW or another store that passes, or the folder store on one machine"
                   : "a racer that lost must be told already-exists (412); an error makes the "
                     "engine fail the event";
    return;
  }
  r.outcome = Outcome::kPass;
  r.evidence = size + ": exactly one winner each, GET returns the winner's body";
  if (read_back > 0)
    r.evidence +=
        " (" + std::to_string(read_back) + " winners found by reading back after a retry)";
  if (!loser_answer.empty()) r.evidence += "; losers are told " + loser_answer;
}

void Doctor::ListAfterWrite(CheckResult& r) {
  // Ten fresh keys, each listed right after its write.
  for (int i = 0; i < 10; ++i) {
    const std::string key = Key("fresh/" + std::to_string(i));
    Status put = store_.PutIfAbsent(key, "fresh");
    if (!put.ok()) {
      r.outcome = Outcome::kFail;
      r.evidence = "PUT-if-absent of " + key + ": " + Brief(put);
      return;
    }
    ListOptions options;
    options.prefix = Key("fresh/");
    auto page = store_.List(options);
    if (!page.ok()) {
      r.outcome = Outcome::kFail;
      r.evidence = "LIST " + options.prefix + ": " + Brief(page.status());
      return;
    }
    bool found = std::any_of(page->objects.begin(), page->objects.end(),
                             [&](const ObjectInfo& o) { return o.key == key; });
    if (!found) {
      r.outcome = Outcome::kFail;
      r.evidence = "a LIST right after the write of " + key + " does not show it (write " +
                   std::to_string(i + 1) + " of 10)";
      r.advice =
          "LIST is eventually consistent here: a barrier can miss an arrival that is already "
          "written";
      return;
    }
  }
  // The list/ keys, written concurrently, all listed at once afterwards.
  std::atomic<int> failed{0};
  std::mutex mu;
  std::string first_error;
  Parallel(o_.list_keys, o_.writers, [&](int i) {
    Status s = store_.Put(ListKey(i), "list " + std::to_string(i));
    if (!s.ok() && failed++ == 0) {
      std::lock_guard<std::mutex> lock(mu);
      first_error = ListKey(i) + ": " + Brief(s);
    }
  });
  if (failed > 0) {
    r.outcome = Outcome::kFail;
    r.evidence = std::to_string(failed.load()) + " of " + std::to_string(o_.list_keys) +
                 " PUTs failed, e.g. " + first_error;
    return;
  }
  list_keys_ok_ = true;
  Listing all = ListPages(store_, Key("list/"));
  if (!all.status.ok()) {
    r.outcome = Outcome::kFail;
    r.evidence = "LIST " + Key("list/") + ": " + Brief(all.status);
    return;
  }
  std::set<std::string> seen;
  for (const auto& o : all.objects) seen.insert(o.key);
  int missing = 0;
  for (int i = 0; i < o_.list_keys; ++i) missing += seen.count(ListKey(i)) == 0;
  if (missing > 0 && all.pages == 1 && all.objects.size() >= 1000) {
    r.outcome = Outcome::kWarn;
    r.evidence =
        "10 keys each listed right after its write; the " + std::to_string(o_.list_keys) +
        " keys written in parallel cannot be verified: the listing ended after one page (see "
        "list-pagination)";
    return;
  }
  if (missing > 0) {
    r.outcome = Outcome::kFail;
    r.evidence = std::to_string(missing) + " of " + std::to_string(o_.list_keys) +
                 " keys just written are not listed";
    r.advice = "LIST is not read-after-write here: a barrier can miss arrivals and never trip";
    return;
  }
  r.evidence = "10 keys each listed right after its write; " + std::to_string(o_.list_keys) +
               " keys written by " + std::to_string(o_.writers) + " threads all listed right after";
}

void Doctor::ListOrder(CheckResult& r) {
  // Byte order around the characters a sorted walk or a collating server gets wrong.
  const std::vector<std::string> names = {
      "A",           "Z",  "a",   "a b", "a+b", "a-b", "a.b", "a0", "aB",
      "a_",          "a~", "b.x", "b/c", "b-y", "b0",  "b_z", "z",  "\xc3\xa9t\xc3\xa9" /* été */,
      "\xe2\x82\xac" /* € */};
  std::vector<std::string> want;
  for (const auto& n : names) {
    Status s = store_.Put(Key("order/" + n), n);
    if (!s.ok()) {
      r.outcome = Outcome::kFail;
      r.evidence = "PUT " + Key("order/" + n) + ": " + Brief(s);
      return;
    }
    want.push_back(Key("order/" + n));
  }
  std::sort(want.begin(), want.end());  // std::string compares as unsigned bytes
  Listing got = ListPages(store_, Key("order/"));
  if (!got.status.ok()) {
    r.outcome = Outcome::kFail;
    r.evidence = "LIST: " + Brief(got.status);
    return;
  }
  std::vector<std::string> keys = Keys(got.objects);
  if (keys != want) {
    r.outcome = Outcome::kFail;
    r.evidence = "LIST of " + std::to_string(want.size()) +
                 " keys is not in byte order: " + FirstDifference(keys, want);
    r.advice =
        "the engine resumes listings with start-after and merges sorted listings: it needs byte "
        "order";
    return;
  }
  r.evidence = std::to_string(want.size()) +
               " keys (space, '+', '-', '.', '/', '_', '~', UTF-8) listed in byte order";
}

void Doctor::ListPagination(CheckResult& r) {
  if (!list_keys_ok_) {
    r.outcome = Outcome::kSkip;
    r.evidence = "not run: the list keys could not be written (see list-after-write)";
    return;
  }
  Listing got = ListPages(store_, Key("list/"));
  if (!got.status.ok()) {
    r.outcome = Outcome::kFail;
    r.evidence = "LIST page " + std::to_string(got.pages + 1) + ": " + Brief(got.status);
    return;
  }
  std::vector<std::string> want;
  for (int i = 0; i < o_.list_keys; ++i) want.push_back(ListKey(i));
  std::vector<std::string> keys = Keys(got.objects);
  if (keys != want) {
    r.outcome = Outcome::kFail;
    r.evidence = std::to_string(keys.size()) + " keys in " + std::to_string(got.pages) +
                 " pages for " + std::to_string(want.size()) +
                 " written: " + FirstDifference(keys, want);
    r.advice =
        "continuation tokens do not resume where the page ended: the engine would miss or repeat "
        "keys";
    return;
  }
  int min_pages = (o_.list_keys + 999) / 1000;
  if (got.pages < min_pages) {
    r.outcome = Outcome::kWarn;
    r.evidence = std::to_string(keys.size()) + " keys in " + std::to_string(got.pages) +
                 " page(s): max-keys 1000 ignored";
    return;
  }
  r.evidence = std::to_string(keys.size()) + " keys in " + std::to_string(got.pages) +
               " pages of at most 1,000, continuation tokens followed, each key exactly once";
}

void Doctor::ListStartAfter(CheckResult& r) {
  if (!list_keys_ok_ || o_.list_keys < 3) {
    r.outcome = Outcome::kSkip;
    r.evidence = "not run: the list keys could not be written (see list-after-write)";
    return;
  }
  int mid = o_.list_keys / 2;
  // After an existing key, and after a key that lies between two existing ones.
  for (const std::string& after : {ListKey(mid), ListKey(mid) + "~"}) {
    Listing got = ListPages(store_, Key("list/"), after);
    if (!got.status.ok()) {
      r.outcome = Outcome::kFail;
      r.evidence = "LIST start-after " + after + ": " + Brief(got.status);
      return;
    }
    std::vector<std::string> want;
    for (int i = mid + 1; i < o_.list_keys; ++i) want.push_back(ListKey(i));
    std::vector<std::string> keys = Keys(got.objects);
    if (keys != want) {
      r.outcome = Outcome::kFail;
      r.evidence = "start-after '" + after + "': " + FirstDifference(keys, want);
      r.advice =
          "the engine skips what it has already seen with start-after: it needs the exact "
          "semantics";
      return;
    }
  }
  r.evidence = "start-after an existing key and a key between two: exactly the " +
               std::to_string(o_.list_keys - mid - 1) + " keys after it";
}

void Doctor::ListAfterDelete(CheckResult& r) {
  const std::string key = Key("fresh/0");
  Status del = store_.Delete(key);
  if (!del.ok()) {
    r.outcome = Outcome::kFail;
    r.evidence = "DELETE " + key + ": " + Brief(del);
    return;
  }
  Listing got = ListPages(store_, Key("fresh/"));
  auto read = store_.Get(key);
  Status again = store_.Delete(key);
  if (!got.status.ok()) {
    r.outcome = Outcome::kFail;
    r.evidence = "LIST: " + Brief(got.status);
  } else if (std::any_of(got.objects.begin(), got.objects.end(),
                         [&](const ObjectInfo& o) { return o.key == key; })) {
    r.outcome = Outcome::kFail;
    r.evidence = "a deleted key is still listed";
    r.advice = "consumed arrivals would be counted again";
  } else if (read.ok() || !read.status().IsNotFound()) {
    r.outcome = Outcome::kFail;
    r.evidence = "GET of a deleted key: " + (read.ok() ? "returns its body" : Brief(read.status()));
  } else if (!again.ok()) {
    r.outcome = Outcome::kFail;
    r.evidence = "deleting a missing key failed: " + Brief(again);
    r.advice = "the engine deletes markers that a crashed worker may already have deleted";
  } else {
    r.evidence = "a deleted key is no longer listed, GET says not found, a second DELETE is ok";
  }
}

void Doctor::BulkDelete(CheckResult& r) {
  if (!list_keys_ok_) {
    r.outcome = Outcome::kSkip;
    r.evidence = "not run: the list keys could not be written (see list-after-write)";
    return;
  }
  int n = std::min(o_.list_keys, 999);  // and one missing key: a full batch of 1,000
  std::vector<std::string> batch;
  for (int i = 0; i < n; ++i) batch.push_back(ListKey(i));
  batch.push_back(Key("list/missing"));  // a missing key is not an error
  Status s = store_.DeleteMany(batch);
  if (!s.ok()) {
    r.outcome = Outcome::kFail;
    r.evidence = "DeleteMany of " + std::to_string(batch.size()) + " keys: " + Brief(s);
    r.advice = s.code() == Code::kPermissionDenied
                   ? "allow s3:DeleteObject (DeleteObjects needs it for every key)"
                   : "the engine deletes consumed markers in batches of 1,000 and does not fall "
                     "back to single "
                     "DELETEs: a trip would never finish";
    return;
  }
  Listing left = ListPages(store_, Key("list/"));
  if (!left.status.ok()) {
    r.outcome = Outcome::kFail;
    r.evidence = "LIST after DeleteMany: " + Brief(left.status);
    return;
  }
  int expected = o_.list_keys - n;
  if (static_cast<int>(left.objects.size()) != expected) {
    r.outcome = Outcome::kFail;
    r.evidence = "after DeleteMany of " + std::to_string(n) + " keys, " +
                 std::to_string(left.objects.size()) + " list keys remain, expected " +
                 std::to_string(expected);
    r.advice =
        "DeleteMany reported success without deleting: consumed markers would be counted again";
    return;
  }
  r.evidence =
      std::to_string(n) + " keys (and one missing key) deleted in one call, then no longer listed";
}

void Doctor::ClockSkew(CheckResult& r) {
  const std::string key = Key("clock");
  TimeMs t0 = clock_.NowMs();
  Status put = store_.Put(key, "clock");
  TimeMs t1 = clock_.NowMs();
  if (!put.ok()) {
    r.outcome = Outcome::kFail;
    r.evidence = "PUT " + key + ": " + Brief(put);
    return;
  }
  ListOptions options;
  options.prefix = key;
  auto page = store_.List(options);
  if (!page.ok() || page->objects.empty()) {
    r.outcome = Outcome::kFail;
    r.evidence = "LIST " + key + ": " + (page.ok() ? "not listed" : Brief(page.status()));
    return;
  }
  TimeMs lm = page->objects.front().last_modified;
  if (lm <= 0) {
    r.outcome = Outcome::kFail;
    r.evidence = "LIST gives no LastModified for a fresh write";
    r.advice =
        "timeouts, leases and retention are judged on LastModified: the store must report it";
    return;
  }
  // The write was stamped at some local time in [t0, t1]; a stamp truncated to
  // the second is up to 1 s early. So server - local lies in [lo, hi].
  struct Bound {
    const char* what;
    TimeMs lo, hi;
  };
  TimeMs grain = lm % 1000 == 0 ? 1000 : 1;
  std::vector<Bound> bounds = {{"LastModified of a fresh write", lm - t1, lm + grain - t0}};
  if (o_.server_times) {
    TimeMs t2 = clock_.NowMs();
    auto times = o_.server_times(key);
    TimeMs t3 = clock_.NowMs();
    if (times.ok() && times->date > 0)
      bounds.push_back({"Date header", times->date - t3, times->date + 1000 - t2});
  }
  TimeMs tol = o_.max_clock_skew_ms;
  std::string evidence;
  bool beyond = false, off = false;
  for (const auto& b : bounds) {
    TimeMs mid = (b.lo + b.hi) / 2, half = (b.hi - b.lo + 1) / 2;
    evidence += std::string(evidence.empty() ? "" : "; ") + b.what +
                " - local clock: " + Seconds(mid) + " (+/- " + Seconds(half).substr(1) + ")";
    beyond = beyond || b.lo > tol || b.hi < -tol;
    off = off || b.lo > 2000 || b.hi < -2000;
  }
  evidence += "; tolerance " + std::to_string(tol / 1000) + " s";
  r.evidence = evidence;
  if (beyond) {
    r.outcome = Outcome::kFail;
    r.advice =
        "synchronise this machine's clock (NTP) or the store's: timeouts, leases and retention "
        "compare "
        "LastModified with the local clock";
  } else if (off) {
    r.outcome = Outcome::kWarn;
    r.advice = "within tolerance, but more than 2 s apart: check NTP on both sides";
  }
}

CheckResult Doctor::Permissions() {
  CheckResult r;
  r.name = "permissions";
  r.promise = "the engine can make every store call it needs";
  std::string allowed, denied, untried;
  std::set<std::string> iam_allowed;
  for (int i = 0; i < static_cast<int>(Api::kCount); ++i) {
    auto rec = store_.Recorded(static_cast<Api>(i));
    std::string iam = IamActionFor("state store", kApis[i].table_api);
    if (!rec.called) {
      untried += std::string(untried.empty() ? "" : ", ") + kApis[i].name;
    } else if (!rec.denied.empty()) {
      denied += std::string(denied.empty() ? "" : "; ") + kApis[i].name + " needs " + iam + ": " +
                rec.denied;
    } else {
      allowed += std::string(allowed.empty() ? "" : ", ") + kApis[i].name;
      iam_allowed.insert(iam);
    }
  }
  if (!denied.empty()) {
    r.outcome = Outcome::kFail;
    r.evidence = "denied: " + denied;
    r.advice = "allow the IAM actions named above on the state prefix (docs/S3.md has the policy)";
  } else if (!untried.empty()) {
    r.outcome = Outcome::kSkip;
    r.evidence = "not tried (an earlier check stopped): " + untried;
  } else {
    std::string iam;
    for (const auto& a : iam_allowed) iam += (iam.empty() ? "" : ", ") + a;
    r.evidence = "allowed: " + allowed + " (" + iam + " on S3)";
  }
  return r;
}

CheckResult Doctor::Cleanup() {
  CheckResult r;
  r.name = "cleanup";
  r.promise = "doctor leaves nothing behind";
  TimeMs start = clock_.NowMs();
  Listing left;
  std::string trouble;
  for (int round = 0;; ++round) {
    left = ListPages(store_, o_.scratch);
    // What was written and what is listed: a store may fail to list what it holds.
    std::set<std::string> doomed;
    if (round == 0) {
      for (auto& k : store_.Written()) doomed.insert(std::move(k));
    }
    for (const auto& o : left.objects) doomed.insert(o.key);
    if (doomed.empty() || round == 2) break;
    std::vector<std::string> keys(doomed.begin(), doomed.end());
    for (size_t i = 0; i < keys.size(); i += 1000) {
      std::vector<std::string> batch(keys.begin() + i,
                                     keys.begin() + std::min(keys.size(), i + 1000));
      Status s = store_.DeleteMany(batch);
      if (s.ok()) continue;
      if (trouble.empty()) trouble = "DeleteMany: " + Brief(s) + "; deleted one by one";
      for (const auto& k : batch) {
        Status d = store_.Delete(k);
        if (!d.ok() && trouble.find("DELETE") == std::string::npos)
          trouble += "; DELETE " + k + ": " + Brief(d);
      }
    }
  }
  r.elapsed_ms = clock_.NowMs() - start;
  if (!left.status.ok()) {
    // No write succeeded: there is most likely nothing to clean up.
    r.outcome = written_ ? Outcome::kWarn : Outcome::kSkip;
    r.evidence = "cannot list the scratch prefix: " + Brief(left.status);
  } else if (!left.objects.empty()) {
    r.outcome = Outcome::kWarn;
    r.evidence = std::to_string(left.objects.size()) + " keys left under " + o_.scratch +
                 ", e.g. " + left.objects.front().key +
                 (trouble.empty() ? "" : " (" + trouble + ")");
  } else {
    r.evidence = "nothing left under " + o_.scratch;
    if (!trouble.empty()) r.evidence += " (" + trouble + ")";
    return r;
  }
  r.advice = "delete the keys under " + o_.scratch + " by hand";
  return r;
}

DoctorReport Doctor::Run() {
  report_.store = store_.Describe();
  report_.scratch = o_.scratch;
  TimeMs start = clock_.NowMs();
  Add("put-if-absent",
      "exactly one claim per trip (a refused PUT-if-absent must say already-exists)",
      &Doctor::PutIfAbsentOnce);
  Add("racers", "exactly one trip per generation (PUT-if-absent must be atomic under concurrency)",
      &Doctor::Racers);
  Add("list-after-write",
      "every arrival is seen (LIST must show a key as soon as its PUT returned)",
      &Doctor::ListAfterWrite);
  Add("list-order", "listings resume and merge correctly (LIST in byte order)", &Doctor::ListOrder);
  Add("list-pagination", "barriers wider than one LIST page see every member (continuation)",
      &Doctor::ListPagination);
  Add("list-start-after", "incremental listings see new keys and only those (start-after)",
      &Doctor::ListStartAfter);
  Add("list-after-delete", "consumed arrivals are not counted again (a deleted key disappears)",
      &Doctor::ListAfterDelete);
  Add("bulk-delete", "a trip can finish (consumed markers are deleted in batches)",
      &Doctor::BulkDelete);
  Add("clock", "timeouts, leases and retention fire on time (store clock close to the local clock)",
      &Doctor::ClockSkew);
  CheckResult cleanup = Cleanup();
  report_.checks.push_back(Permissions());
  if (!o_.action_permissions.empty()) {
    CheckResult actions;
    actions.name = "actions";
    actions.outcome = Outcome::kSkip;
    actions.promise = "the configured actions can run";
    for (const auto& a : o_.action_permissions)
      actions.evidence += (actions.evidence.empty() ? "" : ", ") + a;
    actions.evidence =
        "not exercised (it would send real messages); the role also needs " + actions.evidence;
    actions.advice = "check these with your IAM policy (deploy/template.yaml grants them)";
    report_.checks.push_back(std::move(actions));
  }
  report_.checks.push_back(std::move(cleanup));
  report_.elapsed_ms = clock_.NowMs() - start;
  return std::move(report_);
}

}  // namespace

DoctorReport RunDoctor(ObjectStore& store, Clock& clock, const DoctorOptions& options) {
  return Doctor(store, clock, options).Run();
}

}  // namespace eb::cli
