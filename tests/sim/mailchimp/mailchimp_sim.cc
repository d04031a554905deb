// The Mailchimp simulator: a SimServer (each connection a coroutine on its own
// strand) in front of an account guarded by one mutex.
#include "tests/sim/mailchimp/mailchimp_sim.h"

// clang-format off
// Before any Boost header: with GCC 12 in C++20, asio/awaitable.hpp misses it.
#include <utility>
// clang-format on

#include <openssl/evp.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cctype>
#include <charconv>
#include <deque>
#include <mutex>
#include <random>
#include <set>

#include "core/time_util.h"
#include "tests/sim/common/sim_server.h"

namespace salesaudit::sim {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

constexpr auto kIdleTimeout = std::chrono::seconds(60);
constexpr int64_t kDayMs = 86'400'000;
constexpr int kMaxCount = 1000;

const std::vector<std::string> kFirstNames = {
    "Ana",   "Ben",   "Chloe", "Dmitri", "Elena",  "Farid", "Grace", "Hiro",  "Ines",
    "Jonas", "Kemal", "Lea",   "Marta",  "Nikhil", "Olga",  "Pablo", "Quinn", "Rosa"};
const std::vector<std::string> kLastNames = {"Lee",    "Novak",  "Garcia", "Schmidt", "Okafor",
                                             "Tanaka", "Rossi",  "Silva",  "Dubois",  "Kowalski",
                                             "Jensen", "Haddad", "Moreau", "Ivanova", "Brown"};
const std::vector<std::string> kDomains = {"example.com", "acme.io", "globex.net", "initech.co",
                                           "umbrella.org"};
const std::vector<std::string> kUrls = {"https://acme.test/pricing", "https://acme.test/demo",
                                        "https://acme.test/blog/q3-report"};

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string Trimmed(const std::string& s) {
  size_t b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t") - b + 1);
}

// "2024-03-05T14:00:00+00:00": whole seconds with a numeric offset.
std::string Wire(int64_t ms) { return FormatIsoMs(ms).substr(0, 19) + "+00:00"; }

std::string Hex(const unsigned char* data, size_t n) {
  static const char* kDigits = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < n; ++i) {
    out += kDigits[data[i] >> 4];
    out += kDigits[data[i] & 15];
  }
  return out;
}

std::string Base64Decode(std::string_view in) {
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  std::string out;
  int bits = 0;
  uint32_t acc = 0;
  for (char c : in) {
    const int v = value(c);
    if (v < 0) break;  // '=' padding or junk ends the value
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xFF);
    }
  }
  return out;
}

std::string PercentDecode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    unsigned value = 0;
    if (s[i] == '%' && i + 2 < s.size() &&
        std::from_chars(s.data() + i + 1, s.data() + i + 3, value, 16).ptr == s.data() + i + 3) {
      out += static_cast<char>(value);
      i += 2;
    } else {
      out += s[i] == '+' ? ' ' : s[i];
    }
  }
  return out;
}

struct Response {
  int status = 200;
  std::string content_type = "application/json; charset=utf-8";
  std::string body;
};

Response Problem(int status, const std::string& title, const std::string& detail) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  w.StartObject();
  w.Key("type");
  w.String("https://mailchimp.com/developer/marketing/docs/errors/");
  w.Key("title");
  w.String(title.c_str());
  w.Key("status");
  w.Int(status);
  w.Key("detail");
  w.String(detail.c_str());
  w.Key("instance");
  w.String("995c5cb0-3280-4a6e-808b-3b096d0bb219");
  w.EndObject();
  return Response{status, "application/problem+json; charset=utf-8", buf.GetString()};
}

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

void Str(Writer& w, const char* key, const std::string& value) {
  w.Key(key);
  w.String(value.c_str(), static_cast<rapidjson::SizeType>(value.size()));
}

}  // namespace

std::string MailchimpEmailId(const std::string& email) {
  const std::string lower = Lower(Trimmed(email));
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_Digest(lower.data(), lower.size(), digest, &n, EVP_md5(), nullptr);
  return Hex(digest, n);
}

