// The HTML report in a real browser: headless Chromium (Debian's `chromium`,
// installed by scripts/install-deps.sh) loads the file, takes a screenshot
// and dumps the DOM it rendered, which must show the snapshot's numbers.
// A missing Chromium fails the test: CI installs it.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <sstream>
#include <string>
#include <vector>

#include "audit/html_report.h"
#include "tests/support/chromium.h"
#include "tests/support/subprocess.h"

namespace salesaudit {
namespace {

// Thirteen weeks of a small B2B team, with every kind of finding the report
// marks: a channel below its return-on-spend target, an underperforming
// campaign, a lead shortfall, data-quality issues.
constexpr const char* kSnapshot = R"json({
  "schema_version": 1,
  "generated_at": "2026-04-01T09:00:00.000Z",
  "window": {"from": "2026-01-01T00:00:00.000Z", "to": "2026-04-01T00:00:00.000Z", "period": "week"},
  "funnel": {"leads": 1482, "mql": 711, "contacted": 498, "sql": 187, "won": 52,
             "rates": {"lead_to_mql": 0.47976, "mql_to_contacted": 0.70042, "contacted_to_sql": 0.37550,
                       "sql_to_won": 0.27807, "lead_to_won": 0.03509}},
  "lead_volume": {"period": "week", "average": 113.6, "trend": 2.4, "complete_periods": 12,
    "series": [
      {"start": "2025-12-29T00:00:00.000Z", "leads": 46, "complete": false},
      {"start": "2026-01-05T00:00:00.000Z", "leads": 98, "complete": true},
      {"start": "2026-01-12T00:00:00.000Z", "leads": 104, "complete": true},
      {"start": "2026-01-19T00:00:00.000Z", "leads": 97, "complete": true},
      {"start": "2026-01-26T00:00:00.000Z", "leads": 112, "complete": true},
      {"start": "2026-02-02T00:00:00.000Z", "leads": 109, "complete": true},
      {"start": "2026-02-09T00:00:00.000Z", "leads": 121, "complete": true},
      {"start": "2026-02-16T00:00:00.000Z", "leads": 118, "complete": true},
      {"start": "2026-02-23T00:00:00.000Z", "leads": 103, "complete": true},
      {"start": "2026-03-02T00:00:00.000Z", "leads": 126, "complete": true},
      {"start": "2026-03-09T00:00:00.000Z", "leads": 131, "complete": true},
      {"start": "2026-03-16T00:00:00.000Z", "leads": 119, "complete": true},
      {"start": "2026-03-23T00:00:00.000Z", "leads": 125, "complete": true},
      {"start": "2026-03-30T00:00:00.000Z", "leads": 73, "complete": false}]},
  "cycle_time_days": {
    "all": {"count": 52, "mean": 41.7, "median": 36, "p90": 78.2},
    "by_channel": {
      "PAID_SEARCH": {"count": 21, "mean": 33.4, "median": 29, "p90": 61},
      "ORGANIC_SEARCH": {"count": 14, "mean": 45.1, "median": 40.5, "p90": 80},
      "REFERRALS": {"count": 9, "mean": 27.9, "median": 24, "p90": 44.6},
      "EVENTS": {"count": 6, "mean": 63.2, "median": 58, "p90": 97},
      "PODCAST": {"count": 2, "mean": 51, "median": 51, "p90": 66}},
    "between_stages": {
      "lead_to_mql": {"count": 711, "mean": 4.2, "median": 2, "p90": 11},
      "mql_to_contacted": {"count": 498, "mean": 3.1, "median": 1.5, "p90": 7},
      "contacted_to_sql": {"count": 187, "mean": 12.8, "median": 10, "p90": 26},
      "sql_to_won": {"count": 52, "mean": 21.6, "median": 19, "p90": 41}}},
  "channels": [
    {"channel": "PAID_SEARCH", "leads": 604, "mql": 310, "contacted": 221, "sql": 83, "won": 21,
     "lead_to_won": 0.03477, "revenue": 168000, "spend": 48000, "return_on_spend": 3.5, "below_target": false},
    {"channel": "ORGANIC_SEARCH", "leads": 402, "mql": 188, "contacted": 131, "sql": 49, "won": 14,
     "lead_to_won": 0.03483, "revenue": 117600, "spend": 0, "return_on_spend": null, "below_target": null},
    {"channel": "EVENTS", "leads": 231, "mql": 97, "contacted": 64, "sql": 15, "won": 6,
     "lead_to_won": 0.02597, "revenue": 39000, "spend": 26000, "return_on_spend": 1.5,
     "below_target": true, "mql_stalls": true},
    {"channel": "REFERRALS", "leads": 148, "mql": 81, "contacted": 62, "sql": 31, "won": 9,
     "lead_to_won": 0.06081, "revenue": 81900, "spend": 0, "return_on_spend": null, "below_target": null},
    {"channel": "PODCAST", "leads": 97, "mql": 35, "contacted": 20, "sql": 9, "won": 2,
     "lead_to_won": 0.02062, "revenue": 14800, "spend": 15000, "return_on_spend": 0.98667,
     "below_target": true}],
  "email": {"median_open_rate": 0.274, "median_click_rate": 0.041,
    "campaigns": [
      {"source": "mailchimp", "id": "a41f", "name": "January product update", "kind": "newsletter",
       "sent": 5200, "delivered": 5096, "opened": 1478, "clicked": 229, "open_rate": 0.29003,
       "click_rate": 0.04494, "leads": 31, "underperforming": false, "underperforming_reasons": []},
      {"source": "mailchimp", "id": "b77c", "name": "Webinar: pipeline hygiene", "kind": "event",
       "sent": 3100, "delivered": 3041, "opened": 833, "clicked": 152, "open_rate": 0.27392,
       "click_rate": 0.04998, "leads": 44, "underperforming": false, "underperforming_reasons": []},
      {"source": "mailchimp", "id": "c912", "name": "Spring pricing (A/B)", "kind": "promotion",
       "sent": 4800, "delivered": 4570, "opened": 640, "clicked": 59, "open_rate": 0.14004,
       "click_rate": 0.01291, "leads": 6, "underperforming": true,
       "underperforming_reasons": ["open_rate_below_median", "click_rate_below_median"]},
      {"source": "hubspot", "id": "88120", "name": "Nurture 3: case study", "kind": "automated",
       "sent": 1210, "delivered": 1198, "opened": 371, "clicked": 31, "open_rate": 0.30968,
       "click_rate": 0.02588, "leads": 9, "underperforming": true,
       "underperforming_reasons": ["click_rate_below_median"]}],
    "flows": [
      {"kind": "newsletter", "campaigns": 1, "delivered": 5096, "opened": 1478, "clicked": 229,
       "open_rate": 0.29003, "click_rate": 0.04494, "leads": 31},
      {"kind": "promotion", "campaigns": 1, "delivered": 4570, "opened": 640, "clicked": 59,
       "open_rate": 0.14004, "click_rate": 0.01291, "leads": 6}]},
  "content": {"min_sample": 30, "campaigns": [
      {"source": "mailchimp", "id": "a41f", "name": "January product update",
       "mql_to_contacted": {"clicked_between_mql_and_contacted": {"contacts": 64, "converted": 52, "rate": 0.8125},
                            "did_not_click": {"contacts": 647, "converted": 446, "rate": 0.68933},
                            "lift": 0.12317, "insufficient_sample": false},
       "sql_to_won": {"clicked_between_sql_and_won": {"contacts": 12, "converted": 5, "rate": 0.41667},
                      "did_not_click": {"contacts": 175, "converted": 47, "rate": 0.26857},
                      "lift": null, "insufficient_sample": true}}]},
  "revenue": {"won_deals": 52, "deals_with_amount": 50, "total": 428300, "unattributed": 7000,
              "average_won_deal": 8566, "currencies": ["EUR"], "return_on_spend_target": 2.0},
  "capacity": {"reps": 6, "reps_source": "configured", "leads_per_rep_per_period": 25,
               "capacity_per_period": 150, "incoming_per_period": 113.6,
               "shortfall_per_period": 36.4, "surplus_per_period": 0, "reps_needed": 5,
               "reps_to_hire": 0, "revenue_target": 40000, "leads_needed_for_revenue_target": 136.8},
  "reps": [
    {"source": "hubspot", "owner_id": "5101", "name": "Ana Lima", "leads": 402, "contacted": 171,
     "sql": 68, "won": 21, "contact_rate": 0.42537, "sql_rate": 0.39766, "win_rate": 0.30882,
     "median_cycle_days": 31, "revenue": 151200,
     "vs_team": {"contact_rate": {"team_median": 0.33046, "difference": 0.09491},
                 "win_rate": {"team_median": 0.27466, "difference": 0.03416},
                 "median_cycle_days": {"team_median": 36.5, "difference": -5.5}}},
    {"source": "hubspot", "owner_id": "5102", "name": "Ben Ode", "leads": 388, "contacted": 126,
     "sql": 44, "won": 12, "contact_rate": 0.32474, "sql_rate": 0.34921, "win_rate": 0.27273,
     "median_cycle_days": 38, "revenue": 92400},
    {"source": "hubspot", "owner_id": "5103", "name": "Chloé Martin", "leads": 351, "contacted": 118,
     "sql": 47, "won": 13, "contact_rate": 0.33618, "sql_rate": 0.39831, "win_rate": 0.27660,
     "median_cycle_days": 35, "revenue": 104100},
    {"source": "hubspot", "owner_id": "5104", "name": "Dev Patel", "leads": 341, "contacted": 83,
     "sql": 28, "won": 6, "contact_rate": 0.24340, "sql_rate": 0.33735, "win_rate": 0.21429,
     "median_cycle_days": 49, "revenue": 73600}],
  "data_quality": {
    "contacts_without_owner": {"count": 37, "examples": ["hubspot:9912", "hubspot:9920", "hubspot:10043"],
                               "example_urls": {"hubspot:9912": "https://app.hubspot.com/contacts/2412345/record/0-1/9912",
                                                "hubspot:9920": "https://app.hubspot.com/contacts/2412345/record/0-1/9920",
                                                "hubspot:10043": "https://app.hubspot.com/contacts/2412345/record/0-1/10043"}},
    "contacts_without_channel": {"count": 12, "examples": ["hubspot:8801", "hubspot:8840"]},
    "contacts_without_email": {"count": 0, "examples": []},
    "duplicate_emails_within_source": {"count": 4, "contacts": 9,
                                       "examples": ["j.doe@example.com", "sam@example.org"]},
    "stage_dates_out_of_order": {"count": 6, "examples": ["hubspot:7310"]},
    "won_deals_without_amount": {"count": 2, "examples": ["hubspot:d-311", "hubspot:d-318"]},
    "stale_open_deals": {"count": 17, "examples": ["hubspot:d-201", "hubspot:d-207", "hubspot:d-240"]}},
  "customers": {"customers": 52, "repeat_customers": 7, "repeat_rate": 0.13462,
                "referral_leads": 148, "referral_share": 0.09987, "referral_channels": ["REFERRALS"]}
})json";

