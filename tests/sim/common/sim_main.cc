#include "tests/sim/common/sim_main.h"

#include <pthread.h>
#include <signal.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>

namespace salesaudit::sim {
namespace {

sigset_t StopSignals() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  return signals;
}

}  // namespace

bool ParseInt64Flag(const char* text, bool allow_negative, int64_t& out) {
  char* end = nullptr;
  errno = 0;
  const long long v = std::strtoll(text, &end, 10);
  if (errno != 0 || end == text || *end != '\0' || (v < 0 && !allow_negative)) return false;
  out = v;
  return true;
}

void BlockStopSignals() {
  const sigset_t signals = StopSignals();
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
}

int ReportCannotListen(const char* program, int64_t port) {
  std::fprintf(stderr, "%s: cannot listen on 127.0.0.1:%lld\n", program,
               static_cast<long long>(port));
  return kSimExitFailure;
}

void AnnounceAndWaitForStopSignal(const std::string& base_url) {
  std::printf("listening on %s\n", base_url.c_str());
  std::fflush(stdout);
  const sigset_t signals = StopSignals();
  int received = 0;
  sigwait(&signals, &received);
}

}  // namespace salesaudit::sim
