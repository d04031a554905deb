#include "audit/email_audit.h"

#include <algorithm>
#include <cstdio>
#include <functional>
#include <future>
#include <iterator>
#include <map>
#include <set>
#include <string_view>
#include <tuple>
#include <unordered_set>
#include <utility>

#include "audit/number_text.h"
#include "audit/statistics.h"
#include "core/json_writer.h"
#include "core/text_util.h"
#include "core/time_util.h"

namespace salesaudit {
namespace {

constexpr double kMsPerDay = 24.0 * 3600 * 1000;

// The median of `sorted` (ascending) with one element equal to `left_out`
// taken out (none when nullopt): each campaign is judged against the others
// without copying and sorting the list again for each.
std::optional<double> MedianWithout(const std::vector<double>& sorted,
                                    std::optional<double> left_out) {
  const size_t skip =
      left_out ? static_cast<size_t>(std::lower_bound(sorted.begin(), sorted.end(), *left_out) -
                                     sorted.begin())
               : sorted.size();
  const size_t n = sorted.size() - (skip < sorted.size() ? 1 : 0);
  if (n == 0) return std::nullopt;
  auto at = [&](size_t i) { return sorted[i < skip ? i : i + 1]; };
  if (n % 2 == 1) return at(n / 2);
  return (at(n / 2 - 1) + at(n / 2)) / 2.0;
}

// A campaign whose events say nothing of sending (Mailchimp's activity has
// only opens, clicks and bounces) takes `sent` from the tool's own count and
// `delivered` from its delivered count, else sent less the bounced
// recipients: the base Mailchimp computes its own rates on.
void TakeSendCountsFromReported(EmailCampaignStats& c) {
  if (c.counts.sent > 0 || c.counts.delivered > 0 || !c.reported.sent) return;
  c.counts.sent = *c.reported.sent;
  c.counts.delivered =
      c.reported.delivered.value_or(std::max<int64_t>(0, *c.reported.sent - c.counts.bounced));
  c.send_counts_reported = true;
}

void SetRates(EmailCounts& c) {
  c.open_rate = Ratio(c.opened, c.delivered);
  c.click_rate = Ratio(c.clicked, c.delivered);
}

// One click kept for attribution: which campaign (index into
// EmailAudit::campaigns), by which recipient (index into the clicker list),
// when.
struct Click {
  int32_t email;
  int32_t campaign;
  int64_t at;
};

// The clicks of one recipient on one campaign, in time order: [begin, end)
// of the sorted click list.
struct ClickRun {
  size_t begin;
  size_t end;
};

// True when a click of `run` falls in [from, to) (to unset: no end).
bool ClickedBetween(const std::vector<Click>& clicks, const ClickRun& run, int64_t from,
                    const TimeMs& to) {
  for (size_t i = run.begin; i < run.end; ++i) {
    if (clicks[i].at < from) continue;
    return !to || clicks[i].at < *to;  // the earliest click at or after `from`
  }
  return false;
}

// The contact's first time past MQL: contacted, or a later stage when the CRM
// skipped contacted.
TimeMs ReachedContactedAt(const Contact& c) {
  TimeMs at;
  for (const TimeMs& t : {c.contacted_at, c.sql_at, c.customer_at}) {
    if (t && (!at || *t < *at)) at = t;
  }
  return at;
}

void FinishEffect(ContentEffect& e, int64_t group_total, int64_t converted_total,
                  int64_t min_sample) {
  e.not_clicked.contacts = group_total - e.clicked.contacts;
  e.not_clicked.converted = converted_total - e.clicked.converted;
  e.clicked.rate = Ratio(e.clicked.converted, e.clicked.contacts);
  e.not_clicked.rate = Ratio(e.not_clicked.converted, e.not_clicked.contacts);
  e.insufficient_sample = e.clicked.contacts < min_sample || e.not_clicked.contacts < min_sample;
  if (!e.insufficient_sample && e.clicked.rate && e.not_clicked.rate) {
    e.lift = *e.clicked.rate - *e.not_clicked.rate;
  }
}

// 64 bits: two distinct addresses among millions collide with odds below
// one in ten million.
uint64_t HashEmail(std::string_view email) { return std::hash<std::string_view>{}(email); }

// Address hashes in one flat open-addressing table, at most half full, each
// numbered in order of first appearance: a lookup costs about one cache miss
// where a binary search over millions of sorted hashes cost a score (a fifth
// of a 10M-event audit's time), and a std::unordered_map keyed by the address
// a chain walk and a string compare (a seventh of a contact scan).
class EmailHashIndex {
 public:
  explicit EmailHashIndex(const std::vector<uint64_t>& hashes) {
    size_t slots = 16;
    while (slots < hashes.size() * 2) slots *= 2;
    slots_.assign(slots, kEmpty);
    numbers_.assign(slots, 0);
    mask_ = slots - 1;
    for (uint64_t h : hashes) {
      const size_t i = SlotOf(h);
      if (slots_[i] == kEmpty) {
        slots_[i] = Stored(h);
        numbers_[i] = size_++;
      }
    }
  }

