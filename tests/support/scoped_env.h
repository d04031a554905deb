// Sets (or, with nullopt, unsets) an environment variable for one scope and
// restores what was there. TZ changes take effect at once (tzset).
// Threading: the environment is process-wide; use from the test thread only.
#pragma once

#include <time.h>

#include <cstdlib>
#include <optional>
#include <string>

namespace salesaudit::testing {

class ScopedEnv {
 public:
  ScopedEnv(std::string name, std::optional<std::string> value) : name_(std::move(name)) {
    if (const char* old = std::getenv(name_.c_str())) old_ = old;
    Apply(value);
  }
  ~ScopedEnv() { Apply(old_); }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  void Apply(const std::optional<std::string>& value) {
    value ? setenv(name_.c_str(), value->c_str(), 1) : unsetenv(name_.c_str());
    tzset();
  }
  std::string name_;
  std::optional<std::string> old_;
};

}  // namespace salesaudit::testing
