// The ObjectStore contract as a parameterized suite: store_contract.cc holds
// the tests; each binary instantiates it with its stores (store_contract_test.cc:
// memory, folder, S3 on a fake; tests/integration: S3 on Ceph RGW).
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <functional>
#include <memory>
#include <ostream>
#include <string>

#include "base/clock.h"
#include "core/store.h"
#include "fakes/vectors.h"

namespace eb::test {

struct StoreFactory {
  const char* name;
  std::function<std::unique_ptr<ObjectStore>(Clock&, const std::string& dir)> make;
};
inline void PrintTo(const StoreFactory& f, std::ostream* os) { *os << f.name; }

class StoreContractTest : public ::testing::TestWithParam<StoreFactory> {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/eb-store-XXXXXX";
    dir_ = ::mkdtemp(tmpl);
    store_ = GetParam().make(clock_, dir_);
    if (!store_) {  // a store whose server is not there (see tests/integration)
      if (InCi()) FAIL() << GetParam().name << " store unavailable and CI=true";
      GTEST_SKIP() << GetParam().name << " store unavailable (its server is not running)";
    }
  }
  void TearDown() override {
    int rc = std::system(("rm -rf " + dir_).c_str());
    (void)rc;
  }
  FakeClock clock_;
  std::string dir_;
  std::unique_ptr<ObjectStore> store_;
};

}  // namespace eb::test