// The numbers the rendered DOM must show, by data-metric.
struct Expected {
  const char* key;
  const char* text;
};
constexpr Expected kExpected[] = {
    {"funnel.leads", "1,482"},
    {"funnel.won", "52"},
    {"funnel.rates.lead_to_mql", "48.0%"},
    {"funnel.rates.sql_to_won", "27.8%"},
    {"lead_volume.average", "113.6"},
    {"lead_volume.series[2026-03-09T00:00:00.000Z].leads", "131"},
    {"lead_volume.series[2026-03-30T00:00:00.000Z].leads", "73"},
    {"channels[PAID_SEARCH].return_on_spend", "3.50×"},
    {"channels[PODCAST].return_on_spend", "0.99×"},
    {"channels[EVENTS].revenue", "39,000"},
    {"cycle_time_days.all.median", "36.0"},
    {"cycle_time_days.by_channel[EVENTS].p90", "97.0"},
    {"email.campaigns[mailchimp/c912].open_rate", "14.0%"},
    {"email.campaigns[hubspot/88120].leads", "9"},
    {"reps[hubspot/5104].win_rate", "21.4%"},
    {"reps.team_median.contact_rate", "33.0%"},
    {"capacity.shortfall_per_period", "36.4"},
    {"capacity.reps_needed", "5"},
    {"data_quality.stale_open_deals.count", "17"},
    {"data_quality.duplicate_emails_within_source.contacts", "9"},
    {"revenue.total", "428,300"},
    {"customers.referral_share", "10.0%"},
    {"content.campaigns[mailchimp/a41f].mql_to_contacted.clicked_between_mql_and_contacted.rate",
     "81.3%"},
    {"content.campaigns[mailchimp/a41f].mql_to_contacted.did_not_click.contacts", "647"},
    {"content.campaigns[mailchimp/a41f].mql_to_contacted.lift", "+12.3 pts"},
    {"content.campaigns[mailchimp/a41f].sql_to_won.did_not_click.rate", "26.9%"},
};

