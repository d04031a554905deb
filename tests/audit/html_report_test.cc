// The HTML report (audit/html_report.h): numbers in data-metric elements,
// every data string escaped, no external assets or scripts, missing sections
// and values shown as n/a, null rates as a dash.
#include "audit/html_report.h"

#include <catch2/catch.hpp>
#include <string>

namespace salesaudit {
namespace {

// A complete snapshot in the shape SnapshotJson writes, small enough to check
// by hand.
constexpr const char* kSnapshot = R"json({
  "schema_version": 1,
  "generated_at": "2026-04-01T09:00:00.000Z",
  "window": {"from": "2026-01-05T00:00:00.000Z", "to": "2026-02-04T00:00:00.000Z", "period": "week"},
  "funnel": {"leads": 1200, "mql": 540, "contacted": 405, "sql": 150, "won": 45,
             "rates": {"lead_to_mql": 0.45, "mql_to_contacted": 0.75, "contacted_to_sql": 0.37037,
                       "sql_to_won": 0.3, "lead_to_won": 0.0375}},
  "lead_volume": {"period": "week", "average": 262.5, "trend": -4.25,
                  "series": [{"start": "2026-01-05T00:00:00.000Z", "leads": 250, "complete": true},
                             {"start": "2026-01-12T00:00:00.000Z", "leads": 275, "complete": true},
                             {"start": "2026-01-19T00:00:00.000Z", "leads": 260, "complete": true},
                             {"start": "2026-01-26T00:00:00.000Z", "leads": 265, "complete": true},
                             {"start": "2026-02-02T00:00:00.000Z", "leads": 150, "complete": false}]},
  "cycle_time_days": {"all": {"count": 45, "mean": 38.25, "median": 31, "p90": 72.5},
                      "by_channel": {"PAID_SEARCH": {"count": 30, "mean": 35, "median": 29.5, "p90": 60},
                                     "EVENTS": {"count": 0, "mean": null, "median": null, "p90": null}},
                      "between_stages": {"sql_to_won": {"count": 45, "mean": 12, "median": 10, "p90": 25}}},
  "channels": [
    {"channel": "PAID_SEARCH", "leads": 800, "mql": 400, "contacted": 300, "sql": 110, "won": 30,
     "lead_to_won": 0.0375, "revenue": 155000, "spend": 50000, "return_on_spend": 3.1,
     "below_target": false},
    {"channel": "EVENTS", "leads": 400, "mql": 140, "contacted": 105, "sql": 40, "won": 15,
     "lead_to_won": 0.0375, "revenue": 18000.5, "spend": 12000, "return_on_spend": 1.5000416,
     "below_target": true, "mql_stalls": true},
    {"channel": "WEBINAR", "leads": 10, "mql": 5, "contacted": 4, "sql": 2, "won": 1,
     "lead_to_won": 0.1, "revenue": 1550, "spend": 1000, "return_on_spend": 1.55},
    {"channel": "ORGANIC", "leads": 0, "mql": 0, "contacted": 0, "sql": 0, "won": 0,
     "lead_to_won": null, "revenue": 0, "spend": 0, "return_on_spend": null, "below_target": null}],
  "email": {"median_open_rate": 0.25, "median_click_rate": 0.04,
    "campaigns": [
      {"source": "mailchimp", "id": "c1", "name": "Spring launch", "kind": "newsletter",
       "sent": 1000, "delivered": 980, "opened": 294, "clicked": 49, "open_rate": 0.3,
       "click_rate": 0.05, "leads": 12, "underperforming": false, "underperforming_reasons": []},
      {"source": "mailchimp", "id": "c2", "name": "Webinar invite", "kind": "event",
       "sent": 800, "delivered": 790, "opened": 79, "clicked": 8, "open_rate": 0.1,
       "click_rate": 0.0101, "leads": 1, "underperforming": true,
       "underperforming_reasons": ["open_rate_below_median", "click_rate_below_median"],
       "underperforming_why": ["open rate 10.0% is below <30%>", "click rate 1.0% is below 5.0%"]}]},
  "content": {},
  "revenue": {"won_deals": 45, "total": 173000.5, "average_won_deal": 3844.46, "unattributed": 0,
              "return_on_spend_target": 1.6},
  "capacity": {"reps": 4, "reps_source": "configured", "leads_per_rep_per_period": 25, "capacity_per_period": 100,
               "incoming_per_period": 262.5, "shortfall_per_period": 0, "surplus_per_period": 162.5,
               "reps_needed": 11, "reps_to_hire": 7},
  "reps": [
    {"source": "hubspot", "owner_id": "101", "name": "Ana Lima", "leads": 600, "contacted": 250,
     "sql": 100, "won": 30, "contact_rate": 0.41667, "sql_rate": 0.4, "win_rate": 0.3,
     "median_cycle_days": 28, "revenue": 120000,
     "vs_team": {"contact_rate": {"team_median": 0.35, "difference": 0.06667}}},
    {"source": "hubspot", "owner_id": "102", "name": "Ben Ode", "leads": 600, "contacted": 155,
     "sql": 50, "won": 15, "contact_rate": 0.25833, "sql_rate": 0.32258, "win_rate": 0.3,
     "median_cycle_days": 40, "revenue": 53000.5}],
  "data_quality": {"contacts_without_owner": {"count": 3, "examples": ["hubspot:7", "hubspot:9", "hubspot:12"]},
                   "contacts_without_email": {"count": 0, "examples": []},
                   "duplicate_emails_within_source": {"count": 2, "contacts": 5, "examples": ["a@example.com"]}},
  "customers": {"customers": 45, "repeat_customers": 6, "repeat_rate": 0.13333,
                "referral_leads": 96, "referral_share": 0.08, "referral_channels": ["REFERRALS"]}
})json";

