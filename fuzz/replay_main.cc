// A main() for the fuzz targets in the normal (gcc, -Werror) build: feeds
// every file named on the command line, or found under a named directory, to
// LLVMFuzzerTestOneInput once. Keeps the targets compiling and replays seeds
// and saved crashes as a regression test; libFuzzer is not needed.
//
// `--vectors DIR` names the shared test vectors (../shared/vectors), which
// EVENTBARRIER_VECTORS overrides. If they are missing the run goes on without
// them and says so; with CI=true that is a failure, as in the unit tests.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

int main(int argc, char** argv) {
  namespace fs = std::filesystem;
  std::vector<fs::path> inputs;
  for (int i = 1; i < argc; ++i) {
    fs::path arg(argv[i]);
    if (std::strcmp(argv[i], "--vectors") == 0 && i + 1 < argc) {
      const char* env = std::getenv("EVENTBARRIER_VECTORS");
      ++i;
      arg = fs::path(env != nullptr && *env ? env : argv[i]);
      if (!fs::is_directory(arg)) {
        const char* ci = std::getenv("CI");
        bool in_ci = ci != nullptr && std::strcmp(ci, "true") == 0;
        std::fprintf(stderr, "replay: shared test vectors not found at %s%s\n", arg.c_str(),
                     in_ci ? " and CI=true (set EVENTBARRIER_VECTORS)" : "; replaying without them");
        if (in_ci) return 1;
        continue;
      }
    }
    if (fs::is_directory(arg)) {
      for (const auto& e : fs::recursive_directory_iterator(arg)) {
        if (e.is_regular_file()) inputs.push_back(e.path());
      }
    } else if (fs::is_regular_file(arg)) {
      inputs.push_back(arg);
    } else {
      std::fprintf(stderr, "replay: %s: not found (skipped)\n", argv[i]);
    }
  }
  for (const fs::path& p : inputs) {
    std::ifstream in(p, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  }
  std::printf("replay: %zu inputs, no crash\n", inputs.size());
  return 0;
}
