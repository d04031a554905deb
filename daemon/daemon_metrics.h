// The daemon's own metric families (the sync engine, the HTTP client and the
// store keep theirs): snapshots, alert states, config reloads, the store's
// health, build info, and the process' CPU, memory, open files and start
// time, all in GlobalMetrics.
//
// Threading: the families are thread-safe; RegisterProcessMetrics once.
#pragma once

#include <cstdint>

#include "core/metrics.h"

namespace salesaudit {

struct DaemonMetrics {
  CounterFamily& snapshots = GlobalMetrics().Counter(
      "salesaudit_snapshots_total", "Audit snapshots computed, by result.", {"result"});
  GaugeFamily& snapshot_duration = GlobalMetrics().Gauge(
      "salesaudit_snapshot_duration_seconds", "How long the last audit snapshot took.", {});
  GaugeFamily& snapshot_success_time = GlobalMetrics().Gauge(
      "salesaudit_snapshot_last_success_timestamp_seconds",
      "When the daemon last stored an audit snapshot, Unix seconds (0: not since it started).", {});
  CounterFamily& alert_rounds = GlobalMetrics().Counter(
      "salesaudit_alert_rounds_total",
      "Alert rounds by result; error: the round failed, or the latest snapshot was unreadable.",
      {"result"});
  GaugeFamily& alert_round_success_time = GlobalMetrics().Gauge(
      "salesaudit_alert_round_last_success_timestamp_seconds",
      "When an alert round last succeeded, Unix seconds (0: not since the daemon started).", {});
  GaugeFamily& snapshot_age = GlobalMetrics().Gauge(
      "salesaudit_snapshot_age_seconds",
      "Age of the latest stored snapshot (since the daemon started, when none).", {});
  GaugeFamily& alerts = GlobalMetrics().Gauge(
      "salesaudit_alerts", "Alerts pending or firing, by rule.", {"alertname", "state"});
  CounterFamily& reloads = GlobalMetrics().Counter("salesaudit_config_reloads_total",
                                                   "SIGHUP reloads by result.", {"result"});
  GaugeFamily& reload_successful =
      GlobalMetrics().Gauge("salesaudit_config_last_reload_successful",
                            "1 when the last config load (start or reload) succeeded, else 0.", {});
  GaugeFamily& reload_success_time =
      GlobalMetrics().Gauge("salesaudit_config_last_reload_success_timestamp_seconds",
                            "When the config was last loaded successfully, Unix seconds.", {});
  GaugeFamily& store_healthy = GlobalMetrics().Gauge(
      "salesaudit_store_healthy",
      "1 while the store takes commits; 0 when its file was removed, replaced or is damaged, or "
      "a write failed for lack of space, an I/O error or a read-only file (/readyz?verbose says "
      "why).",
      {});
  GaugeFamily& build_info = GlobalMetrics().Gauge(
      "salesaudit_build_info", "Always 1; the labels say which build runs.", {"version"});
};

DaemonMetrics& Metrics();

// process_start_time_seconds, process_cpu_seconds_total,
// process_resident_memory_bytes and process_open_fds, read when scraped
// from getrusage(2) and /proc/self (the unit's ProcSubset=pid allows that).
void RegisterProcessMetrics(int64_t started_at_ms);

}  // namespace salesaudit
