#include "daemon/daemon_metrics.h"

#include <sys/resource.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <memory>

namespace salesaudit {

DaemonMetrics& Metrics() { return MetricFamilies<DaemonMetrics>(); }

void RegisterProcessMetrics(int64_t started_at_ms) {
  MetricsRegistry& registry = GlobalMetrics();
  registry.Gauge("process_start_time_seconds", "Start time of the process, Unix seconds.", {})
      .WithLabels({})
      .Set(static_cast<double>(started_at_ms) / 1000.0);
  CounterChild& cpu =
      registry.Counter("process_cpu_seconds_total", "User and system CPU time spent.", {})
          .WithLabels({});
  GaugeChild& memory =
      registry.Gauge("process_resident_memory_bytes", "Resident memory size in bytes.", {})
          .WithLabels({});
  GaugeChild& fds =
      registry.Gauge("process_open_fds", "Number of open file descriptors.", {}).WithLabels({});
  // A counter only goes up: each scrape adds the CPU time spent since the
  // last one (collectors run one render at a time).
  auto cpu_counted = std::make_shared<double>(0);
  registry.AddCollector([&cpu, &memory, &fds, cpu_counted] {
    rusage usage{};
    if (getrusage(RUSAGE_SELF, &usage) == 0) {
      auto seconds = [](const timeval& t) {
        return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
      };
      const double total = seconds(usage.ru_utime) + seconds(usage.ru_stime);
      if (total > *cpu_counted) {
        cpu.Increment(total - *cpu_counted);
        *cpu_counted = total;
      }
    }
    std::ifstream statm("/proc/self/statm");
    long pages_total = 0;
    long pages_resident = 0;
    if (statm >> pages_total >> pages_resident) {
      memory.Set(static_cast<double>(pages_resident) * static_cast<double>(sysconf(_SC_PAGESIZE)));
    }
    std::error_code ec;
    int open = 0;
    for (auto it = std::filesystem::directory_iterator("/proc/self/fd", ec);
         !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
      ++open;
    }
    if (!ec) fds.Set(open);
  });
}

}  // namespace salesaudit