// The text of the element carrying data-metric="key" ("" when absent).
std::string MetricText(const std::string& html, const std::string& key) {
  const size_t at = html.find("data-metric=\"" + key + "\"");
  if (at == std::string::npos) return "";
  const size_t open_end = html.find('>', at);
  const size_t close = html.find('<', open_end);
  return html.substr(open_end + 1, close - open_end - 1);
}

// The opening tag of that element, for its classes.
std::string MetricTag(const std::string& html, const std::string& key) {
  const size_t at = html.find("data-metric=\"" + key + "\"");
  if (at == std::string::npos) return "";
  const size_t start = html.rfind('<', at);
  return html.substr(start, html.find('>', at) - start + 1);
}

std::string Render(const std::string& json) {
  Result<std::string> html = RenderHtmlReport(json);
  REQUIRE(html.ok());
  return *html;
}

TEST_CASE("Every number of the snapshot is shown in the element that names its path",
          "[audit][html]") {
  const std::string html = Render(kSnapshot);
  struct Case {
    const char* key;
    const char* text;
  };
  const Case cases[] = {
      {"funnel.leads", "1,200"},
      {"funnel.mql", "540"},
      {"funnel.won", "45"},
      {"funnel.rates.lead_to_mql", "45.0%"},
      {"funnel.rates.contacted_to_sql", "37.0%"},
      {"funnel.rates.lead_to_won", "3.8%"},
      {"lead_volume.average", "262.5"},
      {"lead_volume.trend", "−4.3"},
      {"lead_volume.series[2026-01-12T00:00:00.000Z].leads", "275"},
      {"lead_volume.series[2026-02-02T00:00:00.000Z].leads", "150"},
      {"channels[PAID_SEARCH].leads", "800"},
      {"channels[PAID_SEARCH].revenue", "155,000"},
      {"channels[PAID_SEARCH].return_on_spend", "3.10×"},
      {"channels[EVENTS].revenue", "18,001"},
      {"channels[EVENTS].return_on_spend", "1.50×"},
      {"channels[ORGANIC].return_on_spend", "–"},
      {"channels[ORGANIC].lead_to_won", "–"},
      {"cycle_time_days.all.mean", "38.3"},
      {"cycle_time_days.all.p90", "72.5"},
      {"cycle_time_days.by_channel[PAID_SEARCH].median", "29.5"},
      {"cycle_time_days.by_channel[EVENTS].median", "–"},
      {"cycle_time_days.between_stages.sql_to_won.median", "10.0"},
      {"revenue.total", "173,001"},
      {"revenue.average_won_deal", "3,844"},
      {"email.median_open_rate", "25.0%"},
      {"email.campaigns[mailchimp/c1].delivered", "980"},
      {"email.campaigns[mailchimp/c2].open_rate", "10.0%"},
      {"email.campaigns[mailchimp/c2].click_rate", "1.0%"},
      {"reps[hubspot/101].contact_rate", "41.7%"},
      {"reps[hubspot/102].revenue", "53,001"},
      {"reps.team_median.contact_rate", "35.0%"},
      {"reps.team_median.median_cycle_days", "34.0"},
      {"capacity.capacity_per_period", "100"},
      {"capacity.incoming_per_period", "262.5"},
      {"capacity.surplus_per_period", "162.5"},
      {"capacity.reps_to_hire", "7"},
      {"data_quality.contacts_without_owner.count", "3"},
      {"data_quality.duplicate_emails_within_source.count", "2"},
      {"data_quality.duplicate_emails_within_source.contacts", "5"},
      {"customers.repeat_rate", "13.3%"},
      {"customers.referral_leads", "96"},
  };
  for (const Case& c : cases) {
    INFO(c.key);
    CHECK(MetricText(html, c.key) == c.text);
  }
  CHECK(html.find("data-value=\"1200\"") != std::string::npos);
  CHECK(html.find("<code>hubspot:9</code>") != std::string::npos);
}

