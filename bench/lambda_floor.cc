// The cold-start floor of `make bench-lambda`: a custom runtime linked
// statically (no loader, no shared library) that speaks the Runtime API over a
// raw socket and does nothing else: GET next, POST a constant response, loop.
// Not a model of anything the project ships: it is what "exec -> first GET
// next" costs on this machine when nothing but the kernel is in the way, the
// figure the packaged bootstrap is compared against.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace {

// host:port of AWS_LAMBDA_RUNTIME_API (an IPv4 address, as Lambda gives it).
int Connect(const char* api) {
  std::string s(api);
  size_t colon = s.rfind(':');
  if (colon == std::string::npos) return -1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(std::atoi(s.c_str() + colon + 1)));
  if (::inet_pton(AF_INET, s.substr(0, colon).c_str(), &addr.sin_addr) != 1) return -1;
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

bool SendAll(int fd, const std::string& data) {
  size_t sent = 0;
  while (sent < data.size()) {
    ssize_t n = ::send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return false;
    sent += static_cast<size_t>(n);
  }
  return true;
}

// One response: headers, then Content-Length bytes of body. Returns the
// value of `header` (case-insensitive) in *value.
bool ReadResponse(int fd, const char* header, std::string* value) {
  std::string buf;
  char chunk[4096];
  size_t end;
  while ((end = buf.find("\r\n\r\n")) == std::string::npos) {
    ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
    if (n <= 0) return false;
    buf.append(chunk, static_cast<size_t>(n));
  }
  size_t length = 0;
  value->clear();
  for (size_t pos = buf.find("\r\n") + 2; pos < end;) {
    size_t eol = buf.find("\r\n", pos);
    std::string line = buf.substr(pos, eol - pos);
    size_t colon = line.find(':');
    if (colon != std::string::npos) {
      std::string name = line.substr(0, colon), v = line.substr(colon + 1);
      v.erase(0, v.find_first_not_of(' '));
      if (::strcasecmp(name.c_str(), "content-length") == 0) length = std::strtoul(v.c_str(), nullptr, 10);
      if (header != nullptr && ::strcasecmp(name.c_str(), header) == 0) *value = v;
    }
    pos = eol + 2;
  }
  size_t have = buf.size() - (end + 4);
  while (have < length) {
    ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
    if (n <= 0) return false;
    have += static_cast<size_t>(n);
  }
  return true;
}

}  // namespace

int main() {
  const char* api = std::getenv("AWS_LAMBDA_RUNTIME_API");
  if (api == nullptr) return 1;
  int fd = Connect(api);
  if (fd < 0) return 1;
  const std::string host = std::string("Host: ") + api + "\r\n";
  const std::string reply = R"({"floor":true})";
  for (;;) {
    std::string id;
    if (!SendAll(fd, "GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\n" + host + "\r\n") ||
        !ReadResponse(fd, "Lambda-Runtime-Aws-Request-Id", &id) || id.empty()) {
      return 1;
    }
    std::string post = "POST /2018-06-01/runtime/invocation/" + id + "/response HTTP/1.1\r\n" +
                       host + "Content-Type: application/json\r\nContent-Length: " +
                       std::to_string(reply.size()) + "\r\n\r\n" + reply;
    std::string ignored;
    if (!SendAll(fd, post) || !ReadResponse(fd, nullptr, &ignored)) return 1;
  }
}