struct MailchimpSim::Impl {
  Impl(MailchimpSimOptions o, const Clock& c)
      : clock(c),
        options(std::move(o)),
        server([this](tcp::socket socket) -> asio::awaitable<void> {
          // A coroutine itself, not a forwarder: GCC 12 reports a false
          // mismatched-new-delete when the frame allocation is inlined here.
          co_await ServeConnection(std::move(socket), *this);
        }) {}

  const Clock& clock;  // "now" for generated and added data
  // --- account (guarded by mu) ---
  mutable std::mutex mu;
  MailchimpSimOptions options;
  std::mt19937_64 rng{1};
  std::vector<std::string> list_ids;
  std::vector<MailchimpMember> members;
  std::vector<MailchimpCampaign> campaigns;
  std::vector<MailchimpActivity> activity;
  struct PendingFault {
    MailchimpFaultKind kind;
    int count;
    std::string prefix;
    int skip;
  };
  std::deque<PendingFault> faults;
  MailchimpSimStats stats;
  int in_flight = 0;
  int next_campaign = 1;

  // Last: its connections use everything above, so it stops first.
  SimServer server;

  int64_t Below(int64_t n) {
    return n <= 0 ? 0 : static_cast<int64_t>(rng() % static_cast<uint64_t>(n));
  }
  bool Chance(double p) { return std::uniform_real_distribution<double>(0, 1)(rng) < p; }
  template <typename T>
  const T& Pick(const std::vector<T>& v) {
    return v[static_cast<size_t>(Below(static_cast<int64_t>(v.size())))];
  }

  std::string NewCampaignId() {
    // 10 hex digits, as Mailchimp's.
    char buf[16];
    snprintf(buf, sizeof buf, "%05x%05x", next_campaign++ & 0xFFFFF,
             static_cast<unsigned>(Below(0xFFFFF)));
    return buf;
  }

