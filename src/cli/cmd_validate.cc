#include <iostream>

#include "cli/commands.h"
#include "cli/common.h"

namespace eb::cli {


Runner SetupValidate(CLI::App& sub) {
  auto path = std::make_shared<std::string>();
  sub.add_option("CONFIG", *path, "Configuration file (JSON), or - for stdin")->required();
  sub.footer("Prints every problem with the barrier, the field and the reason; exits 1 if there is any.");
  return [path] {
    auto parsed = LoadConfig(*path);
    if (!parsed) return static_cast<int>(kExitFailure);
    const Config& c = parsed->config;
    std::cout << *path << ": ok, " << c.barriers.size() << " barrier(s) ("
              << (c.extended ? "extended" : "original") << " format)\n";
    for (const auto& b : c.barriers) {
      std::cout << "  " << b.name << ": ";
      if (b.is_count()) std::cout << b.count << " keys under " << b.prefix->text();
      else std::cout << b.members.size() << " member(s)";
      std::cout << ", " << ModeName(b.mode);
      if (b.timeout_ms) std::cout << ", timeout " << FormatDuration(*b.timeout_ms);
      if (!b.variables.empty()) {
        std::cout << ", instance per";
        for (const auto& v : b.variables) std::cout << " {" << v << "}";
      }
      std::cout << "\n";
    }
    return static_cast<int>(kExitOk);
  };
}

}  // namespace eb::cli
