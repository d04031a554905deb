#include "connectors/daily_allowance.h"

#include <algorithm>

#include "core/metrics.h"

namespace salesaudit {
namespace {

struct AllowanceGauges {
  GaugeFamily& used;
  GaugeFamily& allowed;
};

AllowanceGauges& Gauges(DailyAllowance::Unit unit) {
  static AllowanceGauges requests{
      GlobalMetrics().Gauge("salesaudit_api_daily_requests_used",
                            "API requests the vendor counts against the account's daily "
                            "allowance (Salesforce: Sforce-Limit-Info; HubSpot: "
                            "X-HubSpot-RateLimit-Daily), as its last answer said.",
                            {"connector"}),
      GlobalMetrics().Gauge("salesaudit_api_daily_requests_allowed",
                            "The vendor's daily API request allowance, as its last answer said.",
                            {"connector"})};
  static AllowanceGauges tokens{
      GlobalMetrics().Gauge("salesaudit_api_daily_tokens_used",
                            "API tokens of the company's daily budget used today (Pipedrive: "
                            "x-daily-ratelimit-token-*), as the vendor's last answer said.",
                            {"connector"}),
      GlobalMetrics().Gauge(
          "salesaudit_api_daily_tokens_allowed",
          "The company's daily API token budget, as the vendor's last answer said.",
          {"connector"})};
  return unit == DailyAllowance::Unit::kRequests ? requests : tokens;
}

}  // namespace

DailyAllowance::DailyAllowance(const ConnectorConfig& config, Unit unit, std::string what)
    : connector_(config.name),
      unit_(unit),
      what_(std::move(what)),
      reserve_share_(config.rate_limit_reserve) {}

void DailyAllowance::Update(int64_t used, int64_t allowed) {
  used_ = std::max<int64_t>(0, used);
  allowed_ = std::max<int64_t>(0, allowed);
  AllowanceGauges& gauges = Gauges(unit_);
  gauges.used.WithLabels({connector_}).Set(static_cast<double>(used_));
  gauges.allowed.WithLabels({connector_}).Set(static_cast<double>(allowed_));
}

Status DailyAllowance::Check(const std::string& context) const {
  if (allowed_ <= 0) return Status::Ok();
  const int64_t reserve =
      reserve_share_ > 0
          ? std::max<int64_t>(1, static_cast<int64_t>(static_cast<double>(allowed_) *
                                                      reserve_share_))
          : 0;
  if (used_ < allowed_ - reserve) return Status::Ok();
  const char* unit = unit_ == Unit::kRequests ? " requests" : " tokens";
  std::string message = context + ": " + what_ + " is used up (" + std::to_string(used_) + " of " +
                        std::to_string(allowed_) + unit;
  if (reserve > 0 && used_ < allowed_) {
    message += ", the last " + std::to_string(reserve) + " left to other apps by rate_limit_reserve";
  }
  return Status::QuotaExhausted(message + "); syncing resumes when it frees up");
}

}  // namespace salesaudit
