// The campaign endpoints of MailchimpSim::Impl: GET /campaigns (and one
// campaign) with its report summaries, GET /reports (and one report), and
// GET /reports/{campaign_id}/email-activity.
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <utility>

#include "core/time_util.h"
#include "tests/sim/mailchimp/sim_impl.h"

namespace salesaudit::sim {

auto MailchimpSim::Impl::ReportOf(const MailchimpCampaign& c) const -> CampaignReport {
  CampaignReport r;
  if (c.status != "sent") return r;
  for (const auto& m : members) {
    r.emails_sent += m.list_id == c.list_id && m.status != "cleaned" ? 1 : 0;
  }
  std::set<std::string> openers, clickers;
  std::set<std::pair<std::string, std::string>> link_clicks;
  int64_t last_open_ms = 0, last_click_ms = 0;
  for (const auto& a : activity) {
    if (a.campaign_id != c.id) continue;
    if (a.action == "open") {
      ++r.opens;
      openers.insert(a.email_id);
      if (a.at_ms > last_open_ms) {
        last_open_ms = a.at_ms;
        r.last_open = a.timestamp;
      }
    } else if (a.action == "click") {
      ++r.clicks;
      clickers.insert(a.email_id);
      link_clicks.insert({a.email_id, a.url});
      if (a.at_ms > last_click_ms) {
        last_click_ms = a.at_ms;
        r.last_click = a.timestamp;
      }
    } else if (a.action == "bounce") {
      ++(a.bounce_type == "hard" ? r.hard_bounces : r.soft_bounces);
    }
  }
  r.unique_opens = static_cast<int64_t>(openers.size());
  r.subscriber_clicks = static_cast<int64_t>(clickers.size());
  r.unique_clicks = static_cast<int64_t>(link_clicks.size());
  return r;
}

const MailchimpCampaign* MailchimpSim::Impl::FindCampaign(const std::string& id) const {
  for (const auto& c : campaigns) {
    if (c.id == id) return &c;
  }
  return nullptr;
}

namespace {

double Rate(int64_t part, int64_t whole) {
  return whole > 0 ? static_cast<double>(part) / static_cast<double>(whole) : 0.0;
}

}  // namespace

void MailchimpSim::Impl::WriteCampaign(Writer& w, const MailchimpCampaign& c) const {
  const MailchimpList* list = FindList(c.list_id);
  const CampaignReport report = ReportOf(c);
  Str(w, "id", c.id);
  Num(w, "web_id", 1000 + (&c - campaigns.data()));
  Str(w, "type", c.type);
  Str(w, "create_time", c.create_time);
  Str(w, "archive_url", "http://eepurl.com/" + c.id);
  Str(w, "status", c.status);
  Num(w, "emails_sent", report.emails_sent);
  Str(w, "send_time", c.send_time);
  Str(w, "content_type", "template");
  w.Key("recipients");
  w.StartObject();
  Str(w, "list_id", c.list_id);
  Flag(w, "list_is_active", list != nullptr);
  Str(w, "list_name", list != nullptr ? list->name : "");
  Str(w, "segment_text", "");
  Num(w, "recipient_count", report.emails_sent);
  w.EndObject();
  w.Key("settings");
  w.StartObject();
  Str(w, "subject_line", c.subject_line);
  Str(w, "title", c.title);
  Str(w, "from_name", "Acme");
  Str(w, "reply_to", "news@acme.test");
  w.EndObject();
  w.Key("tracking");
  w.StartObject();
  Flag(w, "opens", true);
  Flag(w, "html_clicks", true);
  Flag(w, "text_clicks", false);
  w.EndObject();
  if (c.status == "sent") {
    // Unique counts are distinct recipients; rates are fractions of the
    // emails sent (docs/vendors/mailchimp.md "Campaigns").
    w.Key("report_summary");
    w.StartObject();
    Num(w, "opens", report.opens);
    Num(w, "unique_opens", report.unique_opens);
    Real(w, "open_rate", Rate(report.unique_opens, report.emails_sent));
    Num(w, "clicks", report.clicks);
    Num(w, "subscriber_clicks", report.subscriber_clicks);
    Real(w, "click_rate", Rate(report.subscriber_clicks, report.emails_sent));
    w.EndObject();
  }
}

void MailchimpSim::Impl::WriteReport(Writer& w, const MailchimpCampaign& c) const {
  const MailchimpList* list = FindList(c.list_id);
  const CampaignReport report = ReportOf(c);
  Str(w, "id", c.id);
  Str(w, "campaign_title", c.title);
  Str(w, "type", c.type);
  Str(w, "list_id", c.list_id);
  Flag(w, "list_is_active", list != nullptr);
  Str(w, "list_name", list != nullptr ? list->name : "");
  Str(w, "subject_line", c.subject_line);
  Num(w, "emails_sent", report.emails_sent);
  Num(w, "abuse_reports", 0);
  Num(w, "unsubscribed", 0);
  Str(w, "send_time", c.send_time);
  w.Key("bounces");
  w.StartObject();
  Num(w, "hard_bounces", report.hard_bounces);
  Num(w, "soft_bounces", report.soft_bounces);
  Num(w, "syntax_errors", 0);
  w.EndObject();
  w.Key("opens");
  w.StartObject();
  Num(w, "opens_total", report.opens);
  Num(w, "unique_opens", report.unique_opens);
  Real(w, "open_rate", Rate(report.unique_opens, report.emails_sent));
  Str(w, "last_open", report.last_open);
  w.EndObject();
  w.Key("clicks");
  w.StartObject();
  Num(w, "clicks_total", report.clicks);
  Num(w, "unique_clicks", report.unique_clicks);
  Num(w, "unique_subscriber_clicks", report.subscriber_clicks);
  Real(w, "click_rate", Rate(report.subscriber_clicks, report.emails_sent));
  Str(w, "last_click", report.last_click);
  w.EndObject();
}

namespace {

const std::vector<std::string> kCampaignTypes = {"regular", "plaintext", "absplit", "rss",
                                                 "variate"};

}  // namespace

auto MailchimpSim::Impl::ListCampaigns(const Query& q) -> Response {
  int count = 0, offset = 0;
  if (auto bad = Paging(q, &count, &offset)) return *bad;
  std::string type, status, sort_field;
  std::optional<int64_t> since_send, before_send, since_create, before_create;
  bool descending = false;
  for (auto bad :
       {QueryEnum(q, "type", kCampaignTypes, &type),
        QueryEnum(q, "status", {"save", "paused", "schedule", "sending", "sent"}, &status),
        QueryEnum(q, "sort_field", {"create_time", "send_time"}, &sort_field),
        SortDescending(q, &descending), QueryTime(q, "since_send_time", &since_send),
        QueryTime(q, "before_send_time", &before_send),
        QueryTime(q, "since_create_time", &since_create),
        QueryTime(q, "before_create_time", &before_create)}) {
    if (bad) return *bad;
  }
  const std::string list_id = q.count("list_id") ? q.at("list_id") : "";
  auto create_ms = [](const MailchimpCampaign* c) {
    return ParseTimestampMs(c->create_time).value_or(0);
  };
  std::vector<const MailchimpCampaign*> rows;
  for (const auto& c : campaigns) {
    if ((!type.empty() && c.type != type) || (!status.empty() && c.status != status) ||
        (!list_id.empty() && c.list_id != list_id)) {
      continue;
    }
    if (since_send && (c.send_time.empty() || c.send_time_ms < *since_send)) continue;
    if (before_send && (c.send_time.empty() || c.send_time_ms >= *before_send)) continue;
    if (since_create && create_ms(&c) < *since_create) continue;
    if (before_create && create_ms(&c) >= *before_create) continue;
    rows.push_back(&c);
  }
  if (sort_field == "send_time") {
    std::stable_sort(rows.begin(), rows.end(),
                     [](auto* a, auto* b) { return a->send_time_ms < b->send_time_ms; });
  } else if (sort_field == "create_time") {
    std::stable_sort(rows.begin(), rows.end(),
                     [&](auto* a, auto* b) { return create_ms(a) < create_ms(b); });
  }
  if (descending) std::reverse(rows.begin(), rows.end());
  return Collection("campaigns", static_cast<int>(rows.size()), offset, count,
                    [&](Writer& w, int i) { WriteCampaign(w, *rows[static_cast<size_t>(i)]); });
}

auto MailchimpSim::Impl::ListReports(const Query& q) -> Response {
  int count = 0, offset = 0;
  if (auto bad = Paging(q, &count, &offset)) return *bad;
  std::string type;
  std::optional<int64_t> since, before;
  for (auto bad :
       {QueryEnum(q, "type", kCampaignTypes, &type), QueryTime(q, "since_send_time", &since),
        QueryTime(q, "before_send_time", &before)}) {
    if (bad) return *bad;
  }
  std::vector<const MailchimpCampaign*> rows;
  for (const auto& c : campaigns) {
    if (c.status != "sent" || (!type.empty() && c.type != type)) continue;
    if ((since && c.send_time_ms < *since) || (before && c.send_time_ms >= *before)) continue;
    rows.push_back(&c);
  }
  return Collection("reports", static_cast<int>(rows.size()), offset, count,
                    [&](Writer& w, int i) { WriteReport(w, *rows[static_cast<size_t>(i)]); });
}

auto MailchimpSim::Impl::EmailActivity(const std::string& campaign_id, const Query& q) -> Response {
  const MailchimpCampaign* campaign = FindCampaign(campaign_id);
  if (campaign == nullptr) return NotFound();
  int count = 0, offset = 0;
  if (auto bad = Paging(q, &count, &offset)) return *bad;
  std::optional<int64_t> since;
  if (auto it = q.find("since"); it != q.end()) {
    stats.since_values.push_back(it->second);
    // Only "YYYY-MM-DDTHH:MM:SSZ" works; the API answered fractions and
    // offsets with 500s (airbyte PR#37434).
    const std::string& s = it->second;
    if (s.size() != 20 || s[10] != 'T' || s[19] != 'Z' || !ParseTimestampMs(s)) {
      return Problem(500, "Internal Server Error",
                     "An unexpected internal error has occurred. Please contact Support.");
    }
    since = ParseTimestampMs(s);
  }
  // Recipients in list order; with `since`, only those with newer activity.
  std::vector<std::pair<std::string, std::vector<const MailchimpActivity*>>> rows;
  std::map<std::string, size_t> row_of;
  for (const auto& m : members) {
    if (m.list_id != campaign->list_id || m.status == "cleaned") continue;
    if (!since) {
      row_of[m.id] = rows.size();
      rows.push_back({m.id, {}});
    }
  }
  for (const auto& a : activity) {
    if (a.campaign_id != campaign_id || (since && a.at_ms <= *since)) continue;
    auto it = row_of.find(a.email_id);
    if (it == row_of.end()) {
      it = row_of.emplace(a.email_id, rows.size()).first;
      rows.push_back({a.email_id, {}});
    }
    rows[it->second].second.push_back(&a);
  }
  std::map<std::string, const MailchimpMember*> member_of;
  for (const auto& m : members) {
    if (m.list_id == campaign->list_id) member_of[m.id] = &m;
  }
  return Collection(
      "emails", static_cast<int>(rows.size()), offset, count,
      [&](Writer& w, int i) {
        const auto& [email_id, acts] = rows[static_cast<size_t>(i)];
        const MailchimpMember* m = member_of[email_id];
        Str(w, "campaign_id", campaign_id);
        Str(w, "list_id", campaign->list_id);
        Flag(w, "list_is_active", true);
        Str(w, "email_id", email_id);
        Str(w, "email_address", m ? m->email_address : "");
        w.Key("activity");
        w.StartArray();
        for (const MailchimpActivity* a : acts) {
          w.StartObject();
          Str(w, "action", a->action);
          if (!a->bounce_type.empty()) Str(w, "type", a->bounce_type);
          Str(w, "timestamp", a->timestamp);
          if (!a->url.empty()) Str(w, "url", a->url);
          Str(w, "ip", "203.0.113.7");
          w.EndObject();
        }
        w.EndArray();
      },
      "campaign_id", campaign_id);
}

}  // namespace salesaudit::sim
