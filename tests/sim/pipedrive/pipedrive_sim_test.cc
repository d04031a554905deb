// The Pipedrive simulator checked over real HTTP against the wire formats of
// docs/vendors/pipedrive.md, so connector tests can trust what it serves: v2
// cursor pages, filters and record shapes, v1 offset pages and theirs, the
// deletions and archives each list hides or shows, and the changes Pipedrive
// makes. pipedrive_sim_limits_test.cc covers auth, limits and faults.
#include <algorithm>
#include <set>

#include "core/time_util.h"
#include "tests/sim/pipedrive/pd_encode.h"
#include "tests/sim/pipedrive/pipedrive_sim_fixture.h"

namespace salesaudit::sim {
namespace {

using testing::Encode;
using testing::EnvelopeError;
using testing::Fixture;
using testing::Json;
using testing::Reply;

std::set<int64_t> AsSet(const std::vector<int64_t>& ids) { return {ids.begin(), ids.end()}; }

PdPerson Named(const char* name) {
  PdPerson p;
  p.name = name;
  return p;
}

TEST_CASE("v2 persons page by opaque cursors, 100 by default and at most 500") {
  Fixture f;
  int pages = 0;
  const std::vector<int64_t> ids = f.V2Ids("/api/v2/persons", "", &pages);
  std::vector<int64_t> live;
  for (const PdPerson& p : f.sim.Persons()) live.push_back(p.id);
  CHECK(ids == live);  // sorted by id ascending by default
  CHECK(pages == static_cast<int>((live.size() + 99) / 100));

  Reply first = f.Get("/api/v2/persons?limit=500");
  rapidjson::Document doc = Json(first.body);
  CHECK(doc["data"].Size() == live.size());
  CHECK(doc["additional_data"]["next_cursor"].IsNull());

  Reply paged = f.Get("/api/v2/persons?limit=2");
  const std::string cursor = Json(paged.body)["additional_data"]["next_cursor"].GetString();
  // Opaque base64url text without padding, not a number or offset.
  CHECK(cursor.find_first_not_of(
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") ==
        std::string::npos);
  CHECK(cursor.size() > 20);

  Reply over = f.Get("/api/v2/persons?limit=501");
  CHECK(over.status == 400);
  CHECK(EnvelopeError(over).find("limit") != std::string::npos);
}

TEST_CASE("v2 persons carry RFC 3339 times, strict booleans and custom fields by option id") {
  Fixture f;
  const std::string channel = f.sim.PersonFieldKey("Channel");
  CHECK(channel.size() == 40);
  const std::vector<PdPerson> persons = f.sim.Persons();
  auto with_channel = std::find_if(persons.begin(), persons.end(), [&](const PdPerson& p) {
    return p.custom_fields.count(channel) > 0;
  });
  REQUIRE(with_channel != persons.end());
  const int64_t option = std::get<int64_t>(with_channel->custom_fields.at(channel));

  Reply r = f.Get("/api/v2/persons?ids=" + std::to_string(with_channel->id));
  REQUIRE(r.status == 200);
  rapidjson::Document doc = Json(r.body);
  REQUIRE(doc["data"].Size() == 1);
  const rapidjson::Value& p = doc["data"][0];
  CHECK(std::string(p["update_time"].GetString()) == Rfc3339(with_channel->update_time_ms));
  CHECK(std::string(p["add_time"].GetString()).size() == 20);  // 2024-01-04T10:44:11Z
  CHECK(p["is_deleted"].IsFalse());
  CHECK(p["owner_id"].IsInt64());
  CHECK(p["org_id"].IsNull());
  CHECK(p["custom_fields"][channel.c_str()].GetInt64() == option);
  CHECK_FALSE(p.HasMember(channel.c_str()));  // never at the root in v2

  Reply labelled =
      f.Get("/api/v2/persons?include_option_labels=true&ids=" + std::to_string(with_channel->id) +
            "&custom_fields=" + channel);
  rapidjson::Document labelled_doc = Json(labelled.body);
  const rapidjson::Value& fields = labelled_doc["data"][0]["custom_fields"];
  CHECK(fields.MemberCount() == 1);
  CHECK(fields[channel.c_str()]["id"].GetInt64() == option);
  CHECK(fields[channel.c_str()]["label"].IsString());

  CHECK(f.Get("/api/v2/persons?include_option_labels=1").status == 400);
}

TEST_CASE("v2 filters on owner, person, pipeline and stage select what they name") {
  Fixture f;
  const int64_t owner = f.sim.Users().front().id;
  std::set<int64_t> owned;
  for (const PdPerson& p : f.sim.Persons()) {
    if (p.owner_id == owner) owned.insert(p.id);
  }
  CHECK_FALSE(owned.empty());
  CHECK(AsSet(f.V2Ids("/api/v2/persons", "owner_id=" + std::to_string(owner))) == owned);
  const PdDeal deal = f.sim.Deals().front();
  std::set<int64_t> in_stage, of_person;
  for (const PdDeal& d : f.sim.Deals()) {
    if (d.stage_id == deal.stage_id) in_stage.insert(d.id);
    if (d.person_id == deal.person_id) of_person.insert(d.id);
  }
  CHECK(AsSet(f.V2Ids("/api/v2/deals", "pipeline_id=" + std::to_string(deal.pipeline_id) +
                                           "&stage_id=" + std::to_string(deal.stage_id))) ==
        in_stage);
  CHECK(AsSet(f.V2Ids("/api/v2/deals", "person_id=" + std::to_string(*deal.person_id))) ==
        of_person);
  CHECK(f.V2Ids("/api/v2/persons", "deal_id=" + std::to_string(deal.id)) ==
        std::vector<int64_t>{*deal.person_id});
}

TEST_CASE("some persons have several e-mails with the primary one not first, some none") {
  Fixture f;
  int primary_later = 0, without = 0;
  for (const PdPerson& p : f.sim.Persons()) {
    if (p.emails.empty()) ++without;
    if (p.emails.size() > 1 && !p.emails.front().primary) {
      ++primary_later;
      if (primary_later > 1) continue;
      Reply r = f.Get("/api/v2/persons?ids=" + std::to_string(p.id));
      rapidjson::Document doc = Json(r.body);
      const rapidjson::Value& emails = doc["data"][0]["emails"];
      REQUIRE(emails.Size() == p.emails.size());
      CHECK(emails[0]["primary"].IsFalse());
      int primaries = 0;
      for (const auto& e : emails.GetArray()) primaries += e["primary"].GetBool() ? 1 : 0;
      CHECK(primaries == 1);
    }
  }
  CHECK(primary_later > 10);
  CHECK(without > 0);
}

TEST_CASE("updated_since takes its own second and updated_until leaves its own out") {
  ManualClock clock;
  Fixture f(testing::SmallCompany(), testing::Unlimited(), clock);
  clock.Advance(std::chrono::seconds(60));
  const int64_t t1 = WholeSecond(clock.NowMs());
  const int64_t a = f.sim.CreatePerson(Named("A"));
  clock.Advance(std::chrono::milliseconds(1500));
  const int64_t t2 = WholeSecond(clock.NowMs());
  const int64_t b = f.sim.CreatePerson(Named("B"));
  clock.Advance(std::chrono::seconds(1));
  const int64_t c = f.sim.CreatePerson(Named("C"));

  const std::string since = "updated_since=" + Encode(Rfc3339(t1));
  CHECK(f.V2Ids("/api/v2/persons", since) == std::vector<int64_t>{a, b, c});
  CHECK(f.V2Ids("/api/v2/persons", since + "&updated_until=" + Encode(Rfc3339(t2))) ==
        std::vector<int64_t>{a});
  // RFC 3339 with an offset names the same instant.
  CHECK(f.V2Ids("/api/v2/persons",
                "updated_since=" + Encode(FormatIsoMs(t2).substr(0, 19) + "+00:00")) ==
        std::vector<int64_t>{b, c});
  // The v1 form and epoch numbers are not RFC 3339.
  CHECK(f.Get("/api/v2/persons?updated_since=" + Encode(V1Time(t1))).status == 400);
  CHECK(f.Get("/api/v2/persons?updated_since=" + std::to_string(t1)).status == 400);
}

TEST_CASE("1,200 persons sharing one update second page whole by update_time, 500 at a time") {
  PdCompanySpec spec = testing::SmallCompany();
  spec.persons = 1500;
  spec.bulk_updated_persons = 1200;
  spec.deleted_person_share = 0;
  Fixture f(spec);
  std::map<int64_t, int> by_second;
  for (const PdPerson& p : f.sim.Persons()) ++by_second[p.update_time_ms];
  auto bulk = std::max_element(by_second.begin(), by_second.end(),
                               [](const auto& x, const auto& y) { return x.second < y.second; });
  REQUIRE(bulk->second == 1200);
  std::set<int64_t> expected;
  for (const PdPerson& p : f.sim.Persons()) {
    if (p.update_time_ms >= bulk->first) expected.insert(p.id);
  }

  for (const char* direction : {"asc", "desc"}) {
    int pages = 0;
    const std::vector<int64_t> ids =
        f.V2Ids("/api/v2/persons",
                "sort_by=update_time&sort_direction=" + std::string(direction) +
                    "&limit=500&updated_since=" + Encode(Rfc3339(bulk->first)),
                &pages);
    CHECK(ids.size() == expected.size());  // none twice
    CHECK(AsSet(ids) == expected);         // none lost
    CHECK(pages == static_cast<int>((expected.size() + 499) / 500));
  }

  // A cursor belongs to its sort.
  Reply first = f.Get("/api/v2/persons?sort_by=update_time&limit=10");
  const std::string cursor = Json(first.body)["additional_data"]["next_cursor"].GetString();
  Reply foreign = f.Get("/api/v2/persons?sort_by=id&limit=10&cursor=" + Encode(cursor));
  CHECK(foreign.status == 400);
  CHECK(f.Get("/api/v2/persons?cursor=bm90IGEgY3Vyc29y").status == 400);
}

TEST_CASE("a deleted person leaves the v2 list and reads by id with is_deleted") {
  ManualClock clock;
  Fixture f(testing::SmallCompany(), testing::Unlimited(), clock);
  const int64_t id = f.sim.Persons().front().id;
  clock.Advance(std::chrono::seconds(30));
  f.sim.DeletePerson(id);
  CHECK_FALSE(AsSet(f.V2Ids("/api/v2/persons", "limit=500")).count(id));
  CHECK(f.V2Ids("/api/v2/persons", "ids=" + std::to_string(id)).empty());

  Reply r = f.Get("/api/v2/persons/" + std::to_string(id));
  REQUIRE(r.status == 200);
  rapidjson::Document doc = Json(r.body);
  CHECK(doc["data"]["is_deleted"].IsTrue());
  CHECK(std::string(doc["data"]["update_time"].GetString()) == Rfc3339(clock.NowMs()));
  CHECK(f.Get("/api/v2/persons/999999").status == 404);
  // Thirty days on it is deleted for good.
  clock.Advance(std::chrono::hours(24 * 30));
  CHECK(f.Get("/api/v2/persons/" + std::to_string(id)).status == 404);
  CHECK(f.sim.Persons(true).front().is_deleted);
}

TEST_CASE("deleted deals come back only when status asks, and won or lost stamp their times") {
  ManualClock clock;
  Fixture f(testing::SmallCompany(), testing::Unlimited(), clock);
  std::set<int64_t> live, deleted;
  for (const PdDeal& d : f.sim.Deals(true)) (d.is_deleted ? deleted : live).insert(d.id);
  REQUIRE_FALSE(deleted.empty());
  CHECK(AsSet(f.V2Ids("/api/v2/deals", "limit=500")) == live);
  CHECK(AsSet(f.V2Ids("/api/v2/deals", "limit=500&status=deleted")) == deleted);
  std::set<int64_t> all = live;
  all.insert(deleted.begin(), deleted.end());
  CHECK(AsSet(f.V2Ids("/api/v2/deals", "limit=500&status=open,won,lost,deleted")) == all);
  CHECK(f.Get("/api/v2/deals?status=all_not_deleted").status == 400);

  PdDeal open;
  for (const PdDeal& d : f.sim.Deals()) {
    if (d.status == "open") open = d;
  }
  REQUIRE(open.id != 0);
  clock.Advance(std::chrono::minutes(3));
  f.sim.UpdateDeal(open.id, [](PdDeal& d) { d.status = "won"; });
  rapidjson::Document won = Json(f.Get("/api/v2/deals/" + std::to_string(open.id)).body);
  const std::string now = Rfc3339(clock.NowMs());
  CHECK(std::string(won["data"]["status"].GetString()) == "won");
  CHECK(std::string(won["data"]["won_time"].GetString()) == now);
  CHECK(std::string(won["data"]["close_time"].GetString()) == now);
  CHECK(won["data"]["lost_time"].IsNull());
  CHECK(won["data"]["value"].IsNumber());
  CHECK(won["data"]["currency"].IsString());

  clock.Advance(std::chrono::minutes(1));
  f.sim.DeleteDeal(open.id);
  rapidjson::Document gone = Json(f.Get("/api/v2/deals/" + std::to_string(open.id)).body);
  CHECK(gone["data"]["is_deleted"].IsTrue());
  CHECK(std::string(gone["data"]["status"].GetString()) == "deleted");
  CHECK_FALSE(AsSet(f.V2Ids("/api/v2/deals", "limit=500&status=won")).count(open.id));
  CHECK(AsSet(f.V2Ids("/api/v2/deals", "limit=500&status=deleted")).count(open.id));
  clock.Advance(std::chrono::hours(24 * 30));
  CHECK_FALSE(AsSet(f.V2Ids("/api/v2/deals", "limit=500&status=deleted")).count(open.id));
  CHECK(f.Get("/api/v2/deals/" + std::to_string(open.id)).status == 404);
}

TEST_CASE("activities filter on done as a strict boolean and carry marked_as_done_time") {
  ManualClock clock;
  Fixture f(testing::SmallCompany(), testing::Unlimited(), clock);
  std::set<int64_t> done, undone;
  for (const PdActivity& a : f.sim.Activities()) (a.done ? done : undone).insert(a.id);
  CHECK(AsSet(f.V2Ids("/api/v2/activities", "limit=500&done=true")) == done);
  CHECK(AsSet(f.V2Ids("/api/v2/activities", "limit=500&done=false")) == undone);
  CHECK(f.Get("/api/v2/activities?done=1").status == 400);

  const int64_t id = *undone.begin();
  clock.Advance(std::chrono::seconds(10));
  f.sim.MarkActivityDone(id);
  rapidjson::Document doc = Json(f.Get("/api/v2/activities?done=true&limit=500&"
                                       "sort_by=update_time&sort_direction=desc")
                                     .body);
  const rapidjson::Value& latest = doc["data"][0];
  CHECK(latest["id"].GetInt64() == id);
  CHECK(latest["done"].IsTrue());
  CHECK(std::string(latest["marked_as_done_time"].GetString()) == Rfc3339(clock.NowMs()));
  CHECK(latest["participants"][0]["primary"].IsTrue());
}

TEST_CASE("v1 leads page by start and limit, archived ones only under /v1/leads/archived") {
  Fixture f;
  size_t open = 0, archived = 0;
  for (const PdLead& l : f.sim.Leads()) (l.is_archived ? archived : open)++;
  REQUIRE(archived > 0);
  std::set<std::string> seen;
  for (size_t start = 0;;) {
    Reply r = f.Get("/v1/leads?limit=25&start=" + std::to_string(start));
    REQUIRE(r.status == 200);
    rapidjson::Document doc = Json(r.body);
    const rapidjson::Value& pagination = doc["additional_data"]["pagination"];
    for (const auto& l : doc["data"].GetArray()) {
      CHECK(l["is_archived"].IsFalse());
      CHECK(std::string(l["id"].GetString()).size() == 36);  // a UUID
      CHECK(l["person_id"].IsInt64());
      CHECK(l["source_name"].IsString());
      CHECK(std::string(l["add_time"].GetString()).back() == 'Z');
      seen.insert(l["id"].GetString());
    }
    if (!pagination["more_items_in_collection"].GetBool()) {
      CHECK_FALSE(pagination.HasMember("next_start"));
      break;
    }
    start = pagination["next_start"].GetUint64();
  }
  CHECK(seen.size() == open);

  rapidjson::Document arch = Json(f.Get("/v1/leads/archived?limit=500").body);
  CHECK(arch["data"].Size() == archived);
  // Past the end a v1 page is `data: null`.
  rapidjson::Document past = Json(f.Get("/v1/leads?start=100000").body);
  CHECK(past["data"].IsNull());

  std::vector<std::string> open_ids;
  for (const PdLead& l : f.sim.Leads()) {
    if (!l.is_archived) open_ids.push_back(l.id);
  }
  f.sim.ArchiveLead(open_ids.front());
  f.sim.DeleteLead(open_ids.back());
  CHECK(Json(f.Get("/v1/leads/archived?limit=500").body)["data"].Size() == archived + 1);
  CHECK(Json(f.Get("/v1/leads?limit=500").body)["data"].Size() == open - 2);
  const std::vector<PdLead> leads = f.sim.Leads();
  const int64_t person = *std::find_if(leads.begin(), leads.end(), [](const PdLead& l) {
                            return !l.is_archived;
                          })->person_id;
  size_t of_person = 0;
  for (const PdLead& l : leads) of_person += !l.is_archived && l.person_id == person;
  rapidjson::Document filtered =
      Json(f.Get("/v1/leads?limit=500&person_id=" + std::to_string(person)).body);
  REQUIRE(filtered["data"].IsArray());
  CHECK(filtered["data"].Size() == of_person);
  for (const auto& l : filtered["data"].GetArray()) CHECK(l["person_id"].GetInt64() == person);
  CHECK(f.Get("/v1/leads?owner_id=me").status == 400);
  // The same API under /api/v1.
  CHECK(Json(f.Get("/api/v1/leads?limit=500").body)["data"].Size() == open - 2);
}

TEST_CASE("v1 users are one unpaginated list with v1 times and a 0 or 1 is_admin") {
  PdCompanySpec spec = testing::SmallCompany();
  spec.users = 7;
  Fixture f(spec);
  Reply r = f.Get("/v1/users");
  REQUIRE(r.status == 200);
  rapidjson::Document doc = Json(r.body);
  REQUIRE(doc["data"].Size() == 7);
  CHECK_FALSE(doc.HasMember("additional_data"));
  const rapidjson::Value& u = doc["data"][0];
  CHECK(u["is_admin"].IsInt());
  CHECK(u["active_flag"].IsBool());
  const std::string created = u["created"].GetString();
  CHECK(created.size() == 19);
  CHECK(created[10] == ' ');
  CHECK(ParseTimestampMs(created) == f.sim.Users().front().created_ms);
}

TEST_CASE("v1 personFields list custom fields under 40-character keys with their options") {
  Fixture f;
  Reply r = f.Get("/v1/personFields?limit=500");
  REQUIRE(r.status == 200);
  rapidjson::Document doc = Json(r.body);
  const std::string key = f.sim.PersonFieldKey("Channel");
  const rapidjson::Value* channel = nullptr;
  for (const auto& field : doc["data"].GetArray()) {
    if (key == field["key"].GetString()) channel = &field;
  }
  REQUIRE(channel != nullptr);
  CHECK(std::string((*channel)["field_type"].GetString()) == "enum");
  CHECK((*channel)["edit_flag"].IsTrue());
  const int64_t option = (*channel)["options"][0]["id"].GetInt64();

  f.sim.SetPersonFieldOptionLabel(key, option, "Paid search");
  rapidjson::Document after = Json(f.Get("/v1/personFields?limit=500").body);
  for (const auto& field : after["data"].GetArray()) {
    if (key == field["key"].GetString()) {
      CHECK(std::string(field["options"][0]["label"].GetString()) == "Paid search");
      CHECK(field["options"][0]["id"].GetInt64() == option);
    }
  }
}

TEST_CASE("stages filter by pipeline and sort by order_nr, pipelines list in the v2 envelope") {
  PdCompanySpec spec = testing::SmallCompany();
  spec.pipelines = 3;
  spec.stages_per_pipeline = 4;
  Fixture f(spec);
  CHECK(f.V2Ids("/api/v2/pipelines", "").size() == 3);
  const std::vector<int64_t> stages =
      f.V2Ids("/api/v2/stages", "pipeline_id=2&sort_by=order_nr&sort_direction=desc");
  REQUIRE(stages.size() == 4);
  rapidjson::Document doc = Json(f.Get("/api/v2/stages?pipeline_id=2&sort_by=order_nr").body);
  CHECK(doc["data"][0]["order_nr"].GetInt() == 1);
  CHECK(doc["data"][0]["pipeline_id"].GetInt64() == 2);
  CHECK(doc["data"][0]["is_deleted"].IsFalse());
  CHECK(stages.front() == doc["data"][3]["id"].GetInt64());
  CHECK(f.Get("/api/v2/pipelines?sort_by=order_nr").status == 400);
}

TEST_CASE("unknown parameters and bad values answer 400 in Pipedrive's envelope") {
  Fixture f;
  for (const char* target :
       {"/api/v2/persons?page=2", "/api/v2/persons?sort_by=name", "/api/v2/persons?limit=0",
        "/api/v2/persons?sort_direction=up", "/api/v2/deals?owner_id=me",
        "/api/v2/activities?status=open", "/api/v2/persons?include_fields=notes_count"}) {
    Reply r = f.Get(target);
    INFO(target);
    CHECK(r.status == 400);
    CHECK_FALSE(EnvelopeError(r).empty());
  }
  Reply unknown = f.Get("/api/v2/organizations");
  CHECK(unknown.status == 404);
  CHECK_FALSE(EnvelopeError(unknown).empty());
  // v2 only under /api/v2.
  CHECK(f.Get("/v2/persons").status == 404);
}

TEST_CASE("a merge deletes the loser and moves its deals, leads and activities to the survivor") {
  PdCompanySpec spec = testing::SmallCompany();
  spec.persons = 20;
  spec.deleted_person_share = 0;
  ManualClock clock;
  Fixture f(spec, testing::Unlimited(), clock);
  std::map<int64_t, int> deals_of;
  for (const PdDeal& d : f.sim.Deals(true)) {
    if (d.person_id) ++deals_of[*d.person_id];
  }
  const int64_t loser = deals_of.begin()->first;
  const int64_t survivor = loser == 1 ? 2 : 1;
  PdPerson loser_before;
  for (const PdPerson& p : f.sim.Persons()) {
    if (p.id == loser) loser_before = p;
  }
  f.sim.UpdatePerson(survivor, [](PdPerson& p) {
    p.emails.clear();
    p.name = "Kept Name";
  });
  clock.Advance(std::chrono::hours(1));
  f.sim.MergePersons(survivor, loser);
  const std::string now = Rfc3339(clock.NowMs());

  CHECK(
      Json(f.Get("/api/v2/persons/" + std::to_string(loser)).body)["data"]["is_deleted"].IsTrue());
  CHECK(f.V2Ids("/api/v2/deals", "status=open,won,lost,deleted&person_id=" + std::to_string(loser))
            .empty());
  rapidjson::Document moved =
      Json(f.Get("/api/v2/deals?status=open,won,lost,deleted&limit=500&sort_by=update_time"
                 "&sort_direction=desc&person_id=" +
                 std::to_string(survivor))
               .body);
  int stamped = 0;
  for (const auto& d : moved["data"].GetArray()) stamped += now == d["update_time"].GetString();
  CHECK(stamped == deals_of[loser]);
  // The survivor's own values stay; what it lacked comes from the loser.
  rapidjson::Document kept = Json(f.Get("/api/v2/persons/" + std::to_string(survivor)).body);
  CHECK(std::string(kept["data"]["name"].GetString()) == "Kept Name");
  CHECK(kept["data"]["emails"].Size() == loser_before.emails.size());
  CHECK(std::string(kept["data"]["update_time"].GetString()) == now);
  for (const PdLead& l : f.sim.Leads()) CHECK(l.person_id != loser);
  for (const PdActivity& a : f.sim.Activities()) CHECK(a.person_id != loser);
}

TEST_CASE("the generated company has the shape of the spec") {
  PdCompanySpec spec = testing::SmallCompany();
  spec.users = 4;
  spec.pipelines = 2;
  spec.stages_per_pipeline = 5;
  PipedriveSim sim(spec);
  CHECK(sim.Users().size() == 4);
  CHECK(sim.Pipelines().size() == 2);
  CHECK(sim.Stages().size() == 10);
  CHECK(sim.Persons(true).size() == 300);
  CHECK(sim.Deals(true).size() == 120);
  CHECK(sim.Leads(true).size() == 90);
  CHECK(sim.Activities(true).size() == 150);
  int won = 0, lost = 0;
  for (const PdDeal& d : sim.Deals(true)) {
    if (d.status == "won") {
      ++won;
      CHECK(d.won_time_ms == d.close_time_ms);
    }
    if (d.status == "lost") ++lost;
    CHECK(d.update_time_ms % 1000 == 0);
  }
  CHECK(won > 10);
  CHECK(lost > 5);
  // Same seed, same company.
  PipedriveSim again(spec);
  CHECK(again.Persons(true).front().name == sim.Persons(true).front().name);
  CHECK(again.PersonFieldKey("Channel") == sim.PersonFieldKey("Channel"));
}

}  // namespace
}  // namespace salesaudit::sim
