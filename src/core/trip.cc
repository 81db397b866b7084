#include "core/trip.h"

#include <nlohmann/json.hpp>

namespace eb {

// Records and markers are read by machines: the faster std::map-backed json.
// The manifest, read by people, keeps its fields in a readable order.
using json = nlohmann::json;
using ordered_json = nlohmann::ordered_json;

const char* TripStatusName(TripStatus s) { return s == TripStatus::kTimeout ? "timeout" : "complete"; }

std::string TripRecord::IdempotencyKey() const {
  return barrier + "/" + instance + "/" + std::to_string(generation);
}

namespace {

json ArrivalToJson(const Arrival& a) {
  return json{{"bucket", a.bucket},         {"key", a.key},
              {"etag", a.etag},             {"version_id", a.version_id},
              {"size", a.size},             {"event_time", a.event_time},
              {"sequencer", a.sequencer},   {"event_name", a.event_name},
              {"source", a.source}};
}

Arrival ArrivalFromJson(const json& j) {
  Arrival a;
  a.bucket = j.value("bucket", "");
  a.key = j.at("key").get<std::string>();
  a.etag = j.value("etag", "");
  a.version_id = j.value("version_id", "");
  a.size = j.value("size", int64_t{0});
  a.event_time = j.value("event_time", "");
  a.sequencer = j.value("sequencer", "");
  a.event_name = j.value("event_name", "");
  a.source = j.value("source", "");
  return a;
}

json ConsumedToJson(const ConsumedArrival& c) {
  json j = ArrivalToJson(c.arrival);
  j["id"] = c.id;
  j["member"] = c.member;
  j["tag"] = c.tag;
  return j;
}

ConsumedArrival ConsumedFromJson(const json& j) {
  ConsumedArrival c;
  c.id = j.at("id").get<std::string>();
  c.member = j.value("member", "");
  c.tag = j.value("tag", "");
  c.arrival = ArrivalFromJson(j);
  return c;
}

constexpr auto kReplace = nlohmann::json::error_handler_t::replace;

// Window ids are fixed-width (ArrivalId: 32 hex characters), so each entry's
// ids travel as one concatenated string: far cheaper to write and parse than
// a JSON array of strings, and records carry thousands of them.
constexpr size_t kIdWidth = 32;

json WindowToJson(const std::vector<ConsumedWindowEntry>& window) {
  json out = json::array();
  for (const auto& w : window) {
    std::string ids;
    ids.reserve(w.ids.size() * kIdWidth);
    for (const auto& id : w.ids) ids += id;
    out.push_back({{"generation", w.generation}, {"claimed_at", w.claimed_at}, {"ids", std::move(ids)}});
  }
  return out;
}

std::vector<ConsumedWindowEntry> WindowFromJson(const json& j) {
  std::vector<ConsumedWindowEntry> window;
  for (const auto& w : j) {
    ConsumedWindowEntry entry{w.at("generation").get<int64_t>(), w.at("claimed_at").get<TimeMs>(), {}};
    const std::string& ids = w.at("ids").get_ref<const std::string&>();
    if (ids.size() % kIdWidth != 0) throw std::runtime_error("window ids are not 32-character ids");
    for (size_t i = 0; i < ids.size(); i += kIdWidth) entry.ids.push_back(ids.substr(i, kIdWidth));
    window.push_back(std::move(entry));
  }
  return window;
}

}  // namespace

std::string SerializeWindow(const std::vector<ConsumedWindowEntry>& window) {
  return json{{"window", WindowToJson(window)}}.dump();
}

Result<std::vector<ConsumedWindowEntry>> ParseWindow(const std::string& text) {
  try {
    return WindowFromJson(json::parse(text).at("window"));
  } catch (const std::exception& e) {
    return Status::Internal(std::string("corrupt window checkpoint: ") + e.what());
  }
}

std::string SerializeTrip(const TripRecord& t) {
  json j{{"barrier", t.barrier},
         {"instance", t.instance},
         {"vars", t.bindings},
         {"generation", t.generation},
         {"status", TripStatusName(t.status)},
         {"claimed_at", t.claimed_at},
         {"claimed_by", t.claimed_by},
         {"trigger", t.trigger},
         {"first_arrival_at", t.first_arrival_at},
         {"arrivals", json::array()},
         {"missing", t.missing}};
  for (const auto& c : t.arrivals) j["arrivals"].push_back(ConsumedToJson(c));
  j["window"] = WindowToJson(t.window);
  j["window_checkpoint"] = t.window_checkpoint;
  return j.dump(-1, ' ', false, kReplace);
}

Result<TripRecord> ParseTrip(const std::string& text) {
  try {
    json j = json::parse(text);
    TripRecord t;
    t.barrier = j.at("barrier").get<std::string>();
    t.instance = j.at("instance").get<std::string>();
    t.bindings = j.value("vars", Bindings{});
    t.generation = j.at("generation").get<int64_t>();
    t.status = j.at("status").get<std::string>() == "timeout" ? TripStatus::kTimeout : TripStatus::kComplete;
    t.claimed_at = j.value("claimed_at", TimeMs{0});
    t.claimed_by = j.value("claimed_by", "");
    t.trigger = j.value("trigger", "");
    t.first_arrival_at = j.value("first_arrival_at", TimeMs{0});
    for (const auto& a : j.at("arrivals")) t.arrivals.push_back(ConsumedFromJson(a));
    t.missing = j.value("missing", std::vector<std::string>{});
    if (j.contains("window")) t.window = WindowFromJson(j.at("window"));
    t.window_checkpoint = j.value("window_checkpoint", "");
    return t;
  } catch (const std::exception& e) {
    return Status::Internal(std::string("corrupt trip record: ") + e.what());
  }
}

std::string SerializeMarker(const ConsumedArrival& m) { return ConsumedToJson(m).dump(-1, ' ', false, kReplace); }

Result<ConsumedArrival> ParseMarker(const std::string& text) {
  try {
    return ConsumedFromJson(json::parse(text));
  } catch (const std::exception& e) {
    return Status::Internal(std::string("corrupt arrival marker: ") + e.what());
  }
}

std::string ManifestJson(const TripRecord& t) {
  ordered_json j{{"barrier", t.barrier},
         {"instance", t.instance},
         {"generation", t.generation},
         {"status", TripStatusName(t.status)},
         {"idempotency_key", t.IdempotencyKey()},
         {"vars", t.bindings},
         {"tripped_at", FormatIso8601(t.claimed_at)},
         {"objects", json::array()},
         {"missing", t.missing}};
  for (const auto& c : t.arrivals) {
    const Arrival& a = c.arrival;
    j["objects"].push_back(ordered_json{{"member", c.member},
                                {"bucket", a.bucket},
                                {"key", a.key},
                                {"etag", a.etag},
                                {"version_id", a.version_id},
                                {"size", a.size},
                                {"event_time", a.event_time}});
  }
  return j.dump(2, ' ', false, kReplace);
}

}  // namespace eb
