// Headless Chromium for tests of web pages (Debian's `chromium`, installed by
// scripts/install-deps.sh): a missing browser fails the test that needs it.
// Threading: one test thread.
#pragma once

#include <string>
#include <vector>

#include "tests/support/subprocess.h"

namespace salesaudit::testing {

// Debian's `chromium` on $PATH; "" when not installed.
std::string FindChromium();

// Chromium run once on `url`, headless, with a fresh profile `profile` under
// `dir` (HOME too: it writes caches and crash data there) and no network use
// of its own (no proxy, updates, sync or background fetches). `args` go
// before the URL, e.g. {"--dump-dom"} or {"--screenshot=" + path}.
RunResult RunChromium(const std::string& chromium, const TempDir& dir, const std::string& profile,
                      const std::vector<std::string>& args, const std::string& url);

}  // namespace salesaudit::testing
