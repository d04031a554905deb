// HubSpot property parsing and field mapping (docs/vendors/hubspot.md "Records and
// properties", "Lifecycle stages and contact properties", "Deals and pipelines").
#include "connectors/hubspot/hubspot_mapping.h"

#include <rapidjson/document.h>

#include <catch2/catch.hpp>
#include <map>

namespace salesaudit::hubspot {
namespace {

rapidjson::Document Parse(const char* json) {
  rapidjson::Document doc;
  doc.Parse(json);
  REQUIRE(!doc.HasParseError());
  return doc;
}

TEST_CASE("Contact properties are parsed from their string forms, ISO or epoch-ms dates",
          "[hubspot][mapping]") {
  auto doc = Parse(R"({
    "id": "51",
    "properties": {
      "email": "  Ana@Example.COM ",
      "firstname": "Ana", "lastname": null,
      "createdate": "2024-01-10T09:15:30.234Z",
      "lastmodifieddate": "1706785202118",
      "hs_lifecyclestage_marketingqualifiedlead_date": "1705046400000",
      "hs_sa_first_engagement_date": "",
      "hs_lifecyclestage_salesqualifiedlead_date": "2024-01-20T10:00:00+00:00",
      "hs_lifecyclestage_customer_date": "2024-02-01 12:00:00",
      "hs_analytics_source": "PAID_SEARCH",
      "hubspot_owner_id": "41629779",
      "lifecyclestage": "customer"
    },
    "createdAt": "2024-01-10T09:15:30.234Z", "updatedAt": "2024-02-01T11:00:02.118Z",
    "archived": false})");
  FieldMap fields({});
  std::vector<ValueIssue> issues;
  auto c = MapContact(doc, fields, issues);
  CHECK(issues.empty());
  CHECK(c.id == "51");
  CHECK(c.email == "  Ana@Example.COM ");  // as sent: the store normalises emails
  CHECK(c.first_name == "Ana");
  CHECK(c.last_name.empty());
  CHECK(c.created_at == 1704878130234);
  CHECK(c.updated_at == 1706785202118);
  CHECK(c.mql_at == 1705046400000);
  CHECK_FALSE(c.contacted_at.has_value());  // "" is unknown, not epoch 0
  CHECK(c.sql_at == 1705744800000);
  CHECK(c.customer_at == 1706788800000);
  CHECK(c.channel == "PAID_SEARCH");
  CHECK(c.owner_id == "41629779");
}

TEST_CASE(
    "The fields config overrides which properties feed a canonical field, first non-empty wins",
    "[hubspot][mapping]") {
  auto doc = Parse(R"({"id": "9", "properties": {
      "hs_sa_first_engagement_date": null,
      "notes_last_contacted": "2024-03-01T00:00:00Z",
      "custom_amount": "12,500.75"}})");
  FieldMap fields({{"contacted_at", {"hs_sa_first_engagement_date", "notes_last_contacted"}},
                   {"deals.amount", {"custom_amount"}}});
  std::vector<ValueIssue> issues;
  auto c = MapContact(doc, fields, issues);
  CHECK(c.contacted_at == 1709251200000);
  auto d = MapDeal(doc, fields, issues);
  REQUIRE(d.amount.has_value());
  CHECK(*d.amount == Approx(12500.75));
  auto props = fields.ContactProperties();
  CHECK(std::count(props.begin(), props.end(), "notes_last_contacted") == 1);
}

TEST_CASE("Deal numbers and booleans come from strings", "[hubspot][mapping]") {
  auto doc = Parse(R"({"id": "7", "properties": {
      "dealname": "Big one", "amount": "1250.50", "hs_is_closed": "true",
      "hs_is_closed_won": "FALSE", "dealstage": "closedlost", "pipeline": "default",
      "closedate": "2024-03-05T14:00:00.000Z", "deal_currency_code": "EUR"}})");
  std::vector<ValueIssue> issues;
  auto d = MapDeal(doc, FieldMap({}), issues);
  CHECK(d.amount == 1250.5);
  CHECK(d.is_closed);
  CHECK_FALSE(d.is_won);
  CHECK(d.currency == "EUR");
  CHECK(d.closed_at == 1709647200000);
}

