// The doctor's checks of writes: put-if-absent, racers and the store's clock.
#include <algorithm>
#include <barrier>
#include <thread>

#include "cli/doctor_internal.h"

namespace eb::cli::doctor_internal {

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

}  // namespace eb::cli::doctor_internal