TEST_CASE("Won leads, the customer base and won deals each keep one name, explained",
          "[audit][html]") {
  const std::string html = Render(kSnapshot);
  // The headline card of funnel.won is "Won leads", never "Customers".
  const size_t card = html.find("data-summary=\"funnel.won\"");
  REQUIRE(card != std::string::npos);
  const size_t label = html.rfind("<div class=\"label\">", card);
  REQUIRE(label != std::string::npos);
  CHECK(html.substr(label, card - label).find(">Won leads</div>") != std::string::npos);
  CHECK_THAT(html, Catch::Contains("leads of the window that became customers"));
  CHECK_THAT(html, Catch::Contains("<div class=\"label\">Customer base</div>"));
  CHECK_THAT(html,
             Catch::Contains(
                 "contacts who are customers by the window&#39;s end, whenever they were won"));
  CHECK_THAT(html, Catch::Contains("<th>Won leads</th>"));
  CHECK_THAT(html, Catch::Contains("Won deals: "));
  CHECK_THAT(html, !Catch::Contains(">Customers</div>"));
}

TEST_CASE("The forecast section shows the interval next to how often its backtest held",
          "[audit][html]") {
  const std::string html = Render(R"({"lead_volume": {"period": "week"},
    "forecast": {"leads": 96, "expected_customers": 18.75, "currency": "USD",
      "interval": {"low": 13, "high": 25, "level": 0.8}, "expected_revenue": 56250.5,
      "backtest": {"periods": 20, "covered": 17, "coverage": 0.85, "level": 0.8,
                   "period": "month", "reason": ""}}})");
  CHECK(MetricText(html, "forecast.leads") == "96");
  CHECK(MetricText(html, "forecast.expected_customers") == "18.8");
  CHECK(MetricText(html, "forecast.interval.low") == "13");
  CHECK(MetricText(html, "forecast.interval.high") == "25");
  CHECK(MetricText(html, "forecast.backtest.coverage") == "85.0%");
  CHECK(MetricText(html, "forecast.backtest.periods") == "20");
  CHECK_THAT(html, Catch::Contains("80.0% interval"));
  CHECK_THAT(html, Catch::Contains("What one week&#39;s leads") ||
                       Catch::Contains("What one week's leads"));

  // Too few past months: the reason instead of a coverage.
  const std::string few = Render(R"({"forecast": {"leads": 5, "expected_customers": 1,
      "interval": {"low": 0, "high": 2, "level": 0.8},
      "backtest": {"periods": 2, "covered": 2, "coverage": null, "level": 0.8,
                   "reason": "2 past months; 6 needed"}}})");
  CHECK(MetricText(few, "forecast.backtest.coverage") == "–");
  CHECK_THAT(few, Catch::Contains("2 past months; 6 needed"));
  CHECK_THAT(Render("{}"), Catch::Contains("n/a: no complete period in the window."));
}

