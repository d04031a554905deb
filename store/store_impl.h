// What an open Store holds: its database connection and the prepared
// statements of each part of the interface, each group prepared at open by
// the file that implements that part. Internal to store/ (store.h is the
// interface); only the files that implement Store include it.
//
// Threading: four connections, each with its own lock. `db` writes: the
// writer, the sync state, snapshots and alerts are used under db.Lock().
// The read lanes are read-only: the read side (the audit's scans, the sync's
// counts and ids) takes a free lane (AcquireReadLane) and uses its
// statements under its lock, so a long scan never holds up a commit, nor a
// commit a scan (WAL: each sees the last commit made when it began), and up
// to three scans run side by side. Never take one lock while holding another.
// An in-memory store (":memory:") has one connection: every read uses `db`
// with lane 0's statements.
#pragma once

#include <array>
#include <functional>
#include <mutex>
#include <string_view>

#include "core/records.h"
#include "core/status.h"
#include "store/database.h"
#include "store/record_writer.h"
#include "store/statement.h"
#include "store/store.h"

namespace salesaudit {

// sync_state.cc: cursors and the outcomes of stream runs.
struct SyncStateStatements {
  Statement write_cursor, get_cursor, reset_cursor, record_success, record_error, list_states;
  Status Prepare(Database& db);
};

// row_readers.cc: the record tables read whole, and their row counts.
struct RecordReadStatements {
  static constexpr size_t kRecordKinds = 8;  // RecordKind's values
  Statement each_contact, each_deal, each_owner, each_campaign, each_event, each_member;
  Statement each_contact_email, each_recipient, each_campaign_stats, each_click, deal_contacts;
  Statement each_stage_event, each_linked_deal;
  // Prepared on first use: [RecordKind][include_deleted].
  std::array<std::array<Statement, 2>, kRecordKinds> count_rows;
  // What each_recipient's SQL function asks, set for the length of its scan.
  const std::function<bool(std::string_view)>* recipient_wanted = nullptr;
  Status Prepare(Database& db);
};

// snapshots.cc: audit_snapshots saved, pruned and read.
struct SnapshotStatements {
  Statement save, latest, replace_live, prune_old, prune_surplus;
  Status Prepare(Database& db);
};

// A read-only connection and the read side's statements on it.
struct ReadLane {
  Database db;  // not open for ":memory:"
  RecordReadStatements statements;
};

// A lane held for one read: use `db` and `statements` while `lock` is held.
struct HeldReadLane {
  Database& db;
  RecordReadStatements& statements;
  std::unique_lock<std::mutex> lock;
};

struct Store::Impl {
  // Connections are declared before their statements, so they are closed
  // after every statement is finalized, the lanes before `db` (the last
  // connection to close cleans up the WAL).
  Database db;
  // Three: the audit reads the email recipients beside its other scans, and
  // two of those (the stage evidence's) side by side.
  std::array<ReadLane, 3> lanes;
  RecordWriter writer{db};  // record_writer.cc
  SyncStateStatements sync_state;
  SnapshotStatements snapshots;

  // The first free lane, else lane 0 once it is free.
  HeldReadLane AcquireReadLane();
};

}  // namespace salesaudit
