// Plain SQL on a store file, as a BI tool (or an older salesaudit) writes
// into it: for tests that put into a store what the store API would refuse.
// Threading: one call at a time per file.
#pragma once

#include <string>

namespace salesaudit::testing {

// Runs `sql` (several statements allowed) on the SQLite file at `path`,
// waiting up to 5 s for a writer that holds it. Returns "" on success, else
// SQLite's message.
std::string ExecSql(const std::string& path, const std::string& sql);

}  // namespace salesaudit::testing
