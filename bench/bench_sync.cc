#include "bench/bench_sync.h"

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <sstream>

#include "bench/bench_util.h"
#include "core/metrics.h"

namespace salesaudit::bench {

TimedSync RunTimed(SyncEngine& engine, const ConnectorConfig& config, const SyncRequest& request) {
  std::atomic<bool> cancel{false};
  TimedSync timed;
  const double cpu_before = ProcessCpuSeconds();
  const auto wall_before = std::chrono::steady_clock::now();
  timed.results = engine.RunConnector(config, request, cancel);
  timed.wall_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_before).count();
  timed.cpu_s = ProcessCpuSeconds() - cpu_before;
  return timed;
}

double CounterOf(const std::string& family, const std::string& connector) {
  std::istringstream lines(GlobalMetrics().RenderText());
  const std::string prefix = family + "{";
  const std::string label = "connector=\"" + connector + "\"";
  double total = 0;
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind(prefix, 0) != 0 || line.find(label) == std::string::npos) continue;
    total += std::atof(line.substr(line.rfind(' ') + 1).c_str());
  }
  return total;
}

}  // namespace salesaudit::bench
