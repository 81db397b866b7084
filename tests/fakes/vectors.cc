#include "fakes/vectors.h"

#include <sys/stat.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

namespace eb::test {

static bool IsDir(const std::string& p) {
  struct stat st;
  return ::stat(p.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

std::string VectorsDir() {
  if (const char* env = std::getenv("EVENTBARRIER_VECTORS"); env != nullptr && *env) {
    return IsDir(env) ? env : "";
  }
#ifdef EB_VECTORS_DIR
  if (IsDir(EB_VECTORS_DIR)) return EB_VECTORS_DIR;
#endif
  return "";
}

bool InCi() {
  const char* ci = std::getenv("CI");
  return ci != nullptr && std::string(ci) == "true";
}

std::string ReadFileOrEmpty(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace eb::test