  // Generated activity ends a minute before `now_ms`, so activity added
  // later at "now" is always new.
  void AddRecipientActivity(const MailchimpCampaign& c, const MailchimpMember& m, int64_t now_ms) {
    auto add = [&](const std::string& action, int64_t at) {
      if (at > now_ms - 60'000) return;
      MailchimpActivity a;
      a.campaign_id = c.id;
      a.list_id = c.list_id;
      a.email_id = m.id;
      a.email_address = m.email_address;
      a.action = action;
      a.at_ms = at;
      a.timestamp = Wire(at);
      if (action == "click") a.url = Pick(kUrls);
      if (action == "bounce") a.bounce_type = Chance(0.3) ? "hard" : "soft";
      activity.push_back(std::move(a));
    };
    if (Chance(0.03)) {
      add("bounce", c.send_time_ms + 1000 * (1 + Below(600)));
      return;
    }
    if (!Chance(0.6)) return;
    int64_t at = c.send_time_ms + 1000 * (60 + Below(3 * 86400));
    const int opens = 1 + static_cast<int>(Below(3));
    for (int i = 0; i < opens; ++i) {
      add("open", at);
      at += 1000 * (1 + Below(3600));
    }
    if (Chance(0.3)) add("click", at + 1000 * (1 + Below(600)));
  }

  void Generate(const MailchimpSpec& spec, int64_t now_ms) {
    rng.seed(spec.seed);
    list_ids.clear();
    members.clear();
    campaigns.clear();
    activity.clear();
    next_campaign = 1;
    const int64_t now_s = now_ms / 1000 * 1000;
    const int64_t history = std::max(spec.history_days, 1) * kDayMs;
    int64_t generated_id = 101;
    size_t given = 0;
    for (int l = 0; l < spec.lists; ++l) {
      char id[16];
      snprintf(id, sizeof id, "b%09llx", static_cast<unsigned long long>(Below(1LL << 36)));
      list_ids.push_back(id);
      std::set<std::string> seen;
      for (int i = 0; i < spec.members_per_list; ++i) {
        MailchimpMember m;
        m.list_id = id;
        m.first_name = Pick(kFirstNames);
        m.last_name = Pick(kLastNames);
        if (given < spec.emails.size()) {
          // Mailchimp trims an address it accepts but keeps its case.
          m.email_address = Trimmed(spec.emails[given++]);
        } else {
          m.email_address = Lower(m.first_name + "." + m.last_name) + std::to_string(generated_id) +
                            "@" + Pick(kDomains);
          generated_id += 1 + Below(3);
          if (Chance(0.05))
            m.email_address[0] =
                static_cast<char>(std::toupper(static_cast<unsigned char>(m.email_address[0])));
        }
        m.id = MailchimpEmailId(m.email_address);
        if (m.email_address.empty() || !seen.insert(m.id).second) continue;
        const double r = std::uniform_real_distribution<double>(0, 1)(rng);
        m.status = r < 0.85 ? "subscribed" : r < 0.95 ? "unsubscribed" : "cleaned";
        const int64_t signup = now_s - history - Below(history) / 1000 * 1000;
        m.timestamp_signup = Chance(0.3) ? "" : Wire(signup);
        m.timestamp_opt = Chance(0.05) ? "" : Wire(signup + 1000 * Below(86400));
        m.last_changed_ms = signup + Below(history) / 1000 * 1000;
        m.last_changed = Wire(m.last_changed_ms);
        members.push_back(std::move(m));
      }
    }
    const int sent = spec.sent_campaigns;
    for (int i = 0; i < sent + spec.draft_campaigns; ++i) {
      MailchimpCampaign c;
      c.id = NewCampaignId();
      c.list_id = list_ids.empty() ? "" : list_ids[static_cast<size_t>(i) % list_ids.size()];
      c.type = Chance(0.85) ? "regular" : "plaintext";
      c.title = "Newsletter " + std::to_string(i + 1);
      c.subject_line = "News from Acme, part " + std::to_string(i + 1);
      if (i < sent) {
        // Evenly spread, the last within the past few days (so recent
        // campaigns exist for the re-poll window).
        c.send_time_ms = now_s - history + (history - 4 * kDayMs) * (i + 1) / std::max(sent, 1);
        c.send_time_ms = c.send_time_ms / 1000 * 1000;
        c.status = "sent";
        c.send_time = Wire(c.send_time_ms);
        c.create_time = Wire(c.send_time_ms - kDayMs);
      } else {
        c.status = "save";
        c.create_time = Wire(now_s - Below(10) * kDayMs);
      }
      campaigns.push_back(c);
    }
    for (const auto& c : campaigns) {
      if (c.status != "sent") continue;
      for (const auto& m : members) {
        if (m.list_id == c.list_id && m.status != "cleaned") AddRecipientActivity(c, m, now_s);
      }
    }
  }

  std::vector<MailchimpActivity> AddActivity(int count, const std::string& campaign_id,
                                             int64_t at_ms) {
    const MailchimpCampaign* target = nullptr;
    for (const auto& c : campaigns) {
      if (c.status != "sent") continue;
      if (campaign_id.empty() ? (target == nullptr || c.send_time_ms > target->send_time_ms)
                              : c.id == campaign_id) {
        target = &c;
      }
    }
    std::vector<MailchimpActivity> added;
    if (target == nullptr) return added;
    std::vector<const MailchimpMember*> recipients;
    for (const auto& m : members) {
      if (m.list_id == target->list_id && m.status != "cleaned") recipients.push_back(&m);
    }
    if (recipients.empty()) return added;
    // Distinct (recipient, action, second) so every added entry is a new event.
    for (int i = 0; i < count; ++i) {
      const MailchimpMember& m = *recipients[static_cast<size_t>(i) % recipients.size()];
      MailchimpActivity a;
      a.campaign_id = target->id;
      a.list_id = target->list_id;
      a.email_id = m.id;
      a.email_address = m.email_address;
      a.action = i % 3 == 2 ? "click" : "open";
      a.at_ms = (at_ms / 1000 - static_cast<int64_t>(i / recipients.size())) * 1000;
      a.timestamp = Wire(a.at_ms);
      if (a.action == "click") a.url = kUrls[static_cast<size_t>(i) % kUrls.size()];
      activity.push_back(a);
      added.push_back(std::move(a));
    }
    return added;
  }

  // --- request handling (called with mu held) ---

  using Query = std::map<std::string, std::string>;

  static Query ParseQuery(std::string_view q) {
    Query out;
    while (!q.empty()) {
      size_t amp = q.find('&');
      std::string_view part = q.substr(0, amp);
      size_t eq = part.find('=');
      if (eq != std::string_view::npos) {
        out[PercentDecode(part.substr(0, eq))] = PercentDecode(part.substr(eq + 1));
      }
      q = amp == std::string_view::npos ? std::string_view() : q.substr(amp + 1);
    }
    return out;
  }

  // count/offset, or the 400 that refuses them.
  std::optional<Response> Paging(const Query& q, int* count, int* offset) {
    *count = 10;
    *offset = 0;
    try {
      if (q.count("count")) *count = std::stoi(q.at("count"));
      if (q.count("offset")) *offset = std::stoi(q.at("offset"));
    } catch (const std::exception&) {
      return Problem(400, "Invalid Resource", "count and offset must be integers.");
    }
    if (*count < 1 || *count > kMaxCount || *offset < 0) {
      return Problem(400, "Invalid Resource",
                     "count must be between 1 and 1000 and offset must not be negative.");
    }
    *count = std::min(*count, options.max_page);
    return std::nullopt;
  }

  // A query datetime ("...+00:00", "Z" or other tolerated forms), or nullopt.
  static std::optional<int64_t> QueryTime(const Query& q, const std::string& key) {
    auto it = q.find(key);
    if (it == q.end()) return std::nullopt;
    return ParseTimestampMs(it->second);
  }

  static void Links(Writer& w) {
    w.Key("_links");
    w.StartArray();
    w.EndArray();
  }

  struct CampaignReport {
    int64_t emails_sent = 0;
    int64_t opens = 0;
    int64_t unique_opens = 0;
    int64_t clicks = 0;
    int64_t subscriber_clicks = 0;
  };

  // What Mailchimp reports for a campaign, from the simulated account: a
  // sent campaign went to every member of its list not cleaned (the
  // recipients activity is generated for).
  CampaignReport ReportOf(const MailchimpCampaign& c) const {
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

  Response ListCampaigns(const Query& q) {
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
    rapidjson::StringBuffer buf;
    Writer w(buf);
    w.StartObject();
    w.Key("campaigns");
    w.StartArray();
    for (int i = offset; i < std::min<int>(offset + count, static_cast<int>(rows.size())); ++i) {
      const MailchimpCampaign& c = *rows[static_cast<size_t>(i)];
      w.StartObject();
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
      Links(w);
      w.EndObject();
    }
    w.EndArray();
    w.Key("total_items");
    w.Int(static_cast<int>(rows.size()));
    Links(w);
    w.EndObject();
    return Response{200, "application/json; charset=utf-8", buf.GetString()};
  }

  Response EmailActivity(const std::string& campaign_id, const Query& q) {
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
    rapidjson::StringBuffer buf;
    Writer w(buf);
    w.StartObject();
    w.Key("emails");
    w.StartArray();
    for (int i = offset; i < std::min<int>(offset + count, static_cast<int>(rows.size())); ++i) {
      const auto& [email_id, acts] = rows[static_cast<size_t>(i)];
      const MailchimpMember* m = member_of[email_id];
      w.StartObject();
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
      Links(w);
      w.EndObject();
    }
    w.EndArray();
    Str(w, "campaign_id", campaign_id);
    w.Key("total_items");
    w.Int(static_cast<int>(rows.size()));
    Links(w);
    w.EndObject();
    return Response{200, "application/json; charset=utf-8", buf.GetString()};
  }

  Response ListMembers(const std::string& list_id, const Query& q) {
    if (std::find(list_ids.begin(), list_ids.end(), list_id) == list_ids.end()) {
      return Problem(404, "Resource Not Found", "The requested resource could not be found.");
    }
    int count = 0, offset = 0;
    if (auto bad = Paging(q, &count, &offset)) return *bad;
    auto since = QueryTime(q, "since_last_changed");
    std::vector<const MailchimpMember*> rows;
    for (const auto& m : members) {
      if (m.list_id == list_id && (!since || m.last_changed_ms >= *since)) rows.push_back(&m);
    }
    rapidjson::StringBuffer buf;
    Writer w(buf);
    w.StartObject();
    w.Key("members");
    w.StartArray();
    for (int i = offset; i < std::min<int>(offset + count, static_cast<int>(rows.size())); ++i) {
      const MailchimpMember& m = *rows[static_cast<size_t>(i)];
      w.StartObject();
      Str(w, "id", m.id);
      Str(w, "email_address", m.email_address);
      Str(w, "unique_email_id", m.id.substr(0, 10));
      Str(w, "status", m.status);
      w.Key("merge_fields");
      w.StartObject();
      Str(w, "FNAME", m.first_name);
      Str(w, "LNAME", m.last_name);
      w.EndObject();
      Str(w, "timestamp_signup", m.timestamp_signup);
      Str(w, "timestamp_opt", m.timestamp_opt);
      Str(w, "last_changed", m.last_changed);
      Str(w, "list_id", m.list_id);
      Links(w);
      w.EndObject();
    }
    w.EndArray();
    Str(w, "list_id", list_id);
    w.Key("total_items");
    w.Int(static_cast<int>(rows.size()));
    Links(w);
    w.EndObject();
    return Response{200, "application/json; charset=utf-8", buf.GetString()};
  }

  Response Route(const std::string& method, const std::string& path, const Query& q) {
    if (method != "GET") return Problem(405, "Method Not Allowed", "Only GET is simulated.");
    std::vector<std::string> parts;
    for (size_t b = 1; b <= path.size();) {
      size_t e = path.find('/', b);
      if (e == std::string::npos) e = path.size();
      parts.push_back(path.substr(b, e - b));
      b = e + 1;
    }
    if (parts.empty() || parts[0] != "3.0") {
      return Problem(404, "Resource Not Found", "The requested resource could not be found.");
    }
    if (parts.size() == 2 && parts[1] == "campaigns") return ListCampaigns(q);
    if (parts.size() == 4 && parts[1] == "reports" && parts[3] == "email-activity") {
      return EmailActivity(parts[2], q);
    }
    if (parts.size() == 4 && parts[1] == "lists" && parts[3] == "members") {
      return ListMembers(parts[2], q);
    }
    return Problem(404, "Resource Not Found", "The requested resource could not be found.");
  }

  Response Handle(const std::string& method, const std::string& target,
                  const std::string& authorization) {
    std::lock_guard<std::mutex> lock(mu);
    const size_t qpos = target.find('?');
    const std::string path = target.substr(0, qpos);
    ++stats.requests;
    ++stats.by_path[path];
    Response out = HandleLocked(
        method, path, qpos == std::string::npos ? "" : target.substr(qpos + 1), authorization);
    ++stats.by_status[out.status];
    return out;
  }

  Response HandleLocked(const std::string& method, const std::string& path,
                        const std::string& query, const std::string& authorization) {
    if (in_flight > options.max_connections) {
      return Problem(429, "Too Many Requests",
                     "You have exceeded the limit of 10 simultaneous connections.");
    }
    for (auto it = faults.begin(); it != faults.end(); ++it) {
      if (path.rfind(it->prefix, 0) != 0) continue;
      if (it->skip > 0) {
        --it->skip;
        break;  // this request is served; later faults wait their turn
      }
      const MailchimpFaultKind kind = it->kind;
      if (--it->count <= 0) faults.erase(it);
      switch (kind) {
        case MailchimpFaultKind::kTooManyRequests:
          return Problem(429, "Too Many Requests",
                         "You have exceeded the limit of 10 simultaneous connections.");
        case MailchimpFaultKind::kBlocked403:
          return Response{403, "text/html",
                          "<html><head><title>Request Blocked</title></head><body>"
                          "Request Blocked</body></html>"};
        case MailchimpFaultKind::kServerError:
          return Response{503, "text/html", "<html><body>Service Unavailable</body></html>"};
        case MailchimpFaultKind::kForbidden:
          return Problem(403, "Forbidden", "You don't have permission to access this resource.");
      }
    }
    const std::string scheme = "Basic ";
    std::string password;
    if (authorization.rfind(scheme, 0) == 0) {
      const std::string decoded = Base64Decode(authorization.substr(scheme.size()));
      const size_t colon = decoded.find(':');
      if (colon != std::string::npos) password = decoded.substr(colon + 1);
    }
    if (password.empty() || password != options.api_key) {
      return Problem(401, "API Key Invalid",
                     "Your API key may be invalid, or you've attempted to access the wrong "
                     "datacenter.");
    }
    return Route(method, path, ParseQuery(query));
  }

  // --- server coroutines ---

  static asio::awaitable<void> ServeConnection(tcp::socket socket, Impl& impl) {
    beast::tcp_stream stream(std::move(socket));
    beast::flat_buffer buffer;
    beast::error_code ec;
    for (;;) {
      http::request<http::string_body> req;
      stream.expires_after(kIdleTimeout);
      co_await http::async_read(stream, buffer, req, asio::redirect_error(asio::use_awaitable, ec));
      if (ec) break;
      int delay_ms = 0;
      {
        std::lock_guard<std::mutex> lock(impl.mu);
        impl.stats.max_in_flight = std::max(impl.stats.max_in_flight, ++impl.in_flight);
        delay_ms = impl.options.response_delay_ms;
      }
      auto out = impl.Handle(std::string(req.method_string()), std::string(req.target()),
                             std::string(req[http::field::authorization]));
      if (delay_ms > 0) {
        asio::steady_timer timer(co_await asio::this_coro::executor);
        timer.expires_after(std::chrono::milliseconds(delay_ms));
        co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      }
      {
        std::lock_guard<std::mutex> lock(impl.mu);
        --impl.in_flight;
      }
      http::response<http::string_body> res{static_cast<http::status>(out.status), req.version()};
      res.set(http::field::server, "salesaudit-mailchimp-sim");
      res.set(http::field::content_type, out.content_type);
      if (out.content_type.rfind("application/problem+json", 0) == 0) {
        res.set(http::field::link,
                "<https://us19.api.mailchimp.com/schema/3.0/ProblemDetailDocument.json>; "
                "rel=\"describedBy\"");
      }
      res.keep_alive(req.keep_alive());
      res.body() = std::move(out.body);
      res.prepare_payload();
      stream.expires_after(kIdleTimeout);
      co_await http::async_write(stream, res, asio::redirect_error(asio::use_awaitable, ec));
      if (ec || !res.keep_alive()) break;
    }
    stream.socket().shutdown(tcp::socket::shutdown_both, ec);
    stream.socket().close(ec);
  }
};

MailchimpSim::MailchimpSim(MailchimpSimOptions options, const Clock& clock)
    : impl_(std::make_unique<Impl>(std::move(options), clock)) {}

MailchimpSim::~MailchimpSim() { Stop(); }

uint16_t MailchimpSim::Start(uint16_t port) { return impl_->server.Start(port); }

void MailchimpSim::Stop() { impl_->server.Stop(); }

std::string MailchimpSim::base_url() const { return impl_->server.base_url() + "/3.0"; }

void MailchimpSim::Generate(const MailchimpSpec& spec) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->Generate(spec, impl_->clock.NowMs());
}

std::vector<MailchimpActivity> MailchimpSim::AddActivity(int count, const std::string& campaign_id,
                                                         int64_t at_ms) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->AddActivity(count, campaign_id, at_ms != 0 ? at_ms : impl_->clock.NowMs());
}

