// A vendor's daily allowance (of API requests, or of API tokens) as its
// answers state it: Salesforce's Sforce-Limit-Info, HubSpot's
// X-HubSpot-RateLimit-Daily, Pipedrive's x-daily-ratelimit-token-*. The
// allowance is the whole account's, so a connector stops once it is used up
// but for the share rate_limit_reserve leaves to the account's other apps,
// instead of spending it to the last request and leaving them the refusals.
//
//   DailyAllowance daily(config, DailyAllowance::Unit::kRequests,
//                        "the org's daily API allowance");
//   if (Status s = daily.Check(context); !s.ok()) return s;  // before a request
//   daily.Update(used, allowed);                             // from its answer
//
// Threading: one connector run's; not shared.
#pragma once

#include <cstdint>
#include <string>

#include "config/config.h"
#include "core/status.h"

namespace salesaudit {

class DailyAllowance {
 public:
  enum class Unit { kRequests, kTokens };
  // `what` names the allowance in messages ("the org's daily API
  // allowance"). The reserve is `config.rate_limit_reserve`.
  DailyAllowance(const ConnectorConfig& config, Unit unit, std::string what);

  // What an answer said: `used` of `allowed` today. Exported as
  // salesaudit_api_daily_{requests,tokens}_{used,allowed}{connector}.
  void Update(int64_t used, int64_t allowed);

  // OK until an answer said the allowance is used up to its reserve (at
  // least one when rate_limit_reserve is above 0); then kQuotaExhausted
  // naming `what`, the figures and the reserve.
  Status Check(const std::string& context) const;

 private:
  const std::string connector_;
  const Unit unit_;
  const std::string what_;
  const double reserve_share_;
  int64_t used_ = 0;
  int64_t allowed_ = 0;  // 0 until an answer states it
};

}  // namespace salesaudit
