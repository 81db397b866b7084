// libFuzzer target: ParseConfig on arbitrary bytes ("never throws", every
// problem reported as an error naming the barrier and field).
#include <cstdint>
#include <cstdlib>
#include <string>

#include "core/config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  eb::ConfigParse p = eb::ParseConfig(std::string(reinterpret_cast<const char*>(data), size));
  if (p.ok()) {
    for (const eb::BarrierSpec& b : p.config.barriers) {
      if (!eb::IsValidBarrierName(b.name) || b.needed() == 0) std::abort();
    }
  } else if (p.ErrorText().empty()) {
    std::abort();
  }
  return 0;
}
