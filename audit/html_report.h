// The `audit --format html` report: one self-contained HTML page (inline CSS
// and inline SVG charts, no external assets, readable without JavaScript)
// rendered from a snapshot's JSON (docs/contracts.md "Snapshot JSON").
//
// It reads the JSON rather than the C++ snapshot so that any stored snapshot,
// including one from an older schema, can be rendered: a missing section or
// value is shown as "n/a", a null value as "–", never as a failure. Every
// string taken from the data is HTML-escaped.
//
// Each number shown carries `data-metric="<path>"` (and its raw value in
// `data-value`) so that tests and scrapers find it without parsing layout:
// `funnel.leads`, `funnel.rates.lead_to_mql`, `lead_volume.average`,
// `lead_volume.series[<start>].leads`, `channels[<channel>].return_on_spend`,
// `cycle_time_days.all.median`, `cycle_time_days.by_channel[<channel>].p90`,
// `cycle_time_days.between_stages.sql_to_won.mean`, `revenue.total`,
// `email.campaigns[<source>/<id>].open_rate`, `reps[<source>/<owner_id>].win_rate`,
// `reps.team_median.win_rate`, `capacity.shortfall_per_period`,
// `content.campaigns[<source>/<id>].mql_to_contacted.lift`,
// `data_quality.<check>.count`, `customers.<key>`. The headline cards repeat
// a few of these under `data-summary` so that each `data-metric` is unique.
//
// The only links are data-quality examples to their records in the CRM
// (`example_urls`, https only). Each table sits in its own horizontal scroll
// container, so on a phone the page never scrolls sideways.
//
// Pure function; thread-safe.
#pragma once

#include <string>

#include "core/status.h"

namespace salesaudit {

// What the daemon's live dashboard adds to the report.
struct HtmlReportOptions {
  // `salesaudit status --format json` output: shown as a "Sync status"
  // section above the figures (connectors, streams, errors, alerts).
  std::string status_json;
  int refresh_seconds = 0;  // > 0: the page reloads itself (a meta refresh, no script)
};

// The report page for `snapshot_json`, as UTF-8 HTML. kInvalidArgument when
// the snapshot or status text is not JSON or its top level is not an object.
Result<std::string> RenderHtmlReport(const std::string& snapshot_json,
                                     const HtmlReportOptions& options = {});

}  // namespace salesaudit
