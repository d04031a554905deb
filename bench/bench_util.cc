#include "bench/bench_util.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <sstream>

namespace salesaudit::bench {
namespace {

double CpuSecondsOf(const rusage& usage) {
  return usage.ru_utime.tv_sec + usage.ru_stime.tv_sec +
         (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

// The argv of execv for `binary` with `args`, built before a fork (the
// child only calls async-signal-safe functions); it points into `args`.
std::vector<char*> ExecArgv(const char* binary, const std::vector<std::string>& args) {
  std::vector<char*> argv;
  argv.push_back(const_cast<char*>(binary));
  for (const std::string& arg : args) argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);
  return argv;
}

}  // namespace

double ProcessCpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return CpuSecondsOf(usage);
}

double ThreadCpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

double PeakRssMiB() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss / 1024.0;  // ru_maxrss is in KiB on Linux
}

double ProcessCpuSecondsOf(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  // Fields after the command name, which ends at the last ')': state is
  // field 3, utime 14, stime 15.
  const size_t close = text.rfind(')');
  if (close == std::string::npos) return -1;
  std::istringstream fields(text.substr(close + 2));
  std::string field;
  unsigned long long utime = 0, stime = 0;
  for (int i = 3; i <= 15 && fields >> field; ++i) {
    if (i == 14) utime = std::strtoull(field.c_str(), nullptr, 10);
    if (i == 15) stime = std::strtoull(field.c_str(), nullptr, 10);
  }
  return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

pid_t SpawnReadingStdout(const std::string& binary, const std::vector<std::string>& args,
                         int* stdout_fd) {
  int fds[2];
  if (pipe(fds) != 0) return -1;
  std::vector<char*> argv = ExecArgv(binary.c_str(), args);
  pid_t pid = fork();
  if (pid == 0) {
    dup2(fds[1], 1);
    close(fds[0]);
    close(fds[1]);
    execv(binary.c_str(), argv.data());
    _exit(127);
  }
  close(fds[1]);
  if (pid < 0) {
    close(fds[0]);
    return -1;
  }
  *stdout_fd = fds[0];
  return pid;
}

pid_t StartSimulator(const char* binary, const std::vector<std::string>& args,
                     std::string& base_url) {
  int out = -1;
  pid_t pid = SpawnReadingStdout(binary, args, &out);
  if (pid < 0) return -1;
  std::string line;
  char c;
  while (read(out, &c, 1) == 1 && c != '\n') line += c;
  close(out);
  const std::string prefix = "listening on ";
  if (line.rfind(prefix, 0) != 0) {
    StopSimulator(pid);
    return -1;
  }
  base_url = line.substr(prefix.size());
  return pid;
}

void StopSimulator(pid_t pid) {
  kill(pid, SIGTERM);
  waitpid(pid, nullptr, 0);
}

ChildRun RunChild(const char* binary, const std::vector<std::string>& args,
                  const std::string& output_path) {
  ChildRun run;
  std::vector<char*> argv = ExecArgv(binary, args);
  const int out = open(output_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (out < 0) return run;
  pid_t pid = fork();
  if (pid == 0) {
    dup2(out, 1);
    dup2(out, 2);
    execv(binary, argv.data());
    _exit(127);
  }
  close(out);
  if (pid < 0) return run;
  int status = 0;
  rusage usage{};
  if (wait4(pid, &status, 0, &usage) != pid) return run;
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  run.cpu_s = CpuSecondsOf(usage);
  run.peak_rss_mib = usage.ru_maxrss / 1024.0;  // ru_maxrss is in KiB on Linux
  return run;
}

void PrintFigure(const char* key, double value, const char* unit) {
  std::printf("figure %s %.6g %s\n", key, value, unit);
  std::fflush(stdout);
}

}  // namespace salesaudit::bench
