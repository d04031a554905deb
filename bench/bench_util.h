// What the benchmarks share: the CPU time and peak RSS of this process (the
// client) and of another, and a simulator started as a separate process.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace salesaudit::bench {

// User + system CPU seconds of this process so far, every thread.
double ProcessCpuSeconds();
// CPU seconds of the calling thread so far.
double ThreadCpuSeconds();
// The peak resident set of this process, in MiB.
double PeakRssMiB();
// User + system CPU seconds `pid` has used so far (from /proc), -1 if unknown.
double ProcessCpuSecondsOf(pid_t pid);

// Starts `binary` with `args`, its standard output into a pipe whose read
// end is stored in *stdout_fd (the caller closes it). Returns its pid, or -1
// when it cannot be started.
pid_t SpawnReadingStdout(const std::string& binary, const std::vector<std::string>& args,
                         int* stdout_fd);
// Starts `binary` (a simulator) with `args`, which should ask for port 0,
// and reads the base URL from its first line ("listening on URL"). Returns
// its pid, or -1 when it does not start.
pid_t StartSimulator(const char* binary, const std::vector<std::string>& args,
                     std::string& base_url);
// Stops a simulator StartSimulator started and waits for it.
void StopSimulator(pid_t pid);

// A child process's end: its exit code (-1 when it did not run or exit
// normally), its user + system CPU seconds and its peak resident set.
struct ChildRun {
  int exit_code = -1;
  double cpu_s = 0;
  double peak_rss_mib = 0;
};
// Runs `binary` with `args` as a child, its stdout and stderr to
// `output_path`, and waits for it.
ChildRun RunChild(const char* binary, const std::vector<std::string>& args,
                  const std::string& output_path);

// Prints one figure as the line bench_table reads ("figure KEY VALUE UNIT"),
// after the bench's own human-readable lines. KEY is one word naming what is
// measured and at what size (contacts_cpu_us); UNIT is one word.
void PrintFigure(const char* key, double value, const char* unit);

}  // namespace salesaudit::bench
