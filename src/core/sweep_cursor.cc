#include "core/sweep_cursor.h"

#include <nlohmann/json.hpp>

#include "core/keys.h"

namespace eb {

using json = nlohmann::json;

std::string SerializeSweepCursor(const SweepCursor& c) {
  json due = json::object();
  for (const auto& [key, at] : c.due) due[key] = at;
  json j{{"format", kStateFormat},
         {"after", c.after},
         {"lap_started", c.lap_started},
         {"compacting", c.compacting},
         {"compacted_lap", c.compacted_lap},
         {"expire_pending", c.expire_pending},
         {"fresh_ms", c.fresh_ms},
         {"fresh_key", c.fresh_key},
         {"due", std::move(due)}};
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

Result<SweepCursor> ParseSweepCursor(const std::string& body) {
  json j = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return Status::InvalidArgument("sweep cursor: not a JSON object");
  SweepCursor c;
  auto field = [&](const char* name, auto* out) -> Status {
    auto it = j.find(name);
    if (it == j.end()) return Status::Ok();
    using T = std::remove_pointer_t<decltype(out)>;
    bool fits = false;
    if constexpr (std::is_same_v<T, std::string>)
      fits = it->is_string();
    else if constexpr (std::is_same_v<T, bool>)
      fits = it->is_boolean();
    else
      fits = it->is_number_integer();
    if (!fits)
      return Status::InvalidArgument(std::string("sweep cursor: field '") + name +
                                     "' has the wrong type");
    *out = it->get<T>();
    return Status::Ok();
  };
  EB_RETURN_IF_ERROR(field("after", &c.after));
  EB_RETURN_IF_ERROR(field("lap_started", &c.lap_started));
  EB_RETURN_IF_ERROR(field("compacting", &c.compacting));
  EB_RETURN_IF_ERROR(field("compacted_lap", &c.compacted_lap));
  EB_RETURN_IF_ERROR(field("expire_pending", &c.expire_pending));
  EB_RETURN_IF_ERROR(field("fresh_ms", &c.fresh_ms));
  EB_RETURN_IF_ERROR(field("fresh_key", &c.fresh_key));
  if (auto it = j.find("due"); it != j.end()) {
    if (!it->is_object())
      return Status::InvalidArgument("sweep cursor: field 'due' is not an object");
    for (const auto& [key, at] : it->items()) {
      if (!at.is_number_integer()) {
        return Status::InvalidArgument("sweep cursor: field 'due' entry '" + key +
                                       "' is not a time");
      }
      c.due[key] = at.get<TimeMs>();
    }
  }
  return c;
}

}  // namespace eb
