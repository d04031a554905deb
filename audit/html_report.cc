#include "audit/html_report.h"

#include <rapidjson/document.h>

#include <optional>
#include <string_view>

#include "audit/html_charts.h"
#include "audit/html_parts.h"
#include "audit/html_tables.h"
#include "audit/labels.h"
#include "core/json_reader.h"
#include "core/text_util.h"

namespace salesaudit {
namespace html {
namespace {

std::string RenderHeader(const Json& root) {
  const Json* window = GetMember(&root, "window");
  std::string from = DateOf(GetMember(window, "from"));
  std::string to = DateOf(GetMember(window, "to"));
  std::string span;
  if (window == nullptr) {
    span = "Window n/a";
  } else {
    span = (from.empty() ? "From the first record" : "From " + from) +
           (to.empty() ? " to now" : " to " + to + " (exclusive)");
  }
  std::string out = "<header>\n<div class=\"eyebrow\">salesaudit</div>\n<h1>Sales audit</h1>\n";
  out += "<p class=\"meta\">" + HtmlEscape(span) + " · by " + PeriodWord(root);
  const std::string generated = DateTimeOf(GetMember(&root, "generated_at"));
  out += " · generated " + (generated.empty() ? std::string(kNotAvailable) : HtmlEscape(generated));
  const std::string schema = GetText(&root, "schema_version");
  if (!schema.empty()) out += " · schema " + HtmlEscape(schema);
  out += "</p>\n";

  // Headline figures repeat numbers of the sections below; they carry
  // data-summary so that each data-metric stays unique.
  auto card = [](std::string_view label, const std::string& path, const Json* v, Unit unit,
                 const std::string& note, std::string_view css = "") {
    const Shown s = Show(v, unit);
    std::string value = "<span class=\"m " + s.css + "\" data-summary=\"" + path + "\">" +
                        HtmlEscape(s.text) + "</span>";
    return Stat(label, value, css, note);
  };
  const Json* funnel = GetMember(&root, "funnel");
  const Json* volume = GetMember(&root, "lead_volume");
  const Json* cycle_all = GetMember(GetMember(&root, "cycle_time_days"), "all");
  const Json* capacity = GetMember(&root, "capacity");
  out += "<div class=\"cards\">\n";
  out += card("Leads", "funnel.leads", GetMember(funnel, "leads"), Unit::kCount,
              "created in the window");
  const QuantityLabel& won = *FindQuantityLabel("funnel.won");
  out += card(won.name, "funnel.won", GetMember(funnel, "won"), Unit::kCount,
              std::string(won.meaning));
  out += card("Lead to customer", "funnel.rates.lead_to_won",
              GetMember(GetMember(funnel, "rates"), "lead_to_won"), Unit::kRate,
              "of leads became customers");
  out += card("Leads per " + PeriodWord(root), "lead_volume.average", GetMember(volume, "average"),
              Unit::kCount, "average over complete periods");
  out += card("Days to customer", "cycle_time_days.all.median", GetMember(cycle_all, "median"),
              Unit::kDays, "median, lead created to won");
  const std::optional<double> shortfall = GetDouble(capacity, "shortfall_per_period");
  const std::optional<double> surplus = GetDouble(capacity, "surplus_per_period");
  if (shortfall && *shortfall > 0) {
    out += card("Lead shortfall", "capacity.shortfall_per_period",
                GetMember(capacity, "shortfall_per_period"), Unit::kCount,
                "per " + PeriodWord(root) + " below team capacity", "bad");
  } else if (surplus && *surplus > 0) {
    out += card("Lead surplus", "capacity.surplus_per_period",
                GetMember(capacity, "surplus_per_period"), Unit::kCount,
                "per " + PeriodWord(root) + " above team capacity", "warn");
  } else {
    out += card("Reps needed", "capacity.reps_needed", GetMember(capacity, "reps_needed"),
                Unit::kCount, "for the incoming leads");
  }
  out += "</div>\n</header>\n";
  return out;
}

// The dashboard's "Sync status": each connector's streams with rows, last
// success, cursor (in words: what status says) and last error, the latest
// snapshot, and the alerts that are pending or firing. Each row carries
// data-stream="<connector>/<stream>".
std::string RenderSyncStatus(const Json& status) {
  constexpr std::string_view kTitle = "Sync status";
  std::string t =
      "<table class=\"sync\">\n<thead><tr><th>Connector</th><th>Stream</th><th>Rows</th>"
      "<th>Last success</th><th>Cursor</th><th>Last error</th></tr></thead>\n<tbody>\n";
  int failing = 0;
  if (const Json* connectors = GetArray(&status, "connectors")) {
    for (const Json& c : connectors->GetArray()) {
      const std::string name = GetText(&c, "name");
      const Json* streams = GetArray(&c, "streams");
      if (streams == nullptr) continue;
      for (const Json& s : streams->GetArray()) {
        const std::string stream = GetText(&s, "stream");
        const std::string error = GetText(&s, "last_error");
        const std::string success = DateTimeOf(GetMember(&s, "last_success_at"));
        failing += error.empty() ? 0 : 1;
        t += "<tr data-stream=\"" + HtmlEscape(name + "/" + stream) + "\"><th>" + HtmlEscape(name) +
             "</th><td class=\"label\">" + HtmlEscape(stream) + "</td><td>" +
             HtmlEscape(Show(GetMember(&s, "rows"), Unit::kCount).text) + "</td><td>" +
             (success.empty() ? std::string("never") : HtmlEscape(success)) +
             "</td><td class=\"label\">" + HtmlEscape(GetText(&s, "cursor_state")) + "</td><td>";
        if (!error.empty()) {
          t += Badge("failing", "bad", DateTimeOf(GetMember(&s, "last_error_at"))) +
               HtmlEscape(error);
        }
        t += "</td></tr>\n";
      }
    }
  }
  t += "</tbody></table>\n";
  std::string alerts_html;
  if (const Json* alerts = GetArray(GetMember(&status, "alerts"), "active")) {
    for (const Json& a : alerts->GetArray()) {
      const std::string state = GetText(&a, "phase");
      std::string what = GetText(&a, "rule");
      if (const std::string connector = GetText(&a, "connector"); !connector.empty()) {
        what += " (" + connector + ")";
      }
      alerts_html += "<li data-alert=\"" + HtmlEscape(what) + "\">" +
                     Badge(HtmlEscape(state), state == "firing" ? "bad" : "warn") +
                     HtmlEscape(what) + " " + HtmlEscape(GetText(&a, "summary")) + "</li>\n";
    }
  }
  const Json* snapshot = GetMember(&status, "snapshot");
  std::string lede = failing == 0 ? "Every stream's last run succeeded."
                                  : std::to_string(failing) + " stream(s) failing.";
  lede += snapshot != nullptr && snapshot->IsObject()
              ? " Latest snapshot #" + HtmlEscape(GetText(snapshot, "id")) + " at " +
                    HtmlEscape(DateTimeOf(GetMember(snapshot, "computed_at"))) + "."
              : " No snapshot yet.";
  std::string body = t;
  body += alerts_html.empty() ? "<p class=\"alerts none\">No alert is pending or firing.</p>\n"
                              : "<ul class=\"alerts\">\n" + alerts_html + "</ul>\n";
  return Section("sync-status", kTitle, lede, body);
}

// Style: one accent colour for data; red and amber only for findings.

constexpr const char* kStyle = R"css(
:root{--ink:#1d2630;--muted:#66727f;--line:#e3e7ec;--soft:#f1f4f7;--bg:#f6f7f9;
--accent:#35608f;--accent-2:#9db6d3;--track:#eef2f6;--bad:#b42318;--bad-bg:#fdeceb;
--warn:#a15c07;--warn-bg:#fdf3e2}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;background:var(--bg);color:var(--ink);
font:14px/1.5 "Inter","Segoe UI",system-ui,-apple-system,"Helvetica Neue",Arial,"DejaVu Sans",sans-serif}
main{max-width:1140px;margin:0 auto;padding:36px 28px 56px}
header{margin-bottom:22px}
.eyebrow{font-size:12px;letter-spacing:.12em;text-transform:uppercase;color:var(--muted);font-weight:600}
h1{font-size:30px;line-height:1.2;margin:2px 0 4px;font-weight:700;letter-spacing:-.01em}
.meta{color:var(--muted);margin:0 0 18px}
h2{font-size:18px;margin:0 0 2px;font-weight:650}
h3{font-size:14px;margin:22px 0 6px;font-weight:650}
section{background:#fff;border:1px solid var(--line);border-radius:12px;padding:22px 26px 24px;
margin:0 0 18px;break-inside:avoid}
.lede{color:var(--muted);margin:0 0 16px;max-width:80ch}
.foot{margin:10px 0 0;color:var(--muted)}
.foot .m{color:var(--ink);font-weight:650}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(150px,1fr));gap:12px}
.stat{background:#fff;border:1px solid var(--line);border-radius:10px;padding:12px 14px}
section .stat{background:var(--soft);border-color:transparent}
.stat .label{font-size:12px;color:var(--muted);font-weight:600}
.stat .value{font-size:24px;font-weight:650;line-height:1.3;font-variant-numeric:tabular-nums}
.stat .note{font-size:12px;color:var(--muted)}
.stat.bad{background:var(--bad-bg)}.stat.bad .value{color:var(--bad)}
.stat.warn{background:var(--warn-bg)}.stat.warn .value{color:var(--warn)}
.inline-stats{display:flex;flex-wrap:wrap;gap:4px 28px;margin:0 0 10px;color:var(--muted)}
.inline-stats .m{color:var(--ink);font-weight:650}
.cur{font-size:.8em;color:var(--muted);font-weight:600}
.scroll{overflow-x:auto;max-width:100%}
table{width:100%;border-collapse:collapse;font-variant-numeric:tabular-nums}
th{font-size:12px;color:var(--muted);font-weight:600;text-align:right;padding:6px 10px;
border-bottom:1px solid var(--line);white-space:nowrap;vertical-align:bottom}
td{text-align:right;padding:8px 10px;border-bottom:1px solid var(--soft);vertical-align:top;
white-space:nowrap}
th:first-child,td:first-child{text-align:left;padding-left:0;white-space:normal}
tr.total td{font-weight:650;border-top:1px solid var(--line)}
tbody tr:last-child td{border-bottom:0}
tr.flagged td:first-child{box-shadow:inset 3px 0 var(--bad);padding-left:10px}
td .sub{font-size:12px;color:var(--muted)}
td.examples .sub{margin-right:8px}
td .vs{font-size:11px;color:var(--muted)}
td .vs.bad{color:var(--bad)}
.m.bad{color:var(--bad);font-weight:650}
.m.warn{color:var(--warn);font-weight:650}
.na,.m.na{color:var(--muted)}
.badge{display:inline-block;font-size:11px;font-weight:600;padding:1px 8px;border-radius:10px;
margin-right:6px;vertical-align:1px}
.badge.bad{background:var(--bad-bg);color:var(--bad)}
.badge.warn{background:var(--warn-bg);color:var(--warn)}
.verdict{font-weight:600;margin:0 0 14px}
.verdict.bad{color:var(--bad)}.verdict.warn{color:var(--warn)}
th.dist,td.dist{text-align:left;padding-left:24px}
td.dist svg{display:block;margin-top:3px}
table.checks th:first-child{width:36%}
table.content th.group{text-align:center}
table.content tr+tr th:first-child{text-align:right;padding-left:10px}
td.examples a{color:var(--accent)}
th.examples,td.examples{text-align:left;white-space:normal;padding-left:24px}
code{font:12px/1.4 "DejaVu Sans Mono",Menlo,Consolas,monospace;background:var(--soft);
padding:1px 5px;border-radius:4px;margin-right:4px}
.chart{display:block;width:100%;height:auto;font-variant-numeric:tabular-nums}
.chart text{fill:var(--ink);font-size:13px}
.chart .stage{font-size:14px;font-weight:600}
.chart .count{font-size:20px;font-weight:700}
.chart .rate{font-size:15px;font-weight:650}
.chart .of,.chart .axis,.chart .avg-label{fill:var(--muted);font-size:12px}
.chart .value{font-size:11px;fill:var(--muted)}
.chart .value{paint-order:stroke;stroke:#fff;stroke-width:3px;stroke-linejoin:round}
.chart .value.hidden{visibility:hidden}
.chart text.na{fill:var(--muted)}
.chart .track{fill:var(--track)}
.chart .bar,td.dist .bar{fill:var(--accent)}
td.dist .range{fill:var(--accent-2)}
td.dist .mean{stroke:var(--ink);stroke-width:2}
.chart .grid{stroke:var(--line);stroke-width:1}
.chart .partial .bar,.legend .partial{fill:url(#hatch)}
.chart .hatch-bg{fill:#dfe7f1}.chart .hatch-line{stroke:var(--accent);stroke-width:2}
.chart .avg,.legend .avg{stroke:var(--ink);stroke-width:1.5;stroke-dasharray:5 4}
.legend{display:flex;flex-wrap:wrap;gap:4px 20px;font-size:12px;color:var(--muted);margin:0 0 6px}
.legend svg{vertical-align:-1px;margin-right:6px}
.chart .cap{fill:var(--accent-2)}
.chart .gap-bad{fill:var(--bad-bg);stroke:var(--bad);stroke-width:1.5;stroke-dasharray:4 3}
.chart .gap-label{font-size:12px;font-weight:600}
.chart .gap-label.bad{fill:var(--bad)}.chart .gap-label.warn{fill:var(--warn)}
.chart .gap-warn{fill:var(--warn-bg);stroke:var(--warn);stroke-width:1.5;stroke-dasharray:4 3}
table.sync td.label,table.sync td:last-child{text-align:left;white-space:normal}
ul.alerts{list-style:none;padding:0;margin:12px 0 0}ul.alerts li{margin:4px 0}
footer{color:var(--muted);font-size:12px;text-align:center;margin-top:24px}
@media (max-width:640px){main{padding:18px 10px 32px}section{padding:16px 14px 18px}
h1{font-size:24px}.cards{grid-template-columns:repeat(auto-fit,minmax(130px,1fr))}}
@media print{body{background:#fff}main{padding:0}section{border:0;padding:8px 0}
.scroll{overflow:visible}}
)css";

Status ParseObject(const std::string& text, std::string_view what, rapidjson::Document* doc) {
  if (Status s = ParseJson(text, doc); !s.ok()) {
    return Status::InvalidArgument("html report: " + std::string(what) + ": " + s.message());
  }
  if (!doc->IsObject()) {
    return Status::InvalidArgument("html report: " + std::string(what) + " is not a JSON object");
  }
  return Status::Ok();
}

// The page: head and style, the header, the dashboard's sync status when
// `status` is given, then each section in the order a reader asks.
std::string Page(const Json& snapshot, const Json* status, const HtmlReportOptions& options) {
  std::string html =
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
  if (options.refresh_seconds > 0) {
    html += "<meta http-equiv=\"refresh\" content=\"" + std::to_string(options.refresh_seconds) +
            "\">\n";
  }
  html += "<title>Sales audit</title>\n<style>";
  html += kStyle;
  html += "</style>\n</head>\n<body>\n<main>\n";
  html += RenderHeader(snapshot);
  if (status != nullptr) html += RenderSyncStatus(*status);
  html += RenderFunnel(GetMember(&snapshot, "funnel"));
  html += RenderLeadVolume(snapshot);
  html += RenderChannels(snapshot);
  html += RenderCycleTime(snapshot);
  html += RenderEmail(snapshot);
  html += RenderContent(snapshot);
  html += RenderReps(snapshot);
  html += RenderCapacity(snapshot);
  html += RenderDataQuality(snapshot);
  html += RenderCustomers(snapshot);
  html += RenderForecast(snapshot);
  html += "<footer>salesaudit sales audit report · all figures from the snapshot of " +
          HtmlEscape(DateTimeOf(GetMember(&snapshot, "generated_at"))) + "</footer>\n";
  html += "</main>\n</body>\n</html>\n";
  return html;
}

}  // namespace
}  // namespace html

Result<std::string> RenderHtmlReport(const std::string& snapshot_json,
                                     const HtmlReportOptions& options) {
  rapidjson::Document doc;
  if (Status s = html::ParseObject(snapshot_json, "snapshot", &doc); !s.ok()) return s;
  if (options.status_json.empty()) return html::Page(doc, nullptr, options);
  rapidjson::Document status;
  if (Status s = html::ParseObject(options.status_json, "status", &status); !s.ok()) return s;
  return html::Page(doc, &status, options);
}

}  // namespace salesaudit