// The text of the element carrying data-metric="key" ("" when absent).
std::string MetricText(const std::string& html, const std::string& key) {
  const size_t at = html.find("data-metric=\"" + key + "\"");
  if (at == std::string::npos) return "";
  const size_t open_end = html.find('>', at);
  const size_t close = html.find('<', open_end);
  return html.substr(open_end + 1, close - open_end - 1);
}

// Where the test writes the report it loads.
std::string ReportUrl(const testing::TempDir& dir) { return "file://" + dir.File("report.html"); }

uint32_t BigEndian32(const std::string& bytes, size_t at) {
  uint32_t v = 0;
  for (size_t i = 0; i < 4; ++i) v = (v << 8) | static_cast<unsigned char>(bytes[at + i]);
  return v;
}

TEST_CASE("Headless Chromium renders the report to a screenshot and a DOM with the numbers",
          "[audit][html][browser]") {
  const std::string chromium = testing::FindChromium();
  INFO("Chromium is not installed: run scripts/install-deps.sh (Debian package chromium)");
  REQUIRE_FALSE(chromium.empty());

  Result<std::string> html = RenderHtmlReport(kSnapshot);
  REQUIRE(html.ok());
  testing::TempDir dir;
  testing::WriteFile(dir.File("report.html"), *html);

  SECTION("the screenshot is a full-size PNG with content") {
    const std::string shot = dir.File("shot.png");
    testing::RunResult run = testing::RunChromium(chromium, dir, "profile-shot",
                                                  {"--screenshot=" + shot}, ReportUrl(dir));
    INFO(run.err);
    REQUIRE(run.exit_code == 0);
    const std::string png = testing::ReadFile(shot);
    REQUIRE(png.size() > 24);
    CHECK(png.compare(0, 8, "\x89PNG\r\n\x1a\n") == 0);
    CHECK(png.compare(12, 4, "IHDR") == 0);
    CHECK(BigEndian32(png, 16) == 1280);
    CHECK(BigEndian32(png, 20) == 2400);
    // A blank page of this size compresses to a few KiB; charts, tables and
    // text take far more.
    CHECK(png.size() > 60 * 1024);
  }

  SECTION("the rendered DOM shows the snapshot's numbers in their elements") {
    testing::RunResult run =
        testing::RunChromium(chromium, dir, "profile-dom", {"--dump-dom"}, ReportUrl(dir));
    INFO(run.err);
    REQUIRE(run.exit_code == 0);
    REQUIRE(run.out.find("<h1>Sales audit</h1>") != std::string::npos);
    for (const Expected& e : kExpected) {
      INFO(e.key);
      CHECK(MetricText(run.out, e.key) == e.text);
    }
  }
}

