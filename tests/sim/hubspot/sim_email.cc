#include "tests/sim/hubspot/sim_email.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdio>
#include <optional>
#include <tuple>

#include "core/text_util.h"

namespace salesaudit::sim {
namespace {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

constexpr int64_t kDayMs = 86'400'000;
constexpr int kMaxEventsLimit = 1000;
constexpr int kMaxCampaignsLimit = 1000;
constexpr int kDefaultLimit = 100;

const std::vector<std::string> kSubjects = {"Your Q3 product update",  "Webinar: pipeline hygiene",
                                            "New pricing plans",       "Customer story: Globex",
                                            "Last chance to register", "What's new this month"};
const std::vector<std::string> kCampaignTypes = {"BATCH_EMAIL", "AB_EMAIL", "AUTOMATED_EMAIL"};
const std::vector<std::string> kUrls = {"https://salesco.example/pricing",
                                        "https://salesco.example/webinar?utm_source=email",
                                        "https://salesco.example/blog/customer-story"};

std::optional<int64_t> ParseInt64(const std::string& text) {
  int64_t v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return v;
}

// Offsets are opaque to clients: hex of the position's key, behind a prefix
// a client could not mistake for a number.
std::string EncodeOffset(const std::string& key) {
  std::string out = "huMp";
  char buf[3];
  for (unsigned char c : key) {
    std::snprintf(buf, sizeof buf, "%02x", c);
    out += buf;
  }
  return out;
}

std::optional<std::string> DecodeOffset(const std::string& text) {
  if (text.rfind("huMp", 0) != 0 || text.size() % 2 != 0) return std::nullopt;
  std::string out;
  for (size_t i = 4; i + 1 < text.size(); i += 2) {
    unsigned v = 0;
    if (std::sscanf(text.c_str() + i, "%2x", &v) != 1) return std::nullopt;
    out += static_cast<char>(v);
  }
  return out;
}

// An event's position: created, zero-padded so keys order as (created, id).
std::string EventKey(int64_t created, const std::string& id) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "%020lld", static_cast<long long>(created));
  return std::string(buf) + "|" + id;
}

const std::string* Param(const std::map<std::string, std::string>& query, const char* key) {
  auto it = query.find(key);
  return it == query.end() ? nullptr : &it->second;
}

EmailApiAnswer BadRequest(const std::string& message) { return {400, message}; }

// A limit in [1, max], `fallback` when absent.
std::optional<int> ReadLimit(const std::map<std::string, std::string>& query, int max,
                             int fallback) {
  const std::string* text = Param(query, "limit");
  if (text == nullptr) return fallback;
  std::optional<int64_t> v = ParseInt64(*text);
  if (!v || *v < 1 || *v > max) return std::nullopt;
  return static_cast<int>(*v);
}

// What an OPEN or CLICK carries about the opener's client
// (docs/vendors/hubspot.md "Marketing email events"): a filtered one is a
// security scanner on a desktop, the rest a phone's mail app.
void WriteOpenerDetails(Writer& w, const SimEmailEvent& e) {
  w.Key("deviceType");
  w.String(e.filtered ? "COMPUTER" : "MOBILE");
  w.Key("filteredEvent");
  w.Bool(e.filtered);
  w.Key("userAgent");
  w.String(e.filtered ? "Mozilla/5.0 (compatible; LinkScanner/2.1)"
                      : "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) "
                        "AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148");
  w.Key("browser");
  w.StartObject();
  w.Key("family");
  w.String(e.filtered ? "Unknown" : "Apple Mail");
  w.Key("name");
  w.String(e.filtered ? "Unknown" : "Apple Mail 17");
  w.Key("producer");
  w.String(e.filtered ? "Unknown" : "Apple Inc.");
  w.Key("producerUrl");
  w.String(e.filtered ? "" : "https://www.apple.com/");
  w.Key("type");
  w.String(e.filtered ? "Robot" : "Email client");
  w.Key("url");
  w.String("");
  w.Key("version");
  w.StartArray();
  if (!e.filtered) w.String("17");
  w.EndArray();
  w.EndObject();
  w.Key("location");
  w.StartObject();
  w.Key("city");
  w.String("Berlin");
  w.Key("country");
  w.String("Germany");
  w.Key("state");
  w.String("be");
  w.Key("latitude");
  w.Double(52.52);
  w.Key("longitude");
  w.Double(13.40);
  w.EndObject();
}

}  // namespace

