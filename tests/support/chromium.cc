#include "tests/support/chromium.h"

#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <sstream>

namespace salesaudit::testing {

std::string FindChromium() {
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path != nullptr ? path : "/usr/bin:/bin");
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    const std::string candidate = dir + "/chromium";
    if (!dir.empty() && access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return "";
}

RunResult RunChromium(const std::string& chromium, const TempDir& dir, const std::string& profile,
                      const std::vector<std::string>& args, const std::string& url) {
  std::vector<std::string> argv = {chromium,
                                   "--headless",
                                   "--no-sandbox",
                                   "--disable-gpu",
                                   "--disable-quic",
                                   "--no-proxy-server",
                                   "--no-first-run",
                                   "--disable-background-networking",
                                   "--disable-component-update",
                                   "--disable-sync",
                                   "--hide-scrollbars",
                                   "--user-data-dir=" + dir.File(profile),
                                   "--window-size=1280,2400"};
  argv.insert(argv.end(), args.begin(), args.end());
  argv.push_back(url);
  return RunProcess(argv, std::chrono::seconds(120), {{"HOME", dir.path()}});
}

}  // namespace salesaudit::testing
