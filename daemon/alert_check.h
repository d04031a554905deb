// `salesaudit check` for alert rules: each `when` must read as a condition
// whose path a snapshot can have, and each summary and description must use
// known placeholders. The path check runs against the shape of a real
// snapshot, computed from a small in-memory store that holds one of every
// record, so that every list in it has an element to check selectors on.
//
// Threading: a free function; builds its own in-memory store.
#pragma once

#include <string>
#include <vector>

#include "config/config.h"

namespace salesaudit {

// "FILE:LINE:COL: alerts.rules[i] (NAME): message" for each problem.
std::vector<std::string> CheckAlertRules(const Config& config);

}  // namespace salesaudit
