// The store's schema: the tables, indexes, views and triggers, built by
// numbered migrations (PRAGMA user_version). Internal to store/ (store.h is
// the interface).
//
// Threading: call with the database's lock held.
#pragma once

#include "core/status.h"
#include "store/database.h"

namespace salesaudit {

// Applies, in order, each migration newer than the file's user_version,
// each in its own transaction with the bump of user_version, so a crash
// leaves the file at a whole version. An up-to-date file is not written.
Status MigrateSchema(Database& db);

}  // namespace salesaudit