std::string EmailPortal::NewEventId() {
  char buf[40];
  const uint64_t a = Next();
  const uint64_t b = Next();
  std::snprintf(buf, sizeof buf, "%08x-%04x-4%03x-%04x-%012llx", static_cast<unsigned>(a >> 32),
                static_cast<unsigned>((a >> 16) & 0xFFFF), static_cast<unsigned>(a & 0xFFF),
                static_cast<unsigned>(0x8000 | ((b >> 48) & 0x3FFF)),
                static_cast<unsigned long long>(b & 0xFFFFFFFFFFFFull));
  return buf;
}

SimEmailEvent EmailPortal::MakeEvent(const SimEmailCampaign& campaign, const std::string& type,
                                     const std::string& recipient, int64_t created) {
  SimEmailEvent e;
  e.id = NewEventId();
  e.created = created;
  e.type = type;
  e.recipient = recipient;
  e.campaign_id = campaign.id;
  e.campaign_group_id = campaign.group_id;
  e.app_id = campaign.app_id;
  e.app_name = campaign.app_name;
  return e;
}

void EmailPortal::Sort() {
  std::sort(events_.begin(), events_.end(), [](const SimEmailEvent& a, const SimEmailEvent& b) {
    return std::tie(a.created, a.id) < std::tie(b.created, b.id);
  });
}

