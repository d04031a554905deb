// Store::CommitPage on real SQLite files: which records a page writes, how
// upserts, deletions and merges change them, and the columns and views a
// BI tool reads.
#include <algorithm>
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "store/store.h"
#include "tests/store/store_fixtures.h"
#include "tests/support/subprocess.h"

namespace salesaudit {
namespace {

using testing::AllContacts;
using testing::AllDeals;
using testing::AllOwners;
using testing::Count;
using testing::Cursor;
using testing::MakeContact;
using testing::MakeDeal;
using testing::OpenOrDie;
using testing::RawDb;
using testing::TempDir;

TEST_CASE("CommitPage stores the records and the cursor together", "[store]") {
  TempDir dir;
  auto store = OpenOrDie(dir.File("s.db"));

  Page page;
  page.stream = "contacts";
  page.contacts = {MakeContact("c1", "a@example.com"), MakeContact("c2", "b@example.com")};
  page.cursor = "after-c2";
  REQUIRE(store->CommitPage("hubspot", page).ok());

  std::vector<StoredContact> contacts = AllContacts(*store);
  REQUIRE(contacts.size() == 2);
  const StoredContact& c1 = contacts[0];
  CHECK(c1.source == "hubspot");
  CHECK(c1.contact.id == "c1");
  CHECK(c1.contact.first_name == "Ada");
  CHECK(c1.contact.last_name == "Lovelace");
  CHECK(c1.contact.owner_id == "o1");
  CHECK(c1.contact.channel == "PAID_SEARCH");
  CHECK(c1.contact.lifecycle_stage == "lead");
  CHECK(c1.contact.lead_status.empty());
  CHECK(c1.contact.created_at == 1704878130234);
  CHECK_FALSE(c1.contact.mql_at.has_value());
  CHECK_FALSE(c1.deleted_at.has_value());
  CHECK(contacts[1].contact.id == "c2");
  CHECK(Cursor(*store, "hubspot", "contacts") == "after-c2");
  CHECK(Cursor(*store, "hubspot", "deals").empty());
  CHECK(Count(*store, RecordKind::kContact, "hubspot", false) == 2);
  CHECK(Count(*store, RecordKind::kContact, "other", true) == 0);
}

TEST_CASE("CommitPage stores every record kind of a page", "[store]") {
  TempDir dir;
  const std::string path = dir.File("s.db");
  auto store = OpenOrDie(path);

  Page page;
  page.stream = "mixed";
  page.deals = {MakeDeal("d1")};
  page.deals[0].contact_ids = std::vector<std::string>{"c1", "c2"};
  Owner owner;
  owner.id = "o1";
  owner.email = "Grace@Example.COM";
  owner.name = "Grace Hopper";
  page.owners = {owner};
  EmailCampaign campaign;
  campaign.id = "m1";
  campaign.name = "January news";
  campaign.subject = "Hello";
  campaign.kind = "regular";
  campaign.sent_at = 1704067200000;
  page.campaigns = {campaign};
  EmailEvent event;
  event.id = "e1";
  event.campaign_id = "m1";
  event.email = "a@example.com";
  event.type = "click";
  event.occurred_at = 1704067260000;
  event.url = "https://example.com/x";
  page.events = {event};
  page.cursor = "c";
  REQUIRE(store->CommitPage("crm", page).ok());

  std::vector<StoredDeal> deals = AllDeals(*store);
  REQUIRE(deals.size() == 1);
  const Deal& d = deals[0].deal;
  CHECK(deals[0].source == "crm");
  CHECK(d.name == "Big deal");
  CHECK(d.pipeline == "default");
  CHECK(d.stage == "closedwon");
  CHECK(d.amount == 1234.5);
  CHECK(d.currency == "EUR");
  CHECK(d.closed_at == 1706745600000);
  CHECK(d.is_closed);
  CHECK(d.is_won);
  CHECK_FALSE(d.contact_ids.has_value());

  std::vector<StoredOwner> owners = AllOwners(*store);
  REQUIRE(owners.size() == 1);
  CHECK(owners[0].owner.email == "grace@example.com");
  CHECK(owners[0].owner.name == "Grace Hopper");
  CHECK(owners[0].owner.active);

  auto pairs = store->DealContacts("crm");
  REQUIRE(pairs.ok());
  CHECK(*pairs == std::vector<std::pair<std::string, std::string>>{{"d1", "c1"}, {"d1", "c2"}});

  CHECK(Count(*store, RecordKind::kDeal, "crm", false) == 1);
  CHECK(pairs->size() == 2);
  CHECK(Count(*store, RecordKind::kOwner, "crm", false) == 1);
  CHECK(Count(*store, RecordKind::kEmailCampaign, "crm", false) == 1);
  CHECK(Count(*store, RecordKind::kEmailEvent, "crm", false) == 1);
  auto states = store->ListStreamStates();
  REQUIRE(states.ok());
  CHECK(std::count_if(states->begin(), states->end(),
                      [](const StreamState& st) { return st.connector == "crm"; }) == 1);

  std::vector<StoredEmailCampaign> campaigns;
  REQUIRE(store->ForEachEmailCampaign([&](const StoredEmailCampaign& c) { campaigns.push_back(c); })
              .ok());
  REQUIRE(campaigns.size() == 1);
  CHECK(campaigns[0].source == "crm");
  CHECK(campaigns[0].campaign.id == "m1");
  CHECK(campaigns[0].campaign.name == "January news");
  CHECK(campaigns[0].campaign.subject == "Hello");
  CHECK(campaigns[0].campaign.kind == "regular");
  CHECK(campaigns[0].campaign.sent_at == 1704067200000);
  CHECK_FALSE(campaigns[0].deleted_at.has_value());

  std::vector<StoredEmailEvent> events;
  REQUIRE(store->ForEachEmailEvent([&](const StoredEmailEvent& e) { events.push_back(e); }).ok());
  REQUIRE(events.size() == 1);
  CHECK(events[0].source == "crm");
  CHECK(events[0].event.id == "e1");
  CHECK(events[0].event.campaign_id == "m1");
  CHECK(events[0].event.email == "a@example.com");
  CHECK(events[0].event.type == "click");
  CHECK(events[0].event.occurred_at == 1704067260000);
  CHECK(events[0].event.url == "https://example.com/x");

  RawDb raw(path);
  CHECK(raw.One("SELECT typeof(amount) FROM deals") == "real");
  CHECK(raw.One("SELECT is_won FROM deals") == "1");
}

TEST_CASE("A page with a bad record stores nothing, keeps the cursor and names the record",
          "[store]") {
  TempDir dir;
  auto store = OpenOrDie(dir.File("s.db"));

  Page first;
  first.stream = "contacts";
  first.contacts = {MakeContact("c1", "a@example.com")};
  first.cursor = "one";
  REQUIRE(store->CommitPage("hubspot", first).ok());

  Page bad;
  bad.stream = "contacts";
  bad.contacts = {MakeContact("c2", "b@example.com"), MakeContact("", "c@example.com")};
  bad.contacts[0].first_name = "Changed";
  bad.deletions = {{RecordKind::kContact, "c1", 1704067200000}};
  bad.cursor = "two";
  Status status = store->CommitPage("hubspot", bad);
  REQUIRE_FALSE(status.ok());
  CHECK(status.code() == StatusCode::kDataLoss);
  CHECK_THAT(status.message(), Catch::Contains("hubspot/contacts"));
  CHECK_THAT(status.message(), Catch::Contains("contact \"\""));
  CHECK_THAT(status.message(), Catch::Contains("contacts.id"));

  std::vector<StoredContact> contacts = AllContacts(*store);
  REQUIRE(contacts.size() == 1);
  CHECK(contacts[0].contact.id == "c1");
  CHECK_FALSE(contacts[0].deleted_at.has_value());
  CHECK(Cursor(*store, "hubspot", "contacts") == "one");

  SECTION("a bad associated contact id names the deal and the contact") {
    Page deals;
    deals.stream = "deals";
    deals.deals = {MakeDeal("d7")};
    deals.deals[0].contact_ids = std::vector<std::string>{"c1", ""};
    deals.cursor = "d";
    Status s = store->CommitPage("hubspot", deals);
    REQUIRE_FALSE(s.ok());
    CHECK_THAT(s.message(), Catch::Contains("hubspot/deals: deal \"d7\" contact \"\""));
    CHECK(AllDeals(*store).empty());
    CHECK(Cursor(*store, "hubspot", "deals").empty());
  }
  SECTION("the store keeps working after the failed page") {
    Page next;
    next.stream = "contacts";
    next.contacts = {MakeContact("c3", "d@example.com")};
    next.cursor = "three";
    REQUIRE(store->CommitPage("hubspot", next).ok());
    CHECK(AllContacts(*store).size() == 2);
    CHECK(Cursor(*store, "hubspot", "contacts") == "three");
  }
}

TEST_CASE(
    "A page's value issues are counted by connector and stream and property in its transaction",
    "[store]") {
  TempDir dir;
  auto store = OpenOrDie(dir.File("s.db"));
  Page page;
  page.stream = "contacts";
  page.contacts = {MakeContact("c1", "a@example.com"), MakeContact("c2", "b@example.com")};
  page.value_issues = {
      {RecordKind::kContact, "c1", "createdate", "= \"x\" is not a date; stored as unknown"},
      {RecordKind::kContact, "c2", "createdate", "= \"y\" is not a date; stored as unknown"},
      {RecordKind::kContact, "", "id", "is empty: contact #3 of the page dropped"}};
  page.cursor = "one";
  REQUIRE(store->CommitPage("hubspot", page).ok());
  page.value_issues.resize(1);
  page.cursor = "two";
  REQUIRE(store->CommitPage("hubspot", page).ok());

  auto rows = store->ValueIssueCounts();
  REQUIRE(rows.ok());
  REQUIRE(rows->size() == 2);
  const ValueIssueCount& dates = (*rows)[0];
  CHECK(dates.connector == "hubspot");
  CHECK(dates.stream == "contacts");
  CHECK(dates.property == "createdate");
  CHECK(dates.count == 3);
  CHECK(dates.last_record_id == "c1");
  CHECK_THAT(dates.last_problem, Catch::Contains("\"x\" is not a date"));
  CHECK(dates.last_seen_at > 0);
  const ValueIssueCount& ids = (*rows)[1];
  CHECK(ids.property == "id");
  CHECK(ids.count == 1);
  CHECK(ids.last_record_id.empty());

  SECTION("a page that fails counts none of its issues") {
    Page bad = page;
    bad.contacts.push_back(MakeContact("", "c@example.com"));  // the store refuses it
    REQUIRE_FALSE(store->CommitPage("hubspot", bad).ok());
    auto after = store->ValueIssueCounts();
    REQUIRE(after.ok());
    CHECK((*after)[0].count == 3);
  }
}

TEST_CASE(
    "A page of more contacts than one statement writes stores each as sent, counts its aliased "
    "ones and names a bad one among them",
    "[store]") {
  TempDir dir;
  const std::string path = dir.File("s.db");
  auto store = OpenOrDie(path);
  Page aliases;
  aliases.stream = "leads";
  aliases.cursor = "aliases";
  aliases.contact_aliases = {ContactAlias{"c33", "lead", 1704067200000}};
  REQUIRE(store->CommitPage("crm", aliases).ok());

  // 70 contacts: two statements' worth and six more; two of the first have
  // emails to normalise, one after the other, and one of the second is an
  // alias.
  Page page;
  page.stream = "contacts";
  page.cursor = "after";
  std::vector<std::string> expected;
  for (int i = 0; i < 70; ++i) {
    const std::string n = (i < 10 ? "0" : "") + std::to_string(i);
    const std::string email = "person" + n + "@example.com";
    page.contacts.push_back(
        MakeContact("c" + n, i == 3 || i == 4 ? " Person" + n + "@Example.COM" : email));
    if (i != 33) expected.push_back("c" + n + " " + email);
  }
  PageCommitNotes notes;
  REQUIRE(store->CommitPage("crm", page, &notes).ok());
  CHECK(notes.aliased_contacts == 1);
  RawDb raw(path);
  CHECK(raw.Column("SELECT id || ' ' || email FROM contacts ORDER BY id") == expected);

  Page bad = page;
  bad.cursor = "bad";
  for (Contact& c : bad.contacts) c.first_name = "Changed";
  bad.contacts[40].id.clear();
  const Status status = store->CommitPage("crm", bad);
  REQUIRE_FALSE(status.ok());
  CHECK_THAT(status.message(), Catch::Contains("contact \"\"") && Catch::Contains("contacts.id"));
  CHECK(raw.One("SELECT count(*) FROM contacts WHERE first_name = 'Changed'") == "0");
  CHECK(Cursor(*store, "crm", "contacts") == "after");
}

TEST_CASE("CommitPage refuses an empty source or stream", "[store]") {
  TempDir dir;
  auto store = OpenOrDie(dir.File("s.db"));
  Page page;
  page.contacts = {MakeContact("c1", "a@example.com")};
  CHECK(store->CommitPage("hubspot", page).code() == StatusCode::kInvalidArgument);
  page.stream = "contacts";
  CHECK(store->CommitPage("", page).code() == StatusCode::kInvalidArgument);
  CHECK(AllContacts(*store).empty());
}

TEST_CASE("An upsert replaces every column and clears deleted_at", "[store]") {
  TempDir dir;
  auto store = OpenOrDie(dir.File("s.db"));

  Page page;
  page.stream = "contacts";
  page.contacts = {MakeContact("c1", "a@example.com")};
  page.contacts[0].lead_status = "NEW";
  page.cursor = "1";
  REQUIRE(store->CommitPage("hubspot", page).ok());

  Page deletion;
  deletion.stream = "contacts";
  deletion.deletions = {{RecordKind::kContact, "c1", 1704100000000}};
  deletion.cursor = "2";
  REQUIRE(store->CommitPage("hubspot", deletion).ok());
  REQUIRE(AllContacts(*store)[0].deleted_at == 1704100000000);

  Contact changed;
  changed.id = "c1";
  changed.email = "new@example.com";
  changed.channel = "ORGANIC_SEARCH";
  changed.mql_at = 1704200000000;
  Page update;
  update.stream = "contacts";
  update.contacts = {changed};
  update.cursor = "3";
  REQUIRE(store->CommitPage("hubspot", update).ok());

  std::vector<StoredContact> contacts = AllContacts(*store);
  REQUIRE(contacts.size() == 1);
  const Contact& c = contacts[0].contact;
  CHECK(c.email == "new@example.com");
  CHECK(c.channel == "ORGANIC_SEARCH");
  // Fields the new version lacks are unknown now, not the old values.
  CHECK(c.first_name.empty());
  CHECK(c.lead_status.empty());
  CHECK_FALSE(c.created_at.has_value());
  CHECK(c.mql_at == 1704200000000);
  CHECK_FALSE(contacts[0].deleted_at.has_value());
  CHECK(Count(*store, RecordKind::kContact, "hubspot", false) == 1);
}

TEST_CASE("Deletions mark rows deleted, owners inactive, and ignore unknown ids", "[store]") {
  TempDir dir;
  const std::string path = dir.File("s.db");
  auto store = OpenOrDie(path);

  Page page;
  page.stream = "all";
  page.contacts = {MakeContact("c1", "a@example.com"), MakeContact("c2", "b@example.com")};
  page.deals = {MakeDeal("d1")};
  Owner owner;
  owner.id = "o1";
  page.owners = {owner};
  EmailCampaign campaign;
  campaign.id = "m1";
  page.campaigns = {campaign};
  EmailEvent event;
  event.id = "e1";
  event.type = "open";
  page.events = {event};
  REQUIRE(store->CommitPage("src", page).ok());

  Page deletions;
  deletions.stream = "all";
  deletions.deletions = {
      {RecordKind::kContact, "c1", 1000},    {RecordKind::kDeal, "d1", 2000},
      {RecordKind::kOwner, "o1", 3000},      {RecordKind::kEmailCampaign, "m1", 4000},
      {RecordKind::kEmailEvent, "e1", 5000}, {RecordKind::kContact, "never-stored", 6000},
  };
  REQUIRE(store->CommitPage("src", deletions).ok());

  std::vector<StoredContact> contacts = AllContacts(*store);
  REQUIRE(contacts.size() == 2);
  CHECK(contacts[0].deleted_at == 1000);
  CHECK_FALSE(contacts[1].deleted_at.has_value());
  CHECK(AllDeals(*store)[0].deleted_at == 2000);
  CHECK_FALSE(AllOwners(*store)[0].owner.active);

  CHECK(Count(*store, RecordKind::kContact, "src", false) == 1);
  CHECK(Count(*store, RecordKind::kContact, "src", true) == 2);
  CHECK(Count(*store, RecordKind::kDeal, "src", false) == 0);
  CHECK(Count(*store, RecordKind::kDeal, "src", true) == 1);
  CHECK(Count(*store, RecordKind::kEmailCampaign, "src", false) == 0);
  CHECK(Count(*store, RecordKind::kEmailEvent, "src", false) == 0);
  CHECK(Count(*store, RecordKind::kEmailEvent, "src", true) == 1);
  // owners have no deleted_at: an inactive owner is still counted.
  CHECK(Count(*store, RecordKind::kOwner, "src", false) == 1);

  std::vector<int64_t> deleted;
  REQUIRE(store
              ->ForEachEmailCampaign([&](const StoredEmailCampaign& c) {
                deleted.push_back(c.deleted_at.value_or(-1));
              })
              .ok());
  REQUIRE(store
              ->ForEachEmailEvent(
                  [&](const StoredEmailEvent& e) { deleted.push_back(e.deleted_at.value_or(-1)); })
              .ok());
  CHECK(deleted == std::vector<int64_t>{4000, 5000});

  RawDb raw(path);
  CHECK(raw.One("SELECT count(*) FROM contacts WHERE id = 'never-stored'") == "0");
}

TEST_CASE("deal_contacts are replaced only when a deal carries contact_ids", "[store]") {
  TempDir dir;
  auto store = OpenOrDie(dir.File("s.db"));
  auto pairs_of = [&](const std::string& source) {
    auto pairs = store->DealContacts(source);
    REQUIRE(pairs.ok());
    return *pairs;
  };
  using Pairs = std::vector<std::pair<std::string, std::string>>;

  Page page;
  page.stream = "deals";
  page.deals = {MakeDeal("d1"), MakeDeal("d2")};
  page.deals[0].contact_ids = std::vector<std::string>{"c1", "c2", "c2"};
  page.deals[1].contact_ids = std::vector<std::string>{"c3"};
  REQUIRE(store->CommitPage("hubspot", page).ok());
  CHECK(pairs_of("hubspot") == Pairs{{"d1", "c1"}, {"d1", "c2"}, {"d2", "c3"}});

  Page unset;
  unset.stream = "deals";
  unset.deals = {MakeDeal("d1")};
  REQUIRE(store->CommitPage("hubspot", unset).ok());
  CHECK(pairs_of("hubspot") == Pairs{{"d1", "c1"}, {"d1", "c2"}, {"d2", "c3"}});

  Page replaced;
  replaced.stream = "deals";
  replaced.deals = {MakeDeal("d1")};
  replaced.deals[0].contact_ids = std::vector<std::string>{"c4"};
  REQUIRE(store->CommitPage("hubspot", replaced).ok());
  CHECK(pairs_of("hubspot") == Pairs{{"d1", "c4"}, {"d2", "c3"}});

  Page emptied;
  emptied.stream = "deals";
  emptied.deals = {MakeDeal("d2")};
  emptied.deals[0].contact_ids = std::vector<std::string>{};
  REQUIRE(store->CommitPage("hubspot", emptied).ok());
  CHECK(pairs_of("hubspot") == Pairs{{"d1", "c4"}});
  CHECK(pairs_of("other").empty());
}

TEST_CASE("A deal read again keeps the pairs that stay, drops the ones gone and adds the new",
          "[store]") {
  TempDir dir;
  auto store = OpenOrDie(dir.File("s.db"));
  using Pairs = std::vector<std::pair<std::string, std::string>>;
  auto deal_with = [](const std::string& id, std::vector<std::string> contacts) {
    Deal d = MakeDeal(id);
    d.contact_ids = std::move(contacts);
    return d;
  };
  Page first;
  first.stream = "deals";
  first.deals = {deal_with("d1", {"c1", "c2", "c3"}), deal_with("d2", {"c1"})};
  REQUIRE(store->CommitPage("hubspot", first).ok());

  Page again;
  again.stream = "deals";
  // The same deal twice in one page: the later copy's contacts are kept.
  again.deals = {deal_with("d1", {"c9"}), deal_with("d1", {"c4", "c2", "c1", "c4"}),
                 deal_with("d2", {"c1"})};
  REQUIRE(store->CommitPage("hubspot", again).ok());
  auto pairs = store->DealContacts("hubspot");
  REQUIRE(pairs.ok());
  CHECK(*pairs == Pairs{{"d1", "c1"}, {"d1", "c2"}, {"d1", "c4"}, {"d2", "c1"}});
}

TEST_CASE("An older copy of a contact or deal never overwrites a newer one", "[store]") {
  TempDir dir;
  auto store = OpenOrDie(dir.File("s.db"));
  Page fresh;
  fresh.stream = "contacts";
  fresh.contacts = {MakeContact("c1", "new@example.com")};
  fresh.contacts[0].updated_at = 2000;
  fresh.deals = {MakeDeal("d1")};
  fresh.deals[0].updated_at = 2000;
  fresh.deals[0].stage = "closedwon";
  REQUIRE(store->CommitPage("hubspot", fresh).ok());

  Page stale = fresh;
  stale.contacts[0].email = "old@example.com";
  stale.contacts[0].updated_at = 1000;
  stale.deals[0].stage = "qualifiedtobuy";
  stale.deals[0].updated_at = 1000;
  REQUIRE(store->CommitPage("hubspot", stale).ok());
  CHECK(AllContacts(*store)[0].contact.email == "new@example.com");
  CHECK(AllDeals(*store)[0].deal.stage == "closedwon");

  Page same_time = fresh;
  same_time.contacts[0].email = "same@example.com";
  REQUIRE(store->CommitPage("hubspot", same_time).ok());
  CHECK(AllContacts(*store)[0].contact.email == "same@example.com");
}

TEST_CASE("A deletion keeps the first deleted_at and a merge moves deal links to the survivor",
          "[store]") {
  TempDir dir;
  auto store = OpenOrDie(dir.File("s.db"));
  Page page;
  page.stream = "contacts";
  page.contacts = {MakeContact("c1", "a@example.com"), MakeContact("c2", "b@example.com"),
                   MakeContact("c3", "c@example.com")};
  page.deals = {MakeDeal("d1"), MakeDeal("d2")};
  page.deals[0].contact_ids = std::vector<std::string>{"c1", "c2"};
  page.deals[1].contact_ids = std::vector<std::string>{"c2"};
  REQUIRE(store->CommitPage("hubspot", page).ok());

  // c2 merged into c1: d1 already links c1 (stays one link), d2 moves to c1.
  Page merge;
  merge.stream = "contacts";
  merge.deletions = {Deletion{RecordKind::kContact, "c2", 1000, "c1"},
                     Deletion{RecordKind::kContact, "c3", 1000}};
  REQUIRE(store->CommitPage("hubspot", merge).ok());
  auto pairs = store->DealContacts("hubspot");
  REQUIRE(pairs.ok());
  using Pairs = std::vector<std::pair<std::string, std::string>>;
  CHECK(*pairs == Pairs{{"d1", "c1"}, {"d2", "c1"}});

  // Reported again later: the first deletion time stays.
  merge.deletions[0].deleted_at = 9000;
  merge.deletions[1].deleted_at = 9000;
  REQUIRE(store->CommitPage("hubspot", merge).ok());
  for (const auto& c : AllContacts(*store)) {
    if (c.contact.id != "c1") CHECK(c.deleted_at == 1000);
  }
}

TEST_CASE("Text fields are stored as NULL when empty and emails normalized", "[store]") {
  TempDir dir;
  const std::string path = dir.File("s.db");
  auto store = OpenOrDie(path);

  Page page;
  page.stream = "contacts";
  Contact c;
  c.id = "c1";
  c.email = "  Mixed.Case@Example.COM \t";
  page.contacts = {c};
  EmailEvent e;
  e.id = "e1";
  e.email = "X@Y.Z";
  page.events = {e};
  REQUIRE(store->CommitPage("hubspot", page).ok());

  RawDb raw(path);
  CHECK(raw.One("SELECT email FROM contacts") == "mixed.case@example.com");
  CHECK(raw.One("SELECT email FROM email_events") == "x@y.z");
  CHECK(raw.One("SELECT count(*) FROM contacts WHERE first_name IS NULL AND owner_id IS NULL "
                "AND channel IS NULL AND created_at IS NULL") == "1");
  CHECK(raw.One("SELECT count(*) FROM email_events WHERE url IS NULL AND type IS NULL") == "1");
}

TEST_CASE("The views show the same rows with ISO-8601 text times", "[store]") {
  TempDir dir;
  const std::string path = dir.File("s.db");
  auto store = OpenOrDie(path);

  Page page;
  page.stream = "all";
  Contact c = MakeContact("c1", "a@example.com");
  c.customer_at = 0;
  c.mql_at = 1704878130999;
  page.contacts = {c};
  page.deals = {MakeDeal("d1")};
  EmailEvent e;
  e.id = "e1";
  e.type = "open";
  e.occurred_at = 1704067200001;
  page.events = {e};
  REQUIRE(store->CommitPage("hubspot", page).ok());

  RawDb raw(path);
  CHECK(raw.One("SELECT created_at FROM v_contacts") == "2024-01-10T09:15:30.234Z");
  CHECK(raw.One("SELECT mql_at FROM v_contacts") == "2024-01-10T09:15:30.999Z");
  CHECK(raw.One("SELECT customer_at FROM v_contacts") == "1970-01-01T00:00:00.000Z");
  CHECK(raw.One("SELECT sql_at FROM v_contacts") == "NULL");
  CHECK(raw.One("SELECT email || channel FROM v_contacts") == "a@example.comPAID_SEARCH");
  CHECK(raw.One("SELECT closed_at FROM v_deals") == "2024-02-01T00:00:00.000Z");
  CHECK(raw.One("SELECT amount FROM v_deals") == "1234.5");
  CHECK(raw.One("SELECT occurred_at FROM v_email_events") == "2024-01-01T00:00:00.001Z");
  CHECK(raw.One("SELECT typeof(created_at) FROM v_deals") == "text");
}

}  // namespace
}  // namespace salesaudit
