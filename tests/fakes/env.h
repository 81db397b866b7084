// A fake environment: the variables a test sets, nothing else.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <utility>

#include "base/env.h"

namespace eb::test {

inline EnvLookup MapEnv(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

}  // namespace eb::test
