#include "base/env.h"

#include <cstdlib>

namespace eb {

std::optional<std::string> NonEmptyEnv(const EnvLookup& env, const std::string& name) {
  if (!env) return std::nullopt;
  auto v = env(name);
  if (v && !v->empty()) return v;
  return std::nullopt;
}

EnvLookup ProcessEnv() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* v = std::getenv(name.c_str());
    if (v == nullptr) return std::nullopt;
    return std::string(v);
  };
}

}  // namespace eb
