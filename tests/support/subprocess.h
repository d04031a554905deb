// Test helpers for end-to-end tests: temporary directories and child
// processes (the salesaudit binary) with their output captured in files.
// Threading: one test thread.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace salesaudit::testing {

// A fresh directory under $TMPDIR, removed with its contents on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string File(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

void WriteFile(const std::string& path, const std::string& contents);
std::string ReadFile(const std::string& path);

// A child process running `argv` with stdout and stderr captured to files.
// Destruction kills (SIGKILL) and reaps it if it still runs.
class ChildProcess {
 public:
  ChildProcess(const std::vector<std::string>& argv, const std::string& output_dir,
               const std::map<std::string, std::string>& extra_env = {});
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return pid_; }
  void Signal(int signo) const;
  // Waits up to `timeout` for the exit; returns the exit code, 128+signal
  // when killed by a signal, or -1 on timeout (the child keeps running).
  int Wait(std::chrono::milliseconds timeout);
  bool running();
  std::string Stdout() const { return ReadFile(stdout_path_); }
  std::string Stderr() const { return ReadFile(stderr_path_); }

 private:
  pid_t pid_ = -1;
  int exit_code_ = -1;
  std::string stdout_path_;
  std::string stderr_path_;
};

// Runs `argv` to completion (at most `timeout`); returns exit code, out, err.
struct RunResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};
RunResult RunProcess(const std::vector<std::string>& argv,
                     std::chrono::milliseconds timeout = std::chrono::seconds(120),
                     const std::map<std::string, std::string>& extra_env = {});

// Polls `condition` every 20 ms until it holds or `timeout` passes.
bool WaitFor(const std::function<bool()>& condition, std::chrono::milliseconds timeout);

}  // namespace salesaudit::testing