TEST_CASE("Findings are marked only where the snapshot flags them", "[audit][html]") {
  const std::string html = Render(kSnapshot);
  struct Case {
    const char* key;
    const char* css;
    bool marked;
  };
  const Case cases[] = {
      {"channels[EVENTS].return_on_spend", "bad", true},
      {"channels[PAID_SEARCH].return_on_spend", "bad", false},
      {"channels[WEBINAR].return_on_spend", "bad", true},
      {"channels[ORGANIC].return_on_spend", "bad", false},
      {"email.campaigns[mailchimp/c2].open_rate", "bad", true},
      {"email.campaigns[mailchimp/c1].open_rate", "bad", false},
      {"data_quality.contacts_without_owner.count", "warn", true},
      {"data_quality.contacts_without_email.count", "warn", false},
  };
  for (const Case& c : cases) {
    INFO(c.key);
    const std::string tag = MetricTag(html, c.key);
    REQUIRE_FALSE(tag.empty());
    CHECK((tag.find(std::string(" ") + c.css) != std::string::npos) == c.marked);
  }
  CHECK(html.find("channels under 1.60× are marked") != std::string::npos);
  CHECK(html.find("below target</span>") != std::string::npos);
  CHECK(html.find("underperforming</span>") != std::string::npos);
  // Why it is flagged, visible under the name (not only in a tooltip).
  CHECK(html.find("<div class=\"sub why\">open rate 10.0% is below &lt;30%&gt;; click rate 1.0% "
                  "is below 5.0%</div>") != std::string::npos);
  CHECK(html.find("MQLs stall</span>") != std::string::npos);
  CHECK(html.find("More leads come in than the team can work.") != std::string::npos);
}

TEST_CASE("Strings from the data are escaped and cannot inject markup", "[audit][html]") {
  const std::string hostile = R"(<script>alert(1)</script>&\")";
  const std::string json = std::string(R"({"channels":[{"channel":")") + hostile +
                           R"(","leads":3,"return_on_spend":1}],)" +
                           R"("email":{"campaigns":[{"source":"m","id":"x\"><img src=x>",)" +
                           R"("name":"<img src=x onerror=alert(2)>","sent":1}]},)" +
                           R"("reps":[{"owner_id":"1","name":"O'Brien <b>"}]})";
  const std::string html = Render(json);
  CHECK(html.find("<script") == std::string::npos);
  CHECK(html.find("<img") == std::string::npos);
  CHECK(html.find("<b>") == std::string::npos);
  CHECK(html.find("&lt;script&gt;alert(1)&lt;/script&gt;&amp;&quot;") != std::string::npos);
  CHECK(html.find("O&#39;Brien &lt;b&gt;") != std::string::npos);
  CHECK(MetricText(html, "channels[&lt;script&gt;alert(1)&lt;/script&gt;&amp;&quot;].leads") ==
        "3");
  CHECK(MetricText(html, "email.campaigns[m/x&quot;&gt;&lt;img src=x&gt;].sent") == "1");
}

TEST_CASE("The page needs nothing outside itself: no scripts, links or remote references",
          "[audit][html]") {
  const std::string html = Render(kSnapshot);
  for (const char* forbidden : {"<script", "http://", "https://", "src=", "href=", "<link",
                                "@import", "<iframe", "<img", "<object", "<embed"}) {
    INFO(forbidden);
    CHECK(html.find(forbidden) == std::string::npos);
  }
  // The only url() is the hatch pattern defined in the page itself.
  CHECK(html.find("url(#hatch)") != std::string::npos);
  CHECK(html.find("url(", html.find("url(#hatch)") + 1) == std::string::npos);
  CHECK(html.rfind("<!DOCTYPE html>", 0) == 0);
  CHECK(html.find("<meta charset=\"utf-8\">") != std::string::npos);
}

