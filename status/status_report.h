// What `salesaudit status` prints and the status server's /api/v1/status
// serves: per connector when its next run is due (poll_interval after its
// last run ended, as the store records it); per stream the cursor (stored,
// and in words: the time changes were read through, an interrupted run's
// position), last success, last error and row count; the latest snapshot;
// the pending and firing alerts. Stream errors are redacted (ProcessSecrets)
// and, in the text, control characters escaped.
//
// Threading: reads the store (its own locking); call from any thread.
#pragma once

#include <cstdint>
#include <string>

#include "config/config.h"
#include "core/status.h"
#include "store/store.h"

namespace salesaudit {

struct StatusReport {
  std::string json;  // one JSON object, no trailing newline
  std::string text;  // lines for a terminal
};

Result<StatusReport> ReadStatusReport(const Config& config, Store& store, int64_t now_ms);

}  // namespace salesaudit
