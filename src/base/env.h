// The environment behind a function: logic never calls getenv, it is handed an
// EnvLookup (the real one at main()/CLI edges, a map in tests).
#pragma once

#include <functional>
#include <optional>
#include <string>

namespace eb {

// The value of environment variable `name`, or nullopt when it is not set.
using EnvLookup = std::function<std::optional<std::string>(const std::string& name)>;

// The value of `name` when it is set and not empty; nullopt otherwise (and for an
// empty lookup): an empty AWS_REGION= means "not set", as the AWS tools read it.
std::optional<std::string> NonEmptyEnv(const EnvLookup& env, const std::string& name);

// The real process environment (getenv). Only for main() and the CLI's edges.
EnvLookup ProcessEnv();

}  // namespace eb
