// SIGINT and SIGTERM as a stop request: a flag, and an fd that becomes
// readable (a self-pipe) so a blocking wait can wake up. The handlers are
// reset by exec, so commands run by actions see default signals.
#pragma once

namespace eb::cli {

class StopSignals {
 public:
  // Installs the handlers (once per process). False if the pipe could not be made.
  static bool Install();
  // Readable once a stop signal arrived; -1 before Install.
  static int fd();
  static bool requested();
  // The signal that asked to stop (0: none yet).
  static int signal();
};

}  // namespace eb::cli
