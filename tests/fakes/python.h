// Running the Python checkers some C++ tests hand their output to (botocore's
// signer and service models, from Debian's python3-botocore).
#pragma once

#include <string>

namespace eb::test {

// A python3 that can import botocore: $EB_PYTHON, Debian's /usr/bin/python3, python3;
// "" if none can.
std::string FindBotocorePython();

// Runs `python script` with `input` on its stdin; what it printed on stdout ("" if it
// could not be started).
std::string RunPython(const std::string& python, const std::string& script,
                      const std::string& input);

}  // namespace eb::test
