// What an open Store holds: its database connection and the prepared
// statements of each part of the interface, each group prepared at open by
// the file that implements that part. Internal to store/ (store.h is the
// interface); only the files that implement Store include it.
//
// Threading: two connections, each with its own lock. `db` writes: the
// writer, the sync state, snapshots and alerts are used under db.Lock().
// `reads` is read-only: `readers` (the read side: the audit's scans, the
// sync's counts and ids) is used under read_db().Lock(), so a long scan
// never holds up a commit, nor a commit a scan (WAL: each sees the last
// commit made when it began). Never take one lock while holding the other.
// An in-memory store (":memory:") has one connection: read_db() is `db`.
#pragma once

#include <array>

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
  Statement each_recipient, each_campaign_stats, each_click, deal_contacts;
  Statement each_stage_event, each_linked_deal;
  // Prepared on first use: [RecordKind][include_deleted].
  std::array<std::array<Statement, 2>, kRecordKinds> count_rows;
  Status Prepare(Database& db);
};

// snapshots.cc: audit_snapshots saved, pruned and read.
struct SnapshotStatements {
  Statement save, latest, replace_live, prune_old, prune_surplus;
  Status Prepare(Database& db);
};

struct Store::Impl {
  // Declared first so they are closed after every statement is finalized,
  // `reads` before `db` (the last connection to close cleans up the WAL).
  Database db;
  Database reads;  // not open for ":memory:"
  Database& read_db() { return reads.handle() != nullptr ? reads : db; }
  RecordWriter writer{db};  // record_writer.cc
  SyncStateStatements sync_state;
  RecordReadStatements readers;
  SnapshotStatements snapshots;
};

}  // namespace salesaudit