void EmailPortal::Generate(const PortalSpec& spec, const std::vector<std::string>& emails,
                           int64_t now_ms) {
  rng_.seed(spec.seed ^ 0x9E3779B97F4A7C15ull);
  campaigns_.clear();
  events_.clear();
  recipients_.clear();
  // HubSpot sends the address it mailed: trimmed, case as the contact has it.
  for (const std::string& email : emails) {
    std::string r(TrimSpace(email));
    if (!r.empty()) recipients_.push_back(std::move(r));
  }
  if (recipients_.empty()) return;
  const int64_t span = static_cast<int64_t>(std::clamp(spec.history_days, 2, 360)) * kDayMs;
  for (int c = 0; c < spec.email_campaigns; ++c) {
    SimEmailCampaign campaign;
    campaign.id = 1000 + 7 * c + Below(7);
    campaign.group_id = campaign.id - 1;
    campaign.content_id = 5'000'000 + Below(1'000'000);
    campaign.subject =
        kSubjects[static_cast<size_t>(Below(static_cast<int64_t>(kSubjects.size())))];
    campaign.name = "Campaign " + std::to_string(c + 1) + ": " + campaign.subject;
    campaign.type =
        kCampaignTypes[static_cast<size_t>(Below(static_cast<int64_t>(kCampaignTypes.size())))];
    // Sends spread over the span, the last four days before now: its
    // follow-up events (opens up to two days after delivery, a repeat a day
    // later, status changes after two) all lie in the past, as a portal's do.
    const int64_t follow_ups = 4 * kDayMs;
    campaign.sent_at_ms =
        now_ms - span +
        std::max<int64_t>(span - follow_ups, 0) * (c + 1) / (spec.email_campaigns + 1);
    campaign.last_updated_ms = campaign.sent_at_ms + Below(3'600'000);
    int made = 0;
    int64_t included = 0;
    while (made < spec.events_per_campaign) {
      const std::string& to =
          recipients_[static_cast<size_t>(Below(static_cast<int64_t>(recipients_.size())))];
      ++included;
      int64_t t = campaign.sent_at_ms + Below(600'000);
      auto add = [&](SimEmailEvent e) {
        events_.push_back(std::move(e));
        ++made;
        return events_.back();
      };
      add(MakeEvent(campaign, "PROCESSED", to, t));
      if (Chance(0.02)) {
        add(MakeEvent(campaign, "DROPPED", to, t + 1000));
        continue;
      }
      SimEmailEvent sent = add(MakeEvent(campaign, "SENT", to, t += 2000 + Below(5000)));
      auto child = [&](const std::string& type, int64_t at) {
        SimEmailEvent e = MakeEvent(campaign, type, to, at);
        e.sent_by_id = sent.id;
        e.sent_by_created = sent.created;
        return e;
      };
      if (Chance(0.05)) add(child("DEFERRED", t += 30'000));
      if (Chance(0.04)) {
        SimEmailEvent b = child("BOUNCE", t += 5000);
        b.bounce_category = Chance(0.5) ? "HARD_BOUNCE" : "MAILBOX_FULL";
        add(std::move(b));
        continue;
      }
      add(child("DELIVERED", t += 1000 + Below(20'000)));
      if (Chance(0.45)) {
        // Security scanners open within seconds of delivery: filtered.
        const bool scanner = Chance(0.2);
        SimEmailEvent open = child("OPEN", scanner ? t + 3000 : t + 60'000 + Below(2 * kDayMs));
        open.filtered = scanner;
        add(open);
        if (Chance(0.25)) {
          // A repeated open reuses the event id with a later `created`:
          // only (id, created) is unique.
          SimEmailEvent again = open;
          again.created = open.created + 3'600'000 + Below(kDayMs);
          again.filtered = false;
          add(again);
        }
        if (Chance(0.35)) {
          SimEmailEvent click = child("CLICK", open.created + 20'000 + Below(600'000));
          click.url = kUrls[static_cast<size_t>(Below(static_cast<int64_t>(kUrls.size())))];
          click.filtered = scanner;
          add(std::move(click));
        }
      }
      if (Chance(0.03)) {
        SimEmailEvent change = child("STATUSCHANGE", t + kDayMs + Below(kDayMs));
        // Mostly unsubscribes; now and then a resubscribe, which is no
        // unsubscribe at all.
        change.portal_subscription_status = Chance(0.8) ? "UNSUBSCRIBED" : "SUBSCRIBED";
        add(std::move(change));
      }
      if (Chance(0.01)) add(child("SPAMREPORT", t + kDayMs + Below(kDayMs)));
    }
    campaign.num_included = included;
    campaigns_.push_back(std::move(campaign));
  }
  Sort();
}

std::vector<std::string> EmailPortal::AddEvents(int count, int64_t at_ms) {
  std::vector<std::string> keys;
  if (campaigns_.empty() || recipients_.empty()) return keys;
  for (int i = 0; i < count; ++i) {
    const SimEmailCampaign& campaign =
        campaigns_[static_cast<size_t>(Below(static_cast<int64_t>(campaigns_.size())))];
    const std::string& to =
        recipients_[static_cast<size_t>(Below(static_cast<int64_t>(recipients_.size())))];
    SimEmailEvent e = MakeEvent(campaign, Chance(0.7) ? "OPEN" : "CLICK", to, at_ms);
    if (e.type == "CLICK") e.url = kUrls[static_cast<size_t>(Below(3))];
    e.filtered = Chance(0.2);
    keys.push_back(e.id + ":" + std::to_string(e.created));
    events_.push_back(std::move(e));
  }
  Sort();
  return keys;
}

EmailApiAnswer EmailPortal::ListCampaigns(const std::map<std::string, std::string>& query) const {
  std::optional<int> limit = ReadLimit(query, kMaxCampaignsLimit, kDefaultLimit);
  if (!limit)
    return BadRequest("limit must be between 1 and " + std::to_string(kMaxCampaignsLimit));
  int64_t start_id = 0;
  if (const std::string* offset = Param(query, "offset")) {
    std::optional<std::string> key = DecodeOffset(*offset);
    std::optional<int64_t> id = key ? ParseInt64(*key) : std::nullopt;
    if (!id) return BadRequest("Invalid offset: " + *offset);
    start_id = *id;
  }
  std::vector<const SimEmailCampaign*> sorted;
  for (const auto& c : campaigns_) sorted.push_back(&c);
  std::sort(sorted.begin(), sorted.end(), [](auto* a, auto* b) { return a->id < b->id; });
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartObject();
  w.Key("campaigns");
  w.StartArray();
  size_t i = 0;
  while (i < sorted.size() && sorted[i]->id < start_id) ++i;
  int written = 0;
  for (; i < sorted.size() && written < *limit; ++i, ++written) {
    w.StartObject();
    w.Key("id");
    w.Int64(sorted[i]->id);
    w.Key("appId");
    w.Int64(sorted[i]->app_id);
    w.Key("appName");
    w.String(sorted[i]->app_name.c_str());
    w.Key("lastUpdatedTime");
    w.Int64(sorted[i]->last_updated_ms);
    w.EndObject();
  }
  w.EndArray();
  w.Key("hasMore");
  w.Bool(i < sorted.size());
  if (i < sorted.size()) {
    w.Key("offset");
    w.String(EncodeOffset(std::to_string(sorted[i]->id)).c_str());
  }
  w.EndObject();
  return {200, buf.GetString()};
}

EmailApiAnswer EmailPortal::GetCampaign(const std::string& id_text) const {
  std::optional<int64_t> id = ParseInt64(id_text);
  auto it = std::find_if(campaigns_.begin(), campaigns_.end(),
                         [&](const SimEmailCampaign& c) { return id && c.id == *id; });
  if (it == campaigns_.end()) return {404, "No campaign with id " + id_text};
  std::map<std::string, int64_t> counters = {
      {"sent", 0},         {"delivered", 0},    {"open", 0},       {"click", 0},
      {"bounce", 0},       {"dropped", 0},      {"processed", 0},  {"deferred", 0},
      {"unsubscribed", 0}, {"statuschange", 0}, {"spamreport", 0}, {"suppressed", 0},
      {"forward", 0},      {"print", 0},        {"reply", 0},      {"mta_dropped", 0}};
  for (const SimEmailEvent& e : events_) {
    if (e.campaign_id != it->id) continue;
    std::string type = e.type;
    for (char& ch : type) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    auto counter = counters.find(type);
    if (counter != counters.end()) ++counter->second;
    if (e.type == "STATUSCHANGE" && e.portal_subscription_status == "UNSUBSCRIBED") {
      ++counters["unsubscribed"];
    }
  }
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartObject();
  w.Key("id");
  w.Int64(it->id);
  w.Key("appId");
  w.Int64(it->app_id);
  w.Key("appName");
  w.String(it->app_name.c_str());
  w.Key("contentId");
  w.Int64(it->content_id);
  w.Key("name");
  w.String(it->name.c_str());
  w.Key("subject");
  w.String(it->subject.c_str());
  w.Key("type");
  w.String(it->type.c_str());
  w.Key("subType");
  w.Int64(it->sub_type);
  w.Key("numIncluded");
  w.Int64(it->num_included);
  w.Key("numQueued");
  w.Int64(0);
  if (it->sent_at_ms != 0) {
    w.Key("lastProcessingFinishedAt");
    w.Int64(it->sent_at_ms);
  }
  w.Key("counters");
  w.StartObject();
  for (const auto& [name, value] : counters) {
    w.Key(name.c_str());
    w.Int64(value);
  }
  w.EndObject();
  w.EndObject();
  return {200, buf.GetString()};
}

EmailApiAnswer EmailPortal::ListEvents(const std::map<std::string, std::string>& query,
                                       int max_page_size) const {
  std::optional<int> limit = ReadLimit(query, kMaxEventsLimit, kDefaultLimit);
  if (!limit) return BadRequest("limit must be between 1 and " + std::to_string(kMaxEventsLimit));
  const int page_size = std::min(*limit, std::max(1, max_page_size));
  auto bound = [&](const char* key, int64_t fallback) -> std::optional<int64_t> {
    const std::string* text = Param(query, key);
    return text == nullptr ? std::optional<int64_t>(fallback) : ParseInt64(*text);
  };
  std::optional<int64_t> start = bound("startTimestamp", 0);
  std::optional<int64_t> end = bound("endTimestamp", INT64_MAX);
  if (!start || !end) return BadRequest("startTimestamp and endTimestamp must be epoch ms");
  // Newest first: a page starts at the newest event at or before `end`, or
  // at the offset's event (the next older one the previous page left).
  std::optional<std::string> offset_key;
  if (const std::string* offset = Param(query, "offset")) {
    offset_key = DecodeOffset(*offset);
    if (!offset_key) return BadRequest("Invalid offset: " + *offset);
  }
  const std::string* type = Param(query, "eventType");
  const std::string* campaign = Param(query, "campaignId");
  const std::string* exclude = Param(query, "excludeFilteredEvents");
  std::map<int64_t, const std::string*> subjects;
  for (const SimEmailCampaign& c : campaigns_) subjects[c.id] = &c.subject;
  auto campaign_subject = [&](int64_t id) {
    auto c = subjects.find(id);
    return c == subjects.end() ? std::string() : *c->second;
  };
  auto matches = [&](const SimEmailEvent& e) {
    if (e.created < *start || e.created > *end) return false;
    if (type != nullptr && e.type != *type) return false;
    if (campaign != nullptr && std::to_string(e.campaign_id) != *campaign) return false;
    return exclude == nullptr || *exclude != "true" || !e.filtered;
  };
  // events_ is ordered by (created, id), as EventKey orders: walk back from
  // the page's first event instead of scanning, so paging through a million
  // events stays linear.
  auto stop = std::upper_bound(events_.begin(), events_.end(), *end,
                               [](int64_t t, const SimEmailEvent& e) { return t < e.created; });
  if (offset_key) {
    stop = std::min(stop, std::upper_bound(events_.begin(), events_.end(), *offset_key,
                                           [](const std::string& key, const SimEmailEvent& e) {
                                             return key < EventKey(e.created, e.id);
                                           }));
  }
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartObject();
  w.Key("events");
  w.StartArray();
  int written = 0;
  std::string next_key;
  for (auto it = stop; it != events_.begin();) {
    const SimEmailEvent& e = *--it;
    if (e.created < *start) break;
    if (!matches(e)) continue;
    if (written == page_size) {
      next_key = EventKey(e.created, e.id);
      break;
    }
    ++written;
    w.StartObject();
    w.Key("id");
    w.String(e.id.c_str());
    w.Key("created");
    w.Int64(e.created);
    w.Key("type");
    w.String(e.type.c_str());
    w.Key("recipient");
    w.String(e.recipient.c_str());
    w.Key("portalId");
    w.Int64(62515);
    w.Key("appId");
    w.Int64(e.app_id);
    w.Key("appName");
    w.String(e.app_name.c_str());
    w.Key("emailCampaignId");
    w.Int64(e.campaign_id);
    w.Key("emailCampaignGroupId");
    w.Int64(e.campaign_group_id);
    if (!e.sent_by_id.empty()) {
      w.Key("sentBy");
      w.StartObject();
      w.Key("id");
      w.String(e.sent_by_id.c_str());
      w.Key("created");
      w.Int64(e.sent_by_created);
      w.EndObject();
    }
    if (e.type == "SENT") {
      w.Key("subject");
      w.String(campaign_subject(e.campaign_id).c_str());
      w.Key("from");
      w.String("Sales Co <news@salesco.example>");
    }
    if (e.type == "DELIVERED" || e.type == "PROCESSED") {
      w.Key("smtpId");
      w.String(("<" + e.id + "@smtp.hubspot.example>").c_str());
    }
    if (e.type == "DELIVERED") {
      w.Key("response");
      w.String("250 2.0.0 OK");
    }
    if (e.type == "OPEN" || e.type == "CLICK") {
      WriteOpenerDetails(w, e);
      if (e.type == "OPEN") {
        w.Key("duration");
        w.Int64(e.filtered ? 0 : 1000 + (e.created % 9000));
      }
    }
    if (e.type == "CLICK") {
      w.Key("url");
      w.String(e.url.c_str());
      w.Key("linkId");
      w.Int64(static_cast<int64_t>(e.url.size()) * 1000 + 17);
    }
    if (e.type == "BOUNCE") {
      w.Key("category");
      w.String(e.bounce_category.c_str());
      w.Key("status");
      w.String("5.1.1");
    }
    if (e.type == "STATUSCHANGE") {
      w.Key("source");
      w.String("SOURCE_RECIPIENT");
      w.Key("portalSubscriptionStatus");
      w.String(e.portal_subscription_status.c_str());
    }
    w.EndObject();
  }
  w.EndArray();
  w.Key("hasMore");
  w.Bool(!next_key.empty());
  w.Key("offset");
  w.String(next_key.empty() ? "" : EncodeOffset(next_key).c_str());
  w.EndObject();
  return {200, buf.GetString()};
}

}  // namespace salesaudit::sim
