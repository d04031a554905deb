#include "audit/snapshot_builder.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "audit/record_links.h"

namespace salesaudit {
namespace snapshot_detail {

Result<Snapshot> SnapshotBuilder::Build() {
  to_ = requested_.to ? *requested_.to : now_;
  // A given start counts to the end the audit will use, given or not.
  if (Status s = CheckAuditWindow(AuditWindow{requested_.from, to_}, settings_.period); !s.ok()) {
    return s;
  }
  snap_.generated_at = now_;
  snap_.period = settings_.period;
  earliest_start_ =
      requested_.from ? *requested_.from
                      : PeriodStartMs(PeriodIndex(to_ - 1, settings_.period) - kMaxAuditPeriods + 1,
                                      settings_.period);
  // The email audit takes each contact from ReadContacts, so the contacts are
  // read once for both. The window's start is known only after them; until
  // then the email audit counts from the earliest start the window can
  // have, which holds the same cohort (ReadContacts: no live contact is
  // created between it and the start it finds). Started first: it matches
  // the recipients on a thread of its own meanwhile.
  auto email_passes = EmailAuditPasses::Start(
      store_, AuditWindow{requested_.from ? *requested_.from : earliest_start_, to_},
      settings_.email);
  if (!email_passes.ok()) return email_passes.status();
  email_.emplace(std::move(email_passes).value());
  if (Status s = ReadOwners(); !s.ok()) return s.WithContext("audit: owners");
  auto evidence = StageEvidence::Read(store_);
  if (!evidence.ok()) return evidence.status();
  evidence_ = std::move(evidence).value();
  forecast_.emplace(ForecastRequest{.now_ms = now_}, ForecastOptionsFrom(settings_));
  if (Status s = ReadContacts(); !s.ok()) return s.WithContext("audit: contacts");
  snap_.window = AuditWindow{from_, to_};
  if (Status s = ReadDeals(); !s.ok()) return s.WithContext("audit: deals");
  if (Status s = JoinDealContacts(); !s.ok()) return s.WithContext("audit: deal contacts");
  if (Status s = ApplySpend(); !s.ok()) return s;
  snap_.rates = FunnelRatesFrom(snap_.counts);
  Revenue& revenue = snap_.revenue;
  revenue.currencies.assign(currencies_.begin(), currencies_.end());
  revenue.currency = settings_.currency;
  revenue.return_on_spend_target = settings_.return_on_spend_target;
  revenue.total_stated = TotalOf(revenue.total, settings_.currency, std::nullopt);
  unit_ = revenue.total_stated.currency;
  revenue.unattributed_stated = TotalOf(revenue.unattributed, settings_.currency, unit_);
  revenue.average_won_deal =
      MoneyRatio(revenue.total_stated, static_cast<double>(revenue.deals_with_amount));

  snap_.cycle_times.all = StatsOf(cycle_all_);
  snap_.cycle_times.lead_to_mql = StatsOf(lead_to_mql_);
  snap_.cycle_times.mql_to_contacted = StatsOf(mql_to_contacted_);
  snap_.cycle_times.contacted_to_sql = StatsOf(contacted_to_sql_);
  snap_.cycle_times.sql_to_won = StatsOf(sql_to_won_);
  FinishLeadVolume();
  FinishChannels();
  FinishReps();
  FinishCapacity();
  FinishCustomers();
  FinishDataQuality();
  FindChannelVariants();

  auto email = email_->Finish(snap_.window);
  if (!email.ok()) return email.status();
  snap_.email = std::move(email).value();
  const EmailMatching& matching = snap_.email.matching;
  DataQuality& dq = snap_.data_quality;
  dq.email_events_unmatched = {matching.events_unmatched, matching.recipients_unmatched_examples};
  dq.email_recipients_unmatched = matching.recipients_unmatched;
  dq.email_members_not_in_crm = {matching.members_not_in_crm, matching.members_not_in_crm_examples};
  auto rejected = store_.ValueIssueCounts();
  if (!rejected.ok()) return rejected.status().WithContext("audit: value issues");
  std::sort(rejected->begin(), rejected->end(),
            [](const auto& a, const auto& b) { return a.last_seen_at > b.last_seen_at; });
  for (const ValueIssueCount& v : *rejected) {
    dq.values_rejected.count += v.count;
    if (dq.values_rejected.examples.size() < kQualityExamples) {
      dq.values_rejected.examples.push_back(v.connector + ":" + v.last_record_id + " " + v.stream +
                                            "." + v.property);
    }
  }
  if (Status s = ForecastOnePeriod(); !s.ok()) return s.WithContext("audit: forecast");
  return std::move(snap_);
}

Status SnapshotBuilder::ForecastOnePeriod() {
  const std::optional<double>& average = snap_.lead_volume.average;
  if (!average || std::llround(*average) < 1) return Status::Ok();
  auto forecast =
      forecast_->Finish(store_, std::min<int64_t>(std::llround(*average), kMaxForecastLeads));
  if (!forecast.ok()) return forecast.status();
  snap_.forecast = std::move(forecast).value();
  return Status::Ok();
}

}  // namespace snapshot_detail

ForecastOptions ForecastOptionsFrom(const AuditSettings& settings) {
  return ForecastOptions{.min_channel_leads = settings.forecast_min_channel_leads,
                         .currency = settings.currency};
}

Result<Snapshot> ComputeSnapshot(Store& store, const AuditSettings& settings,
                                 const AuditWindow& window, int64_t now_ms) {
  Result<Snapshot> snapshot =
      snapshot_detail::SnapshotBuilder(store, settings, window, now_ms).Build();
  if (snapshot.ok()) LinkQualityExamples(settings.record_urls, snapshot->data_quality);
  return snapshot;
}

}  // namespace salesaudit
