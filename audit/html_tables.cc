#include "audit/html_tables.h"

#include <rapidjson/document.h>

#include <algorithm>
#include <iterator>
#include <optional>
#include <string_view>
#include <vector>

#include "audit/labels.h"
#include "audit/statistics.h"
#include "core/json_reader.h"
#include "core/text_util.h"

namespace salesaudit::html {
namespace {

// Below this return on spend a channel is flagged when the snapshot carries
// neither a per-channel flag nor a target (the issue's 2:1 default).
constexpr double kDefaultReturnOnSpendTarget = 2.0;

// "email.campaigns[mailchimp/a41f]": a campaign's data-metric prefix in
// `section`, by its position when it has no id.
std::string CampaignKey(std::string_view section, const Json& campaign, rapidjson::SizeType index) {
  const std::string id = GetText(&campaign, "id");
  return std::string(section) + ".campaigns[" +
         (id.empty() ? std::to_string(index) : GetText(&campaign, "source") + "/" + id) + "]";
}

struct RepColumn {
  const char* key;
  const char* label;
  Unit unit;
  bool compare;  // shown against the team median
  bool lower_is_better;
};

constexpr RepColumn kRepColumns[] = {
    {"leads", "Leads", Unit::kCount, false, false},
    {"contacted", "Contacted", Unit::kCount, false, false},
    {"sql", "SQL", Unit::kCount, false, false},
    {"won", "Won leads", Unit::kCount, false, false},
    {"contact_rate", "Contact rate", Unit::kRate, true, false},
    {"sql_rate", "SQL rate", Unit::kRate, true, false},
    {"win_rate", "Win rate", Unit::kRate, true, false},
    {"median_cycle_days", "Median days", Unit::kDays, true, true},
    {"revenue", "Revenue", Unit::kMoney, false, false},
};

// "+4.1 pp" against the team, red when the rep is on the worse side.
std::string VersusTeam(const RepColumn& col, std::optional<double> value,
                       std::optional<double> team) {
  if (!value || !team) return "";
  const double delta = *value - *team;
  const bool worse = col.lower_is_better ? delta > 1e-9 : delta < -1e-9;
  std::string text =
      col.unit == Unit::kRate ? Fixed(delta * 100, 1) + " pp" : Fixed(delta, 1) + " d";
  if (delta > 1e-9) text = "+" + text;
  return "<div class=\"vs" + std::string(worse ? " bad" : "") + "\">" + text + "</div>";
}

// Example ids as shown: strings, numbers, or {source, id} objects.
std::string ExampleText(const Json& e) {
  if (e.IsObject()) {
    const std::string source = GetText(&e, "source");
    std::string id = GetText(&e, "id");
    if (id.empty()) id = GetText(&e, "email");
    return source.empty() ? id : source + "/" + id;
  }
  return Text(&e);
}

// An example id, as a link to the record's page in its CRM when the
// snapshot gives one. Only https URLs become links: a snapshot is data, and
// a javascript: or data: URL in it must not turn into something to click.
std::string ExampleHtml(const std::string& id, const std::string& url) {
  const std::string code = "<code>" + HtmlEscape(id) + "</code>";
  if (url.rfind("https://", 0) != 0) return code;
  return "<a href=\"" + HtmlEscape(url) + "\" rel=\"noreferrer\" target=\"_blank\">" + code +
         "</a>";
}

const Json* ExamplesOf(const Json& check) {
  for (const char* k : {"examples", "example_ids", "ids"}) {
    if (const Json* a = GetArray(&check, k)) return a;
  }
  return nullptr;
}

// One table row per check, found at any depth: {count, examples} objects and
// bare numbers. `path` is the JSON path below data_quality.
void CollectChecks(const Json& value, const std::string& path, const std::string& label, int depth,
                   std::string& rows) {
  constexpr size_t kMaxExamples = 5;
  if (value.IsNumber() || value.IsNull()) {
    rows += "<tr><td>" + HtmlEscape(label) + "</td><td>" +
            Metric("data_quality." + path, &value, UnitForKey(path),
                   value.IsNumber() && value.GetDouble() > 0 ? "warn" : "") +
            "</td><td></td></tr>\n";
    return;
  }
  if (!value.IsObject() || depth > 3) return;
  if (GetMember(&value, "count") != nullptr) {
    const Json* count = GetMember(&value, "count");
    std::string examples;
    if (const Json* list = ExamplesOf(value)) {
      const Json* urls = GetMember(&value, "example_urls");
      size_t shown = 0;
      for (const Json& e : list->GetArray()) {
        if (shown++ == kMaxExamples) break;
        const std::string id = ExampleText(e);
        examples += ExampleHtml(id, e.IsString() ? GetText(urls, id) : "") + " ";
      }
    }
    // Duplicates count emails with the contacts sharing them alongside;
    // unmatched email events, with the addresses they went to.
    for (const char* also : {"contacts", "recipients"}) {
      if (const Json* n = GetMember(&value, also)) {
        examples = "<span class=\"sub\">" +
                   Metric("data_quality." + path + "." + also, n, Unit::kCount) + " " + also +
                   "</span> " + examples;
      }
    }
    const bool issue = count->IsNumber() && count->GetDouble() > 0;
    rows += "<tr><td>" + HtmlEscape(label) + "</td><td>" +
            Metric("data_quality." + path + ".count", count, Unit::kCount, issue ? "warn" : "") +
            "</td><td class=\"examples\">" + examples + "</td></tr>\n";
    return;
  }
  for (const auto& m : value.GetObject()) {
    const std::string key(m.name.GetString(), m.name.GetStringLength());
    CollectChecks(m.value, path.empty() ? key : path + "." + key,
                  label.empty() ? Humanize(key) : label + ": " + Humanize(key), depth + 1, rows);
  }
}

void CollectFigures(const Json& value, const std::string& path, const std::string& label, int depth,
                    std::string& cards) {
  if (value.IsNumber() || value.IsNull()) {
    // A labelled quantity keeps its one name ("Customer base"), with what it counts.
    const QuantityLabel* known = FindQuantityLabel("customers." + path);
    cards += Stat(HtmlEscape(known != nullptr ? std::string(known->name) : label),
                  Metric("customers." + path, &value, UnitForKey(path)), "",
                  known != nullptr ? HtmlEscape(std::string(known->meaning)) : "") +
             "\n";
    return;
  }
  if (!value.IsObject() || depth > 2) return;
  for (const auto& m : value.GetObject()) {
    const std::string key(m.name.GetString(), m.name.GetStringLength());
    CollectFigures(m.value, path.empty() ? key : path + "." + key,
                   label.empty() ? Humanize(key) : label + ": " + Humanize(key), depth + 1, cards);
  }
}

}  // namespace

std::string RenderChannels(const Json& root) {
  const char* kTitle = "Channels";
  const Json* channels = GetArray(&root, "channels");
  double target = kDefaultReturnOnSpendTarget;
  const Json* revenue = GetMember(&root, "revenue");
  if (std::optional<double> t = GetDouble(revenue, "return_on_spend_target")) target = *t;
  const std::string lede =
      "Conversion of each acquisition channel's leads, and the revenue won "
      "against the spend on it; channels whose MQLs stall are marked. Return on spend = revenue ÷ "
      "spend; "
      "channels under " +
      FormatNumber(target, Unit::kRatio) + " are marked.";
  if (channels == nullptr) return Section("channels", kTitle, lede, MissingSection("channels"));
  std::string t;
  if (revenue != nullptr) {
    const Json* unit = GetMember(revenue, "currency");
    t += "<div class=\"inline-stats\"><span>Revenue won: " +
         MoneyMetric("revenue.total", revenue, "total", unit) + "</span><span>Won deals: " +
         Metric("revenue.won_deals", GetMember(revenue, "won_deals"), Unit::kCount) +
         "</span><span>Average won deal: " +
         MoneyMetric("revenue.average_won_deal", revenue, "average_won_deal", unit) +
         "</span><span>Not attributed to a channel: " +
         MoneyMetric("revenue.unattributed", revenue, "unattributed", unit) + "</span></div>\n";
    if (GetBool(revenue, "converted").value_or(false)) {
      std::string rates;
      if (const Json* used = GetMember(revenue, "rates_used");
          used != nullptr && used->IsObject()) {
        for (const auto& m : used->GetObject()) {
          rates += std::string(rates.empty() ? "" : ", ") + "1 " +
                   HtmlEscape(std::string(m.name.GetString(), m.name.GetStringLength())) + " = " +
                   HtmlEscape(Text(&m.value)) + " " + HtmlEscape(Text(unit));
        }
      }
      t += "<p class=\"foot\" data-converted>Amounts converted to " + HtmlEscape(Text(unit)) +
           " at the rates in the config: " + rates + ".</p>\n";
    }
  }
  t += "<table>\n<thead><tr><th>Channel</th><th>Leads</th><th>MQL</th><th>Contacted</th>"
       "<th>SQL</th><th>Won leads</th><th>Lead to won</th><th>Revenue</th><th>Spend</th>"
       "<th>Return on spend</th></tr></thead>\n<tbody>\n";
  for (const Json& c : channels->GetArray()) {
    const std::string raw = GetText(&c, "channel");
    const std::string key = "channels[" + raw + "]";
    const Json* ros = GetMember(&c, "return_on_spend");
    bool stalls = GetBool(&c, "mql_stalls").value_or(false);
    if (const Json* stalling = GetArray(GetMember(&root, "lead_quality"), "stalling_channels")) {
      for (const Json& s : stalling->GetArray()) stalls = stalls || Text(&s) == raw;
    }
    bool below = false;
    if (std::optional<bool> flag = GetBool(&c, "below_target")) {
      below = *flag;
    } else if (ros != nullptr && ros->IsNumber()) {
      below = ros->GetDouble() < target;
    }
    t += std::string("<tr") + (below ? " class=\"flagged\"" : "") + "><td title=\"" +
         HtmlEscape(raw) + "\">" + HtmlEscape(Humanize(raw)) +
         (stalls ? " " + Badge("MQLs stall", "warn", "MQLs of this channel rarely become SQLs")
                 : std::string()) +
         "</td>";
    for (const char* k : {"leads", "mql", "contacted", "sql", "won"}) {
      t += "<td>" + Metric(key + "." + k, GetMember(&c, k), Unit::kCount) + "</td>";
    }
    t += "<td>" + Metric(key + ".lead_to_won", GetMember(&c, "lead_to_won"), Unit::kRate) + "</td>";
    t += "<td>" + MoneyMetric(key + ".revenue", &c, "revenue", GetMember(&c, "currency")) + "</td>";
    t += "<td>" + MoneyMetric(key + ".spend", &c, "spend", GetMember(&c, "currency")) + "</td>";
    t += "<td>" + std::string(below ? Badge("below target", "bad") + " " : "") +
         Metric(key + ".return_on_spend", ros, Unit::kRatio, below ? "bad" : "") + "</td></tr>\n";
  }
  t += "</tbody>\n</table>\n";
  if (channels->Empty()) t += "<p class=\"na\">No channels in the window.</p>\n";
  return Section("channels", kTitle, lede, t);
}

std::string RenderEmail(const Json& root) {
  const char* kTitle = "Email campaigns";
  const char* kLede =
      "Unique human opens and clicks over delivered (machine opens excluded), and leads created "
      "after a click. Campaigns below the campaigns' median or the configured floors are marked.";
  const Json* email = GetMember(&root, "email");
  if (email == nullptr) return Section("email", kTitle, kLede, MissingSection("email"));
  std::string body;
  if (GetMember(email, "median_open_rate") != nullptr ||
      GetMember(email, "median_click_rate") != nullptr) {
    body += "<div class=\"inline-stats\"><span>Median open rate: " +
            Metric("email.median_open_rate", GetMember(email, "median_open_rate"), Unit::kRate) +
            "</span><span>Median click rate: " +
            Metric("email.median_click_rate", GetMember(email, "median_click_rate"), Unit::kRate) +
            "</span></div>\n";
  }
  const Json* campaigns = GetArray(email, "campaigns");
  if (campaigns == nullptr)
    return Section("email", kTitle, kLede, body + MissingSection("email.campaigns"));
  std::string t =
      "<table>\n<thead><tr><th>Campaign</th><th>Sent</th><th>Delivered</th><th>Opened</th>"
      "<th>Clicked</th><th>Open rate</th><th>Click rate</th><th>Leads</th><th></th></tr></thead>\n"
      "<tbody>\n";
  rapidjson::SizeType index = 0;
  for (const Json& c : campaigns->GetArray()) {
    const std::string source = GetText(&c, "source");
    const std::string id = GetText(&c, "id");
    const std::string key = CampaignKey("email", c, index++);
    const bool under = GetBool(&c, "underperforming").value_or(false);
    bool open_low = false;
    bool click_low = false;
    std::string reasons;
    if (const Json* list = GetArray(&c, "underperforming_reasons")) {
      for (const Json& r : list->GetArray()) {
        const std::string reason = Text(&r);
        open_low = open_low || reason.rfind("open_rate", 0) == 0;
        click_low = click_low || reason.rfind("click_rate", 0) == 0;
        reasons += (reasons.empty() ? "" : "; ") + Humanize(reason);
      }
    }
    // Why, in words (snapshots from before the sentences have only tokens).
    std::string why;
    if (const Json* list = GetArray(&c, "underperforming_why")) {
      for (const Json& w : list->GetArray()) why += (why.empty() ? "" : "; ") + Text(&w);
    }
    if (!why.empty()) reasons = why;
    std::string name = GetText(&c, "name");
    if (name.empty()) name = id;
    std::string detail = source;
    const std::string kind = GetText(&c, "kind");
    if (!kind.empty()) detail += (detail.empty() ? "" : " · ") + kind;
    t += std::string("<tr") + (under ? " class=\"flagged\"" : "") + "><td><div class=\"name\">" +
         HtmlEscape(name) + "</div>" +
         (detail.empty() ? "" : "<div class=\"sub\">" + HtmlEscape(detail) + "</div>") +
         (under ? "<div class=\"sub why\">" + HtmlEscape(reasons) + "</div>" : "") + "</td>";
    for (const char* k : {"sent", "delivered", "opened", "clicked"}) {
      t += "<td>" + Metric(key + "." + k, GetMember(&c, k), Unit::kCount) + "</td>";
    }
    t +=
        "<td>" +
        Metric(key + ".open_rate", GetMember(&c, "open_rate"), Unit::kRate, open_low ? "bad" : "") +
        "</td>";
    t += "<td>" +
         Metric(key + ".click_rate", GetMember(&c, "click_rate"), Unit::kRate,
                click_low ? "bad" : "") +
         "</td>";
    t += "<td>" + Metric(key + ".leads", GetMember(&c, "leads"), Unit::kCount) + "</td>";
    t += "<td>" + (under ? Badge("underperforming", "bad", reasons) : std::string()) +
         "</td></tr>\n";
  }
  t += "</tbody>\n</table>\n";
  if (campaigns->Empty()) t += "<p class=\"na\">No campaigns sent in the window.</p>\n";

  if (const Json* flows = GetArray(email, "flows"); flows != nullptr && !flows->Empty()) {
    t += "<h3>By flow</h3>\n<table>\n<thead><tr><th>Flow</th><th>Campaigns</th><th>Delivered</th>"
         "<th>Opened</th><th>Clicked</th><th>Open rate</th><th>Click rate</th><th>Leads</th></tr>"
         "</thead>\n<tbody>\n";
    for (const Json& f : flows->GetArray()) {
      const std::string kind = GetText(&f, "kind");
      const std::string key = "email.flows[" + kind + "]";
      t += "<tr><td>" + HtmlEscape(kind.empty() ? "(no kind)" : Humanize(kind)) + "</td>";
      for (const char* k : {"campaigns", "delivered", "opened", "clicked"}) {
        t += "<td>" + Metric(key + "." + k, GetMember(&f, k), Unit::kCount) + "</td>";
      }
      for (const char* k : {"open_rate", "click_rate"}) {
        t += "<td>" + Metric(key + "." + k, GetMember(&f, k), Unit::kRate) + "</td>";
      }
      t += "<td>" + Metric(key + ".leads", GetMember(&f, "leads"), Unit::kCount) + "</td></tr>\n";
    }
    t += "</tbody>\n</table>\n";
  }
  return Section("email", kTitle, kLede, body + t);
}

// The text output's Content table (FormatEmailAuditText), with its columns
// and definitions: per campaign, the cohort's contacts who clicked it within
// a stage against those who did not, and how many of each moved on.
std::string RenderContent(const Json& root) {
  const char* kTitle = "Content";
  const Json* content = GetMember(&root, "content");
  const Json* min_sample = GetMember(content, "min_sample");
  const std::string lede =
      "Conversion of contacts who clicked a campaign in the stage against those who did not: "
      "MQLs who clicked between MQL and contacted and went on to be contacted, SQLs who clicked "
      "between SQL and won and were won. Under the clicked group, the difference of the two "
      "rates in percentage points; groups under " +
      (min_sample != nullptr && min_sample->IsNumber()
           ? HtmlEscape(Show(min_sample, Unit::kCount).text)
           : std::string(kNotAvailable)) +
      " contacts make no claim.";
  const Json* campaigns = GetArray(content, "campaigns");
  if (campaigns == nullptr) return Section("content", kTitle, lede, MissingSection("content"));
  struct Stage {
    const char* key;
    const char* label;
    const char* clicked;  // the clicked group's member
  };
  constexpr Stage kContentStages[] = {
      {"mql_to_contacted", "MQL to contacted", "clicked_between_mql_and_contacted"},
      {"sql_to_won", "SQL to won", "clicked_between_sql_and_won"},
  };
  std::string t = "<table class=\"content\">\n<thead><tr><th rowspan=\"2\">Campaign</th>";
  for (const Stage& stage : kContentStages) {
    t += std::string("<th colspan=\"2\" class=\"group\">") + stage.label + "</th>";
  }
  t += "</tr>\n<tr><th>Clicked</th><th>Did not click</th><th>Clicked</th><th>Did not click</th>"
       "</tr></thead>\n<tbody>\n";
  rapidjson::SizeType index = 0;
  for (const Json& c : campaigns->GetArray()) {
    const std::string source = GetText(&c, "source");
    const std::string id = GetText(&c, "id");
    const std::string key = CampaignKey("content", c, index++);
    std::string name = GetText(&c, "name");
    if (name.empty()) name = id;
    t += "<tr><td><div class=\"name\">" + HtmlEscape(name) + "</div>" +
         (source.empty() ? "" : "<div class=\"sub\">" + HtmlEscape(source) + "</div>") + "</td>";
    for (const Stage& stage : kContentStages) {
      const Json* effect = GetMember(&c, stage.key);
      const std::string stage_key = key + "." + stage.key;
      // "45.0% of 40": the group's rate over its size.
      auto group = [&](const char* member) {
        const Json* g = GetMember(effect, member);
        const std::string group_key = stage_key + "." + member;
        return Metric(group_key + ".rate", GetMember(g, "rate"), Unit::kRate) +
               " <span class=\"sub\">of " +
               Metric(group_key + ".contacts", GetMember(g, "contacts"), Unit::kCount) + "</span>";
      };
      const std::string difference =
          GetBool(effect, "insufficient_sample").value_or(false)
              ? std::string("<span class=\"na\">too few</span>")
              : Metric(stage_key + ".lift", GetMember(effect, "lift"), Unit::kPoints);
      t += "<td>" + group(stage.clicked) + "<div class=\"vs\">" + difference + "</div></td>";
      t += "<td>" + group("did_not_click") + "</td>";
    }
    t += "</tr>\n";
  }
  t += "</tbody>\n</table>\n";
  if (campaigns->Empty()) t += "<p class=\"na\">No campaigns sent in the window.</p>\n";
  return Section("content", kTitle, lede, t);
}

std::string RenderReps(const Json& root) {
  const char* kTitle = "Reps";
  const char* kLede =
      "Each owner's leads from the window and how far they got. Under each rate: the gap to the "
      "team median, in red where the rep is behind it.";
  const Json* reps = GetArray(&root, "reps");
  if (reps == nullptr) return Section("reps", kTitle, kLede, MissingSection("reps"));
  // The team medians the snapshot states (vs_team.<column>.team_median), or,
  // from a snapshot without them, the medians of the reps listed.
  std::vector<std::optional<double>> team;
  for (const RepColumn& col : kRepColumns) {
    // A median stated as null stays null: revenue in several currencies has none.
    const Json* stated = nullptr;
    std::vector<double> values;
    for (const Json& r : reps->GetArray()) {
      if (stated == nullptr)
        stated = GetMember(GetMember(GetMember(&r, "vs_team"), col.key), "team_median");
      if (std::optional<double> v = GetDouble(&r, col.key)) values.push_back(*v);
    }
    if (stated != nullptr) {
      team.push_back(stated->IsNumber() ? std::optional<double>(stated->GetDouble())
                                        : std::nullopt);
    } else {
      team.push_back(Median(values));
    }
  }
  std::string t = "<table>\n<thead><tr><th>Rep</th>";
  for (const RepColumn& col : kRepColumns) t += std::string("<th>") + col.label + "</th>";
  t += "</tr></thead>\n<tbody>\n";
  rapidjson::SizeType index = 0;
  for (const Json& r : reps->GetArray()) {
    const std::string source = GetText(&r, "source");
    const std::string owner = GetText(&r, "owner_id");
    const std::string key =
        "reps[" + (owner.empty() ? std::to_string(index) : source + "/" + owner) + "]";
    ++index;
    std::string name = GetText(&r, "name");
    if (name.empty()) name = owner.empty() ? "(no owner)" : owner;
    t += "<tr><td><div class=\"name\">" + HtmlEscape(name) + "</div>" +
         (source.empty() ? "" : "<div class=\"sub\">" + HtmlEscape(source) + "</div>") + "</td>";
    for (size_t i = 0; i < std::size(kRepColumns); ++i) {
      const RepColumn& col = kRepColumns[i];
      t += "<td>" + (col.unit == Unit::kMoney
                         ? MoneyMetric(key + "." + col.key, &r, col.key, GetMember(&r, "currency"))
                         : Metric(key + "." + col.key, GetMember(&r, col.key), col.unit));
      if (col.compare) t += VersusTeam(col, GetDouble(&r, col.key), team[i]);
      t += "</td>";
    }
    t += "</tr>\n";
  }
  if (!reps->Empty()) {
    // The medians go through the same formatting as the snapshot's values.
    t += "<tr class=\"total\"><td>Team median</td>";
    for (size_t i = 0; i < std::size(kRepColumns); ++i) {
      const RepColumn& col = kRepColumns[i];
      Json v;
      if (team[i]) v.SetDouble(*team[i]);
      t += "<td>" + Metric(std::string("reps.team_median.") + col.key, &v, col.unit);
      if (col.unit == Unit::kMoney) {
        // The median's unit, as the snapshot states it with the median.
        const Json* unit = nullptr;
        for (const Json& r : reps->GetArray()) {
          unit = GetMember(GetMember(GetMember(&r, "vs_team"), col.key), "currency");
          if (unit != nullptr) break;
        }
        t += CurrencySuffix(unit, &v);
      }
      t += "</td>";
    }
    t += "</tr>\n";
  }
  t += "</tbody>\n</table>\n";
  if (reps->Empty()) t += "<p class=\"na\">No owners with leads in the window.</p>\n";
  return Section("reps", kTitle, kLede, t);
}

std::string RenderDataQuality(const Json& root) {
  const char* kTitle = "Data quality";
  const char* kLede =
      "Records that make the numbers above less accurate, with a few example ids to start "
      "cleaning from.";
  const Json* quality = GetMember(&root, "data_quality");
  if (quality == nullptr || !quality->IsObject()) {
    return Section("data-quality", kTitle, kLede, MissingSection("data_quality"));
  }
  std::string rows;
  if (const Json* checks = GetArray(quality, "checks")) {
    for (const Json& c : checks->GetArray()) {
      std::string name = GetText(&c, "name");
      if (name.empty()) name = GetText(&c, "check");
      CollectChecks(c, name, Humanize(name), 1, rows);
    }
  } else {
    CollectChecks(*quality, "", "", 0, rows);
  }
  if (rows.empty()) {
    return Section("data-quality", kTitle, kLede, "<p class=\"na\">n/a: no checks reported.</p>\n");
  }
  return Section("data-quality", kTitle, kLede,
                 "<table class=\"checks\">\n<thead><tr><th>Check</th><th>Count</th>"
                 "<th class=\"examples\">Examples</th></tr></thead>\n<tbody>\n" +
                     rows + "</tbody>\n</table>\n");
}

std::string RenderCustomers(const Json& root) {
  const char* kTitle = "Customers";
  const char* kLede =
      "Repeat purchases by existing customers and word of mouth feed next year's pipeline.";
  const Json* customers = GetMember(&root, "customers");
  if (customers == nullptr || !customers->IsObject()) {
    return Section("customers", kTitle, kLede, MissingSection("customers"));
  }
  std::string cards;
  CollectFigures(*customers, "", "", 0, cards);
  if (cards.empty()) return Section("customers", kTitle, kLede, "<p class=\"na\">n/a</p>\n");
  return Section("customers", kTitle, kLede, "<div class=\"cards\">\n" + cards + "</div>\n");
}

std::string RenderForecast(const Json& root) {
  const char* kTitle = "Forecast";
  const std::string lede = "What one " + PeriodWord(root) +
                           "'s leads (the window's average) are expected to bring, from the "
                           "store's matured cohorts; the backtest says how often such intervals "
                           "held the actual won leads of past months.";
  const Json* forecast = GetMember(&root, "forecast");
  if (forecast == nullptr || !forecast->IsObject()) {
    return Section("forecast", kTitle, lede,
                   "<p class=\"na\">n/a: no complete period in the window.</p>\n");
  }
  const Json* interval = GetMember(forecast, "interval");
  const Json* backtest = GetMember(forecast, "backtest");
  const Json* level = GetMember(interval, "level");
  const std::string level_text =
      level != nullptr && level->IsNumber() ? FormatNumber(level->GetDouble(), Unit::kRate) : "";
  std::string cards;
  cards += Stat("Leads", Metric("forecast.leads", GetMember(forecast, "leads"), Unit::kCount), "",
                "one " + PeriodWord(root) + "'s average") +
           "\n";
  cards += Stat("Expected won leads",
                Metric("forecast.expected_customers", GetMember(forecast, "expected_customers"),
                       Unit::kCount),
                "", "of those leads, expected to become customers") +
           "\n";
  cards += Stat(HtmlEscape(level_text) + " interval",
                Metric("forecast.interval.low", GetMember(interval, "low"), Unit::kCount) + " to " +
                    Metric("forecast.interval.high", GetMember(interval, "high"), Unit::kCount),
                "", "won leads") +
           "\n";
  const std::string reason = GetText(backtest, "reason");
  cards +=
      Stat("Intervals that held",
           Metric("forecast.backtest.coverage", GetMember(backtest, "coverage"), Unit::kRate), "",
           reason.empty() ? "of " +
                                Metric("forecast.backtest.periods", GetMember(backtest, "periods"),
                                       Unit::kCount) +
                                " past months"
                          : HtmlEscape(reason)) +
      "\n";
  cards +=
      Stat("Expected revenue", MoneyMetric("forecast.expected_revenue", forecast,
                                           "expected_revenue", GetMember(forecast, "currency"))) +
      "\n";
  return Section("forecast", kTitle, lede, "<div class=\"cards\">\n" + cards + "</div>\n");
}

}  // namespace salesaudit::html
