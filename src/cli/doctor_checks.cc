#include "cli/doctor_checks.h"

#include <cstdio>
#include <exception>

#include "actions/aws_api_calls.h"
#include "cli/doctor_internal.h"

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

namespace doctor_internal {

namespace {

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

}  // namespace

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

Listing ListPages(ObjectStore& store, const std::string& prefix, const std::string& start_after) {
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

}  // namespace doctor_internal

DoctorReport RunDoctor(ObjectStore& store, Clock& clock, const DoctorOptions& options) {
  return doctor_internal::Doctor(store, clock, options).Run();
}

}  // namespace eb::cli