  // The number of `h`, if it is in the table.
  std::optional<int32_t> Find(uint64_t h) const {
    const size_t i = SlotOf(h);
    if (slots_[i] == kEmpty) return std::nullopt;
    return numbers_[i];
  }
  // Reads only the hashes: a lookup that needs no number costs one cache
  // miss, not two.
  bool Contains(uint64_t h) const { return slots_[SlotOf(h)] != kEmpty; }
  // How many distinct hashes the table holds.
  int32_t size() const { return size_; }

 private:
  static constexpr uint64_t kEmpty = 0;
  // 0 marks an empty slot: a hash of 0 is kept as 1.
  static uint64_t Stored(uint64_t h) { return h == kEmpty ? 1 : h; }
  size_t Slot(uint64_t h) const { return static_cast<size_t>(h & mask_); }
  // The slot that holds `h`, or the empty one where it would go.
  size_t SlotOf(uint64_t h) const {
    size_t i = Slot(h);
    while (slots_[i] != kEmpty && slots_[i] != Stored(h)) i = (i + 1) & mask_;
    return i;
  }

  std::vector<uint64_t> slots_;
  std::vector<int32_t> numbers_;
  size_t mask_ = 0;
  int32_t size_ = 0;
};

// Keeps the kQualityExamples smallest addresses offered.
void OfferExample(std::set<std::string>& examples, std::string_view email) {
  if (examples.size() == kQualityExamples && email >= *examples.rbegin()) return;
  examples.emplace(email);
  if (examples.size() > kQualityExamples) examples.erase(std::prev(examples.end()));
}

using CampaignKey = std::pair<std::string, std::string>;  // (source, id)

// What the matching found among one campaign's recipients.
struct CampaignMatch {
  int64_t events_unmatched = 0;
  std::vector<uint64_t> unmatched;  // hashes of the addresses no live contact has
  std::set<std::string> examples;   // the smallest of those addresses
};

// The recipients of each campaign and the audience members matched by
// address to the live contacts, each campaign kept apart (Finish's window
// may leave some out).
struct EmailMatches {
  Status status;
  std::vector<CampaignMatch> campaigns;
  int64_t members = 0;
  int64_t members_not_in_crm = 0;
  std::set<std::string> members_examples;
};

EmailMatches MatchEmailsToContacts(Store& store, const std::vector<CampaignKey>& campaigns) {
  EmailMatches out;
  std::vector<uint64_t> hashes;
  out.status = store.ForEachContactEmail(
      [&](std::string_view email) { hashes.push_back(HashEmail(email)); });
  if (!out.status.ok()) {
    out.status = out.status.WithContext("audit: contacts' emails");
    return out;
  }
  const EmailHashIndex contacts(hashes);
  out.campaigns.resize(campaigns.size());
  for (size_t i = 0; i < campaigns.size(); ++i) {
    CampaignMatch& match = out.campaigns[i];
    out.status = store.ForEachEmailRecipient(
        campaigns[i].first, campaigns[i].second,
        [&](std::string_view email) { return !contacts.Contains(HashEmail(email)); },
        [&](const EmailRecipient& r) {
          if (r.events == 0) return;
          match.events_unmatched += r.events;
          match.unmatched.push_back(HashEmail(r.email));  // an address is one row of a campaign
          OfferExample(match.examples, r.email);
        });
    if (!out.status.ok()) {
      out.status = out.status.WithContext("audit: email recipients");
      return out;
    }
  }

  std::unordered_set<uint64_t> members;
  out.status = store.ForEachEmailMember([&](const StoredEmailMember& row) {
    if (row.deleted_at || row.member.email.empty()) return;
    const uint64_t hash = HashEmail(row.member.email);
    if (!members.insert(hash).second || contacts.Contains(hash)) return;
    ++out.members_not_in_crm;
    OfferExample(out.members_examples, row.member.email);
  });
  if (!out.status.ok()) out.status = out.status.WithContext("audit: email members");
  out.members = static_cast<int64_t>(members.size());
  return out;
}

// A campaign belongs to a window by its send time, or, when the source gives
// none, by its first event (when the first recipient got it). A campaign with
// neither is only in an unbounded window.
bool CampaignInWindow(const TimeMs& at, const AuditWindow& window) {
  return at ? window.Contains(*at) : (!window.from && !window.to);
}

}  // namespace

struct EmailAuditPasses::State {
  AuditWindow bound;
  EmailAuditOptions options;
  // The campaigns of `bound` by (source, id), the time that placed each in
  // it, and what the contacts add to each.
  std::vector<EmailCampaignStats> campaigns;
  std::vector<TimeMs> campaign_at;
  std::vector<CampaignContent> content;
  // The clicks on those campaigns, sorted by recipient, campaign and time;
  // runs_of[recipient] = that recipient's runs, one per clicked campaign.
  std::vector<Click> clicks;
  EmailHashIndex clickers{{}};
  std::vector<std::vector<std::pair<int32_t, ClickRun>>> runs_of;
  std::unordered_set<int64_t> lead_pairs;  // campaign * clickers + recipient
  int64_t mql_total = 0, mql_converted = 0, sql_total = 0, sql_converted = 0;
  // The least and greatest created_at of the cohort, for Finish's check.
  std::optional<int64_t> cohort_first, cohort_last;
  // The matching of recipients and members to contacts, run on a thread of
  // its own from Start to Finish (the store reads on two connections at
  // once): beside the caller's contact read it costs the audit no time.
  std::future<EmailMatches> matches;
};

EmailAuditPasses::EmailAuditPasses(std::unique_ptr<State> state) : state_(std::move(state)) {}
EmailAuditPasses::EmailAuditPasses(EmailAuditPasses&&) noexcept = default;
EmailAuditPasses& EmailAuditPasses::operator=(EmailAuditPasses&&) noexcept = default;
EmailAuditPasses::~EmailAuditPasses() = default;

Result<EmailAuditPasses> EmailAuditPasses::Start(Store& store, const AuditWindow& bound,
                                                 const EmailAuditOptions& options) {
  auto state = std::make_unique<State>();
  State& st = *state;
  st.bound = bound;
  st.options = options;

  // Every live campaign record and every campaign with counted events, keyed
  // (source, id); deleted campaigns drop out with their events.
  std::map<CampaignKey, EmailCampaignStats> candidates;
  std::unordered_set<std::string> deleted;  // "source\nid"
  Status s = store.ForEachEmailCampaign([&](const StoredEmailCampaign& row) {
    if (row.deleted_at) {
      deleted.insert(row.source + '\n' + row.campaign.id);
      return;
    }
    EmailCampaignStats& c = candidates[{row.source, row.campaign.id}];
    c.source = row.source;
    c.id = row.campaign.id;
    c.name = row.campaign.name;
    c.kind = row.campaign.kind;
    c.sent_at = row.campaign.sent_at;
    c.reported = row.campaign.reported;
  });
  if (!s.ok()) return s.WithContext("audit: email campaigns");
  std::map<CampaignKey, TimeMs> first_event_at;
  s = store.ForEachEmailCampaignTotals([&](const EmailCampaignTotals& t) {
    if (deleted.count(t.source + '\n' + t.campaign_id) != 0) return;
    EmailCampaignStats& c = candidates[{t.source, t.campaign_id}];
    c.source = t.source;
    c.id = t.campaign_id;
    c.counts.sent = t.sent;
    c.counts.delivered = t.delivered;
    c.counts.opened = t.opened;
    c.counts.clicked = t.clicked;
    c.counts.bounced = t.bounced;
    c.counts.unsubscribed = t.unsubscribed;
    c.counts.spam_reports = t.spam_reported;
    first_event_at[{t.source, t.campaign_id}] = t.first_event_at;
  });
  if (!s.ok()) return s.WithContext("audit: email campaign totals");

  std::map<CampaignKey, int32_t> index;
  for (auto& [key, c] : candidates) {
    TimeMs at = c.sent_at;
    if (!at) {
      auto it = first_event_at.find(key);
      if (it != first_event_at.end()) at = it->second;
    }
    if (!CampaignInWindow(at, bound)) continue;
    index.emplace(key, static_cast<int32_t>(st.campaigns.size()));
    TakeSendCountsFromReported(c);
    SetRates(c.counts);
    st.campaigns.push_back(std::move(c));
    st.campaign_at.push_back(at);
  }
  st.content.resize(st.campaigns.size());

  // The clicks on the selected campaigns, each recipient numbered once (by
  // address hash, as the matching compares addresses).
  std::vector<uint64_t> clicker_hashes;  // one per click, in the order of `clicks`
  std::vector<Click>& clicks = st.clicks;
  CampaignKey last_key;
  int32_t last_campaign = -1;
  s = store.ForEachEmailClick([&](const EmailClick& click) {
    // Clicks come grouped by campaign: look the campaign up once per group.
    if (click.source != last_key.first || click.campaign_id != last_key.second) {
      last_key = {click.source, click.campaign_id};
      auto it = index.find(last_key);
      last_campaign = it == index.end() ? -1 : it->second;
    }
    // A click at an implausible time cannot be placed before or after anything.
    if (last_campaign < 0 || !IsPlausibleTimeMs(click.occurred_at)) return;
    clicker_hashes.push_back(HashEmail(click.email));
    clicks.push_back(Click{0, last_campaign, click.occurred_at});
  });
  if (!s.ok()) return s.WithContext("audit: email clicks");
  st.clickers = EmailHashIndex(clicker_hashes);
  for (size_t i = 0; i < clicks.size(); ++i) {
    clicks[i].email = *st.clickers.Find(clicker_hashes[i]);
  }
  std::sort(clicks.begin(), clicks.end(), [](const Click& a, const Click& b) {
    return std::tie(a.email, a.campaign, a.at) < std::tie(b.email, b.campaign, b.at);
  });
  st.runs_of.resize(static_cast<size_t>(st.clickers.size()));
  for (size_t i = 0; i < clicks.size();) {
    size_t j = i;
    while (j < clicks.size() && clicks[j].email == clicks[i].email &&
           clicks[j].campaign == clicks[i].campaign) {
      ++j;
    }
    st.runs_of[clicks[i].email].emplace_back(clicks[i].campaign, ClickRun{i, j});
    i = j;
  }
  std::vector<CampaignKey> keys;
  for (const EmailCampaignStats& c : st.campaigns) keys.emplace_back(c.source, c.id);
  st.matches = std::async(MatchEmailsToContacts, std::ref(store), std::move(keys));
  return EmailAuditPasses(std::move(state));
}

// Leads after a click (any contact, any source, created in the attribution
// window after the recipient's first click) and the content groups of the
// cohort.
void EmailAuditPasses::AddContact(const Contact& c) {
  State& st = *state_;
  const std::vector<Click>& clicks = st.clicks;
  const std::vector<std::pair<int32_t, ClickRun>>* runs = nullptr;
  if (!c.email.empty()) {
    if (const std::optional<int32_t> clicker = st.clickers.Find(HashEmail(c.email))) {
      runs = &st.runs_of[*clicker];
    }
  }
  const int64_t clickers = st.clickers.size();
  if (runs != nullptr && c.created_at) {
    for (const auto& [campaign, run] : *runs) {
      const int64_t first_click = clicks[run.begin].at;
      if (*c.created_at >= first_click &&
          *c.created_at - first_click < st.options.attribution_window_ms) {
        st.lead_pairs.insert(campaign * clickers + clicks[run.begin].email);
      }
    }
  }
  if (!c.created_at || !st.bound.Contains(*c.created_at)) return;
  st.cohort_first = std::min(st.cohort_first.value_or(*c.created_at), *c.created_at);
  st.cohort_last = std::max(st.cohort_last.value_or(*c.created_at), *c.created_at);
  static const std::vector<std::pair<int32_t, ClickRun>> kNoRuns;
  if (c.mql_at) {
    const TimeMs next = ReachedContactedAt(c);
    ++st.mql_total;
    st.mql_converted += next.has_value();
    for (const auto& [campaign, run] : runs != nullptr ? *runs : kNoRuns) {
      if (!ClickedBetween(clicks, run, *c.mql_at, next)) continue;
      ContentGroup& g = st.content[campaign].mql_to_contacted.clicked;
      ++g.contacts;
      g.converted += next.has_value();
    }
  }
  if (c.sql_at) {
    ++st.sql_total;
    st.sql_converted += c.customer_at.has_value();
    for (const auto& [campaign, run] : runs != nullptr ? *runs : kNoRuns) {
      if (!ClickedBetween(clicks, run, *c.sql_at, c.customer_at)) continue;
      ContentGroup& g = st.content[campaign].sql_to_won.clicked;
      ++g.contacts;
      g.converted += c.customer_at.has_value();
    }
  }
}

Result<EmailAudit> ComputeEmailAudit(Store& store, const AuditWindow& window,
                                     const EmailAuditOptions& options) {
  auto evidence = StageEvidence::Read(store);
  if (!evidence.ok()) return evidence.status();
  return ComputeEmailAudit(store, *evidence, window, options);
}

Result<EmailAudit> ComputeEmailAudit(Store& store, StageEvidence& evidence,
                                     const AuditWindow& window, const EmailAuditOptions& options) {
  auto passes = EmailAuditPasses::Start(store, window, options);
  if (!passes.ok()) return passes.status();
  Status s = store.ForEachContact([&](const StoredContact& row) {
    if (row.deleted_at) return;
    const std::optional<Contact> cleaned = WithoutImplausibleValues(row.contact);
    passes->AddContact(evidence.Effective(row.source, cleaned ? *cleaned : row.contact));
  });
  if (!s.ok()) return s.WithContext("audit: email leads and content");
  return passes->Finish(window);
}

Result<EmailAudit> EmailAuditPasses::Finish(const AuditWindow& window) {
  State& st = *state_;
  const EmailAuditOptions& options = st.options;
  if ((st.cohort_first && !window.Contains(*st.cohort_first)) ||
      (st.cohort_last && !window.Contains(*st.cohort_last))) {
    return Status::Internal(
        "audit: email: the window given at the end leaves out contacts of "
        "the cohort counted");
  }
  EmailAudit audit;
  audit.window = window;
  audit.options = options;
  std::vector<int64_t> leads(st.campaigns.size(), 0);
  for (int64_t pair : st.lead_pairs) ++leads[static_cast<size_t>(pair / st.clickers.size())];
  EmailMatches matches = st.matches.get();
  if (!matches.status.ok()) return matches.status;
  EmailMatching& matching = audit.matching;
  std::vector<uint64_t> unmatched;
  std::set<std::string> examples;
  // The campaigns of `window`, each on its own: none's figures depend on another's.
  for (size_t i = 0; i < st.campaigns.size(); ++i) {
    if (!CampaignInWindow(st.campaign_at[i], window)) continue;
    st.campaigns[i].counts.leads = leads[i];
    audit.campaigns.push_back(std::move(st.campaigns[i]));
    audit.content.push_back(std::move(st.content[i]));
    const CampaignMatch& match = matches.campaigns[i];
    matching.events_unmatched += match.events_unmatched;
    unmatched.insert(unmatched.end(), match.unmatched.begin(), match.unmatched.end());
    for (const std::string& e : match.examples) OfferExample(examples, e);
  }
  std::sort(unmatched.begin(), unmatched.end());
  matching.recipients_unmatched =
      std::unique(unmatched.begin(), unmatched.end()) - unmatched.begin();
  matching.recipients_unmatched_examples.assign(examples.begin(), examples.end());
  matching.members = matches.members;
  matching.members_not_in_crm = matches.members_not_in_crm;
  matching.members_not_in_crm_examples.assign(matches.members_examples.begin(),
                                              matches.members_examples.end());
  const int64_t mql_total = st.mql_total, mql_converted = st.mql_converted;
  const int64_t sql_total = st.sql_total, sql_converted = st.sql_converted;

  for (size_t i = 0; i < audit.campaigns.size(); ++i) {
    CampaignContent& content = audit.content[i];
    content.source = audit.campaigns[i].source;
    content.id = audit.campaigns[i].id;
    content.name = audit.campaigns[i].name;
    FinishEffect(content.mql_to_contacted, mql_total, mql_converted, options.min_content_sample);
    FinishEffect(content.sql_to_won, sql_total, sql_converted, options.min_content_sample);
  }

  // Underperformers: credibly below the median of the other campaigns large
  // enough to set it (a point below the median is as often noise: a rule on
  // it marked most of a list of similar newsletters), and below the floors.
  struct Rate {
    const char* name;
    std::optional<double> EmailCounts::*rate;
    int64_t EmailCounts::*successes;
    std::optional<double> EmailAudit::*median;
    double floor;
  };
  const Rate rates[] = {
      {"open", &EmailCounts::open_rate, &EmailCounts::opened, &EmailAudit::median_open_rate,
       options.open_rate_floor},
      {"click", &EmailCounts::click_rate, &EmailCounts::clicked, &EmailAudit::median_click_rate,
       options.click_rate_floor},
  };
  for (const Rate& r : rates) {
    std::vector<double> judged;
    for (const EmailCampaignStats& c : audit.campaigns) {
      if (c.counts.delivered >= kMedianMinDelivered) judged.push_back(*(c.counts.*r.rate));
    }
    std::sort(judged.begin(), judged.end());
    audit.*r.median = MedianWithout(judged, std::nullopt);
    for (EmailCampaignStats& c : audit.campaigns) {
      const std::optional<double>& rate = c.counts.*r.rate;
      if (!rate) continue;
      auto flag = [&c, &r](const char* below, std::string why) {
        c.underperforming = true;
        c.underperforming_reasons.push_back(std::string(r.name) + "_rate_below_" + below);
        c.underperforming_why.push_back(std::move(why));
      };
      if (c.counts.delivered >= kMinJudgedDelivered) {
        // The others' median: this campaign's own rate leaves the list.
        const bool in_judged = c.counts.delivered >= kMedianMinDelivered;
        const size_t others = judged.size() - (in_judged ? 1 : 0);
        const ProportionInterval interval =
            WilsonInterval(c.counts.*r.successes, c.counts.delivered, 1.96);
        if (const std::optional<double> median =
                MedianWithout(judged, in_judged ? rate : std::nullopt);
            median && interval.high < *median) {
          flag("median",
               std::string(r.name) + " rate " + PercentText(rate) + " (95% interval " +
                   PercentText(interval.low) + " to " + PercentText(interval.high) + " over " +
                   std::to_string(c.counts.delivered) + " delivered) is below " +
                   PercentText(median) + ", the median of the " + std::to_string(others) +
                   " other campaigns with " + std::to_string(kMedianMinDelivered) + "+ delivered");
        }
      }
      if (r.floor > 0 && *rate < r.floor) {
        flag("floor", std::string(r.name) + " rate " + PercentText(rate) +
                          " is below the floor of " + PercentText(r.floor) + " set in audit." +
                          r.name + "_rate_floor");
      }
    }
  }

  std::map<std::string, EmailFlowStats> flows;
  for (const EmailCampaignStats& c : audit.campaigns) {
    EmailFlowStats& f = flows[c.kind];
    f.kind = c.kind;
    ++f.campaigns;
    f.counts.sent += c.counts.sent;
    f.counts.delivered += c.counts.delivered;
    f.counts.opened += c.counts.opened;
    f.counts.clicked += c.counts.clicked;
    f.counts.bounced += c.counts.bounced;
    f.counts.unsubscribed += c.counts.unsubscribed;
    f.counts.spam_reports += c.counts.spam_reports;
    f.counts.leads += c.counts.leads;
  }
  for (auto& [kind, f] : flows) {
    SetRates(f.counts);
    audit.flows.push_back(std::move(f));
  }
  return audit;
}

namespace {

void WriteInt(JsonWriter& w, const char* key, int64_t v) {
  w.Key(key);
  w.Int64(v);
}

void WriteCounts(JsonWriter& w, const EmailCounts& c) {
  WriteInt(w, "sent", c.sent);
  WriteInt(w, "delivered", c.delivered);
  WriteInt(w, "opened", c.opened);
  WriteInt(w, "clicked", c.clicked);
  w.Key("open_rate");
  w.OptionalDouble(c.open_rate);
  w.Key("click_rate");
  w.OptionalDouble(c.click_rate);
  WriteInt(w, "bounced", c.bounced);
  WriteInt(w, "unsubscribed", c.unsubscribed);
  WriteInt(w, "spam_reports", c.spam_reports);
  WriteInt(w, "leads", c.leads);
}

void WriteGroup(JsonWriter& w, const char* key, const ContentGroup& g) {
  w.Key(key);
  w.StartObject();
  WriteInt(w, "contacts", g.contacts);
  WriteInt(w, "converted", g.converted);
  w.Key("rate");
  w.OptionalDouble(g.rate);
  w.EndObject();
}

void WriteEffect(JsonWriter& w, const char* key, const char* clicked_key, const ContentEffect& e) {
  w.Key(key);
  w.StartObject();
  WriteGroup(w, clicked_key, e.clicked);
  WriteGroup(w, "did_not_click", e.not_clicked);
  w.Key("lift");
  w.OptionalDouble(e.lift);
  w.Key("insufficient_sample");
  w.Bool(e.insufficient_sample);
  w.EndObject();
}

// The members source, id, name: which campaign a row is about.
void WriteCampaignIdentity(JsonWriter& w, const std::string& source, const std::string& id,
                           const std::string& name) {
  w.Key("source");
  w.String(source);
  w.Key("id");
  w.String(id);
  w.Key("name");
  w.String(name);
}

// "reported": the source's own totals, null where it gives none.
void WriteReported(JsonWriter& w, const EmailCampaignCounters& r) {
  w.Key("reported");
  w.StartObject();
  const std::pair<const char*, const std::optional<int64_t>*> counters[] = {
      {"sent", &r.sent},
      {"delivered", &r.delivered},
      {"opens", &r.opens},
      {"unique_opens", &r.unique_opens},
      {"clicks", &r.clicks},
      {"unique_clicks", &r.unique_clicks},
      {"bounces", &r.bounces},
      {"unsubscribes", &r.unsubscribes},
      {"spam_reports", &r.spam_reports}};
  for (const auto& [key, value] : counters) {
    w.Key(key);
    w.OptionalInt64(*value);
  }
  w.EndObject();
}

// "+3.2 pts", or why there is no claim.
std::string Lift(const ContentEffect& e) {
  if (e.insufficient_sample) return "too few";
  if (!e.lift) return "-";
  char buf[32];
  snprintf(buf, sizeof buf, "%+.1f pts", *e.lift * 100.0);
  return buf;
}

// `s` as a cell of the text tables: vendor text, so control characters are
// escaped (a campaign name cannot clear the terminal); cut to `width` bytes.
std::string Clip(const std::string& s, size_t width) {
  const std::string shown = EscapeControlCharacters(s);
  return shown.size() <= width ? shown : shown.substr(0, width - 1) + "~";
}

}  // namespace

void WriteEmailAuditJson(const EmailAudit& audit, JsonWriter& w) {
  w.Key("email");
  w.StartObject();
  w.Key("attribution_window_days");
  w.Double(static_cast<double>(audit.options.attribution_window_ms) / kMsPerDay);
  WriteInt(w, "median_min_delivered", kMedianMinDelivered);
  w.Key("median_open_rate");
  w.OptionalDouble(audit.median_open_rate);
  w.Key("median_click_rate");
  w.OptionalDouble(audit.median_click_rate);
  w.Key("open_rate_floor");
  w.Double(audit.options.open_rate_floor);
  w.Key("click_rate_floor");
  w.Double(audit.options.click_rate_floor);
  w.Key("campaigns");
  w.StartArray();
  for (const EmailCampaignStats& c : audit.campaigns) {
    w.StartObject();
    WriteCampaignIdentity(w, c.source, c.id, c.name);
    w.Key("kind");
    w.String(c.kind);
    w.Key("sent_at");
    w.Time(c.sent_at);
    WriteCounts(w, c.counts);
    w.Key("send_counts_from");
    w.String(c.send_counts_reported ? "reported" : "events");
    WriteReported(w, c.reported);
    w.Key("underperforming");
    w.Bool(c.underperforming);
    w.Key("underperforming_reasons");
    w.StartArray();
    for (const std::string& r : c.underperforming_reasons) w.String(r);
    w.EndArray();
    w.Key("underperforming_why");
    w.StartArray();
    for (const std::string& why : c.underperforming_why) w.String(why);
    w.EndArray();
    w.EndObject();
  }
  w.EndArray();
  w.Key("flows");
  w.StartArray();
  for (const EmailFlowStats& f : audit.flows) {
    w.StartObject();
    w.Key("kind");
    w.String(f.kind);
    WriteInt(w, "campaigns", f.campaigns);
    WriteCounts(w, f.counts);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();

  w.Key("content");
  w.StartObject();
  WriteInt(w, "min_sample", audit.options.min_content_sample);
  w.Key("campaigns");
  w.StartArray();
  for (const CampaignContent& c : audit.content) {
    w.StartObject();
    WriteCampaignIdentity(w, c.source, c.id, c.name);
    WriteEffect(w, "mql_to_contacted", "clicked_between_mql_and_contacted", c.mql_to_contacted);
    WriteEffect(w, "sql_to_won", "clicked_between_sql_and_won", c.sql_to_won);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
}

std::string FormatEmailAuditText(const EmailAudit& audit) {
  std::string out = "Email campaigns (rates over delivered; * underperforming)\n";
  char line[256];
  snprintf(line, sizeof line, "%-28s %-12s %9s %9s %8s %8s %7s %7s %6s %6s %6s\n", "campaign",
           "kind", "sent", "delivered", "opened", "clicked", "open", "click", "bounce", "unsub",
           "leads");
  out += line;
  for (const EmailCampaignStats& c : audit.campaigns) {
    const std::string label = (c.underperforming ? "*" : " ") + (c.name.empty() ? c.id : c.name);
    snprintf(line, sizeof line, "%-28s %-12s %9lld %9lld %8lld %8lld %7s %7s %6lld %6lld %6lld\n",
             Clip(label, 28).c_str(), Clip(c.kind, 12).c_str(),
             static_cast<long long>(c.counts.sent), static_cast<long long>(c.counts.delivered),
             static_cast<long long>(c.counts.opened), static_cast<long long>(c.counts.clicked),
             PercentText(c.counts.open_rate).c_str(), PercentText(c.counts.click_rate).c_str(),
             static_cast<long long>(c.counts.bounced),
             static_cast<long long>(c.counts.unsubscribed), static_cast<long long>(c.counts.leads));
    out += line;
  }
  out += "median open " + PercentText(audit.median_open_rate) + ", median click " +
         PercentText(audit.median_click_rate) + " (campaigns with " +
         std::to_string(kMedianMinDelivered) + "+ delivered)\n";
  for (const EmailCampaignStats& c : audit.campaigns) {
    if (!c.underperforming) continue;
    for (const std::string& why : c.underperforming_why) {
      out += "  underperforming: " + EscapeControlCharacters(c.name.empty() ? c.id : c.name) +
             ": " + why + "\n";
    }
  }

  out += "\nEmail flows\n";
  snprintf(line, sizeof line, "%-28s %9s %9s %7s %7s %6s\n", "kind", "campaigns", "delivered",
           "open", "click", "leads");
  out += line;
  for (const EmailFlowStats& f : audit.flows) {
    snprintf(line, sizeof line, "%-28s %9lld %9lld %7s %7s %6lld\n",
             Clip(f.kind.empty() ? "(none)" : f.kind, 28).c_str(),
             static_cast<long long>(f.campaigns), static_cast<long long>(f.counts.delivered),
             PercentText(f.counts.open_rate).c_str(), PercentText(f.counts.click_rate).c_str(),
             static_cast<long long>(f.counts.leads));
    out += line;
  }

  out +=
      "\nContent: conversion of contacts who clicked a campaign in the stage vs those who "
      "did not (groups under " +
      std::to_string(audit.options.min_content_sample) + " contacts: no claim)\n";
  snprintf(line, sizeof line, "%-28s %-26s %-26s %-26s %-26s\n", "campaign",
           "mql->contacted clicked", "mql->contacted not", "sql->won clicked", "sql->won not");
  out += line;
  auto group = [](const ContentGroup& g) {
    return PercentText(g.rate) + " of " + std::to_string(g.contacts);
  };
  for (const CampaignContent& c : audit.content) {
    snprintf(line, sizeof line, "%-28s %-26s %-26s %-26s %-26s\n",
             Clip(c.name.empty() ? c.id : c.name, 28).c_str(),
             (group(c.mql_to_contacted.clicked) + " " + Lift(c.mql_to_contacted)).c_str(),
             group(c.mql_to_contacted.not_clicked).c_str(),
             (group(c.sql_to_won.clicked) + " " + Lift(c.sql_to_won)).c_str(),
             group(c.sql_to_won.not_clicked).c_str());
    out += line;
  }
  return out;
}

}  // namespace salesaudit
