// The audit snapshot (docs/contracts.md "Snapshot JSON"; every metric is
// defined in docs/audit.md): funnel overall, by channel and by owner, lead
// volume per period, cycle times, channels with return on spend, lead
// quality, email and content (audit/email_audit.h), capacity, reps, data
// quality and customers, computed from the store's read side in one pass over
// each table.
//
//   AuditSettings settings;  // the daemon fills it from the config
//   settings.leads_per_rep_per_week = 25;
//   auto snapshot = ComputeSnapshot(store, settings, AuditWindow{}, NowMs());
//   if (!snapshot.ok()) return snapshot.status();
//   auto json = SnapshotJson(*snapshot);
//
// Pure functions; thread-safe as the Store is. A Snapshot is a plain value.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "audit/email_audit.h"
#include "audit/forecast.h"
#include "audit/funnel.h"
#include "audit/money.h"
#include "audit/period.h"
#include "audit/statistics.h"
#include "config/audit_defaults.h"
#include "core/records.h"
#include "core/status.h"
#include "store/store.h"

namespace salesaudit {

// Money spent on one channel in one calendar month, in the reporting
// currency when one is set, else in the currency of the channel's revenue.
struct ChannelSpend {
  std::string channel;  // matched exactly against the stored channel value
  std::string month;    // "YYYY-MM"
  double amount = 0;
};

// By connector name (the store's `source`): the URL prefix of each record
// kind's page, to which the record's id (URL-encoded) is appended
// (audit/record_links.h).
using RecordUrls = std::map<std::string, std::map<RecordKind, std::string>>;

// What the audit needs from the config, as plain data (audit/ never includes
// config/); the daemon fills it.
struct AuditSettings {
  // Sales reps; unset: the active owners in the store (one per email).
  std::optional<int64_t> reps;
  double leads_per_rep_per_week = 0;
  AuditPeriod period = AuditPeriod::kWeek;
  std::vector<ChannelSpend> spend;
  // The reporting currency and its rates; empty report_in: money is stated
  // only where it is in one currency.
  CurrencySettings currency;
  // Channels earning less than this per unit spent are flagged.
  double return_on_spend_target = audit_defaults::kReturnOnSpendTarget;
  // Revenue wanted per period; enables capacity.leads_needed_for_revenue_target.
  std::optional<double> revenue_target;
  // Open deals not updated for longer are reported as stale.
  int64_t stale_deal_age_ms = audit_defaults::kStaleDealAge.count();
  // Smallest group a claim is made on (a channel's MQLs stalling).
  int64_t min_sample = audit_defaults::kMinSample;
  // Channel values that mean "referred by someone" (compared ignoring ASCII case).
  std::vector<std::string> referral_channels = {std::string(audit_defaults::kReferralChannel)};
  EmailAuditOptions email;
  // For the forecast (ForecastOptions::min_channel_leads).
  int64_t forecast_min_channel_leads = audit_defaults::kForecastMinChannelLeads;
  // Record pages of the connectors that have them: data-quality examples link there.
  RecordUrls record_urls;
};

// The forecast's options the settings give (the snapshot's forecast and the
// `forecast` command use the same).
ForecastOptions ForecastOptionsFrom(const AuditSettings& settings);

struct PeriodLeads {
  int64_t start_ms = 0;
  int64_t end_ms = 0;  // start of the next period
  int64_t leads = 0;
  // The whole period lies inside the window and in the past.
  bool complete = false;
};

struct LeadVolume {
  AuditPeriod period = AuditPeriod::kWeek;
  std::vector<PeriodLeads> series;  // every period overlapping the window
  int64_t complete_periods = 0;
  std::optional<double> average;  // leads per complete period
  std::optional<double> trend;    // least-squares slope, leads per period per period
};

struct CycleTimes {
  DurationStats all;  // created_at -> customer_at of the cohort's won contacts
  // between consecutive stages, for contacts with both timestamps
  DurationStats lead_to_mql;
  DurationStats mql_to_contacted;
  DurationStats contacted_to_sql;
  DurationStats sql_to_won;
};

struct ChannelRow {
  std::string channel;  // kNoChannel when the contacts have none
  FunnelCounts counts;
  FunnelRates rates;
  std::optional<double> mql_to_sql;
  bool mql_stalls = false;
  DurationStats cycle;
  int64_t won_deals = 0;  // won deals closed in the window attributed here
  MoneyByCurrency revenue;
  // revenue as one number; its currency is that of spend and return_on_spend.
  MoneyTotal revenue_stated;
  double spend = 0;
  // nullopt when spend is 0 or revenue is not one number.
  std::optional<double> return_on_spend;
  std::optional<bool> below_target;  // nullopt when return_on_spend is
};

inline constexpr char kNoChannel[] = "(none)";

struct RepRow {
  std::string source;
  std::string owner_id;
  std::string name;
  bool active = false;  // listed as active in the owners table
  FunnelCounts counts;
  std::optional<double> contact_rate;  // contacted / leads
  std::optional<double> sql_rate;      // sql / contacted
  std::optional<double> win_rate;      // won / sql
  std::optional<double> median_cycle_days;
  int64_t won_deals = 0;
  MoneyByCurrency revenue;
  MoneyTotal revenue_stated;
};

// Medians over the reps listed (nullopt values left out).
struct TeamMedians {
  std::optional<double> leads;
  std::optional<double> contacted;
  std::optional<double> sql;
  std::optional<double> won;
  std::optional<double> contact_rate;
  std::optional<double> sql_rate;
  std::optional<double> win_rate;
  std::optional<double> median_cycle_days;
  // nullopt unless every rep's revenue is one number in one currency.
  std::optional<double> revenue;
  std::optional<std::string> revenue_currency;
};

struct Capacity {
  int64_t reps = 0;
  bool reps_configured = false;
  double leads_per_rep_per_period = 0;
  double capacity_per_period = 0;
  std::optional<double> incoming_per_period;  // lead_volume.average
  std::optional<double> shortfall_per_period;
  std::optional<double> surplus_per_period;
  std::optional<int64_t> reps_needed;
  std::optional<int64_t> reps_to_hire;
  std::optional<double> revenue_target;
  // The target's currency: the reporting currency, else the revenue's;
  // nullopt (and no leads needed) when the revenue is in several.
  std::optional<std::string> revenue_target_currency;
  std::optional<double> leads_needed_for_revenue_target;
};

struct QualityIssue {
  int64_t count = 0;
  std::vector<std::string> examples;  // up to kQualityExamples, "source:id" (emails for duplicates)
  // Example -> the record's page in its CRM, for the examples that have one
  // (audit/record_links.h).
  std::map<std::string, std::string> example_urls;
};

struct DataQuality {
  QualityIssue contacts_without_owner;
  QualityIssue contacts_without_channel;
  QualityIssue contacts_without_email;
  QualityIssue contacts_without_created_date;
  QualityIssue duplicate_emails_within_source;  // count = emails
  int64_t duplicate_contacts_within_source = 0;
  QualityIssue duplicate_emails_across_sources;  // count = emails
  int64_t duplicate_contacts_across_sources = 0;
  QualityIssue stage_dates_out_of_order;
  QualityIssue won_deals_without_amount;
  // Won deals of the window with an amount but no currency: kept apart as
  // "unknown", never folded into a currency.
  QualityIssue won_deals_without_currency;
  // With a reporting currency: won deals of the window in a currency it has
  // no rate for, which keep the totals they enter unstated.
  QualityIssue won_deals_without_rate;
  QualityIssue won_deals_without_close_date;
  QualityIssue won_deals_without_contacts;
  QualityIssue stale_open_deals;
  QualityIssue spend_channels_not_in_store;  // examples are channel names
  // Events of the window's campaigns to addresses no live CRM contact has;
  // examples are addresses.
  QualityIssue email_events_unmatched;
  int64_t email_recipients_unmatched = 0;  // their distinct addresses
  // Live email audience members no CRM contact matches; examples are addresses.
  QualityIssue email_members_not_in_crm;
  // Values sources sent that were repaired or dropped before storing, since
  // the store was created (table value_issues); examples are the latest
  // "connector:id stream.property".
  QualityIssue values_rejected;
  // Live contacts and deals holding a time outside the plausible span, and
  // deals holding an implausible amount (audit/funnel.h): the audit takes
  // each such value as unknown.
  QualityIssue implausible_dates;
  QualityIssue implausible_amounts;
  // Channel values of live contacts that differ only by case or spaces
  // (ChannelKey in audit/funnel.h): count = such groups; `contacts` = the
  // live contacts of their channels; examples are the groups, each channel
  // quoted with its live contacts, most first.
  QualityIssue channel_variants;
  int64_t channel_variant_contacts = 0;
  // Live contacts created before an open window start, which the audit
  // limits to kMaxAuditPeriods periods before the window end.
  QualityIssue contacts_before_window;
};

struct Customers {
  int64_t customers = 0;
  int64_t repeat_customers = 0;
  std::optional<double> repeat_rate;
  int64_t referral_leads = 0;
  std::optional<double> referral_share;  // referral_leads / funnel.leads
  std::vector<std::string> referral_channels;
};

struct Revenue {
  int64_t won_deals = 0;  // live won deals closed in the window
  int64_t deals_with_amount = 0;
  MoneyByCurrency total;  // their amounts
  MoneyTotal total_stated;
  MoneyByCurrency unattributed;  // of won deals without a live associated contact
  MoneyTotal unattributed_stated;
  // total_stated / deals_with_amount, in total_stated's currency.
  std::optional<double> average_won_deal;
  std::vector<std::string> currencies;  // distinct, sorted; "" when unknown
  CurrencySettings currency;            // as configured, for rates_used
  double return_on_spend_target = 0;
};

struct LeadQuality {
  std::optional<double> overall_mql_to_sql;
  int64_t min_mqls = 0;
  std::vector<std::string> stalling_channels;
};

struct Snapshot {
  int64_t generated_at = 0;
  // Resolved: an open start is the earliest created_at in the store, an open
  // end is generated_at.
  AuditWindow window;
  AuditPeriod period = AuditPeriod::kWeek;
  FunnelCounts counts;
  FunnelRates rates;
  std::vector<ChannelRow> channels;  // by leads descending, then name
  std::vector<RepRow> reps;          // by source, owner_id
  TeamMedians team;
  // Cohort contacts without an owner (funnel.by_owner's last row).
  FunnelCounts unowned;
  LeadVolume lead_volume;
  CycleTimes cycle_times;
  LeadQuality lead_quality;
  Capacity capacity;
  DataQuality data_quality;
  Customers customers;
  Revenue revenue;
  EmailAudit email;
  // What one period's leads are expected to bring (audit/forecast.h): N =
  // lead_volume.average rounded, every channel, the matured cohorts of the
  // whole store, with the backtest of its interval. nullopt when the window
  // has no complete period or its average rounds to 0.
  std::optional<Forecast> forecast;
};

// Computes the snapshot of `window` at `now_ms` (audit/snapshot_builder.cc). Reads owners,
// contacts, deals, the deal_contacts of sources with won deals, and (through EmailAuditPasses)
// email campaigns and events, each once; the forecast reads contacts, deals and deal_contacts
// once more. Fails with kInvalidArgument when a spend month is not
// "YYYY-MM" or CheckAuditWindow refuses the window, with the store's status when reading fails.
Result<Snapshot> ComputeSnapshot(Store& store, const AuditSettings& settings,
                                 const AuditWindow& window, int64_t now_ms);

// The snapshot JSON: every key docs/contracts.md "Snapshot JSON" fixes. The
// text is checked before it is returned: a number that is not finite (JSON
// has none) fails it with kInternal naming the field, so no caller stores or
// serves invalid JSON.
Result<std::string> SnapshotJson(const Snapshot& snapshot);

// Aligned tables for a terminal, one per section.
std::string SnapshotText(const Snapshot& snapshot);

}  // namespace salesaudit