// What a page looks like in a viewport `width` CSS pixels wide, measured by
// a script in a wrapper page (the report itself has none): the report loads
// in an iframe of that width, since headless Chromium will not make its
// window narrower than 500 px. Each result is a "name=value" line.
struct Layout {
  int inner_width = -1;
  int scroll_width = -1;
  int volume_labels = -1;             // visible text elements of the lead-volume chart
  std::vector<std::string> overlaps;  // "label | label" pairs whose boxes intersect
  bool legend_has_average = false;
};

constexpr const char* kMeasureScript = R"js(
function measure(frame) {
  const w = frame.contentWindow, d = w.document;
  const texts = [...d.querySelectorAll('svg.volume text')]
      .filter(t => w.getComputedStyle(t).visibility !== 'hidden');
  const boxes = texts.map(t => t.getBoundingClientRect());
  const out = ['inner_width=' + w.innerWidth,
               'scroll_width=' + d.documentElement.scrollWidth,
               'volume_labels=' + texts.length];
  // Boxes that share more than a hair (0.5 px each way) overlap.
  for (let i = 0; i < boxes.length; ++i) {
    for (let j = i + 1; j < boxes.length; ++j) {
      const a = boxes[i], b = boxes[j];
      if (Math.min(a.right, b.right) - Math.max(a.left, b.left) > 0.5 &&
          Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top) > 0.5) {
        out.push('overlap=' + texts[i].textContent + ' | ' + texts[j].textContent);
      }
    }
  }
  const legend = d.querySelector('#lead-volume .legend');
  out.push('legend_has_average=' + (legend !== null && legend.textContent.includes('average')));
  const result = document.createElement('pre');
  result.id = 'layout';
  result.textContent = '\n' + out.join('\n') + '\n';
  document.body.appendChild(result);
}
)js";

