#include "fakes/python.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <vector>

namespace eb::test {

std::string FindBotocorePython() {
  std::vector<std::string> candidates;
  if (const char* env = std::getenv("EB_PYTHON")) candidates.push_back(env);
  candidates.push_back("/usr/bin/python3");
  candidates.push_back("python3");
  for (const std::string& py : candidates) {
    if (std::system((py + " -c 'import botocore' >/dev/null 2>&1").c_str()) == 0) return py;
  }
  return "";
}

std::string RunPython(const std::string& python, const std::string& script,
                      const std::string& input) {
  char path[] = "/tmp/eb-python-input-XXXXXX";
  int fd = ::mkstemp(path);
  if (fd < 0) return "";
  FILE* f = ::fdopen(fd, "w");
  std::fwrite(input.data(), 1, input.size(), f);
  std::fclose(f);
  std::string out;
  if (FILE* p = ::popen((python + " " + script + " < " + path).c_str(), "r")) {
    char buf[65536];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
    ::pclose(p);
  }
  ::unlink(path);
  return out;
}

}  // namespace eb::test
