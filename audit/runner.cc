#include "audit/runner.h"

#include "connectors/connector.h"
#include "core/json_writer.h"

namespace salesaudit {
namespace {

// {"<connector>/<stream>": "<cursor>", ...}: which data the snapshot saw.
Result<std::string> CursorsJson(Store& store) {
  auto states = store.ListStreamStates();
  if (!states.ok()) return states.status();
  JsonWriter w;
  w.StartObject();
  for (const StreamState& s : *states) {
    w.Key(s.connector + "/" + s.stream);
    if (s.cursor.empty()) {
      w.Null();
    } else {
      w.String(s.cursor);
    }
  }
  w.EndObject();
  return w.TakeString();
}

}  // namespace

AuditSettings AuditSettingsFrom(const Config& config) {
  AuditSettings s;
  if (config.team.reps) s.reps = *config.team.reps;
  s.leads_per_rep_per_week = config.team.leads_per_rep_per_week;
  s.period = config.audit.period == "month" ? AuditPeriod::kMonth : AuditPeriod::kWeek;
  for (const SpendEntry& e : config.spend) s.spend.push_back({e.channel, e.month, e.amount});
  s.currency = CurrencySettings{config.audit.currency.report_in, config.audit.currency.rates};
  s.return_on_spend_target = config.audit.return_on_spend_target;
  s.revenue_target = config.audit.revenue_target_per_period;
  s.stale_deal_age_ms = config.audit.stale_deal_age.count();
  s.min_sample = config.audit.min_sample;
  s.referral_channels = config.audit.referral_channels;
  s.email.attribution_window_ms = config.audit.attribution_window.count();
  s.email.open_rate_floor = config.audit.open_rate_floor;
  s.email.click_rate_floor = config.audit.click_rate_floor;
  s.email.min_content_sample = config.audit.min_sample;
  s.forecast_min_channel_leads = config.audit.forecast_min_channel_leads;
  for (const ConnectorConfig& c : config.connectors) {
    const ConnectorDescriptor* d = BuiltinConnectors().Find(c.type);
    if (d == nullptr || !d->record_urls) continue;
    if (auto urls = d->record_urls(c); !urls.empty()) s.record_urls[c.name] = std::move(urls);
  }
  return s;
}

SnapshotRetention SnapshotRetentionFrom(const Config& config, int64_t now_ms) {
  return SnapshotRetention{.keep_after_ms = now_ms - config.audit.keep_snapshots.count(),
                           .live_interval_ms = config.audit.every.count()};
}

Result<StoredSnapshot> ComputeAndStoreSnapshot(Store& store, const Config& config,
                                               const AuditWindow& window, int64_t now_ms,
                                               SnapshotPurpose purpose) {
  // The cursors are read first: the snapshot saw at least this much data.
  auto cursors = CursorsJson(store);
  if (!cursors.ok()) return cursors.status().WithContext("audit");
  auto snapshot = ComputeSnapshot(store, AuditSettingsFrom(config), window, now_ms);
  if (!snapshot.ok()) return snapshot.status().WithContext("audit");
  auto json = SnapshotJson(*snapshot);
  if (!json.ok()) return json.status();
  StoredSnapshot stored;
  stored.json = std::move(json).value();
  auto id = store.SaveSnapshot(SnapshotRow{.purpose = purpose,
                                           .computed_at = now_ms,
                                           .window_from = snapshot->window.from,
                                           .window_to = snapshot->window.to,
                                           .json = stored.json,
                                           .config_hash = config.hash,
                                           .cursors = *cursors},
                               SnapshotRetentionFrom(config, now_ms));
  if (!id.ok()) return id.status().WithContext("audit: saving the snapshot");
  stored.id = *id;
  stored.snapshot = std::move(snapshot).value();
  return stored;
}

}  // namespace salesaudit
