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

std::optional<int> ForEachSimFlag(
    const char* program, int argc, char** argv, void (*usage)(),
    const std::function<bool(const std::string& flag, const char* value)>& apply) {
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (flag == "--help" || flag == "-h") {
      usage();
      return 0;
    }
    if (i + 1 >= argc) {
      std::fprintf(stderr, "%s: %s needs a value\n", program, flag.c_str());
      usage();
      return kSimExitUsage;
    }
    const char* value = argv[++i];
    if (!apply(flag, value)) {
      std::fprintf(stderr, "%s: unknown flag or bad value: %s %s\n", program, flag.c_str(), value);
      usage();
      return kSimExitUsage;
    }
  }
  return std::nullopt;
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
