// The doctor's checks of LIST and bulk delete.
#include <algorithm>
#include <mutex>
#include <set>

#include "cli/doctor_internal.h"

namespace eb::cli::doctor_internal {

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

}  // namespace eb::cli::doctor_internal
