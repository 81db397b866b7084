#include "core/trip.h"

#include <nlohmann/json.hpp>

#include "base/json_writer.h"
#include "core/keys.h"

namespace eb {

// Records and markers are written with JsonWriter (hot path) and read with
// nlohmann::json; the manifest, read by people, keeps a readable field order.
using json = nlohmann::json;
using ordered_json = nlohmann::ordered_json;

const char* TripStatusName(TripStatus s) {
  switch (s) {
    case TripStatus::kTimeout: return "timeout";
    case TripStatus::kForced: return "forced";
    case TripStatus::kLate:
      return "late";
    case TripStatus::kComplete: break;
  }
  return "complete";
}

std::optional<TripStatus> ParseTripStatus(const std::string& name) {
  for (TripStatus s : {TripStatus::kComplete, TripStatus::kTimeout, TripStatus::kForced}) {
    if (name == TripStatusName(s)) return s;
  }
  return std::nullopt;
}

std::string TripRecord::IdempotencyKey() const {
  std::string key = barrier + "/" + instance + "/" + std::to_string(generation);
  if (epoch != 0) key += "@" + std::to_string(epoch);
  if (status == TripStatus::kLate && !arrivals.empty()) key += "/late/" + arrivals.front().id;
  return key;
}

namespace {

// Writes the fields of an arrival into the object being written.
void WriteArrivalFields(JsonWriter& w, const Arrival& a) {
  w.Key("bucket").String(a.bucket).Key("key").String(a.key).Key("etag").String(a.etag);
  w.Key("version_id").String(a.version_id).Key("size").Int(a.size).Key("event_time").String(a.event_time);
  w.Key("sequencer").String(a.sequencer).Key("event_name").String(a.event_name).Key("source").String(a.source);
}

void WriteConsumed(JsonWriter& w, const ConsumedArrival& c, bool with_format = false) {
  w.BeginObject();
  if (with_format) w.Key("format").Int(kStateFormat);
  WriteArrivalFields(w, c.arrival);
  w.Key("id").String(c.id).Key("member").String(c.member).Key("tag").String(c.tag);
  if (c.details_in_key) w.Key("details_in_key").Bool(true);
  w.EndObject();
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

ConsumedArrival ConsumedFromJson(const json& j) {
  ConsumedArrival c;
  c.id = j.at("id").get<std::string>();
  c.member = j.value("member", "");
  c.tag = j.value("tag", "");
  c.details_in_key = j.value("details_in_key", false);
  c.arrival = ArrivalFromJson(j);
  return c;
}

constexpr auto kReplace = nlohmann::json::error_handler_t::replace;

}  // namespace

std::string SerializeTombstone(const Tombstone& t) {
  JsonWriter w;
  w.BeginObject().Key("format").Int(kStateFormat).Key("generation").Int(t.generation);
  if (t.epoch) w.Key("epoch").Int(*t.epoch);
  return w.EndObject().Take();
}

std::string SerializeEpochWitness(const EpochWitness& witness) {
  JsonWriter w;
  w.BeginObject().Key("format").Int(kStateFormat).Key("epoch").Int(witness.epoch);
  if (!witness.claimed_by.empty()) w.Key("claimed_by").String(witness.claimed_by);
  return w.EndObject().Take();
}

Result<EpochWitness> ParseEpochWitness(const std::string& text) {
  try {
    json j = json::parse(text);
    EpochWitness witness;
    witness.epoch = j.at("epoch").get<int64_t>();
    if (witness.epoch < 0) return Status::Internal("corrupt epoch witness: negative epoch");
    witness.claimed_by = j.value("claimed_by", "");
    return witness;
  } catch (const std::exception& e) {
    return Status::Internal(std::string("corrupt epoch witness: ") + e.what());
  }
}

int ParseFormatStamp(const std::string& body) {
  json j = json::parse(body, nullptr, false);
  if (!j.is_object()) return 0;
  auto it = j.find("format");
  return it != j.end() && it->is_number_integer() ? it->get<int>() : 0;
}

Result<Tombstone> ParseTombstone(const std::string& text) {
  try {
    json j = json::parse(text);
    Tombstone t{j.at("generation").get<int64_t>(), std::nullopt};
    if (j.contains("epoch")) t.epoch = j.at("epoch").get<int64_t>();
    return t;
  } catch (const std::exception& e) {
    return Status::Internal(std::string("corrupt tombstone: ") + e.what());
  }
}

std::string SerializeStale(const StaleVerdict& v) {
  JsonWriter w;
  w.BeginObject().Key("format").Int(kStateFormat).Key("void").Bool(v.void_trip).Key("ids").BeginArray();
  for (const auto& id : v.ids) w.String(id);
  w.EndArray();
  return w.EndObject().Take();
}

Result<StaleVerdict> ParseStale(const std::string& text) {
  try {
    json j = json::parse(text);
    return StaleVerdict{j.at("ids").get<std::vector<std::string>>(), j.value("void", false)};
  } catch (const std::exception& e) {
    return Status::Internal(std::string("corrupt stale list: ") + e.what());
  }
}

std::string SerializeTrip(const TripRecord& t) {
  JsonWriter w;
  w.BeginObject();
  w.Key("format").Int(kStateFormat);
  w.Key("barrier").String(t.barrier).Key("instance").String(t.instance);
  w.Key("vars").BeginObject();
  for (const auto& [name, value] : t.bindings) w.Key(name).String(value);
  w.EndObject();
  w.Key("generation").Int(t.generation);
  if (t.epoch != 0) w.Key("epoch").Int(t.epoch);
  if (t.epoch_from_witness) w.Key("epoch_from_witness").Bool(true);
  w.Key("status").String(TripStatusName(t.status));
  w.Key("claimed_at").Int(t.claimed_at).Key("claimed_by").String(t.claimed_by).Key("trigger").String(t.trigger);
  w.Key("first_arrival_at").Int(t.first_arrival_at);
  w.Key("arrivals").BeginArray();
  for (const auto& c : t.arrivals) WriteConsumed(w, c);
  w.EndArray();
  w.Key("missing").BeginArray();
  for (const auto& m : t.missing) w.String(m);
  w.EndArray();
  if (!t.forced_by.empty()) w.Key("forced_by").String(t.forced_by);
  if (!t.reason.empty()) w.Key("reason").String(t.reason);
  return w.EndObject().Take();
}

Result<TripRecord> ParseTrip(const std::string& text) {
  try {
    json j = json::parse(text);
    TripRecord t;
    t.format = j.value("format", 1);
    t.barrier = j.at("barrier").get<std::string>();
    t.instance = j.at("instance").get<std::string>();
    t.bindings = j.value("vars", Bindings{});
    t.generation = j.at("generation").get<int64_t>();
    t.epoch = j.value("epoch", int64_t{0});
    t.epoch_from_witness = j.value("epoch_from_witness", false);
    std::string status = j.at("status").get<std::string>();
    auto parsed = ParseTripStatus(status);
    if (!parsed) return Status::Internal("corrupt trip record: unknown status '" + status + "'");
    t.status = *parsed;
    t.claimed_at = j.value("claimed_at", TimeMs{0});
    t.claimed_by = j.value("claimed_by", "");
    t.trigger = j.value("trigger", "");
    t.first_arrival_at = j.value("first_arrival_at", TimeMs{0});
    for (const auto& a : j.at("arrivals")) t.arrivals.push_back(ConsumedFromJson(a));
    t.missing = j.value("missing", std::vector<std::string>{});
    t.forced_by = j.value("forced_by", "");
    t.reason = j.value("reason", "");
    return t;
  } catch (const std::exception& e) {
    return Status::Internal(std::string("corrupt trip record: ") + e.what());
  }
}

std::string SerializeMarker(const ConsumedArrival& m) {
  JsonWriter w;
  WriteConsumed(w, m, /*with_format=*/true);
  return w.Take();
}

Result<ConsumedArrival> ParseMarker(const std::string& text) {
  try {
    return ConsumedFromJson(json::parse(text));
  } catch (const std::exception& e) {
    return Status::Internal(std::string("corrupt arrival marker: ") + e.what());
  }
}

std::string SerializeDone(const DoneRecord& d) {
  ordered_json actions = ordered_json::array();
  for (const auto& a : d.actions) {
    ordered_json fields = ordered_json::object();
    for (const auto& [k, v] : a.fields) fields[k] = v;
    actions.push_back(ordered_json{{"type", a.type}, {"report", std::move(fields)}});
  }
  ordered_json j{{"format", kStateFormat}, {"by", d.by}, {"at", d.at}, {"redriven", d.redriven}};
  if (d.void_trip) j["void"] = true;
  j["actions"] = std::move(actions);
  return j.dump(-1, ' ', false, kReplace);
}

std::string SerializeFailure(const FailureNote& f) {
  std::string error = f.error.substr(0, FailureNote::kMaxFailureError);
  ordered_json j{{"format", kStateFormat},
                 {"attempt", f.attempt},
                 {"by", f.by},
                 {"at", f.at},
                 {"error", error}};
  return j.dump(-1, ' ', false, kReplace);
}

FailureNote ParseFailure(const std::string& body) {
  FailureNote f;
  ordered_json j = ordered_json::parse(body, nullptr, false);
  if (!j.is_object()) {
    f.error = body.substr(0, FailureNote::kMaxFailureError);
    return f;
  }
  auto number = [&](const char* name) -> int64_t {
    auto it = j.find(name);
    return it != j.end() && it->is_number_integer() ? it->get<int64_t>() : 0;
  };
  auto text = [&](const char* name) -> std::string {
    auto it = j.find(name);
    return it != j.end() && it->is_string() ? it->get<std::string>() : "";
  };
  f.attempt = static_cast<int>(number("attempt"));
  f.at = number("at");
  f.by = text("by");
  f.error = text("error");
  return f;
}

DoneRecord ParseDone(const std::string& body) {
  DoneRecord d;
  try {
    ordered_json j = ordered_json::parse(body);
    if (!j.is_object()) throw std::runtime_error("not an object");
    d.by = j.value("by", "");
    d.at = j.value("at", TimeMs{0});
    d.redriven = j.value("redriven", false);
    d.void_trip = j.value("void", false);
    if (auto actions = j.find("actions"); actions != j.end() && actions->is_array()) {
      for (const auto& a : *actions) {
        DoneRecord::Action action;
        action.type = a.value("type", "");
        if (auto report = a.find("report"); report != a.end() && report->is_object()) {
          for (const auto& [k, v] : report->items()) {
            action.fields.emplace_back(k, v.is_string() ? v.get<std::string>() : v.dump());
          }
        }
        d.actions.push_back(std::move(action));
      }
    }
  } catch (const std::exception&) {
    d = DoneRecord{};
    d.by = body;
  }
  return d;
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
  if (t.epoch != 0) j["epoch"] = t.epoch;
  if (t.status == TripStatus::kForced) {
    j["forced_by"] = t.forced_by;
    j["reason"] = t.reason;
  }
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