std::string MailchimpSim::SendCampaign() {
  std::lock_guard<std::mutex> lock(impl_->mu);
  MailchimpCampaign c;
  c.id = impl_->NewCampaignId();
  c.list_id = impl_->list_ids.empty() ? "" : impl_->list_ids.front();
  c.type = "regular";
  c.status = "sent";
  c.title = "Announcement " + c.id;
  c.subject_line = "Something new";
  c.send_time_ms = impl_->clock.NowMs() / 1000 * 1000;
  c.send_time = Wire(c.send_time_ms);
  c.create_time = c.send_time;
  impl_->campaigns.push_back(c);
  return c.id;
}

void MailchimpSim::InjectFault(MailchimpFaultKind kind, int count, const std::string& prefix,
                               int skip) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->faults.push_back({kind, count, prefix, skip});
}

void MailchimpSim::SetOptions(const MailchimpSimOptions& options) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->options = options;
}

std::vector<MailchimpCampaign> MailchimpSim::Campaigns() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->campaigns;
}

std::vector<MailchimpMember> MailchimpSim::Members() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->members;
}

std::vector<MailchimpActivity> MailchimpSim::Activity() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->activity;
}

MailchimpSimStats MailchimpSim::Stats() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->stats;
}

}  // namespace salesaudit::sim
