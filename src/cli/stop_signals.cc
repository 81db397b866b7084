#include "cli/stop_signals.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>

namespace eb::cli {

namespace {

volatile std::sig_atomic_t g_signal = 0;
int g_pipe[2] = {-1, -1};

void OnSignal(int sig) {
  int saved = errno;
  g_signal = sig;
  if (g_pipe[1] >= 0) (void)!::write(g_pipe[1], "x", 1);  // async-signal-safe
  errno = saved;
}

}  // namespace

bool StopSignals::Install() {
  if (g_pipe[0] >= 0) return true;
  if (::pipe2(g_pipe, O_CLOEXEC | O_NONBLOCK) != 0) return false;
  struct sigaction sa {};
  sa.sa_handler = OnSignal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  ::sigaction(SIGINT, &sa, nullptr);
  ::sigaction(SIGTERM, &sa, nullptr);
  return true;
}

int StopSignals::fd() { return g_pipe[0]; }
bool StopSignals::requested() { return g_signal != 0; }
int StopSignals::signal() { return g_signal; }

}  // namespace eb::cli
