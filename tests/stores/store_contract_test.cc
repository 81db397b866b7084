// Instantiates the store contract (store_contract.cc) for the stores that
// need no server: memory, folder, and S3Store over the in-memory FakeS3.
#include "stores/store_contract.h"

#include "fakes/fake_http.h"
#include "stores/folder_store.h"
#include "stores/memory_store.h"
#include "stores/s3_store.h"

namespace eb::test {
namespace {

// S3Store with everything it needs, over the in-memory FakeS3 (which checks
// every signature). The pieces are a base class so they outlive the store.
struct FakeS3Pieces {
  FakeS3Pieces()
      : http({"AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY", ""}, "us-east-1",
             "bucket"),
        client(Config(), http, clock) {}
  static aws::S3Config Config() {
    aws::S3Config c;
    c.scheme = "http";
    c.host = "fake-s3";
    c.path_style = true;
    c.credentials = {"AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY", ""};
    return c;
  }
  FakeS3 http;
  SystemClock clock;
  aws::S3Client client;
};
struct S3StoreOnFake : private FakeS3Pieces, public S3Store {
  S3StoreOnFake() : S3Store(FakeS3Pieces::client, "bucket", "base/prefix/") {}
};

INSTANTIATE_TEST_SUITE_P(Stores, StoreContractTest,
                         ::testing::Values(StoreFactory{"memory",
                                                        [](Clock& c, const std::string&) {
                                                          return std::make_unique<MemoryStore>(c);
                                                        }},
                                           StoreFactory{"folder",
                                                        [](Clock&, const std::string& dir) {
                                                          return std::make_unique<FolderStore>(
                                                              dir, FolderStoreOptions{false});
                                                        }},
                                           StoreFactory{"s3_on_fake",
                                                        [](Clock&, const std::string&) {
                                                          return std::make_unique<S3StoreOnFake>();
                                                        }}),
                         [](const auto& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace eb::test