TEST_CASE("Data-quality examples with an https URL link to the record and leak no referrer",
          "[audit][html]") {
  const std::string html = Render(R"json({"data_quality": {
    "contacts_without_owner": {"count": 3, "examples": ["crm:7", "crm:9", "crm:12"],
      "example_urls": {"crm:7": "https://app.hubspot.com/contacts/42/record/0-1/7?a=1&b=\"<x>",
                       "crm:9": "javascript:alert(1)"}}}})json");
  // The URL escaped inside the attribute; the id as the link's text.
  CHECK_THAT(html,
             Catch::Contains("<a href=\"https://app.hubspot.com/contacts/42/record/0-1/"
                             "7?a=1&amp;b=&quot;&lt;x&gt;\" rel=\"noreferrer\" target=\"_blank\">"
                             "<code>crm:7</code></a>"));
  // Anything but https stays text, as do examples without a URL.
  CHECK(html.find("javascript:") == std::string::npos);
  CHECK_THAT(html, Catch::Contains("<code>crm:9</code> <code>crm:12</code>"));
  CHECK(html.find("href=") == html.rfind("href="));
}

TEST_CASE("The lead-volume key names the average's line outside the chart, hatching only if used",
          "[audit][html]") {
  const std::string partial = Render(kSnapshot);
  const size_t legend = partial.find("<div class=\"legend\">");
  REQUIRE(legend != std::string::npos);
  CHECK(legend < partial.find("<svg class=\"chart volume\""));
  CHECK_THAT(partial, Catch::Contains("average per complete week</span>") &&
                          Catch::Contains("partial week</span>"));
  // The chart itself holds no text for the average.
  const size_t chart = partial.find("<svg class=\"chart volume\"");
  const std::string svg = partial.substr(chart, partial.find("</svg>", chart) - chart);
  CHECK(svg.find("average") == std::string::npos);

  const std::string complete = Render(R"json({"lead_volume": {"period": "week", "average": 5,
    "series": [{"start": "2026-01-05T00:00:00.000Z", "leads": 5, "complete": true}]}})json");
  CHECK_THAT(complete, Catch::Contains("average per complete week</span>"));
  CHECK_THAT(complete, !Catch::Contains("partial week</span>"));
}

TEST_CASE("The Content table shows each campaign's clickers against the others, as the text does",
          "[audit][html]") {
  const std::string html = Render(R"json({"content": {"min_sample": 30, "campaigns": [
    {"source": "hubspot", "id": "881", "name": "Case <study>",
     "mql_to_contacted": {"clicked_between_mql_and_contacted": {"contacts": 40, "converted": 30, "rate": 0.75},
                          "did_not_click": {"contacts": 200, "converted": 100, "rate": 0.5},
                          "lift": 0.25, "insufficient_sample": false},
     "sql_to_won": {"clicked_between_sql_and_won": {"contacts": 4, "converted": 1, "rate": 0.25},
                    "did_not_click": {"contacts": 50, "converted": 10, "rate": 0.2},
                    "lift": null, "insufficient_sample": true}}]}})json");
  const std::string key = "content.campaigns[hubspot/881].";
  CHECK(MetricText(html, key + "mql_to_contacted.clicked_between_mql_and_contacted.rate") ==
        "75.0%");
  CHECK(MetricText(html, key + "mql_to_contacted.clicked_between_mql_and_contacted.contacts") ==
        "40");
  CHECK(MetricText(html, key + "mql_to_contacted.did_not_click.rate") == "50.0%");
  CHECK(MetricText(html, key + "mql_to_contacted.lift") == "+25.0 pts");
  CHECK(MetricText(html, key + "sql_to_won.did_not_click.contacts") == "50");
  // Groups under the minimum make no claim, as in the text output.
  CHECK(MetricText(html, key + "sql_to_won.lift").empty());
  CHECK_THAT(html, Catch::Contains("<span class=\"na\">too few</span>"));
  CHECK_THAT(html, Catch::Contains("groups under 30 contacts make no claim"));
  CHECK_THAT(html, Catch::Contains("Case &lt;study&gt;"));
  // Column heads as the text table's: each stage, clicked and did not click.
  CHECK_THAT(html, Catch::Contains("MQL to contacted</th>") && Catch::Contains("SQL to won</th>") &&
                       Catch::Contains("<th>Clicked</th><th>Did not click</th>"));
}

