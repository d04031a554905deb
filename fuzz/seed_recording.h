// Records the connector_page fuzz target's seeds from a simulator: each
// connector's simulator folder has a small recorder program (tests/sim/<type>/,
// registered with salesaudit_add_fuzz_seed_recorder) whose main is
// RecordSeedsMain; scripts/fuzz-seeds.sh runs every registered recorder.
//
//   int main(int argc, char** argv) {
//     return RecordSeedsMain(argc, argv, [](const SeedRecorder& record, uint64_t seed) {
//       sim::EchoSim echo;  // filled with a small account generated from `seed`
//       if (echo.Start() == 0) return false;
//       return record("echo", echo.base_url(), {{"token", echo.token()}});
//     });
//   }
//
// Threading: one thread; each recording runs its own loopback proxy.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>

namespace salesaudit::fuzz {

// Runs every stream of the compiled-in connector `type`, configured with
// `base_url` (a started simulator) and `auth`, through a loopback proxy that
// keeps each answer; writes each run as a connector_page input. False when a
// seed could not be written.
using SeedRecorder = std::function<bool(const std::string& type, const std::string& base_url,
                                        const std::map<std::string, std::string>& auth)>;

// The main of a recorder: `record_account(recorder, seed)` starts the
// simulator on an account generated from `seed` and calls `recorder` on it,
// once for each of seeds 1 and 2. The files go to OUT_DIR (argv[1]) as
// <type>_<stream>_sim-seed<N>: the line `<type>/<stream>`, then the stream
// run's answers NUL-separated, as connector_page_fuzz.cc reads them. Returns
// the process's exit code: 0, 1 when a recording failed, 2 on bad usage.
int RecordSeedsMain(
    int argc, char** argv,
    const std::function<bool(const SeedRecorder& recorder, uint64_t seed)>& record_account);

}  // namespace salesaudit::fuzz
