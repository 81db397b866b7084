#include "core/arrival.h"

#include "base/crypto.h"

namespace eb {

std::string ArrivalId(const Arrival& a) {
  // The most specific version information the event carries: a re-upload gets
  // a new id (it is a new arrival), a redelivery of the same event the same one.
  const std::string& version = !a.version_id.empty() ? a.version_id
                               : !a.write_id.empty()   ? a.write_id
                               : !a.sequencer.empty()  ? a.sequencer
                                                       : a.etag;
  std::string material = a.bucket;
  material.push_back('\0');
  material += a.key;
  material.push_back('\0');
  material += version;
  return Sha256Hex(material).substr(0, 32);
}

}  // namespace eb
