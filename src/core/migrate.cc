#include "core/migrate.h"

#include <map>
#include <set>

#include <nlohmann/json.hpp>

#include "core/keys.h"
#include "core/trip.h"

namespace eb {

namespace {

using json = nlohmann::json;
constexpr size_t kIdWidth = 32;  // format 1 stored window ids concatenated, 32 characters each

// Format 1's window entries: generation -> ids (each entry's `ids` is one string).
void AddWindow(const json& window, int64_t horizon, std::map<std::string, int64_t>* ids) {
  if (!window.is_array()) return;
  for (const auto& entry : window) {
    int64_t generation = entry.value("generation", int64_t{0});
    if (entry.value("claimed_at", int64_t{0}) < horizon) continue;
    std::string concatenated = entry.value("ids", "");
    for (size_t i = 0; i + kIdWidth <= concatenated.size(); i += kIdWidth) {
      ids->emplace(concatenated.substr(i, kIdWidth), generation);
    }
  }
}

Status MigrateInstance(ObjectStore& store, const KeyLayout& layout, const Config& config, Clock& clock,
                       const std::string& barrier, const std::string& instance, MigrationReport* report) {
  auto listed = ListAll(store, layout.TripPrefix(barrier, instance));
  if (!listed.ok()) return listed.status();
  const int64_t horizon = clock.NowMs() - config.state.retention_ms;
  std::map<std::string, int64_t> consumed;  // id -> generation that consumed it
  std::map<std::string, json> old_records;  // key -> parsed record of format 1
  std::set<std::string> checkpoints;
  for (const auto& obj : *listed) {
    auto k = layout.Decode(obj.key);
    if (!k || k->kind != StateKeyKind::kTrip) continue;
    auto body = store.Get(obj.key);
    if (!body.ok()) return body.status().WithContext("reading " + obj.key);
    json j = json::parse(*body, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded() || !j.is_object()) return Status::Internal("corrupt trip record " + obj.key);
    if (j.value("format", 1) >= kStateFormat) continue;
    for (const auto& a : j.value("arrivals", json::array())) {
      if (a.contains("id") && a["id"].is_string()) consumed.emplace(a["id"].get<std::string>(), k->generation);
    }
    if (j.contains("window")) AddWindow(j["window"], horizon, &consumed);
    std::string checkpoint = j.value("window_checkpoint", "");
    if (!checkpoint.empty()) checkpoints.insert(checkpoint);
    old_records.emplace(obj.key, std::move(j));
  }
  for (const auto& checkpoint : checkpoints) {
    auto body = store.Get(checkpoint);
    if (!body.ok()) {
      if (body.status().IsNotFound()) continue;  // deleted by an earlier run
      return body.status().WithContext("reading " + checkpoint);
    }
    json j = json::parse(*body, nullptr, false);
    if (!j.is_discarded() && j.is_object() && j.contains("window")) AddWindow(j["window"], horizon, &consumed);
  }
  // 1. Tombstones first: until they exist the records still hold the ids.
  for (const auto& [id, generation] : consumed) {
    Status s = store.PutIfAbsent(layout.Encode(StateKey::Tombstone(barrier, instance, id)),
                                 SerializeTombstone({generation}));
    if (s.ok()) ++report->tombstones_written;
    else if (!s.IsAlreadyExists()) return s;
  }
  // 2. Records without their window, stamped format 2.
  for (auto& [key, j] : old_records) {
    j.erase("window");
    j.erase("window_checkpoint");
    auto record = ParseTrip(j.dump());
    if (!record.ok()) return record.status().WithContext(key);
    EB_RETURN_IF_ERROR(store.Put(key, SerializeTrip(*record)));
    ++report->records_rewritten;
  }
  // 3. The checkpoints (every one under w/, referenced or not).
  auto windows = ListAll(store, layout.LegacyWindowPrefix(barrier, instance));
  if (!windows.ok()) return windows.status();
  std::vector<std::string> keys;
  for (const auto& obj : *windows) keys.push_back(obj.key);
  for (size_t i = 0; i < keys.size(); i += 1000) {
    std::vector<std::string> batch(keys.begin() + i, keys.begin() + std::min(keys.size(), i + 1000));
    EB_RETURN_IF_ERROR(store.DeleteMany(batch));
  }
  report->checkpoints_deleted += static_cast<int>(keys.size());
  return Status::Ok();
}

}  // namespace

Result<MigrationReport> MigrateState(ObjectStore& store, const Config& config, Clock& clock,
                                     const std::function<void(const std::string&)>& progress) {
  KeyLayout layout(config.state.prefix);
  MigrationReport report;
  const std::string format_key = layout.Encode(StateKey::Format());
  auto stamp = store.Get(format_key);
  if (stamp.ok()) {
    int format = ParseFormatStamp(*stamp);
    if (format > kStateFormat) {
      return Status::FailedPrecondition("the state is of format " + std::to_string(format) +
                                        ", newer than this eventbarrier knows (" + std::to_string(kStateFormat) + ")");
    }
    report.already_current = format == kStateFormat;
  } else if (!stamp.status().IsNotFound()) {
    return stamp.status();
  }
  // Every instance of every configured barrier: the open index does not hold
  // once instances that tripped, and their records carry windows too.
  std::set<std::pair<std::string, std::string>> instances;
  for (const auto& spec : config.barriers) {
    auto keys = ListAll(store, layout.state_prefix() + spec.name + "/");
    if (!keys.ok()) return keys.status();
    for (const auto& obj : *keys) {
      auto k = layout.Decode(obj.key);
      if (k && k->barrier == spec.name) instances.insert({k->barrier, k->instance});
      // Format 1's checkpoints are not state keys any more: find their instance by path.
      std::string rest = obj.key.substr(layout.state_prefix().size() + spec.name.size() + 1);
      size_t slash = rest.find('/');
      if (slash != std::string::npos && rest.compare(slash, 3, "/w/") == 0) {
        instances.insert({spec.name, rest.substr(0, slash)});
      }
    }
  }
  for (const auto& [barrier, instance] : instances) {
    if (progress) progress(barrier + "/" + instance);
    Status s = MigrateInstance(store, layout, config, clock, barrier, instance, &report);
    if (!s.ok()) return s.WithContext("migrating " + barrier + "/" + instance);
    ++report.instances;
  }
  EB_RETURN_IF_ERROR(store.Put(format_key, kFormatBody));
  return report;
}

}  // namespace eb
