// The email and content audit (docs/audit.md "Email", "Content") on small
// stores whose figures are worked out by hand.
#include "audit/email_audit.h"

#include <rapidjson/document.h>

#include <catch2/catch.hpp>
#include <memory>
#include <string>
#include <vector>

#include "tests/support/subprocess.h"

namespace salesaudit {
namespace {

constexpr int64_t kDay = 24LL * 3600 * 1000;
constexpr int64_t kT0 = 1704067200000;  // 2024-01-01T00:00:00Z

// A store in a temporary directory, filled through CommitPage as a sync would.
class TestStore {
 public:
  TestStore() {
    auto opened = Store::Open(dir_.File("s.db"));
    INFO(opened.status().ToString());
    REQUIRE(opened.ok());
    store_ = std::move(opened).value();
  }
  Store& store() { return *store_; }

  void Campaign(const std::string& id, TimeMs sent_at, const std::string& kind = "newsletter",
                const std::string& source = "esp", const EmailCampaignCounters& reported = {}) {
    Page page = NewPage();
    EmailCampaign& c = page.campaigns.emplace_back();
    c.id = id;
    c.name = "Campaign " + id;
    c.kind = kind;
    c.sent_at = sent_at;
    c.reported = reported;
    Commit(source, page);
  }

  void Event(const std::string& campaign, const std::string& email, const std::string& type,
             int64_t at, bool machine = false) {
    Page page = NewPage();
    EmailEvent& e = page.events.emplace_back();
    e.id = "e" + std::to_string(next_id_++);
    e.campaign_id = campaign;
    e.email = email;
    e.type = type;
    e.occurred_at = at;
    e.machine = machine;
    Commit("esp", page);
  }

  // `n` recipients r<first>..: delivered each, the first `opened` opening
  // (a human), the first `clicked` clicking.
  void Audience(const std::string& campaign, int first, int n, int opened, int clicked) {
    Page page = NewPage();
    for (int i = 0; i < n; ++i) {
      const std::string email = "r" + std::to_string(first + i) + "@x.com";
      for (const char* type : {"sent", "delivered", "open", "click"}) {
        const std::string t = type;
        if ((t == "open" && i >= opened) || (t == "click" && i >= clicked)) continue;
        EmailEvent& e = page.events.emplace_back();
        e.id = "e" + std::to_string(next_id_++);
        e.campaign_id = campaign;
        e.email = email;
        e.type = t;
        e.occurred_at = kT0 + kDay;
      }
    }
    Commit("esp", page);
  }

  void Add(const Contact& c, const std::string& source = "crm") {
    Page page = NewPage();
    page.contacts.push_back(c);
    Commit(source, page);
  }

  void Member(const std::string& id, const std::string& email, const std::string& source = "esp") {
    Page page = NewPage();
    EmailMember& m = page.members.emplace_back();
    m.id = id;
    m.email = email;
    m.status = "subscribed";
    Commit(source, page);
  }

  void Delete(RecordKind kind, const std::string& id, const std::string& source) {
    Page page = NewPage();
    page.deletions.push_back(Deletion{kind, id, kT0, ""});
    Commit(source, page);
  }

  EmailAudit Audit(const AuditWindow& window, const EmailAuditOptions& options = {}) {
    auto audit = ComputeEmailAudit(*store_, window, options);
    INFO(audit.status().ToString());
    REQUIRE(audit.ok());
    return std::move(audit).value();
  }

 private:
  static Page NewPage() {
    Page page;
    page.stream = "s";
    page.cursor = "c";
    return page;
  }
  void Commit(const std::string& source, const Page& page) {
    Status s = store_->CommitPage(source, page);
    INFO(s.ToString());
    REQUIRE(s.ok());
  }

