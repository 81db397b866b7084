#include "core/keys.h"

#include <cstdio>

#include "base/crypto.h"
#include "base/percent.h"

namespace eb {

namespace {

constexpr const char* kOpenDir = "_open/";
constexpr const char* kConsumedDir = "_consumed/";
constexpr const char* kEpochDir = "_epochs/";
constexpr const char* kFormatName = "_format";

std::string PadShard(int shard) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d", shard);
  return buf;
}

std::string PadGeneration(int64_t g) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "%010lld", static_cast<long long>(g));
  return buf;
}

bool ParseDigits(std::string_view s, int64_t* out) {
  if (s.empty() || s.size() > 18) return false;
  int64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  *out = v;
  return true;
}

bool IsUnreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_' || c == '~' || c == '.';
}

}  // namespace

std::string EncodeSegment(const std::string& value) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (size_t i = 0; i < value.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(value[i]);
    // A leading '.' is encoded so no segment is ever "." or "..".
    if (IsUnreserved(c) && !(c == '.' && i == 0)) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

std::optional<std::string> DecodeSegment(const std::string& segment) {
  auto out = PercentDecode(segment);
  if (!out.ok()) return std::nullopt;
  return std::move(*out);
}

std::string InstanceName(const Bindings& bindings) {
  if (bindings.empty()) return "_";
  std::string out;
  for (const auto& [name, value] : bindings) {  // std::map: sorted by variable name
    if (!out.empty()) out.push_back(',');
    out += EncodeSegment(value);
  }
  return out;
}

std::optional<Bindings> ParseInstanceName(const std::string& instance,
                                          const std::vector<std::string>& variables) {
  Bindings bindings;
  if (variables.empty()) {
    if (instance != "_") return std::nullopt;
    return bindings;
  }
  size_t start = 0;
  for (size_t i = 0; i < variables.size(); ++i) {
    size_t comma = instance.find(',', start);
    bool last = i + 1 == variables.size();
    if (last != (comma == std::string::npos)) return std::nullopt;
    std::string part = instance.substr(start, last ? std::string::npos : comma - start);
    auto value = DecodeSegment(part);
    if (!value || value->empty()) return std::nullopt;
    bindings[variables[i]] = *value;
    start = comma + 1;
  }
  return bindings;
}

bool ParseArrivalName(std::string_view name, StateKey* out) {
  int64_t shard = -1;
  if (size_t slash = name.find('/'); slash != std::string_view::npos) {
    if (!ParseDigits(name.substr(0, slash), &shard) || shard > 1'000'000'000) return false;
    name.remove_prefix(slash + 1);
  }
  if (name.find('/') != std::string_view::npos) return false;
  size_t dot = name.find('.');
  if (dot == std::string_view::npos || dot == 0 || dot + 1 == name.size()) return false;
  std::string_view rest = name.substr(dot + 1);
  size_t details = rest.find('.');
  if (details == 0) return false;
  out->kind = StateKeyKind::kArrival;
  out->shard = static_cast<int>(shard);
  out->tag = std::string(name.substr(0, dot));
  out->id = std::string(rest.substr(0, details));
  out->details = details == std::string_view::npos ? "" : std::string(rest.substr(details + 1));
  return true;
}

StateKey StateKey::Arrival(std::string barrier, std::string instance, std::string tag, std::string id,
                           int shard, std::string details) {
  StateKey k{StateKeyKind::kArrival, std::move(barrier), std::move(instance), std::move(tag), std::move(id)};
  k.shard = shard;
  k.details = std::move(details);
  return k;
}
StateKey StateKey::Tombstone(std::string barrier, std::string instance, std::string id) {
  return {StateKeyKind::kTombstone, std::move(barrier), std::move(instance), "", std::move(id)};
}
namespace {
StateKey TripKind(StateKeyKind kind, std::string barrier, std::string instance, int64_t generation) {
  StateKey k{kind, std::move(barrier), std::move(instance)};
  k.generation = generation;
  return k;
}
}  // namespace
StateKey StateKey::Trip(std::string b, std::string i, int64_t g) {
  return TripKind(StateKeyKind::kTrip, std::move(b), std::move(i), g);
}
StateKey StateKey::TripDone(std::string b, std::string i, int64_t g) {
  return TripKind(StateKeyKind::kTripDone, std::move(b), std::move(i), g);
}
StateKey StateKey::TripStale(std::string b, std::string i, int64_t g) {
  return TripKind(StateKeyKind::kTripStale, std::move(b), std::move(i), g);
}
StateKey StateKey::TripRerun(std::string b, std::string i, int64_t g, int rerun) {
  StateKey k = TripKind(StateKeyKind::kTripRerun, std::move(b), std::move(i), g);
  k.attempt = rerun;
  return k;
}
StateKey StateKey::TripFailed(std::string b, std::string i, int64_t g, int attempt) {
  StateKey k = TripKind(StateKeyKind::kTripFailed, std::move(b), std::move(i), g);
  k.attempt = attempt;
  return k;
}
StateKey StateKey::TripAttempt(std::string b, std::string i, int64_t g, int attempt) {
  StateKey k = TripKind(StateKeyKind::kTripAttempt, std::move(b), std::move(i), g);
  k.attempt = attempt;
  return k;
}
StateKey StateKey::Head(std::string b, std::string i) { return {StateKeyKind::kHead, std::move(b), std::move(i)}; }
StateKey StateKey::Open(std::string b, std::string i) { return {StateKeyKind::kOpen, std::move(b), std::move(i)}; }
StateKey StateKey::Epoch(std::string b, std::string i) { return {StateKeyKind::kEpoch, std::move(b), std::move(i)}; }
StateKey StateKey::TripEpoch(std::string b, std::string i, int64_t g, int64_t epoch) {
  StateKey k = TripKind(StateKeyKind::kTripEpoch, std::move(b), std::move(i), g);
  k.epoch = epoch;
  return k;
}
StateKey StateKey::ShardHint(std::string b, std::string i, int64_t g, int shard, int64_t count) {
  StateKey k = TripKind(StateKeyKind::kShardHint, std::move(b), std::move(i), g);
  k.shard = shard;
  k.count = count;
  return k;
}
StateKey StateKey::LateRun(std::string b, std::string i, std::string id) {
  return {StateKeyKind::kLateRun, std::move(b), std::move(i), "", std::move(id)};
}
StateKey StateKey::Format() { return {StateKeyKind::kFormat}; }

std::string MemberTag(const std::string& text) { return Sha256Hex(text).substr(0, 12); }

KeyLayout::KeyLayout(std::string state_prefix) : prefix_(std::move(state_prefix)) {
  if (!prefix_.empty() && prefix_.back() != '/') prefix_.push_back('/');
}

std::string KeyLayout::InstancePrefix(const std::string& barrier, const std::string& instance) const {
  return prefix_ + barrier + "/" + instance + "/";
}
std::string KeyLayout::ArrivalPrefix(const std::string& b, const std::string& i) const {
  return InstancePrefix(b, i) + "a/";
}
std::string KeyLayout::ArrivalShardPrefix(const std::string& b, const std::string& i, int shard) const {
  return ArrivalPrefix(b, i) + PadShard(shard) + "/";
}
std::string KeyLayout::HintPrefix(const std::string& b, const std::string& i) const {
  return InstancePrefix(b, i) + "h/";
}
std::string KeyLayout::HintGenerationPrefix(const std::string& b, const std::string& i, int64_t g) const {
  return HintPrefix(b, i) + PadGeneration(g) + "/";
}
std::string KeyLayout::TombstoneRoot() const { return prefix_ + kConsumedDir; }
std::string KeyLayout::TombstonePrefix(const std::string& b, const std::string& i) const {
  return TombstoneRoot() + b + "/" + i + "/";
}
std::string KeyLayout::TripPrefix(const std::string& b, const std::string& i) const {
  return InstancePrefix(b, i) + "t/";
}
std::string KeyLayout::LegacyWindowPrefix(const std::string& b, const std::string& i) const {
  return InstancePrefix(b, i) + "w/";
}
std::string KeyLayout::OpenPrefix() const { return prefix_ + kOpenDir; }

std::string KeyLayout::Encode(const StateKey& k) const {
  switch (k.kind) {
    case StateKeyKind::kArrival:
      return (k.shard < 0 ? ArrivalPrefix(k.barrier, k.instance) : ArrivalShardPrefix(k.barrier, k.instance, k.shard)) +
             k.tag + "." + k.id + (k.details.empty() ? "" : "." + k.details);
    case StateKeyKind::kShardHint: {
      char buf[48];
      std::snprintf(buf, sizeof buf, "%s.%010lld", PadShard(k.shard).c_str(), static_cast<long long>(k.count));
      return HintGenerationPrefix(k.barrier, k.instance, k.generation) + buf;
    }
    case StateKeyKind::kTombstone: return TombstonePrefix(k.barrier, k.instance) + k.id;
    case StateKeyKind::kTrip: return TripPrefix(k.barrier, k.instance) + PadGeneration(k.generation);
    case StateKeyKind::kTripDone:
      return TripPrefix(k.barrier, k.instance) + PadGeneration(k.generation) + ".done";
    case StateKeyKind::kTripStale:
      return TripPrefix(k.barrier, k.instance) + PadGeneration(k.generation) + ".stale";
    case StateKeyKind::kTripAttempt:
    case StateKeyKind::kTripRerun:
    case StateKeyKind::kTripFailed: {
      char buf[32];
      std::snprintf(buf, sizeof buf,
                    k.kind == StateKeyKind::kTripAttempt ? ".attempt-%04d"
                    : k.kind == StateKeyKind::kTripRerun ? ".rerun-%04d"
                                                         : ".failed-%04d",
                    k.attempt);
      return TripPrefix(k.barrier, k.instance) + PadGeneration(k.generation) + buf;
    }
    case StateKeyKind::kHead: return InstancePrefix(k.barrier, k.instance) + "head";
    case StateKeyKind::kOpen: return OpenPrefix() + k.barrier + "/" + k.instance;
    case StateKeyKind::kEpoch: return prefix_ + kEpochDir + k.barrier + "/" + k.instance;
    case StateKeyKind::kTripEpoch:
      return TripPrefix(k.barrier, k.instance) + PadGeneration(k.generation) + ".epoch-" + std::to_string(k.epoch);
    case StateKeyKind::kLateRun:
      return InstancePrefix(k.barrier, k.instance) + "l/" + k.id;
    case StateKeyKind::kFormat: return prefix_ + kFormatName;
  }
  return "";
}

bool KeyLayout::IsStateKey(const std::string& object_key) const {
  return !prefix_.empty() && object_key.compare(0, prefix_.size(), prefix_) == 0;
}

std::optional<StateKey> KeyLayout::Decode(const std::string& key) const {
  if (!IsStateKey(key) && !prefix_.empty()) return std::nullopt;
  std::vector<std::string> parts = SplitKey(key.substr(prefix_.size()));
  StateKey k;
  if (parts.size() == 1 && parts[0] == kFormatName) return StateKey::Format();
  if (parts.size() == 3 && parts[0] + "/" == kOpenDir && !parts[1].empty() && !parts[2].empty()) {
    return StateKey::Open(parts[1], parts[2]);
  }
  if (parts.size() == 3 && parts[0] + "/" == kEpochDir && !parts[1].empty() && !parts[2].empty()) {
    return StateKey::Epoch(parts[1], parts[2]);
  }
  if (parts.size() == 4 && parts[0] + "/" == kConsumedDir) {
    if (parts[1].empty() || parts[2].empty() || parts[3].empty()) return std::nullopt;
    return StateKey::Tombstone(parts[1], parts[2], parts[3]);
  }
  if (parts.size() < 3 || parts[0].empty() || parts[1].empty() || parts[0][0] == '_') return std::nullopt;
  k.barrier = parts[0];
  k.instance = parts[1];
  if (parts.size() == 3) {
    if (parts[2] != "head") return std::nullopt;
    k.kind = StateKeyKind::kHead;
    return k;
  }
  if (parts.size() == 5 && parts[2] == "a") {
    if (!ParseArrivalName(parts[3] + "/" + parts[4], &k)) return std::nullopt;
    return k;
  }
  if (parts.size() == 5 && parts[2] == "h") {
    const std::string& name = parts[4];
    size_t dot = name.find('.');
    int64_t shard, count;
    if (dot == std::string::npos || !ParseDigits(parts[3], &k.generation) ||
        !ParseDigits(std::string_view(name).substr(0, dot), &shard) ||
        !ParseDigits(std::string_view(name).substr(dot + 1), &count) || shard > 1'000'000'000) {
      return std::nullopt;
    }
    k.kind = StateKeyKind::kShardHint;
    k.shard = static_cast<int>(shard);
    k.count = count;
    return k;
  }
  if (parts.size() != 4 || parts[3].empty()) return std::nullopt;
  const std::string& dir = parts[2];
  const std::string& name = parts[3];
  if (dir == "a") {
    if (!ParseArrivalName(name, &k)) return std::nullopt;
    return k;
  }
  if (dir == "l") {
    k.kind = StateKeyKind::kLateRun;
    k.id = name;
    return k;
  }
  if (dir != "t" || name.size() < 10 || !ParseDigits(name.substr(0, 10), &k.generation)) return std::nullopt;
  std::string rest = name.substr(10);
  if (rest.empty()) {
    k.kind = StateKeyKind::kTrip;
  } else if (rest == ".done") {
    k.kind = StateKeyKind::kTripDone;
  } else if (rest == ".stale") {
    k.kind = StateKeyKind::kTripStale;
  } else if (rest.rfind(".attempt-", 0) == 0) {
    int64_t n;
    // 4 digits, more once a trip has been re-driven 10,000 times.
    if (rest.size() < 13 || !ParseDigits(rest.substr(9), &n) || n > 1'000'000'000) return std::nullopt;
    k.kind = StateKeyKind::kTripAttempt;
    k.attempt = static_cast<int>(n);
  } else if (rest.rfind(".epoch-", 0) == 0) {
    if (!ParseDigits(rest.substr(7), &k.epoch) || k.epoch < 1) return std::nullopt;
    k.kind = StateKeyKind::kTripEpoch;
  } else if (rest.rfind(".failed-", 0) == 0) {
    int64_t n;
    if (rest.size() < 12 || !ParseDigits(rest.substr(8), &n) || n > 1'000'000'000)
      return std::nullopt;
    k.kind = StateKeyKind::kTripFailed;
    k.attempt = static_cast<int>(n);
  } else if (rest.rfind(".rerun-", 0) == 0) {
    int64_t n;
    if (rest.size() < 11 || !ParseDigits(rest.substr(7), &n) || n > 1'000'000'000) return std::nullopt;
    k.kind = StateKeyKind::kTripRerun;
    k.attempt = static_cast<int>(n);
  } else {
    return std::nullopt;
  }
  return k;
}

}  // namespace eb
