// Runs the audit for the CLI and the daemon: settings from the config, the
// snapshot from the store, and the stored history (with the config hash and
// the sync cursors the snapshot was computed from, and what it was for).
//
// Threading: call from any one thread at a time per Store (the Store is
// thread-safe; the daemon runs audits on its pool, one at a time).
#pragma once

#include <cstdint>
#include <string>

#include "audit/snapshot.h"
#include "config/config.h"
#include "core/status.h"
#include "store/store.h"

namespace salesaudit {

// The audit's view of the config.
AuditSettings AuditSettingsFrom(const Config& config);

struct StoredSnapshot {
  int64_t id = 0;
  Snapshot snapshot;
  std::string json;
};

// Computes the snapshot of `window` at `now_ms` and stores it as `purpose`,
// pruning the history as SnapshotRetentionFrom(config) says.
Result<StoredSnapshot> ComputeAndStoreSnapshot(Store& store, const Config& config,
                                               const AuditWindow& window, int64_t now_ms,
                                               SnapshotPurpose purpose);

// The history the config asks for at `now_ms`: nothing older than
// audit.keep_snapshots, one live snapshot per audit.every.
SnapshotRetention SnapshotRetentionFrom(const Config& config, int64_t now_ms);

}  // namespace salesaudit