  testing::TempDir dir_;
  std::unique_ptr<Store> store_;
  int next_id_ = 0;
};

Contact MakeContact(const std::string& id, const std::string& email, TimeMs created,
                    TimeMs mql = {}, TimeMs contacted = {}, TimeMs sql = {}, TimeMs won = {}) {
  Contact c;
  c.id = id;
  c.email = email;
  c.created_at = created;
  c.mql_at = mql;
  c.contacted_at = contacted;
  c.sql_at = sql;
  c.customer_at = won;
  return c;
}

const EmailCampaignStats* Find(const EmailAudit& audit, const std::string& id) {
  for (const EmailCampaignStats& c : audit.campaigns) {
    if (c.id == id) return &c;
  }
  return nullptr;
}

const AuditWindow kYear{kT0, kT0 + 366 * kDay};

TEST_CASE("Campaign counts are distinct recipients and rates are over delivered",
          "[audit][email]") {
  TestStore t;
  t.Campaign("m1", kT0);
  t.Campaign("m2", kT0);
  // m1: a opens twice and clicks twice; b only opens by machine; c bounces;
  // d unsubscribes; e reports spam.
  for (const char* who : {"a", "b", "c", "d", "e"})
    t.Event("m1", std::string(who) + "@x.com", "sent", kT0);
  for (const char* who : {"a", "b", "d", "e"}) {
    t.Event("m1", std::string(who) + "@x.com", "delivered", kT0 + 1);
  }
  t.Event("m1", "a@x.com", "open", kT0 + 2);
  t.Event("m1", "A@x.com", "open", kT0 + 3);
  t.Event("m1", "a@x.com", "click", kT0 + 4);
  t.Event("m1", "a@x.com", "click", kT0 + 5);
  t.Event("m1", "b@x.com", "open", kT0 + 2, true);
  t.Event("m1", "c@x.com", "bounce", kT0 + 1);
  t.Event("m1", "d@x.com", "unsubscribe", kT0 + 9);
  t.Event("m1", "e@x.com", "spam", kT0 + 9);
  // m2: sent only, nothing delivered.
  t.Event("m2", "a@x.com", "sent", kT0);

  struct Case {
    const char* id;
    int64_t sent, delivered, opened, clicked, bounced, unsubscribed, spam;
    std::optional<double> open_rate, click_rate;
  };
  const Case cases[] = {
      {"m1", 5, 4, 1, 1, 1, 1, 1, 0.25, 0.25},
      {"m2", 1, 0, 0, 0, 0, 0, 0, std::nullopt, std::nullopt},
  };
  EmailAudit audit = t.Audit(kYear);
  REQUIRE(audit.campaigns.size() == 2);
  for (const Case& c : cases) {
    INFO(c.id);
    const EmailCampaignStats* s = Find(audit, c.id);
    REQUIRE(s != nullptr);
    CHECK(s->name == std::string("Campaign ") + c.id);
    CHECK(s->counts.sent == c.sent);
    CHECK(s->counts.delivered == c.delivered);
    CHECK(s->counts.opened == c.opened);
    CHECK(s->counts.clicked == c.clicked);
    CHECK(s->counts.bounced == c.bounced);
    CHECK(s->counts.unsubscribed == c.unsubscribed);
    CHECK(s->counts.spam_reports == c.spam);
    CHECK(s->counts.open_rate == c.open_rate);
    CHECK(s->counts.click_rate == c.click_rate);
  }
  // One flow (both are newsletters): sums, rates from the sums.
  REQUIRE(audit.flows.size() == 1);
  CHECK(audit.flows[0].kind == "newsletter");
  CHECK(audit.flows[0].campaigns == 2);
  CHECK(audit.flows[0].counts.sent == 6);
  CHECK(audit.flows[0].counts.delivered == 4);
  CHECK(audit.flows[0].counts.open_rate == 0.25);
}

TEST_CASE("Campaigns belong to the window by send time, or by first event without one",
          "[audit][email]") {
  TestStore t;
  t.Campaign("sent_in", kT0 + 10 * kDay);
  t.Campaign("sent_before", kT0 - kDay);
  t.Event("sent_before", "a@x.com", "delivered", kT0 + 10 * kDay);  // event time does not matter
  t.Campaign("unsent_events_in", std::nullopt);
  t.Event("unsent_events_in", "a@x.com", "delivered", kT0 + 5 * kDay);
  t.Campaign("unsent_events_before", std::nullopt);
  t.Event("unsent_events_before", "a@x.com", "delivered", kT0 - 5 * kDay);
  t.Event("unsent_events_before", "b@x.com", "delivered", kT0 + 5 * kDay);
  t.Event("no_record", "a@x.com", "delivered", kT0 + 5 * kDay);
  t.Campaign("deleted", kT0 + kDay);
  t.Event("deleted", "a@x.com", "delivered", kT0 + kDay);
  t.Delete(RecordKind::kEmailCampaign, "deleted", "esp");
  t.Campaign("no_time", std::nullopt);

  struct Case {
    const char* name;
    AuditWindow window;
    std::vector<std::string> ids;
  };
  const Case cases[] = {
      {"the year", kYear, {"no_record", "sent_in", "unsent_events_in"}},
      {"any time",
       AuditWindow{},
       {"no_record", "no_time", "sent_before", "sent_in", "unsent_events_before",
        "unsent_events_in"}},
      {"from day 6", AuditWindow{kT0 + 6 * kDay, std::nullopt}, {"sent_in"}},
  };
  for (const Case& c : cases) {
    INFO(c.name);
    std::vector<std::string> ids;
    for (const EmailCampaignStats& s : t.Audit(c.window).campaigns) ids.push_back(s.id);
    CHECK(ids == c.ids);
  }
}

TEST_CASE("A lead is a contact created in the attribution window after the first click",
          "[audit][email]") {
  const int64_t window = 7 * kDay;
  const int64_t click = kT0 + kDay;
  struct Case {
    const char* name;
    std::vector<std::pair<std::string, TimeMs>> contacts;  // source, created_at
    int64_t leads;
  };
  const Case cases[] = {
      {"created just before the first click", {{"crm", click - 1}}, 0},
      {"created at the first click", {{"crm", click}}, 1},
      {"created at the window's last millisecond", {{"crm", click + window - 1}}, 1},
      {"created as the window ends", {{"crm", click + window}}, 0},
      {"created after a later click but past the first click's window",
       {{"crm", click + window + kDay}},
       0},
      {"two contacts of one person in two sources count once",
       {{"crm", click + kDay}, {"other", click + 2 * kDay}},
       1},
      {"no created date", {{"crm", std::nullopt}}, 0},
  };
  for (const Case& c : cases) {
    INFO(c.name);
    TestStore t;
    t.Campaign("m1", kT0);
    t.Event("m1", "p@x.com", "click", click);
    t.Event("m1", "p@x.com", "click", click + window + kDay / 2);
    t.Event("m1", "q@x.com", "open", click);  // opened, never clicked
    int n = 0;
    for (const auto& [source, created] : c.contacts) {
      t.Add(MakeContact("c" + std::to_string(n++), "P@x.com", created), source);
    }
    t.Add(MakeContact("q", "q@x.com", click + kDay));
    EmailAuditOptions options;
    options.attribution_window_ms = window;
    EmailAudit audit = t.Audit(kYear, options);
    REQUIRE(audit.campaigns.size() == 1);
    CHECK(audit.campaigns[0].counts.leads == c.leads);
    CHECK(audit.flows[0].counts.leads == c.leads);
  }
}

TEST_CASE("A deleted contact or click brings no lead", "[audit][email]") {
  TestStore t;
  t.Campaign("m1", kT0);
  t.Event("m1", "p@x.com", "click", kT0);  // e0
  t.Add(MakeContact("p", "p@x.com", kT0 + 1));
  t.Event("m1", "q@x.com", "click", kT0);  // e1
  t.Add(MakeContact("q", "q@x.com", kT0 + 1));
  CHECK(t.Audit(kYear).campaigns[0].counts.leads == 2);
  t.Delete(RecordKind::kContact, "p", "crm");
  t.Delete(RecordKind::kEmailEvent, "e1", "esp");
  CHECK(t.Audit(kYear).campaigns[0].counts.leads == 0);
}

TEST_CASE("Underperformers fall below the median of judged campaigns or below a floor",
          "[audit][email]") {
  TestStore t;
  // delivered 100 each: open 20/30/40%, click 5/10/2%.
  t.Campaign("a", kT0);
  t.Audience("a", 0, 100, 20, 5);
  t.Campaign("b", kT0);
  t.Audience("b", 100, 100, 30, 10);
  t.Campaign("c", kT0);
  t.Audience("c", 200, 100, 40, 2);
  // Too small to judge against the median (10 delivered), open rate 10%.
  t.Campaign("small", kT0);
  t.Audience("small", 300, 10, 1, 1);

  struct Case {
    const char* name;
    double open_floor, click_floor;
    std::vector<std::pair<std::string, std::vector<std::string>>> flagged;
  };
  const Case cases[] = {
      {"median only",
       0,
       0,
       {{"a", {"open_rate_below_median"}}, {"c", {"click_rate_below_median"}}}},
      {"with floors",
       0.25,
       0.03,
       {{"a", {"open_rate_below_median", "open_rate_below_floor"}},
        {"c", {"click_rate_below_median", "click_rate_below_floor"}},
        {"small", {"open_rate_below_floor"}}}},
  };
  for (const Case& c : cases) {
    INFO(c.name);
    EmailAuditOptions options;
    options.open_rate_floor = c.open_floor;
    options.click_rate_floor = c.click_floor;
    EmailAudit audit = t.Audit(kYear, options);
    CHECK(audit.median_open_rate == Approx(0.3));
    CHECK(audit.median_click_rate == Approx(0.05));
    std::vector<std::pair<std::string, std::vector<std::string>>> flagged;
    for (const EmailCampaignStats& s : audit.campaigns) {
      CHECK(s.underperforming == !s.underperforming_reasons.empty());
      if (s.underperforming) flagged.emplace_back(s.id, s.underperforming_reasons);
    }
    CHECK(flagged == c.flagged);
  }
}

TEST_CASE(
    "A campaign underperforms only when credibly below the others' median, small ones included",
    "[audit][email]") {
  TestStore t;
  // Ten newsletters of 1,000 delivered, open rates 25.0% to 25.9%: each up
  // to 0.9 points from the median, none credibly below the others.
  for (int i = 0; i < 10; ++i) {
    const std::string id = "n" + std::to_string(i);
    t.Campaign(id, kT0);
    t.Audience(id, i * 1000, 1000, 250 + i, 10);
  }
  // 40 delivered, 2 opens (5%): far below, and enough to say so.
  t.Campaign("small-bad", kT0);
  t.Audience("small-bad", 20000, 40, 2, 0);
  // 30 delivered, 6 opens (20%): below the median, but 30 cannot tell.
  t.Campaign("small-unclear", kT0);
  t.Audience("small-unclear", 21000, 30, 6, 0);
  // 10 delivered, no open: too few to judge at all.
  t.Campaign("tiny", kT0);
  t.Audience("tiny", 22000, 10, 0, 0);

  EmailAudit audit = t.Audit(kYear);
  std::vector<std::string> flagged;
  for (const EmailCampaignStats& s : audit.campaigns) {
    if (s.underperforming) flagged.push_back(s.id);
  }
  CHECK(flagged == std::vector<std::string>{"small-bad"});
  const EmailCampaignStats* bad = Find(audit, "small-bad");
  REQUIRE(bad != nullptr);
  CHECK(bad->underperforming_reasons == std::vector<std::string>{"open_rate_below_median"});
  REQUIRE(bad->underperforming_why.size() == 1);
  // Wilson 95% for 2 of 40: 1.4% to 16.5%; the ten others' median 25.4/25.5%.
  CHECK(bad->underperforming_why[0] ==
        "open rate 5.0% (95% interval 1.4% to 16.5% over 40 delivered) is below 25.4%, the "
        "median of the 10 other campaigns with 50+ delivered");
}

TEST_CASE("The Wilson interval matches published values and stays inside [0, 1]", "[audit]") {
  // 2 of 40 and 0 of 10 at 95% (Newcombe 1998, method 3).
  ProportionInterval i = WilsonInterval(2, 40, 1.96);
  CHECK(i.low == Approx(0.0138).margin(0.0001));
  CHECK(i.high == Approx(0.1650).margin(0.0001));
  i = WilsonInterval(0, 10, 1.96);
  CHECK(i.low == 0.0);
  CHECK(i.high == Approx(0.2775).margin(0.0001));
  i = WilsonInterval(10, 10, 1.96);
  CHECK(i.high == 1.0);
  CHECK(i.low == Approx(0.7225).margin(0.0001));
}

TEST_CASE("No median without a campaign of enough deliveries", "[audit][email]") {
  TestStore t;
  t.Campaign("small", kT0);
  t.Audience("small", 0, kMedianMinDelivered - 1, 0, 0);
  EmailAudit audit = t.Audit(kYear);
  CHECK_FALSE(audit.median_open_rate.has_value());
  CHECK_FALSE(audit.median_click_rate.has_value());
  CHECK_FALSE(audit.campaigns[0].underperforming);
}

TEST_CASE("Content compares stage conversion of clickers in the stage with everyone else",
          "[audit][email]") {
  // MQLs at day 10 (created day 1); the click on m1 at `click`; contacted at
  // `contacted` (unset: never).
  struct Mql {
    const char* name;
    TimeMs click;
    TimeMs contacted;
    bool in_clicked_group;
  };
  const int64_t mql = kT0 + 10 * kDay;
  const Mql mqls[] = {
      {"clicked at the MQL moment", mql, mql + 5 * kDay, true},
      {"clicked just before contacted", mql + 5 * kDay - 1, mql + 5 * kDay, true},
      {"clicked as contacted", mql + 5 * kDay, mql + 5 * kDay, false},
      {"clicked before MQL", mql - 1, mql + 5 * kDay, false},
      {"never contacted, clicked later", mql + 50 * kDay, std::nullopt, true},
      {"never contacted, never clicked", std::nullopt, std::nullopt, false},
      {"contacted, never clicked", std::nullopt, mql + kDay, false},
  };
  TestStore t;
  t.Campaign("m1", kT0);
  int n = 0;
  for (const Mql& m : mqls) {
    const std::string email = "m" + std::to_string(n) + "@x.com";
    if (m.click) t.Event("m1", email, "click", *m.click);
    t.Add(MakeContact("c" + std::to_string(n++), email, kT0 + kDay, mql, m.contacted));
  }
  // SQLs: one clicks between sql and won and wins; one clicks after winning.
  t.Event("m1", "s1@x.com", "click", kT0 + 20 * kDay);
  t.Add(MakeContact("s1", "s1@x.com", kT0 + kDay, {}, {}, kT0 + 15 * kDay, kT0 + 30 * kDay));
  t.Event("m1", "s2@x.com", "click", kT0 + 40 * kDay);
  t.Add(MakeContact("s2", "s2@x.com", kT0 + kDay, {}, {}, kT0 + 15 * kDay, kT0 + 30 * kDay));
  // Outside the cohort: created before the window.
  t.Event("m1", "old@x.com", "click", mql + kDay);
  t.Add(MakeContact("old", "old@x.com", kT0 - kDay, mql));

  struct Case {
    const char* name;
    int64_t min_sample;
    bool insufficient;
  };
  const Case cases[] = {{"samples large enough", 3, false}, {"too few clickers", 4, true}};
  for (const Case& c : cases) {
    INFO(c.name);
    EmailAuditOptions options;
    options.min_content_sample = c.min_sample;
    EmailAudit audit = t.Audit(kYear, options);
    REQUIRE(audit.content.size() == 1);
    const ContentEffect& e = audit.content[0].mql_to_contacted;
    // Clicked: the three marked, two of them contacted.
    CHECK(e.clicked.contacts == 3);
    CHECK(e.clicked.converted == 2);
    CHECK(e.not_clicked.contacts == 4);
    CHECK(e.not_clicked.converted == 3);
    CHECK(e.clicked.rate == Approx(2.0 / 3));
    CHECK(e.not_clicked.rate == Approx(0.75));
    CHECK(e.insufficient_sample == c.insufficient);
    if (c.insufficient) {
      CHECK_FALSE(e.lift.has_value());
    } else {
      REQUIRE(e.lift.has_value());
      CHECK(*e.lift == Approx(2.0 / 3 - 0.75));
    }
    const ContentEffect& w = audit.content[0].sql_to_won;
    CHECK(w.clicked.contacts == 1);
    CHECK(w.clicked.converted == 1);
    CHECK(w.not_clicked.contacts == 1);
    CHECK(w.not_clicked.converted == 1);
    CHECK(w.insufficient_sample);
    CHECK_FALSE(w.lift.has_value());
  }
}

TEST_CASE("Without send events a campaign's sent and delivered come from the tool's counts",
          "[audit][email]") {
  TestStore t;
  EmailCampaignCounters mailchimp;
  mailchimp.sent = 100;
  mailchimp.unique_opens = 3;
  t.Campaign("mc", kT0, "regular", "esp", mailchimp);
  EmailCampaignCounters with_delivered = mailchimp;
  with_delivered.delivered = 90;
  t.Campaign("mc2", kT0, "regular", "esp", with_delivered);
  EmailCampaignCounters hubspot;
  hubspot.sent = 500;  // events carry sends: they win
  t.Campaign("hs", kT0, "BATCH_EMAIL", "esp", hubspot);
  // Opens and clicks only, and two bounced recipients.
  t.Event("mc", "a@x.com", "open", kT0 + 1);
  t.Event("mc", "a@x.com", "open", kT0 + 2);
  t.Event("mc", "b@x.com", "open", kT0 + 3);
  t.Event("mc", "b@x.com", "click", kT0 + 4);
  t.Event("mc", "c@x.com", "bounce", kT0 + 5);
  t.Event("mc", "d@x.com", "bounce", kT0 + 6);
  t.Event("mc2", "a@x.com", "open", kT0 + 1);
  t.Audience("hs", 0, 4, 2, 1);

  const EmailAudit audit = t.Audit({});
  REQUIRE(audit.campaigns.size() == 3);
  const EmailCampaignStats& hs = audit.campaigns[0];
  const EmailCampaignStats& mc = audit.campaigns[1];
  const EmailCampaignStats& mc2 = audit.campaigns[2];
  REQUIRE(mc.id == "mc");
  CHECK(mc.send_counts_reported);
  CHECK(mc.counts.sent == 100);
  CHECK(mc.counts.delivered == 98);  // Mailchimp's base: sent less bounced
  CHECK(mc.counts.opened == 2);
  CHECK(mc.counts.open_rate == Approx(2.0 / 98));
  CHECK(mc.counts.click_rate == Approx(1.0 / 98));
  CHECK(mc2.counts.delivered == 90);
  CHECK(mc2.counts.open_rate == Approx(1.0 / 90));
  REQUIRE(hs.id == "hs");
  CHECK_FALSE(hs.send_counts_reported);
  CHECK(hs.counts.sent == 4);
  CHECK(hs.counts.delivered == 4);
}

TEST_CASE("Events and audience members to addresses no live CRM contact has are counted",
          "[audit][email]") {
  TestStore t;
  t.Campaign("in", kT0);
  t.Campaign("old", kT0 - 30 * kDay);
  // r0..r4 got "in": r0 and r1 are CRM contacts (r1 only in a second CRM),
  // r2's contact is deleted, r3 and r4 are nobody's.
  t.Audience("in", 0, 5, 5, 1);
  t.Audience("old", 7, 1, 1, 0);  // outside the window: not counted
  t.Add(MakeContact("a", "r0@x.com", kT0));
  t.Add(MakeContact("b", "r1@x.com", kT0), "crm2");
  t.Add(MakeContact("c", "r2@x.com", kT0));
  t.Delete(RecordKind::kContact, "c", "crm");
  // Members: r0 (in the CRM), r3 twice in two sources (one address), r9,
  // and a deleted one.
  t.Member("m0", "r0@x.com");
  t.Member("m3", "r3@x.com");
  t.Member("m3b", "r3@x.com", "esp2");
  t.Member("m9", "r9@x.com");
  t.Member("gone", "r8@x.com");
  t.Delete(RecordKind::kEmailMember, "gone", "esp");

  const EmailAudit audit = t.Audit({kT0 - kDay, kT0 + 10 * kDay});
  const EmailMatching& m = audit.matching;
  // r2: sent, delivered, open = 3 events; r3, r4 likewise.
  CHECK(m.events_unmatched == 9);
  CHECK(m.recipients_unmatched == 3);
  CHECK(m.recipients_unmatched_examples ==
        std::vector<std::string>{"r2@x.com", "r3@x.com", "r4@x.com"});
  CHECK(m.members == 3);
  CHECK(m.members_not_in_crm == 2);
  CHECK(m.members_not_in_crm_examples == std::vector<std::string>{"r3@x.com", "r9@x.com"});
}

TEST_CASE("Unmatched examples are the first addresses in order, at most five", "[audit][email]") {
  TestStore t;
  t.Campaign("in", kT0);
  t.Audience("in", 10, 8, 0, 0);  // r10..r17, nobody in the CRM
  const EmailMatching m = t.Audit({}).matching;
  CHECK(m.events_unmatched == 16);
  CHECK(m.recipients_unmatched == 8);
  CHECK(m.recipients_unmatched_examples ==
        std::vector<std::string>{"r10@x.com", "r11@x.com", "r12@x.com", "r13@x.com", "r14@x.com"});
}

TEST_CASE("The JSON has the documented email and content keys with nulls for missing rates",
          "[audit][email]") {
  TestStore t;
  t.Campaign("m1", kT0);
  t.Audience("m1", 0, 4, 2, 1);
  t.Campaign("m2", kT0, "nurture");
  EmailAuditOptions options;
  options.open_rate_floor = 0.6;
  EmailAudit audit = t.Audit(kYear, options);
  JsonWriter w;
  w.StartObject();
  WriteEmailAuditJson(audit, w);
  w.EndObject();
  const std::string json = w.TakeString();
  rapidjson::Document doc;
  doc.Parse(json.c_str());
  INFO(json);
  REQUIRE_FALSE(doc.HasParseError());
  REQUIRE(doc["email"]["campaigns"].Size() == 2);
  const auto& m1 = doc["email"]["campaigns"][0];
  for (const char* key : {"source", "id", "name", "sent", "delivered", "opened", "clicked",
                          "open_rate", "click_rate", "leads", "underperforming", "kind", "bounced",
                          "unsubscribed", "spam_reports", "underperforming_reasons"}) {
    INFO(key);
    CHECK(m1.HasMember(key));
  }
  CHECK(std::string(m1["id"].GetString()) == "m1");
  CHECK(m1["delivered"].GetInt64() == 4);
  CHECK(m1["open_rate"].GetDouble() == 0.5);
  CHECK(m1["underperforming"].GetBool());
  CHECK(std::string(m1["underperforming_reasons"][0].GetString()) == "open_rate_below_floor");
  const auto& m2 = doc["email"]["campaigns"][1];
  CHECK(m2["open_rate"].IsNull());
  CHECK(m2["click_rate"].IsNull());
  CHECK(doc["email"]["median_open_rate"].IsNull());
  CHECK(doc["email"]["attribution_window_days"].GetDouble() == 7.0);
  CHECK(doc["email"]["flows"].Size() == 2);
  CHECK(std::string(doc["email"]["flows"][1]["kind"].GetString()) == "nurture");

  CHECK(doc["content"]["min_sample"].GetInt64() == 30);
  const auto& c = doc["content"]["campaigns"][0];
  CHECK(std::string(c["id"].GetString()) == "m1");
  CHECK(c["mql_to_contacted"]["clicked_between_mql_and_contacted"]["contacts"].GetInt64() == 0);
  CHECK(c["mql_to_contacted"]["clicked_between_mql_and_contacted"]["rate"].IsNull());
  CHECK(c["mql_to_contacted"]["did_not_click"].HasMember("converted"));
  CHECK(c["mql_to_contacted"]["lift"].IsNull());
  CHECK(c["mql_to_contacted"]["insufficient_sample"].GetBool());
  CHECK(c["sql_to_won"]["clicked_between_sql_and_won"].IsObject());
}

TEST_CASE("The text names each campaign and marks underperformers", "[audit][email]") {
  TestStore t;
  t.Campaign("m1", kT0);
  t.Audience("m1", 0, 4, 2, 1);
  EmailAuditOptions options;
  options.click_rate_floor = 0.5;
  const std::string text = FormatEmailAuditText(t.Audit(kYear, options));
  CHECK_THAT(text, Catch::Contains("*Campaign m1"));
  CHECK_THAT(text, Catch::Contains("50.0%"));
  CHECK_THAT(text,
             Catch::Contains("underperforming: Campaign m1: click rate 25.0% is below the floor of "
                             "50.0% set in audit.click_rate_floor"));
  CHECK_THAT(text, Catch::Contains("newsletter"));
}

}  // namespace
}  // namespace salesaudit
