#include "sources/seen_journal.h"

#include <nlohmann/json.hpp>

namespace eb {

Status SeenJournal::Load() {
  files_.clear();
  dirty_ = false;
  EB_ASSIGN_OR_RETURN(auto body, store_.Get(key_));
  try {
    auto j = nlohmann::json::parse(body);
    if (j.value("fingerprint", "") != fingerprint_) {
      return Status::InvalidArgument("written under another configuration: every file is submitted again");
    }
    for (const auto& [k, v] : j.at("files").items()) files_[k] = v.get<std::string>();
  } catch (const std::exception& e) {
    files_.clear();
    return Status::Internal(std::string("unreadable, starting empty: ") + e.what());
  }
  return Status::Ok();
}

bool SeenJournal::Seen(const std::string& key, const std::string& version) const {
  auto it = files_.find(key);
  return it != files_.end() && it->second == version;
}

void SeenJournal::Record(const std::string& key, const std::string& version) {
  auto [it, inserted] = files_.try_emplace(key, version);
  if (!inserted) {
    if (it->second == version) return;
    it->second = version;
  }
  dirty_ = true;
}

void SeenJournal::Retain(const std::set<std::string>& present) {
  for (auto it = files_.begin(); it != files_.end();) {
    if (present.count(it->first)) {
      ++it;
    } else {
      it = files_.erase(it);
      dirty_ = true;
    }
  }
}

Status SeenJournal::Save() {
  if (!dirty_) return Status::Ok();
  nlohmann::json files = nlohmann::json::object();
  for (const auto& [k, v] : files_) files[k] = v;
  nlohmann::json j{{"fingerprint", fingerprint_}, {"files", std::move(files)}};
  EB_RETURN_IF_ERROR(store_.Put(key_, j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)));
  dirty_ = false;
  return Status::Ok();
}

}  // namespace eb
