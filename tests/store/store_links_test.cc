// Links stated as records of their own (deal_links) and one person kept
// twice (contact_aliases): what deal_contacts, contacts and stage_events hold
// after each (docs/contracts.md "Links and aliases").
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "core/page_check.h"
#include "store/store.h"
#include "tests/store/store_fixtures.h"
#include "tests/support/subprocess.h"

namespace salesaudit {
namespace {

using testing::Jan;
using testing::Lead;
using testing::MakeDeal;
using testing::OpenOrDie;
using testing::RawDb;
using testing::StageEventsText;
using testing::TempDir;

// "deal:contact" for every pair of deal_contacts of "crm".
std::vector<std::string> Pairs(Store& store) {
  auto pairs = store.DealContacts("crm");
  REQUIRE(pairs.ok());
  std::vector<std::string> out;
  for (const auto& pair : *pairs) out.push_back(pair.first + ":" + pair.second);
  return out;
}

// "id deal:contact deleted_at-or--" for every row of deal_links, by id.
std::vector<std::string> LinkRows(RawDb& raw) {
  return raw.Column(
      "SELECT id || ' ' || deal_id || ':' || contact_id || ' ' || ifnull(deleted_at, '-') "
      "FROM deal_links ORDER BY source, id");
}

void Commit(Store& store, Page page, PageCommitNotes* notes = nullptr) {
  page.cursor = "after " + page.stream;
  const Status status = store.CommitPage("crm", page, notes);
  INFO(status.ToString());
  REQUIRE(status.ok());
}

Page LinkPage(std::vector<DealLink> links, std::vector<Deletion> deletions = {}) {
  Page page;
  page.stream = "opportunity_contact_roles";
  page.deal_links = std::move(links);
  page.deletions = std::move(deletions);
  return page;
}

Deletion LinkGone(const std::string& id, int64_t at) {
  return Deletion{RecordKind::kDealLink, id, at, ""};
}

Page AliasPage(const std::string& alias, const std::string& contact, int64_t at) {
  Page page;
  page.stream = "leads";
  page.contact_aliases = {ContactAlias{alias, contact, at}};
  return page;
}

TEST_CASE("Two links stating one pair keep it while either is live and drop it once both are gone",
          "[store][links]") {
  TempDir dir;
  const std::string path = dir.File("s.db");
  auto store = OpenOrDie(path);
  Commit(*store, LinkPage({DealLink{"r1", "d1", "c1"}, DealLink{"r2", "d1", "c1"},
                           DealLink{"r3", "d1", "c2"}}));
  CHECK(Pairs(*store) == std::vector<std::string>{"d1:c1", "d1:c2"});
  CHECK(testing::Count(*store, RecordKind::kDealLink, "crm", false) == 3);

  Commit(*store, LinkPage({}, {LinkGone("r1", Jan(5))}));
  CHECK(Pairs(*store) == std::vector<std::string>{"d1:c1", "d1:c2"});

  // Deleted again later: the first deletion's time stays.
  Commit(*store, LinkPage({}, {LinkGone("r2", Jan(6)), LinkGone("r1", Jan(7))}));
  CHECK(Pairs(*store) == std::vector<std::string>{"d1:c2"});
  RawDb raw(path);
  CHECK(LinkRows(raw) == std::vector<std::string>{"r1 d1:c1 " + std::to_string(Jan(5)),
                                                  "r2 d1:c1 " + std::to_string(Jan(6)),
                                                  "r3 d1:c2 -"});
  CHECK(testing::Count(*store, RecordKind::kDealLink, "crm", false) == 1);
  CHECK(testing::Count(*store, RecordKind::kDealLink, "crm", true) == 3);
}

TEST_CASE(
    "A link moved to another contact moves its pair, and a deleted link sent again revives it",
    "[store][links]") {
  TempDir dir;
  const std::string path = dir.File("s.db");
  auto store = OpenOrDie(path);
  Commit(*store, LinkPage({DealLink{"r1", "d1", "c1"}, DealLink{"r2", "d2", "c1"}}));

  // r1 now names c2 (the role's contact changed); d2:c1 stays, stated by r2.
  Commit(*store, LinkPage({DealLink{"r1", "d1", "c2"}, DealLink{"r3", "d2", "c1"}}));
  CHECK(Pairs(*store) == std::vector<std::string>{"d1:c2", "d2:c1"});
  // r3 moves away from d2:c1, which r2 still states.
  Commit(*store, LinkPage({DealLink{"r3", "d3", "c1"}}));
  CHECK(Pairs(*store) == std::vector<std::string>{"d1:c2", "d2:c1", "d3:c1"});

  Commit(*store, LinkPage({}, {LinkGone("r1", Jan(5))}));
  CHECK(Pairs(*store) == std::vector<std::string>{"d2:c1", "d3:c1"});
  Commit(*store, LinkPage({DealLink{"r1", "d1", "c2"}}));
  CHECK(Pairs(*store) == std::vector<std::string>{"d1:c2", "d2:c1", "d3:c1"});
  RawDb raw(path);
  CHECK(LinkRows(raw) == std::vector<std::string>{"r1 d1:c2 -", "r2 d2:c1 -", "r3 d3:c1 -"});
}

TEST_CASE("Deleting a deal deletes its live links and their pairs, as Salesforce deletes its roles",
          "[store][links]") {
  TempDir dir;
  const std::string path = dir.File("s.db");
  auto store = OpenOrDie(path);
  Page deals;
  deals.stream = "opportunities";
  deals.deals = {MakeDeal("d1"), MakeDeal("d2")};
  Commit(*store, deals);
  Commit(*store, LinkPage({DealLink{"r1", "d1", "c1"}, DealLink{"r2", "d1", "c2"},
                           DealLink{"r3", "d2", "c1"}},
                          {LinkGone("r2", Jan(3))}));
  deals.deals.clear();
  deals.deletions = {Deletion{RecordKind::kDeal, "d1", Jan(9), ""}};
  Commit(*store, deals);
  CHECK(Pairs(*store) == std::vector<std::string>{"d2:c1"});
  RawDb raw(path);
  CHECK(LinkRows(raw) == std::vector<std::string>{"r1 d1:c1 " + std::to_string(Jan(9)),
                                                  "r2 d1:c2 " + std::to_string(Jan(3)),
                                                  "r3 d2:c1 -"});
}

TEST_CASE(
    "An alias stored before its contact keeps the contact row out and puts what names it on the "
    "lead",
    "[store][aliases]") {
  TempDir dir;
  const std::string path = dir.File("s.db");
  auto store = OpenOrDie(path);
  Page leads = AliasPage("003c", "00Ql", Jan(4));
  leads.contacts = {Lead("00Ql")};
  Commit(*store, leads);

  Page contacts;
  contacts.stream = "contacts";
  contacts.contacts = {Lead("003c"), Lead("003other")};
  contacts.stage_events = {StageEvent{"003c", FunnelStage::kContacted, Jan(5), "003c"}};
  PageCommitNotes notes;
  Commit(*store, contacts, &notes);
  CHECK(notes.aliased_contacts == 1);

  Commit(*store, LinkPage({DealLink{"r1", "d1", "003c"}}));
  Page deals;
  deals.stream = "opportunities";
  Deal listed = MakeDeal("d2");
  listed.contact_ids = std::vector<std::string>{"003c", "003other"};
  deals.deals = {listed};
  Commit(*store, deals);

  RawDb raw(path);
  CHECK(raw.Column("SELECT id FROM contacts ORDER BY id") ==
        std::vector<std::string>{"003other", "00Ql"});
  CHECK(Pairs(*store) == std::vector<std::string>{"d1:00Ql", "d2:003other", "d2:00Ql"});
  CHECK(LinkRows(raw) == std::vector<std::string>{"r1 d1:00Ql -"});
  CHECK(StageEventsText(*store) ==
        std::vector<std::string>{"00Ql contacted " + std::to_string(Jan(5)) + " contacts/003c"});
  CHECK(raw.One("SELECT alias_id || ' ' || contact_id || ' ' || at FROM contact_aliases") ==
        "003c 00Ql " + std::to_string(Jan(4)));
}

TEST_CASE(
    "An alias of a stored contact merges its row, pairs, links and stage events into the lead",
    "[store][aliases]") {
  TempDir dir;
  const std::string path = dir.File("s.db");
  auto store = OpenOrDie(path);
  Page contacts;
  contacts.stream = "contacts";
  contacts.contacts = {Lead("003c"), Lead("00Ql")};
  contacts.stage_events = {StageEvent{"003c", FunnelStage::kContacted, Jan(5), "003c"}};
  Commit(*store, contacts);
  Commit(*store, LinkPage({DealLink{"r1", "d1", "003c"}, DealLink{"r2", "d2", "00Ql"},
                           DealLink{"r3", "d2", "003c"}}));

  Commit(*store, AliasPage("003c", "00Ql", Jan(8)));
  RawDb raw(path);
  CHECK(raw.Column("SELECT id || ' ' || ifnull(deleted_at, '-') FROM contacts ORDER BY id") ==
        std::vector<std::string>{"003c " + std::to_string(Jan(8)), "00Ql -"});
  CHECK(Pairs(*store) == std::vector<std::string>{"d1:00Ql", "d2:00Ql"});
  CHECK(LinkRows(raw) == std::vector<std::string>{"r1 d1:00Ql -", "r2 d2:00Ql -", "r3 d2:00Ql -"});
  CHECK(StageEventsText(*store) ==
        std::vector<std::string>{"00Ql contacted " + std::to_string(Jan(5)) + " contacts/003c"});

  // The contact sent again stays out; a second alias of the same id is not
  // kept (a conversion happens once); deleting one of the two links that
  // now state d2:00Ql keeps the pair.
  Page again;
  again.stream = "contacts";
  again.contacts = {Lead("003c")};
  again.contact_aliases = {ContactAlias{"003c", "00Qother", Jan(9)}};
  again.deletions = {LinkGone("r3", Jan(9))};
  PageCommitNotes notes;
  Commit(*store, again, &notes);
  CHECK(notes.aliased_contacts == 1);
  CHECK(raw.One("SELECT ifnull(deleted_at, '-') FROM contacts WHERE id = '003c'") ==
        std::to_string(Jan(8)));
  CHECK(raw.One("SELECT contact_id FROM contact_aliases WHERE alias_id = '003c'") == "00Ql");
  CHECK(Pairs(*store) == std::vector<std::string>{"d1:00Ql", "d2:00Ql"});
}

TEST_CASE(
    "A merged contact's links follow it to the survivor, and a merge into an alias goes to "
    "its person",
    "[store][links][aliases]") {
  TempDir dir;
  const std::string path = dir.File("s.db");
  auto store = OpenOrDie(path);
  Commit(*store, AliasPage("003b", "00Ql", Jan(2)));
  Commit(*store, LinkPage({DealLink{"r1", "d1", "003a"}, DealLink{"r2", "d2", "003a"},
                           DealLink{"r3", "d2", "00Ql"}}));
  Page merge;
  merge.stream = "contacts";
  merge.contacts = {Lead("003a")};
  merge.deletions = {Deletion{RecordKind::kContact, "003a", Jan(6), "003b"}};
  Commit(*store, merge);
  RawDb raw(path);
  CHECK(raw.One("SELECT ifnull(deleted_at, '-') FROM contacts WHERE id = '003a'") ==
        std::to_string(Jan(6)));
  CHECK(LinkRows(raw) == std::vector<std::string>{"r1 d1:00Ql -", "r2 d2:00Ql -", "r3 d2:00Ql -"});
  CHECK(Pairs(*store) == std::vector<std::string>{"d1:00Ql", "d2:00Ql"});
}

TEST_CASE(
    "An alias onto an alias names that alias's person, and a contact becoming an alias "
    "takes its own aliases along",
    "[store][aliases]") {
  TempDir dir;
  const std::string path = dir.File("s.db");
  auto store = OpenOrDie(path);
  Commit(*store, AliasPage("b", "c", Jan(2)));
  Commit(*store, AliasPage("a", "b", Jan(3)));  // a -> b -> c: a means c
  Commit(*store, AliasPage("x", "y", Jan(3)));
  Commit(*store, AliasPage("y", "z", Jan(4)));  // x meant y, which now means z
  Commit(*store, AliasPage("z", "x", Jan(5)));  // a cycle: not kept
  RawDb raw(path);
  CHECK(raw.Column("SELECT alias_id || '>' || contact_id FROM contact_aliases ORDER BY alias_id") ==
        std::vector<std::string>{"a>c", "b>c", "x>z", "y>z"});
}

TEST_CASE(
    "A page's ids mean their persons whether few or many aliases lie between its least and "
    "greatest contact id",
    "[store][aliases]") {
  TempDir dir;
  const std::string path = dir.File("s.db");
  auto store = OpenOrDie(path);
  Page aliases;
  aliases.stream = "leads";
  aliases.contact_aliases = {ContactAlias{"003b", "00Q1", Jan(2)},
                             ContactAlias{"003c", "00Q2", Jan(2)},
                             ContactAlias{"003d", "00Q3", Jan(2)}};
  Commit(*store, aliases);

  // Three aliases among five contacts' ids, then the same three among two.
  Page few;
  few.stream = "contacts";
  few.contacts = {Lead("003z"), Lead("003b"), Lead("003a"), Lead("003c"), Lead("003d")};
  few.stage_events = {StageEvent{"003c", FunnelStage::kContacted, Jan(5), "003c"}};
  few.deal_links = {DealLink{"r1", "d1", "003d"}};
  PageCommitNotes notes;
  Commit(*store, few, &notes);
  CHECK(notes.aliased_contacts == 3);
  Page many;
  many.stream = "contacts";
  many.contacts = {Lead("003a"), Lead("003z")};
  many.stage_events = {StageEvent{"003b", FunnelStage::kContacted, Jan(6), "003b"}};
  many.deal_links = {DealLink{"r2", "d2", "003c"}};
  Commit(*store, many, &notes);
  CHECK(notes.aliased_contacts == 0);

  RawDb raw(path);
  CHECK(raw.Column("SELECT id FROM contacts ORDER BY id") ==
        std::vector<std::string>{"003a", "003z"});
  CHECK(StageEventsText(*store) ==
        std::vector<std::string>{"00Q1 contacted " + std::to_string(Jan(6)) + " contacts/003b",
                                 "00Q2 contacted " + std::to_string(Jan(5)) + " contacts/003c"});
  CHECK(LinkRows(raw) == std::vector<std::string>{"r1 d1:00Q3 -", "r2 d2:00Q2 -"});
}

TEST_CASE(
    "With an alias, v_contact_funnel has one live row per person with the earliest dates "
    "of both records",
    "[store][aliases]") {
  TempDir dir;
  const std::string path = dir.File("s.db");
  auto store = OpenOrDie(path);
  // The lead: created Jan 1, contacted Jan 6 by its history; the contact it
  // converted into: contacted earlier (Jan 3), linked to a deal won Jan 20.
  Page leads;
  leads.stream = "leads";
  leads.contacts = {Lead("00Ql")};
  leads.stage_events = {StageEvent{"00Ql", FunnelStage::kContacted, Jan(6), "h1"},
                        StageEvent{"00Ql", FunnelStage::kSql, Jan(12), "00Ql"}};
  Commit(*store, leads);
  Page contacts;
  contacts.stream = "contacts";
  contacts.contacts = {Lead("003c")};
  contacts.stage_events = {StageEvent{"003c", FunnelStage::kContacted, Jan(3), "003c"}};
  Commit(*store, contacts);
  Page deals;
  deals.stream = "opportunities";
  Deal won = MakeDeal("d1");
  won.created_at = Jan(10);
  won.closed_at = Jan(20);
  deals.deals = {won};
  Commit(*store, deals);
  Commit(*store, LinkPage({DealLink{"r1", "d1", "003c"}}));
  Commit(*store, AliasPage("003c", "00Ql", Jan(10)));

  RawDb raw(path);
  CHECK(raw.Column("SELECT id || ' ' || created_at || ' ' || ifnull(contacted_at, '-') || ' ' || "
                   "ifnull(sql_at, '-') || ' ' || ifnull(won_at, '-') FROM v_contact_funnel "
                   "WHERE deleted_at IS NULL") ==
        std::vector<std::string>{
            "00Ql 2024-01-01T00:00:00.000Z 2024-01-03T00:00:00.000Z 2024-01-10T00:00:00.000Z "
            "2024-01-20T00:00:00.000Z"});
  CHECK(raw.One("SELECT count(*) FROM v_contact_funnel WHERE deleted_at IS NOT NULL") == "1");
}

TEST_CASE("A page with bad stage events, links and aliases commits the rest and counts each one",
          "[store][links][aliases]") {
  TempDir dir;
  const std::string path = dir.File("s.db");
  auto store = OpenOrDie(path);
  Page page;
  page.stream = "leads";
  page.cursor = "next";
  page.contacts = {Lead("00Ql")};
  page.stage_events = {StageEvent{"00Ql", FunnelStage::kSql, Jan(2), "00Ql"},
                       StageEvent{"", FunnelStage::kSql, Jan(2), "h1"},
                       StageEvent{"00Ql", FunnelStage::kMql, Jan(2), ""},
                       StageEvent{"00Ql", FunnelStage::kContacted, -62135596800000, "h2"}};
  page.deal_links = {DealLink{"r1", "d1", "00Ql"}, DealLink{"", "d1", "00Ql"},
                     DealLink{"r2", "d1", ""}, DealLink{"r3", "bad\xff", "00Ql"}};
  page.contact_aliases = {ContactAlias{"003c", "00Ql", Jan(3)},
                          ContactAlias{"003d", "003d", Jan(3)}, ContactAlias{"003e", "", Jan(3)},
                          ContactAlias{"003f", "00Ql", 0}};
  CheckPage("sf", page);
  CHECK(page.contacts.size() == 1);
  CHECK(page.stage_events.size() == 1);
  CHECK(page.deal_links.size() == 1);
  CHECK(page.contact_aliases.size() == 1);
  CHECK_THAT(page.warnings[3],
             Catch::Contains("contact without an id: property stage_event.contact_id is empty: "
                             "stage event sql #2 of the page dropped"));
  CHECK_THAT(
      page.warnings[5],
      Catch::Contains("contact 00Ql: property stage_event.at = -62135596800000 ms is outside "
                      "the plausible years 1980..2099: stage event contacted #4 of the page "
                      "dropped"));
  CHECK_THAT(page.warnings[1], Catch::Contains("deal link r2: property contact_id is empty: deal "
                                               "link dropped"));
  CHECK_THAT(page.warnings[6],
             Catch::Contains("contact 003d: property alias.contact_id = \"003d\" is the entry's "
                             "own id: contact alias #2 of the page dropped"));
  REQUIRE(store->CommitPage("crm", page).ok());

  RawDb raw(path);
  CHECK(StageEventsText(*store) ==
        std::vector<std::string>{"00Ql sql " + std::to_string(Jan(2)) + " leads/00Ql"});
  CHECK(LinkRows(raw) == std::vector<std::string>{"r1 d1:00Ql -"});
  CHECK(raw.Column("SELECT alias_id FROM contact_aliases") == std::vector<std::string>{"003c"});
  CHECK(testing::Cursor(*store, "crm", "leads") == "next");
  auto issues = store->ValueIssueCounts();
  REQUIRE(issues.ok());
  std::vector<std::string> counted;
  for (const ValueIssueCount& v : *issues) {
    counted.push_back(v.property + " " + std::to_string(v.count));
  }
  CHECK(counted == std::vector<std::string>{"alias.at 1", "alias.contact_id 2", "contact_id 1",
                                            "deal_id 1", "id 1", "stage_event.at 1",
                                            "stage_event.contact_id 1", "stage_event.origin_id 1"});
}

TEST_CASE("v_deals names each deal's pipeline and stage from deal_stages, renamed in place",
          "[store]") {
  TempDir dir;
  const std::string path = dir.File("s.db");
  auto store = OpenOrDie(path);
  Page page;
  page.stream = "deals";
  Deal named = MakeDeal("d1");
  named.pipeline = "1";
  named.stage = "3";
  Deal unnamed = MakeDeal("d2");  // a stage no list named: no names
  unnamed.pipeline = "1";
  unnamed.stage = "9";
  page.deals = {named, unnamed};
  page.deal_stages = {DealStage{"1", "3", "Sales", "Demo scheduled", 3},
                      DealStage{"2", "3", "Partners", "Other pipeline", 1}};
  REQUIRE(store->CommitPage("pd", page).ok());
  RawDb raw(path);
  auto names = [&](const std::string& id) {
    return raw.One(
        "SELECT ifnull(pipeline_name, '-') || '/' || ifnull(stage_name, '-') "
        "FROM v_deals WHERE id = '" +
        id + "'");
  };
  CHECK(names("d1") == "Sales/Demo scheduled");
  CHECK(names("d2") == "-/-");
  Page renamed;
  renamed.stream = "deals";
  renamed.deal_stages = {DealStage{"1", "3", "Sales", "Demo held", 3}};
  REQUIRE(store->CommitPage("pd", renamed).ok());
  CHECK(names("d1") == "Sales/Demo held");
  CHECK(raw.One("SELECT count(*) FROM deal_stages") == "2");
}

TEST_CASE("A deal stage without its ids is dropped with a value issue, the page kept", "[store]") {
  Page page;
  page.stream = "deals";
  page.deal_stages = {DealStage{"", "3", "Sales", "Demo", 1},
                      DealStage{"1", "4", "Sales", "Won", 2}};
  CheckPage("pd", page);
  REQUIRE(page.deal_stages.size() == 1);
  CHECK(page.deal_stages[0].stage_id == "4");
  REQUIRE(page.value_issues.size() == 1);
  CHECK(page.value_issues[0].property == "deal_stage.pipeline_id");
}

}  // namespace
}  // namespace salesaudit
