// The simulated account of MailchimpSim::Impl: deterministic generation from
// a seed, activity and campaigns added at "now", Mailchimp's member ids, and
// the API root that describes the account.
#include <openssl/evp.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <random>
#include <set>
#include <string_view>

#include "core/encoding.h"
#include "core/text_util.h"
#include "core/time_util.h"
#include "tests/sim/common/sim_people.h"
#include "tests/sim/common/sim_text.h"
#include "tests/sim/mailchimp/sim_impl.h"

namespace salesaudit::sim {
namespace {

constexpr int64_t kDayMs = 86'400'000;

const std::vector<std::string> kUrls = {"https://acme.test/pricing", "https://acme.test/demo",
                                        "https://acme.test/blog/q3-report"};

// "2024-03-05T14:00:00+00:00": whole seconds with a numeric offset.
std::string Wire(int64_t ms) { return FormatIsoMs(ms).substr(0, 19) + "+00:00"; }

}  // namespace

std::string MailchimpEmailId(const std::string& email) {
  const std::string lower = Lower(TrimSpace(email));
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_Digest(lower.data(), lower.size(), digest, &n, EVP_md5(), nullptr);
  return HexEncode(std::string_view(reinterpret_cast<const char*>(digest), n));
}

int64_t MailchimpSim::Impl::Below(int64_t n) {
  return n <= 0 ? 0 : static_cast<int64_t>(rng() % static_cast<uint64_t>(n));
}

bool MailchimpSim::Impl::Chance(double p) {
  return std::uniform_real_distribution<double>(0, 1)(rng) < p;
}

template <typename T>
const T& MailchimpSim::Impl::Pick(const std::vector<T>& v) {
  return v[static_cast<size_t>(Below(static_cast<int64_t>(v.size())))];
}

std::string MailchimpSim::Impl::NewCampaignId() {
  // 10 hex digits, as Mailchimp's.
  char buf[16];
  snprintf(buf, sizeof buf, "%05x%05x", next_campaign++ & 0xFFFFF,
           static_cast<unsigned>(Below(0xFFFFF)));
  return buf;
}

void MailchimpSim::Impl::AddRecipientActivity(const MailchimpCampaign& c, const MailchimpMember& m,
                                              int64_t now_ms) {
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

void MailchimpSim::Impl::Generate(const MailchimpSpec& spec, int64_t now_ms) {
  rng.seed(spec.seed);
  lists.clear();
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
    // Created before anyone signed up to it.
    lists.push_back({id, "Acme audience " + std::to_string(l + 1), Wire(now_s - 2 * history)});
    std::set<std::string> seen;
    for (int i = 0; i < spec.members_per_list; ++i) {
      MailchimpMember m;
      m.list_id = id;
      m.first_name = Pick(kFirstNames);
      m.last_name = Pick(kLastNames);
      if (given < spec.emails.size()) {
        // Mailchimp trims an address it accepts but keeps its case.
        m.email_address = TrimSpace(spec.emails[given++]);
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
    c.list_id = lists.empty() ? "" : lists[static_cast<size_t>(i) % lists.size()].id;
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

std::vector<MailchimpActivity> MailchimpSim::Impl::AddActivity(int count,
                                                               const std::string& campaign_id,
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

std::string MailchimpSim::Impl::SendCampaign(int64_t now_ms) {
  MailchimpCampaign c;
  c.id = NewCampaignId();
  c.list_id = lists.empty() ? "" : lists.front().id;
  c.type = "regular";
  c.status = "sent";
  c.title = "Announcement " + c.id;
  c.subject_line = "Something new";
  c.send_time_ms = now_ms / 1000 * 1000;
  c.send_time = Wire(c.send_time_ms);
  c.create_time = c.send_time;
  campaigns.push_back(c);
  return c.id;
}

auto MailchimpSim::Impl::Root() const -> Response {
  int64_t subscribers = 0;
  for (const auto& m : members) subscribers += m.status == "subscribed" ? 1 : 0;
  return Object([&](Writer& w) {
    Str(w, "account_id", "8d3a3db4d97663a9074efcc16");
    Str(w, "login_id", "112233445");
    Str(w, "account_name", "Acme");
    Str(w, "email", "marketing@acme.test");
    Str(w, "first_name", "Ada");
    Str(w, "last_name", "Moreau");
    Str(w, "username", "acme-marketing");
    Str(w, "avatar_url", "");
    Str(w, "role", "owner");
    Str(w, "member_since", lists.empty() ? "" : lists.front().date_created);
    Str(w, "pricing_plan_type", "monthly");
    Str(w, "first_payment", lists.empty() ? "" : lists.front().date_created);
    Str(w, "account_timezone", "UTC");
    Str(w, "account_industry", "Software");
    w.Key("contact");
    w.StartObject();
    Str(w, "company", "Acme");
    Str(w, "addr1", "1 Main St");
    Str(w, "addr2", "");
    Str(w, "city", "Atlanta");
    Str(w, "state", "GA");
    Str(w, "zip", "30308");
    Str(w, "country", "US");
    w.EndObject();
    Flag(w, "pro_enabled", false);
    Str(w, "last_login", Wire(clock.NowMs() / 1000 * 1000));
    Num(w, "total_subscribers", subscribers);
  });
}

auto MailchimpSim::Impl::OAuthMetadata(const std::string& host,
                                       const std::string& authorization) const -> Response {
  // Any other credential gets a 200 without api_endpoint, its only sign of a
  // bad token (tap-mailchimp 1.4.0).
  if (options.oauth_token.empty() || authorization != "OAuth " + options.oauth_token) {
    return Response{200, "application/json; charset=utf-8", "{}"};
  }
  // The endpoint of the host asked: this simulator when asked on loopback.
  const std::string name = Lower(host.substr(0, host.find(':')));
  const std::string endpoint = IsMailchimpHost(name) || host.empty()
                                   ? "https://" + DataCenter() + ".api.mailchimp.com"
                                   : "http://" + host;
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartObject();
  Str(w, "dc", DataCenter());
  Str(w, "role", "owner");
  Str(w, "accountname", "Acme");
  Num(w, "user_id", 112233445);
  w.Key("login");
  w.StartObject();
  Str(w, "email", "marketing@acme.test");
  Str(w, "login_name", "acme-marketing");
  Num(w, "login_id", 112233445);
  w.EndObject();
  Str(w, "login_url", "https://login.mailchimp.com");
  Str(w, "api_endpoint", endpoint);
  w.EndObject();
  return Response{200, "application/json; charset=utf-8", buf.GetString()};
}

}  // namespace salesaudit::sim
