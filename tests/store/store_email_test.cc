// Email records in a store on real SQLite files: campaign totals the
// triggers keep, checked against a plain SQL recount, recipients, clicks,
// email members and the counters a source reports.
#include <catch2/catch.hpp>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "store/store.h"
#include "tests/store/store_fixtures.h"
#include "tests/support/subprocess.h"

namespace salesaudit {
namespace {

using testing::CommitEvents;
using testing::Count;
using testing::MakeEvent;
using testing::OpenOrDie;
using testing::RawDb;
using testing::TempDir;
using testing::TotalsText;

// The same figures recomputed from the live events with plain SQL, as a BI
// user would: what the triggers must agree with.
std::vector<std::string> RecomputedTotalsText(const std::string& path) {
  RawDb raw(path);
  return raw.Column(
      "SELECT source || '/' || campaign_id || ' ' || "
      "count(DISTINCT CASE WHEN type = 'sent' THEN email END) || '/' || "
      "count(DISTINCT CASE WHEN type = 'delivered' THEN email END) || '/' || "
      "count(DISTINCT CASE WHEN type = 'open' AND machine = 0 THEN email END) || '/' || "
      "count(DISTINCT CASE WHEN type = 'open' AND machine = 1 THEN email END) || '/' || "
      "count(DISTINCT CASE WHEN type = 'click' AND machine = 0 THEN email END) || '/' || "
      "count(DISTINCT CASE WHEN type = 'bounce' THEN email END) || '/' || "
      "count(DISTINCT CASE WHEN type = 'unsubscribe' THEN email END) || '/' || "
      "count(DISTINCT CASE WHEN type = 'spam' THEN email END) || ' ' || "
      "coalesce(min(occurred_at), 'NULL') "
      "FROM email_events WHERE deleted_at IS NULL AND campaign_id IS NOT NULL "
      "AND email IS NOT NULL GROUP BY source, campaign_id ORDER BY source, campaign_id");
}

TEST_CASE("Campaign totals count distinct recipients and never a machine open or click as human",
          "[store]") {
  TempDir dir;
  const std::string path = dir.File("s.db");
  auto store = OpenOrDie(path);
  CommitEvents(*store, {
                           MakeEvent("1", "m1", "a@x.com", "sent", 500),
                           MakeEvent("2", "m1", "a@x.com", "delivered", 510),
                           MakeEvent("3", "m1", "a@x.com", "open", 600),
                           MakeEvent("4", "m1", "A@X.com ", "open", 700),  // same recipient
                           MakeEvent("5", "m1", "a@x.com", "click", 800),
                           MakeEvent("6", "m1", "a@x.com", "click", 900),
                           MakeEvent("7", "m1", "b@x.com", "sent", 400),
                           MakeEvent("8", "m1", "b@x.com", "delivered", 410),
                           MakeEvent("9", "m1", "b@x.com", "open", 420, true),  // machine only
                           MakeEvent("10", "m1", "c@x.com", "sent", 450),
                           MakeEvent("11", "m1", "c@x.com", "bounce", 460),
                           MakeEvent("12", "m2", "a@x.com", "unsubscribe", 1000),
                           MakeEvent("13", "m2", "b@x.com", "spam", 1100),
                           MakeEvent("16", "m2", "c@x.com", "click", 1200, true),  // a scanner
                           MakeEvent("14", "", "d@x.com", "open", 10),             // no campaign
                           MakeEvent("15", "m2", "", "open", 20),                  // no recipient
                       });
  CHECK(TotalsText(*store) ==
        std::vector<std::string>{"esp/m1 3/2/1/1/1/1/0/0 400", "esp/m2 0/0/0/0/0/0/1/1 1000"});
  CHECK(TotalsText(*store) == RecomputedTotalsText(path));

  RawDb raw(path);
  CHECK(raw.One("SELECT human_opens || '/' || machine_opens || '/' || clicks FROM "
                "email_campaign_recipients WHERE campaign_id = 'm1' AND email = 'a@x.com'") ==
        "2/0/2");
  CHECK(raw.One("SELECT machine FROM v_email_events WHERE id = '9'") == "1");
  std::vector<StoredEmailEvent> events;
  REQUIRE(store->ForEachEmailEvent([&](const StoredEmailEvent& e) { events.push_back(e); }).ok());
  REQUIRE(events.size() == 16);
  for (const StoredEmailEvent& e : events) {
    CHECK(e.event.machine == (e.event.id == "9" || e.event.id == "16"));
  }
  std::vector<std::string> clicks;
  REQUIRE(store
              ->ForEachEmailClick(
                  [&](const EmailClick& c) { clicks.push_back(c.campaign_id + "/" + c.email); })
              .ok());
  CHECK(clicks == std::vector<std::string>{"m1/a@x.com", "m1/a@x.com"});
  CHECK(raw.One("SELECT count(*) FROM email_campaign_stats WHERE source = 'esp'") == "2");
}

TEST_CASE("A campaign's recipients come with their event counts, only the addresses asked for",
          "[store]") {
  TempDir dir;
  auto store = OpenOrDie(dir.File("s.db"));
  CommitEvents(
      *store,
      {MakeEvent("1", "m1", "b@x.com", "sent", 500), MakeEvent("2", "m1", "b@x.com", "open", 600),
       MakeEvent("3", "m1", "a@x.com", "sent", 400), MakeEvent("4", "m2", "c@x.com", "sent", 450)});
  std::vector<std::string> asked;
  std::vector<std::string> read;
  auto read_m1 = [&](const std::function<bool(std::string_view)>& wanted) {
    asked.clear();
    read.clear();
    REQUIRE(store
                ->ForEachEmailRecipient(
                    "esp", "m1",
                    [&](std::string_view email) {
                      asked.emplace_back(email);
                      return wanted(email);
                    },
                    [&](const EmailRecipient& r) {
                      read.push_back(std::string(r.email) + " " + std::to_string(r.events));
                    })
                .ok());
  };
  read_m1([](std::string_view) { return true; });
  CHECK(asked == std::vector<std::string>{"a@x.com", "b@x.com"});
  CHECK(read == std::vector<std::string>{"a@x.com 1", "b@x.com 2"});
  read_m1([](std::string_view email) { return email != "a@x.com"; });
  CHECK(asked == std::vector<std::string>{"a@x.com", "b@x.com"});
  CHECK(read == std::vector<std::string>{"b@x.com 2"});
}

TEST_CASE("The contacts' emails are those of live contacts that have one", "[store]") {
  TempDir dir;
  auto store = OpenOrDie(dir.File("s.db"));
  Page page;
  page.stream = "contacts";
  page.contacts = {testing::MakeContact("c1", "a@x.com"), testing::MakeContact("c2", ""),
                   testing::MakeContact("c3", "gone@x.com")};
  page.cursor = "1";
  REQUIRE(store->CommitPage("crm", page).ok());
  Page deletion;
  deletion.stream = "contacts";
  deletion.deletions = {Deletion{RecordKind::kContact, "c3", 5000, ""}};
  deletion.cursor = "2";
  REQUIRE(store->CommitPage("crm", deletion).ok());
  std::vector<std::string> emails;
  REQUIRE(store->ForEachContactEmail([&](std::string_view e) { emails.emplace_back(e); }).ok());
  CHECK(emails == std::vector<std::string>{"a@x.com"});
}

TEST_CASE("Campaign totals follow re-synced, changed and deleted events", "[store]") {
  struct Step {
    const char* what;
    std::vector<EmailEvent> events;
    std::vector<Deletion> deletions;
    std::vector<std::string> expected;
  };
  const Step steps[] = {
      {"first events",
       {MakeEvent("1", "m1", "a@x.com", "open", 100), MakeEvent("2", "m1", "a@x.com", "open", 200),
        MakeEvent("3", "m1", "b@x.com", "click", 300)},
       {},
       {"esp/m1 0/0/1/0/1/0/0/0 100"}},
      {"an identical re-sync changes nothing",
       {MakeEvent("1", "m1", "a@x.com", "open", 100)},
       {},
       {"esp/m1 0/0/1/0/1/0/0/0 100"}},
      {"one of two opens deleted: the recipient still opened, the first event moves",
       {},
       {Deletion{RecordKind::kEmailEvent, "1", 5000, ""}},
       {"esp/m1 0/0/1/0/1/0/0/0 200"}},
      {"the other open becomes a machine open",
       {MakeEvent("2", "m1", "a@x.com", "open", 200, true)},
       {},
       {"esp/m1 0/0/0/1/1/0/0/0 200"}},
      {"a deleted event comes back when the source lists it again",
       {MakeEvent("1", "m1", "a@x.com", "open", 100)},
       {},
       {"esp/m1 0/0/1/1/1/0/0/0 100"}},
      {"an event moved to another campaign and type",
       {MakeEvent("3", "m2", "b@x.com", "delivered", 50)},
       {},
       {"esp/m1 0/0/1/1/0/0/0/0 100", "esp/m2 0/1/0/0/0/0/0/0 50"}},
      {"every event of a campaign deleted",
       {},
       {Deletion{RecordKind::kEmailEvent, "3", 6000, ""}},
       {"esp/m1 0/0/1/1/0/0/0/0 100", "esp/m2 0/0/0/0/0/0/0/0 NULL"}},
  };
  TempDir dir;
  const std::string path = dir.File("s.db");
  auto store = OpenOrDie(path);
  for (const Step& step : steps) {
    INFO(step.what);
    CommitEvents(*store, step.events, step.deletions);
    CHECK(TotalsText(*store) == step.expected);
  }
}

TEST_CASE("Campaign totals agree with a recount after many random writes", "[store]") {
  TempDir dir;
  const std::string path = dir.File("s.db");
  auto store = OpenOrDie(path);
  const char* types[] = {"sent", "delivered", "open", "click", "bounce", "unsubscribe", "spam"};
  uint64_t seed = 12345;
  auto next = [&seed](uint64_t n) {
    seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
    return (seed >> 33) % n;
  };
  for (int round = 0; round < 40; ++round) {
    std::vector<EmailEvent> events;
    std::vector<Deletion> deletions;
    for (int i = 0; i < 25; ++i) {
      const std::string id = std::to_string(next(60));
      if (next(5) == 0) {
        deletions.push_back(Deletion{RecordKind::kEmailEvent, id, 1000 + round, ""});
      } else {
        events.push_back(MakeEvent(id, "m" + std::to_string(next(3)),
                                   "r" + std::to_string(next(6)) + "@x.com", types[next(7)],
                                   static_cast<int64_t>(next(1000)), next(4) == 0));
      }
    }
    CommitEvents(*store, events, deletions);
  }
  std::vector<std::string> totals = TotalsText(*store);
  CHECK(totals.size() == 3);
  // Campaigns whose every event is gone keep a zero row; the recount has none.
  std::vector<std::string> live;
  for (const std::string& t : totals) {
    if (t.find(" 0/0/0/0/0/0/0/0 NULL") == std::string::npos) live.push_back(t);
  }
  CHECK(live == RecomputedTotalsText(path));
}

// The recipients' counters as "campaign email sent/delivered/human/machine opens/clicks/
// machine clicks/bounces/unsub/spam", each row, by campaign then email.
std::vector<std::string> RecipientsText(const std::string& path) {
  RawDb raw(path);
  return raw.Column(
      "SELECT campaign_id || ' ' || email || ' ' || sent || '/' || delivered || '/' || "
      "human_opens || '/' || machine_opens || '/' || clicks || '/' || machine_clicks || '/' || "
      "bounces || '/' || unsubscribes || '/' || spam_reports FROM email_campaign_recipients "
      "ORDER BY source, campaign_id, email");
}

TEST_CASE("A page holding the same event twice counts it once, as its last version", "[store]") {
  TempDir dir;
  const std::string path = dir.File("s.db");
  auto store = OpenOrDie(path);
  CommitEvents(*store, {
                           MakeEvent("1", "m1", "a@x.com", "open", 100),
                           MakeEvent("2", "m1", "a@x.com", "sent", 50),
                           MakeEvent("1", "m1", "a@x.com", "open", 100),  // repeated as is
                           MakeEvent("3", "m1", "b@x.com", "click", 200),
                           MakeEvent("3", "m1", "b@x.com", "delivered", 30),  // changed
                           MakeEvent("4", "m2", "c@x.com", "open", 300),
                           MakeEvent("4", "m2", "c@x.com", "open", 300, true),  // now a machine's
                       });
  CHECK(TotalsText(*store) ==
        std::vector<std::string>{"esp/m1 1/1/1/0/0/0/0/0 30", "esp/m2 0/0/0/1/0/0/0/0 300"});
  CHECK(TotalsText(*store) == RecomputedTotalsText(path));
  CHECK(RecipientsText(path) == std::vector<std::string>{"m1 a@x.com 1/0/1/0/0/0/0/0/0",
                                                         "m1 b@x.com 0/1/0/0/0/0/0/0/0",
                                                         "m2 c@x.com 0/0/0/1/0/0/0/0/0"});
  CHECK(Count(*store, RecordKind::kEmailEvent, "esp", true) == 4);
}

TEST_CASE("An event re-synced with a new type beside new events of its recipient is moved",
          "[store]") {
  TempDir dir;
  const std::string path = dir.File("s.db");
  auto store = OpenOrDie(path);
  CommitEvents(*store, {MakeEvent("1", "m1", "a@x.com", "open", 100),
                        MakeEvent("2", "m1", "b@x.com", "open", 150)});
  CHECK(TotalsText(*store) == std::vector<std::string>{"esp/m1 0/0/2/0/0/0/0/0 100"});
  // New events of a@x.com and of a new campaign before and after the
  // re-synced one, which is now a click, earlier than anything stored.
  CommitEvents(*store, {
                           MakeEvent("3", "m1", "a@x.com", "sent", 40),
                           MakeEvent("4", "m2", "a@x.com", "sent", 45),
                           MakeEvent("1", "m1", "a@x.com", "click", 20),
                           MakeEvent("5", "m1", "a@x.com", "delivered", 60),
                           MakeEvent("6", "m1", "a@x.com", "click", 70),
                       });
  CHECK(TotalsText(*store) ==
        std::vector<std::string>{"esp/m1 1/1/1/0/1/0/0/0 20", "esp/m2 1/0/0/0/0/0/0/0 45"});
  CHECK(TotalsText(*store) == RecomputedTotalsText(path));
  CHECK(RecipientsText(path) == std::vector<std::string>{"m1 a@x.com 1/1/0/0/2/0/0/0/0",
                                                         "m1 b@x.com 0/0/1/0/0/0/0/0/0",
                                                         "m2 a@x.com 1/0/0/0/0/0/0/0/0"});
  // Deleted in the page that adds others for the same recipient.
  CommitEvents(*store, {MakeEvent("7", "m1", "a@x.com", "open", 10)},
               {Deletion{RecordKind::kEmailEvent, "1", 900, ""},
                Deletion{RecordKind::kEmailEvent, "6", 900, ""}});
  CHECK(TotalsText(*store) ==
        std::vector<std::string>{"esp/m1 1/1/2/0/0/0/0/0 10", "esp/m2 1/0/0/0/0/0/0/0 45"});
  CHECK(TotalsText(*store) == RecomputedTotalsText(path));
}

// The write path counts a page's new events once per campaign; the event
// triggers count moves and deletions. Both must leave the totals a recount
// gives, whether a recipient is new, already counted, or loses its events.
TEST_CASE("Campaign totals of pages mixing new, counted and moved recipients equal a recount",
          "[store]") {
  TempDir dir;
  const std::string path = dir.File("s.db");
  auto store = OpenOrDie(path);
  CommitEvents(
      *store,
      {MakeEvent("1", "m1", "a@x.com", "sent", 100), MakeEvent("2", "m1", "a@x.com", "open", 110),
       MakeEvent("3", "m1", "b@x.com", "sent", 120), MakeEvent("4", "m2", "c@x.com", "sent", 130)});
  CHECK(TotalsText(*store) ==
        std::vector<std::string>{"esp/m1 2/0/1/0/0/0/0/0 100", "esp/m2 1/0/0/0/0/0/0/0 130"});

  // New recipients (d, e), counted ones (a, b), a stored event moved in the
  // middle of the page (b's sent, now a click of m2), and deletions of a
  // stored event and of one new in this page.
  CommitEvents(
      *store,
      {MakeEvent("5", "m1", "d@x.com", "sent", 140), MakeEvent("6", "m1", "d@x.com", "open", 150),
       MakeEvent("7", "m1", "a@x.com", "open", 160), MakeEvent("8", "m1", "a@x.com", "click", 170),
       MakeEvent("9", "m1", "b@x.com", "delivered", 180),
       MakeEvent("3", "m2", "b@x.com", "click", 125),
       MakeEvent("10", "m1", "e@x.com", "sent", 190)},
      {Deletion{RecordKind::kEmailEvent, "2", 900, ""},
       Deletion{RecordKind::kEmailEvent, "10", 900, ""}});
  CHECK(TotalsText(*store) ==
        std::vector<std::string>{"esp/m1 2/1/2/0/1/0/0/0 100", "esp/m2 1/0/0/0/1/0/0/0 125"});
  CHECK(TotalsText(*store) == RecomputedTotalsText(path));

  // Events of the last page moved, the campaign's first event deleted,
  // beside a new campaign.
  CommitEvents(*store,
               {MakeEvent("6", "m1", "d@x.com", "open", 150, true),
                MakeEvent("8", "m2", "a@x.com", "click", 170),
                MakeEvent("11", "m3", "f@x.com", "bounce", 200)},
               {Deletion{RecordKind::kEmailEvent, "1", 950, ""}});
  CHECK(TotalsText(*store) == std::vector<std::string>{"esp/m1 1/1/1/1/0/0/0/0 140",
                                                       "esp/m2 1/0/0/0/2/0/0/0 125",
                                                       "esp/m3 0/0/0/0/0/1/0/0 200"});
  CHECK(TotalsText(*store) == RecomputedTotalsText(path));
}

// Events are inserted many to a statement; one that meets a stored or a
// repeated event is written again one row at a time.
TEST_CASE("Pages of many events count new, stored and repeated ones as a recount does", "[store]") {
  TempDir dir;
  const std::string path = dir.File("s.db");
  auto store = OpenOrDie(path);
  const char* types[] = {"sent", "delivered", "open", "click", "bounce"};
  auto event = [&](int id, const char* type) {
    return MakeEvent("e" + std::to_string(100 + id), "m" + std::to_string(id % 3),
                     "r" + std::to_string(id % 11) + "@x.com", type, 1000 + id);
  };
  std::vector<EmailEvent> first;
  for (int id = 0; id < 70; ++id) first.push_back(event(id, types[id % 5]));
  CommitEvents(*store, first);
  CHECK(TotalsText(*store) == RecomputedTotalsText(path));

  // New events around stored ones (some changed, some as they were) and an
  // event repeated, changed, within the same 32 rows.
  std::vector<EmailEvent> second;
  for (int id = 60; id < 140; ++id) second.push_back(event(id, types[(id + 1) % 5]));
  second.insert(second.begin() + 20, event(75, "spam"));
  second.push_back(event(3, types[3]));
  CommitEvents(*store, second);
  CHECK(TotalsText(*store) == RecomputedTotalsText(path));
  CHECK(Count(*store, RecordKind::kEmailEvent, "esp", true) == 140);
  RawDb raw(path);
  CHECK(raw.One("SELECT type FROM email_events WHERE id = 'e175'") == "spam");
  CHECK(raw.One("SELECT type FROM email_events WHERE id = 'e160'") == "delivered");
}

TEST_CASE("ForEachEmailClick lists live timed clicks in campaign, email and time order",
          "[store]") {
  TempDir dir;
  auto store = OpenOrDie(dir.File("s.db"));
  EmailEvent untimed = MakeEvent("6", "m1", "a@x.com", "click", 0);
  untimed.occurred_at.reset();
  CommitEvents(
      *store,
      {MakeEvent("1", "m2", "a@x.com", "click", 300), MakeEvent("2", "m1", "b@x.com", "click", 100),
       MakeEvent("3", "m1", "a@x.com", "click", 200), MakeEvent("4", "m1", "a@x.com", "click", 50),
       MakeEvent("5", "m1", "a@x.com", "open", 10), untimed,
       MakeEvent("7", "m1", "c@x.com", "click", 70)},
      {Deletion{RecordKind::kEmailEvent, "7", 900, ""}});
  std::vector<std::string> clicks;
  REQUIRE(store
              ->ForEachEmailClick([&](const EmailClick& c) {
                clicks.push_back(c.source + "/" + c.campaign_id + " " + c.email + " " +
                                 std::to_string(c.occurred_at));
              })
              .ok());
  CHECK(clicks == std::vector<std::string>{"esp/m1 a@x.com 50", "esp/m1 a@x.com 200",
                                           "esp/m1 b@x.com 100", "esp/m2 a@x.com 300"});
}

TEST_CASE("Email members are kept apart from contacts, newest change winning", "[store]") {
  TempDir dir;
  const std::string path = dir.File("s.db");
  auto store = OpenOrDie(path);
  auto member = [](const std::string& id, const std::string& email, const std::string& status,
                   int64_t updated) {
    EmailMember m;
    m.id = id;
    m.email = email;
    m.first_name = "Ana";
    m.status = status;
    m.opted_in_at = 1000;
    m.updated_at = updated;
    return m;
  };
  Page page;
  page.stream = "members";
  page.cursor = "c1";
  page.members = {member("m1", " Ana@X.com", "subscribed", 5000),
                  member("m2", "ben@x.com", "subscribed", 5000)};
  REQUIRE(store->CommitPage("mc", page).ok());
  // An older copy (another list's, read later) does not overwrite a newer one.
  page.members = {member("m1", "ana@x.com", "cleaned", 4000),
                  member("m2", "ben@x.com", "unsubscribed", 6000)};
  page.cursor = "c2";
  REQUIRE(store->CommitPage("mc", page).ok());
  Page deletion;
  deletion.stream = "members";
  deletion.cursor = "c3";
  deletion.deletions = {Deletion{RecordKind::kEmailMember, "m2", 7000, ""}};
  REQUIRE(store->CommitPage("mc", deletion).ok());

  std::vector<StoredEmailMember> rows;
  REQUIRE(store->ForEachEmailMember([&](const StoredEmailMember& m) { rows.push_back(m); }).ok());
  REQUIRE(rows.size() == 2);
  CHECK(rows[0].member.email == "ana@x.com");
  CHECK(rows[0].member.status == "subscribed");
  CHECK(rows[0].member.updated_at == 5000);
  CHECK(rows[0].member.opted_in_at == 1000);
  CHECK_FALSE(rows[0].deleted_at.has_value());
  CHECK(rows[1].member.status == "unsubscribed");
  CHECK(rows[1].deleted_at == 7000);
  CHECK(Count(*store, RecordKind::kContact, "mc", true) == 0);
  CHECK(Count(*store, RecordKind::kEmailMember, "mc", false) == 1);
  CHECK(Count(*store, RecordKind::kEmailMember, "mc", true) == 2);
  RawDb raw(path);
  CHECK(raw.One("SELECT opted_in_at FROM v_email_members WHERE id = 'm1'") ==
        "1970-01-01T00:00:01.000Z");
}

TEST_CASE("Campaign counters the source reports are stored, unknown ones as NULL", "[store]") {
  TempDir dir;
  const std::string path = dir.File("s.db");
  auto store = OpenOrDie(path);
  Page page;
  page.stream = "campaigns";
  page.cursor = "c";
  EmailCampaign& c = page.campaigns.emplace_back();
  c.id = "m1";
  c.reported.sent = 1500;
  c.reported.unique_opens = 610;
  c.reported.opens = 900;
  c.reported.clicks = 0;
  REQUIRE(store->CommitPage("mc", page).ok());
  std::vector<EmailCampaign> stored;
  REQUIRE(store
              ->ForEachEmailCampaign(
                  [&](const StoredEmailCampaign& s) { stored.push_back(s.campaign); })
              .ok());
  REQUIRE(stored.size() == 1);
  const EmailCampaignCounters& r = stored[0].reported;
  CHECK(r.sent == 1500);
  CHECK(r.opens == 900);
  CHECK(r.unique_opens == 610);
  CHECK(r.clicks == 0);
  CHECK_FALSE(r.delivered.has_value());
  CHECK_FALSE(r.unique_clicks.has_value());
  RawDb raw(path);
  CHECK(raw.One("SELECT coalesce(reported_delivered, 'NULL') || '/' || reported_sent "
                "FROM email_campaigns") == "NULL/1500");
}

}  // namespace
}  // namespace salesaudit
