// What the issue-13 benches share (history_bench, concurrency_bench,
// s3_scale_bench): flags, the machine's load, a request mix counted per call
// kind, and the AWS list-price cost model. Header-only: each bench is one
// binary with its own main.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "base/clock.h"
#include "core/arrival.h"
#include "core/store.h"
#include "fakes/fault_store.h"

namespace eb::bench {

using SteadyClock = std::chrono::steady_clock;

inline double SecondsSince(SteadyClock::time_point since) {
  return std::chrono::duration<double>(SteadyClock::now() - since).count();
}

// `--name=value` from argv, else `fallback`. `--name` alone reads as "1".
inline std::string Flag(int argc, char** argv, const std::string& name, const std::string& fallback) {
  std::string eq = "--" + name + "=";
  for (int i = 1; i < argc; ++i) {
    if (std::strncmp(argv[i], eq.c_str(), eq.size()) == 0) return argv[i] + eq.size();
    if (("--" + name) == argv[i]) return "1";
  }
  return fallback;
}
inline int64_t IntFlag(int argc, char** argv, const std::string& name, int64_t fallback) {
  return std::stoll(Flag(argc, argv, name, std::to_string(fallback)));
}
inline double DoubleFlag(int argc, char** argv, const std::string& name, double fallback) {
  return std::stod(Flag(argc, argv, name, std::to_string(fallback)));
}
// "a,b" -> {"a", "b"} ("" -> none; an empty item between commas stays).
inline std::vector<std::string> ListFlag(int argc, char** argv, const std::string& name,
                                         const std::string& fallback) {
  std::vector<std::string> out;
  std::string text = Flag(argc, argv, name, fallback);
  for (size_t at = 0; at < text.size();) {
    size_t comma = text.find(',', at);
    if (comma == std::string::npos) comma = text.size();
    out.push_back(text.substr(at, comma - at));
    at = comma + 1;
  }
  return out;
}
// "1,4,16" -> {1, 4, 16}.
inline std::vector<int> IntListFlag(int argc, char** argv, const std::string& name,
                                    const std::string& fallback) {
  std::vector<int> out;
  for (const std::string& item : ListFlag(argc, argv, name, fallback))
    out.push_back(std::stoi(item));
  return out;
}

// {"b": ["m0", "m1", ...]}: one barrier of `n` named members.
inline std::string MembersConfig(int n) {
  std::string json = "{\"b\": [";
  for (int i = 0; i < n; ++i) json += (i ? ",\"m" : "\"m") + std::to_string(i) + "\"";
  return json + "]}";
}

// Member `member`'s upload in `generation` of a MembersConfig barrier (an S3
// event), written at `event_ms` (>= 0: its eventTime, so that its delivery is
// prompt; EngineOptions::prompt_arrival_ms).
inline Arrival Upload(int member, int64_t generation, TimeMs event_ms = -1) {
  Arrival a;
  a.bucket = "bench";
  a.key = "m" + std::to_string(member) + "/part";
  a.sequencer = std::to_string(generation);
  a.etag = "e" + std::to_string(generation);
  a.size = 100;
  a.event_name = "ObjectCreated:Put";
  a.source = "aws:s3";
  if (event_ms >= 0) a.event_time = FormatIso8601(event_ms);
  return a;
}

// "0.52 0.58 0.59" (1, 5, 15 minutes): the machine is shared, say how busy it was.
inline std::string LoadAverage() {
  std::FILE* f = std::fopen("/proc/loadavg", "r");
  if (f == nullptr) return "?";
  double a = 0, b = 0, c = 0;
  int n = std::fscanf(f, "%lf %lf %lf", &a, &b, &c);
  std::fclose(f);
  if (n != 3) return "?";
  char text[64];
  std::snprintf(text, sizeof text, "%.2f %.2f %.2f", a, b, c);
  return text;
}

inline double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t rank = static_cast<size_t>(std::ceil(p * static_cast<double>(v.size())));
  return v[std::max<size_t>(rank, 1) - 1];
}

// Store calls by the kind AWS bills them as. A bulk delete (DeleteObjects) is
// a POST, billed like a PUT; a single DELETE is free.
struct RequestMix {
  int64_t get = 0, put = 0, put_if_absent = 0, list = 0, del = 0, bulk_delete = 0;

  int64_t total() const { return get + put + put_if_absent + list + del + bulk_delete; }
  // Calls that change the store.
  int64_t writes() const { return put + put_if_absent + del + bulk_delete; }
  RequestMix& operator+=(const RequestMix& o) {
    get += o.get, put += o.put, put_if_absent += o.put_if_absent, list += o.list, del += o.del,
        bulk_delete += o.bulk_delete;
    return *this;
  }
  RequestMix operator-(const RequestMix& o) const {
    RequestMix r = *this;
    r.get -= o.get, r.put -= o.put, r.put_if_absent -= o.put_if_absent, r.list -= o.list, r.del -= o.del,
        r.bulk_delete -= o.bulk_delete;
    return r;
  }
};

// A CountingStore that also tells bulk deletes from single ones.
class MixCountingStore : public test::CountingStore {
 public:
  using CountingStore::CountingStore;
  Status DeleteMany(const std::vector<std::string>& keys) override {
    ++bulk_;
    return CountingStore::DeleteMany(keys);
  }
  RequestMix mix() const {
    RequestMix m;
    m.get = count(test::StoreOp::kGet);
    m.put = count(test::StoreOp::kPut);
    m.put_if_absent = count(test::StoreOp::kPutIfAbsent);
    m.list = count(test::StoreOp::kList);
    m.bulk_delete = bulk_.load();
    m.del = count(test::StoreOp::kDelete) - m.bulk_delete;
    return m;
  }

 private:
  std::atomic<int64_t> bulk_{0};
};

// AWS list prices (us-east-1, S3 Standard, Lambda x86 at 256 MB).
struct AwsPrices {
  double put_class = 0.005 / 1000;   // PUT, COPY, POST (DeleteObjects), LIST
  double get_class = 0.0004 / 1000;  // GET, HEAD
  double lambda_gb_second = 0.0000166667;
  double lambda_request = 0.20 / 1e6;
  double lambda_gb = 0.25;
};

struct CostPerMillion {
  double s3 = 0, lambda = 0;
  double total() const { return s3 + lambda; }
};

// Dollars per million arrivals, one invocation per arrival, from the average
// request mix of one arrival and the time one invocation takes (billed per ms).
inline CostPerMillion CostOfMillion(double put_class_per_arrival, double get_class_per_arrival,
                                    double ms_per_invocation, const AwsPrices& p = {}) {
  CostPerMillion c;
  c.s3 = 1e6 * (put_class_per_arrival * p.put_class + get_class_per_arrival * p.get_class);
  double billed_ms = std::ceil(ms_per_invocation);
  c.lambda = 1e6 * (p.lambda_request + p.lambda_gb * billed_ms / 1000.0 * p.lambda_gb_second);
  return c;
}
inline double PutClass(const RequestMix& m) {
  return static_cast<double>(m.put + m.put_if_absent + m.list + m.bulk_delete);
}
inline double GetClass(const RequestMix& m) { return static_cast<double>(m.get); }

}  // namespace eb::bench
