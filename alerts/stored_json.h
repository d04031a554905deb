// How alert data is kept in the store's JSON text columns (store v6+):
// label sets as JSON objects of strings (alert_states.labels, annotations),
// string lists as JSON arrays (silence matchers, a group's firing
// fingerprints). Readers are lenient: text that is not the expected JSON
// reads as empty, so one damaged row cannot stop an alert round.
//
// Pure functions; thread-safe.
#pragma once

#include <string>
#include <vector>

#include "alerts/notification.h"
#include "alerts/silence.h"
#include "store/store.h"

namespace salesaudit {

std::string LabelSetToJson(const LabelSet& labels);
LabelSet LabelSetFromJson(const std::string& json);

std::string StringsToJson(const std::vector<std::string>& values);
std::vector<std::string> StringsFromJson(const std::string& json);

// A stored silence with its matchers parsed; a matcher that no longer
// parses is left out.
Silence SilenceFromRow(const SilenceRow& row);

}  // namespace salesaudit
