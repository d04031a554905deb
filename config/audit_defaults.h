// The audit's defaults, in one place for the config's `audit:` section
// (config.h) and the audit's own settings, which tests and benchmarks build
// without a config (audit/). Plain constants.
#pragma once

#include <chrono>
#include <string_view>

namespace salesaudit::audit_defaults {

// A lead created this long after a click counts for the clicked campaign.
inline constexpr std::chrono::milliseconds kAttributionWindow = std::chrono::hours(24 * 7);
// The smallest group a content or channel claim is made on.
inline constexpr int kMinSample = 30;
// Open deals not updated for this long are reported as stale.
inline constexpr std::chrono::milliseconds kStaleDealAge = std::chrono::hours(24 * 30);
// Fewer matured leads in a channel: its forecast leans on all channels' rate.
inline constexpr int kForecastMinChannelLeads = 30;
// Channels earning less than this per unit spent are flagged.
inline constexpr double kReturnOnSpendTarget = 2.0;
// The channel value that means "referred by someone".
inline constexpr std::string_view kReferralChannel = "REFERRALS";

}  // namespace salesaudit::audit_defaults
