// Options that several connector types declare alike, so that they mean and
// default the same whichever connector reads them. Each connector lists the
// ones it honours in its descriptor's `options`, beside its own.
#pragma once

#include <chrono>
#include <cstdint>
#include <limits>

#include "config/config.h"
#include "config/connector_schema.h"

namespace salesaudit {

// Changes reach a vendor's search index or activity feed up to a minute
// late, longer during incidents: incremental syncs re-read this much.
inline const OptionSpec kLookbackOption{
    "lookback", OptionType::kDuration, std::chrono::minutes(10),
    "Incremental syncs re-read this much before the cursor, for changes the vendor shows late."};

// `at_ms` less `config`'s lookback: where an incremental window after `at_ms`
// starts. A stored time is hostile data: it saturates rather than overflow.
inline int64_t LessLookback(int64_t at_ms, const ConnectorConfig& config) {
  const int64_t lookback = config.options.Duration(kLookbackOption).count();
  return at_ms < std::numeric_limits<int64_t>::min() + lookback
             ? std::numeric_limits<int64_t>::min()
             : at_ms - lookback;
}

// The events APIs keep years; reading all of it is rarely wanted.
inline const OptionSpec kEmailHistoryOption{"email_history", OptionType::kPositiveDuration,
                                            std::chrono::hours(24 * 365),
                                            "How far back the first sync of email events reaches."};

inline const OptionSpec kEmailActivityWindowOption{
    "email_activity_window", OptionType::kDuration, std::chrono::hours(24 * 30),
    "Campaigns sent this recently are re-read on every sync, so their activity and counters "
    "stay current."};

}  // namespace salesaudit
