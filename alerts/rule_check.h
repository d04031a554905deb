// `salesaudit check` beyond loading: each connector against its type, and
// alert rules: each `when` must read as a condition whose path a snapshot can
// have, and each summary and description must use known placeholders. The
// path check runs against the shape of a real snapshot, computed from a small
// in-memory store that holds one of every record, so that every list in it
// has an element to check selectors on.
//
// Threading: free functions; each builds its own in-memory store.
#pragma once

#include <string>
#include <vector>

#include "config/config.h"

namespace salesaudit {

// "FILE:LINE:COL: alerts.rules[i] (NAME): message" for each problem; a
// `when` problem is placed at the value of `when`, a template problem at the
// rule. Built-in checks (connector_stale, ...) have no path to check, and
// without a `when` rule no snapshot is computed.
std::vector<std::string> CheckAlertRules(const Config& config);

class Store;

// "FILE:LINE:COL: alerts.rules[i] (NAME): when: ..." for each `when` whose
// selector picks no element of the store's latest live snapshot, else its
// latest one-off one (a channel
// spelt as no snapshot has it yet): warnings, not errors, since the value
// may appear later. Empty without a live snapshot; an unreadable one is a
// warning of its own.
std::vector<std::string> UnmatchedSelectorWarnings(const Config& config, Store& store);

// The config at `path` as `check` and the daemon's reload accept it: loaded
// with each connector checked against its compiled-in type and built as a
// sync builds it (offline), then its alert rules checked (CheckAlertRules); a
// config only when no problem was found.
ConfigLoadResult LoadCheckedConfigFile(const std::string& path);

}  // namespace salesaudit
