// What the simulator binaries (crm-sim, mailchimp-sim) share around their own
// flags: number parsing and serving until SIGTERM or SIGINT after one
// "listening on <base_url>" line on stdout. Functions only; main's thread
// calls them.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

namespace salesaudit::sim {

inline constexpr int kSimExitFailure = 1;
inline constexpr int kSimExitUsage = 2;

// Parses all of `text` as a base-10 int64 into `out`; a negative value is
// accepted only when `allow_negative`.
bool ParseInt64Flag(const char* text, bool allow_negative, int64_t& out);

// Walks `argv` as "--flag value" pairs and hands each to `apply`, which
// answers false for a flag it does not take or a value it refuses. --help or
// -h prints `usage`; a flag without a value, or one `apply` refuses, prints
// why and `usage`. Returns nullopt when every pair was taken, else the exit
// code: 0 after --help, kSimExitUsage otherwise.
std::optional<int> ForEachSimFlag(
    const char* program, int argc, char** argv, void (*usage)(),
    const std::function<bool(const std::string& flag, const char* value)>& apply);

// Blocks SIGTERM and SIGINT in the calling thread. Call it before any server
// thread starts, so they inherit the mask and only WaitForStopSignal receives
// the signals.
void BlockStopSignals();

// Reports a port that cannot be bound on stderr; returns kSimExitFailure.
int ReportCannotListen(const char* program, int64_t port);

// Prints "listening on `base_url`" and waits for SIGTERM or SIGINT.
void AnnounceAndWaitForStopSignal(const std::string& base_url);

// Starts `sim` on 127.0.0.1:`port`, serves until SIGTERM or SIGINT, then
// stops it; returns the process exit code. BlockStopSignals must have run
// before. `Sim` has the simulators' Start/base_url/Stop.
template <typename Sim>
int ServeUntilStopSignal(const char* program, Sim& sim, int64_t port) {
  if (sim.Start(static_cast<uint16_t>(port)) == 0) return ReportCannotListen(program, port);
  AnnounceAndWaitForStopSignal(sim.base_url());
  sim.Stop();
  return 0;
}

}  // namespace salesaudit::sim