Layout MeasureLayout(const std::string& chromium, const std::string& report_html, int width) {
  testing::TempDir dir;
  testing::WriteFile(dir.File("report.html"), report_html);
  testing::WriteFile(dir.File("measure.html"),
                     "<!DOCTYPE html><html><head><style>body{margin:0}iframe{border:0;display:"
                     "block}</style><script>" +
                         std::string(kMeasureScript) +
                         "</script></head><body><iframe src=\"report.html\" width=\"" +
                         std::to_string(width) +
                         "\" height=\"900\" onload=\"measure(this)\"></iframe></body></html>");
  // file: pages are each their own origin unless files may read files.
  testing::RunResult run = testing::RunChromium(chromium, dir, "profile",
                                                {"--allow-file-access-from-files", "--dump-dom"},
                                                "file://" + dir.File("measure.html"));
  INFO(run.err);
  REQUIRE(run.exit_code == 0);
  const size_t start = run.out.find("<pre id=\"layout\">");
  REQUIRE(start != std::string::npos);
  std::istringstream lines(run.out.substr(start, run.out.find("</pre>", start) - start));
  Layout layout;
  for (std::string line; std::getline(lines, line);) {
    const size_t eq = line.find('=');
    if (eq == std::string::npos) continue;
    const std::string name = line.substr(0, eq);
    const std::string value = line.substr(eq + 1);
    if (name == "inner_width") layout.inner_width = std::stoi(value);
    if (name == "scroll_width") layout.scroll_width = std::stoi(value);
    if (name == "volume_labels") layout.volume_labels = std::stoi(value);
    if (name == "overlap") layout.overlaps.push_back(value);
    if (name == "legend_has_average") layout.legend_has_average = value == "true";
  }
  return layout;
}

// A lead-volume series of `periods` weeks from 2024-01-01 with four-digit
// counts and an average just under the tallest bar, where the average's
// label used to sit among the bar labels.
std::string VolumeSnapshot(int periods) {
  std::string series;
  double sum = 0;
  for (int i = 0; i < periods; ++i) {
    const int leads = 1180 + (i * 37) % 60;  // 1,180 to 1,239
    sum += leads;
    char start[32];
    const int64_t day = 19723 + 7LL * i;  // 2024-01-01 in days since 1970
    std::snprintf(start, sizeof start, "%lld", static_cast<long long>(day * 86400000LL));
    series += std::string(i == 0 ? "" : ",") + "{\"start\": " + start +
              ", \"leads\": " + std::to_string(leads) + ", \"complete\": true}";
  }
  return "{\"window\": {\"period\": \"week\"}, \"lead_volume\": {\"period\": \"week\", "
         "\"average\": " +
         std::to_string(sum / periods) + ", \"series\": [" + series + "]}}";
}

TEST_CASE("No label of the lead-volume chart overlaps another, however many periods it has",
          "[audit][html][browser]") {
  const std::string chromium = testing::FindChromium();
  REQUIRE_FALSE(chromium.empty());
  for (const int periods : {8, 40, 104, 520}) {
    Result<std::string> html = RenderHtmlReport(VolumeSnapshot(periods));
    REQUIRE(html.ok());
    for (const int width : {1280, 375}) {
      INFO(periods << " periods at " << width << " px");
      const Layout layout = MeasureLayout(chromium, *html, width);
      CHECK(layout.inner_width == width);
      for (const std::string& pair : layout.overlaps) UNSCOPED_INFO(pair);
      CHECK(layout.overlaps.empty());
      // Axis ticks, period names and at least one value in every 20 periods.
      CHECK(layout.volume_labels >= 5 + periods / 20);
      CHECK(layout.legend_has_average);
    }
  }
}

TEST_CASE("The page never scrolls sideways on a phone or a desktop, and wide tables scroll inside",
          "[audit][html][browser]") {
  const std::string chromium = testing::FindChromium();
  REQUIRE_FALSE(chromium.empty());
  Result<std::string> html = RenderHtmlReport(kSnapshot);
  REQUIRE(html.ok());
  for (const int width : {1280, 375}) {
    INFO(width << " px");
    const Layout layout = MeasureLayout(chromium, *html, width);
    CHECK(layout.inner_width == width);
    CHECK(layout.scroll_width <= layout.inner_width);
    CHECK(layout.overlaps.empty());
  }
}

}  // namespace
}  // namespace salesaudit