TEST_CASE("Unreadable values become unknown with a warning naming the record and property",
          "[hubspot][mapping]") {
  auto doc = Parse(R"({"id": "77", "properties": {
      "amount": "about a thousand", "closedate": "next tuesday"}})");
  std::vector<ValueIssue> issues;
  auto d = MapDeal(doc, FieldMap({}), issues);
  CHECK_FALSE(d.amount.has_value());
  CHECK_FALSE(d.closed_at.has_value());
  REQUIRE(issues.size() == 2);
  CHECK_THAT(issues[0].Describe(), Catch::Contains("deal 77") && Catch::Contains("amount"));
  CHECK_THAT(issues[1].Describe(), Catch::Contains("deal 77") && Catch::Contains("closedate"));
}

TEST_CASE("A result without a string id maps to a record with an empty id and an issue",
          "[hubspot][mapping]") {
  auto doc = Parse(R"({"id": 12, "properties": {"email": "x@example.com"}})");
  std::vector<ValueIssue> issues;
  auto c = MapContact(doc, FieldMap({}), issues);
  CHECK(c.id.empty());
  CHECK(c.email == "x@example.com");
  REQUIRE(issues.size() == 1);
  CHECK(issues[0].property == "id");
  CHECK_THAT(issues[0].problem, Catch::Contains("a number, not a string"));
}

TEST_CASE("A property of another JSON type than a string is unknown, with an issue naming it",
          "[hubspot][mapping]") {
  auto doc = Parse(R"({"id": "5", "properties": {
      "email": {"value": "x@example.com"}, "firstname": ["Ana"], "createdate": 1704878130234,
      "lastname": true, "hs_analytics_source": "PAID_SEARCH"}})");
  std::vector<ValueIssue> issues;
  auto c = MapContact(doc, FieldMap({}), issues);
  CHECK(c.email.empty());
  CHECK(c.first_name.empty());
  CHECK(c.last_name.empty());
  CHECK_FALSE(c.created_at.has_value());
  CHECK(c.channel == "PAID_SEARCH");
  std::map<std::string, std::string> problems;
  for (const ValueIssue& i : issues) {
    CHECK(i.record_id == "5");
    problems[i.property] = i.problem;
  }
  CHECK_THAT(problems["email"], Catch::Contains("is an object, not a string"));
  CHECK_THAT(problems["firstname"], Catch::Contains("is an array"));
  CHECK_THAT(problems["createdate"], Catch::Contains("is a number"));
  CHECK_THAT(problems["lastname"], Catch::Contains("is a boolean"));
  CHECK(problems.size() == 4);
}

TEST_CASE("Properties that are not an object are reported, not read as empty",
          "[hubspot][mapping]") {
  auto doc = Parse(R"({"id": "6", "properties": "email=x@example.com"})");
  std::vector<ValueIssue> issues;
  auto c = MapContact(doc, FieldMap({}), issues);
  CHECK(c.id == "6");
  REQUIRE(issues.size() == 1);
  CHECK(issues[0].property == "properties");
  CHECK_THAT(issues[0].problem, Catch::Contains("is a string, not an object"));
}

TEST_CASE("HubSpot number and boolean strings", "[hubspot][mapping]") {
  CHECK(ParseHubSpotNumber("1,250.50") == 1250.5);
  CHECK(ParseHubSpotNumber("-3") == -3.0);
  CHECK_FALSE(ParseHubSpotNumber("").has_value());
  CHECK_FALSE(ParseHubSpotNumber("12abc").has_value());
  CHECK_FALSE(ParseHubSpotNumber("inf").has_value());
  CHECK_FALSE(ParseHubSpotNumber("nan").has_value());
  CHECK(ParseHubSpotBool("True") == true);
  CHECK(ParseHubSpotBool("false") == false);
  CHECK_FALSE(ParseHubSpotBool("yes").has_value());
}

}  // namespace
}  // namespace salesaudit::hubspot
