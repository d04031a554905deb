// The campaign endpoints of MailchimpSim::Impl: GET /campaigns with its
// report summaries, and GET /reports/{campaign_id}/email-activity.
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
  for (const auto& a : activity) {
    if (a.campaign_id != c.id) continue;
    if (a.action == "open") {
      ++r.opens;
      openers.insert(a.email_id);
    } else if (a.action == "click") {
      ++r.clicks;
      clickers.insert(a.email_id);
    }
  }
  r.unique_opens = static_cast<int64_t>(openers.size());
  r.subscriber_clicks = static_cast<int64_t>(clickers.size());
  return r;
}

auto MailchimpSim::Impl::ListCampaigns(const Query& q) -> Response {
  int count = 0, offset = 0;
  if (auto bad = Paging(q, &count, &offset)) return *bad;
  std::vector<const MailchimpCampaign*> rows;
  auto since = QueryTime(q, "since_send_time");
  auto before = QueryTime(q, "before_send_time");
  const std::string status = q.count("status") ? q.at("status") : "";
  for (const auto& c : campaigns) {
    if (!status.empty() && c.status != status) continue;
    if (since && (c.send_time.empty() || c.send_time_ms < *since)) continue;
    if (before && (c.send_time.empty() || c.send_time_ms >= *before)) continue;
    rows.push_back(&c);
  }
  const std::string field = q.count("sort_field") ? q.at("sort_field") : "";
  if (field == "send_time") {
    std::stable_sort(rows.begin(), rows.end(),
                     [](auto* a, auto* b) { return a->send_time_ms < b->send_time_ms; });
  }
  if (q.count("sort_dir") && q.at("sort_dir") == "DESC") std::reverse(rows.begin(), rows.end());
  return Collection(
      "campaigns", static_cast<int>(rows.size()), offset, count, [&](Writer& w, int i) {
        const MailchimpCampaign& c = *rows[static_cast<size_t>(i)];
        Str(w, "id", c.id);
        w.Key("web_id");
        w.Int(1000 + i);
        Str(w, "type", c.type);
        Str(w, "create_time", c.create_time);
        Str(w, "send_time", c.send_time);
        Str(w, "status", c.status);
        const CampaignReport report = ReportOf(c);
        w.Key("emails_sent");
        w.Int64(report.emails_sent);
        w.Key("recipients");
        w.StartObject();
        Str(w, "list_id", c.list_id);
        Str(w, "segment_text", "");
        w.EndObject();
        w.Key("settings");
        w.StartObject();
        Str(w, "subject_line", c.subject_line);
        Str(w, "title", c.title);
        Str(w, "from_name", "Acme");
        w.EndObject();
        if (c.status == "sent") {
          // Unique counts are distinct recipients; rates are fractions of the
          // emails sent (docs/vendors/mailchimp.md "Campaigns").
          w.Key("report_summary");
          w.StartObject();
          auto counts = [&](const char* total_key, int64_t total, const char* unique_key,
                            int64_t unique, const char* rate_key) {
            w.Key(total_key);
            w.Int64(total);
            w.Key(unique_key);
            w.Int64(unique);
            w.Key(rate_key);
            w.Double(report.emails_sent > 0
                         ? static_cast<double>(unique) / static_cast<double>(report.emails_sent)
                         : 0.0);
          };
          counts("opens", report.opens, "unique_opens", report.unique_opens, "open_rate");
          counts("clicks", report.clicks, "subscriber_clicks", report.subscriber_clicks,
                 "click_rate");
          w.EndObject();
        }
      });
}

auto MailchimpSim::Impl::EmailActivity(const std::string& campaign_id, const Query& q) -> Response {
  auto campaign = std::find_if(campaigns.begin(), campaigns.end(),
                               [&](const auto& c) { return c.id == campaign_id; });
  if (campaign == campaigns.end()) {
    return Problem(404, "Resource Not Found", "The requested resource could not be found.");
  }
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
        w.Key("list_is_active");
        w.Bool(true);
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
