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

// Every problem a loaded config has beyond what the loader checks: each
// connector validated against its type, then CheckAlertRules. `check` and
// the daemon's reload run exactly this.
std::vector<std::string> CheckConfig(const Config& config);

}  // namespace salesaudit