TEST_CASE("The dashboard adds sync status, active alerts and a self-refresh to the report",
          "[audit][html]") {
  const std::string status = R"({"connectors":[
      {"name":"crm","type":"hubspot","streams":[
        {"stream":"contacts","rows":1200,"last_success_at":"2026-04-01T08:55:00.000Z",
         "cursor_state":"changes through 2026-04-01T08:54:00.000Z <x>","last_error":null},
        {"stream":"deals","rows":80,"last_success_at":null,
         "last_error":"HTTP 503 <from the API>","last_error_at":"2026-04-01T08:56:00.000Z"}]}],
    "snapshot":{"id":42,"computed_at":"2026-04-01T09:00:00.000Z"},
    "alerts":{"firing":1,"pending":0,"active":[
      {"rule":"sync-stale","connector":"crm","phase":"firing","summary":"Connector crm is stale"}]}})";
  auto html = RenderHtmlReport(kSnapshot, {.status_json = status, .refresh_seconds = 30});
  REQUIRE(html.ok());
  CHECK(html->find("<meta http-equiv=\"refresh\" content=\"30\">") != std::string::npos);
  const size_t section = html->find("<section id=\"sync-status\">");
  REQUIRE(section != std::string::npos);
  CHECK(section < html->find("<section id=\"funnel\">"));
  CHECK(html->find("1 stream(s) failing. Latest snapshot #42 at 2026-04-01 09:00 UTC.") !=
        std::string::npos);
  const size_t contacts = html->find("data-stream=\"crm/contacts\"");
  REQUIRE(contacts != std::string::npos);
  CHECK(html->substr(contacts, 200).find("1,200") != std::string::npos);
  // The cursor in words, as `salesaudit status` says it, escaped.
  CHECK(html->substr(contacts, 400).find("changes through 2026-04-01T08:54:00.000Z &lt;x&gt;") !=
        std::string::npos);
  const size_t deals = html->find("data-stream=\"crm/deals\"");
  REQUIRE(deals != std::string::npos);
  CHECK(html->substr(deals, 400).find("never") != std::string::npos);
  CHECK(html->find("HTTP 503 &lt;from the API&gt;") != std::string::npos);
  CHECK(html->find("data-alert=\"sync-stale (crm)\"") != std::string::npos);
  CHECK(html->find("Connector crm is stale") != std::string::npos);

  // Without options it is the plain report: no refresh, no status.
  const std::string plain = Render(kSnapshot);
  CHECK(plain.find("http-equiv") == std::string::npos);
  CHECK(plain.find("sync-status") == std::string::npos);
  CHECK_FALSE(RenderHtmlReport(kSnapshot, {.status_json = "[1]"}).ok());
}

TEST_CASE("Missing sections and values show n/a and null values a dash", "[audit][html]") {
  SECTION("an object with no sections") {
    const std::string html = Render(R"({"schema_version":1})");
    for (const char* section : {"funnel", "lead_volume", "channels", "cycle_time_days", "email",
                                "reps", "capacity", "data_quality", "customers"}) {
      INFO(section);
      CHECK(html.find(std::string("data-missing=\"") + section + "\"") != std::string::npos);
    }
  }
  SECTION("sections with values missing or null") {
    const std::string html = Render(
        R"({"funnel":{"leads":10,"mql":0,"rates":{"lead_to_mql":0,"mql_to_contacted":null}},)"
        R"("capacity":{"reps":2,"shortfall_per_period":null},"lead_volume":{"series":[]}})");
    struct Case {
      const char* key;
      const char* text;
    };
    const Case cases[] = {
        {"funnel.leads", "10"},
        {"funnel.contacted", "n/a"},
        {"funnel.rates.lead_to_mql", "0.0%"},
        {"funnel.rates.mql_to_contacted", "–"},
        {"funnel.rates.sql_to_won", "n/a"},
        {"capacity.reps", "2"},
        {"capacity.shortfall_per_period", "–"},
        {"capacity.reps_needed", "n/a"},
        {"lead_volume.average", "n/a"},
    };
    for (const Case& c : cases) {
      INFO(c.key);
      CHECK(MetricText(html, c.key) == c.text);
    }
  }
}

TEST_CASE("Text that is not a JSON object is an invalid argument", "[audit][html]") {
  for (const char* input : {"", "{", "not json", "[1,2]", "42"}) {
    INFO(input);
    Result<std::string> html = RenderHtmlReport(input);
    REQUIRE_FALSE(html.ok());
    CHECK(html.status().code() == StatusCode::kInvalidArgument);
  }
}

}  // namespace
}  // namespace salesaudit
