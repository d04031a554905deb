// The SOQL subset of the Salesforce simulator, parsed and run against a
// generated org in-process: grammar, typing and the wording of Salesforce's
// errors, and what each operator selects.
#include "tests/sim/salesforce/soql.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <random>
#include <string>

namespace salesaudit::sim {
namespace {

constexpr int64_t kNow = 1'735'689'600'000;  // 2025-01-01T00:00:00Z

const Org& TestOrg() {
  static const Org org = [] {
    OrgSpec spec;
    spec.seed = 5;
    spec.leads = 200;
    spec.contacts_without_lead = 30;
    spec.opportunities = 20;
    spec.custom_fields["Lead"] = {{"Region__c", FieldType::kPicklist}};
    return Org(spec, kNow);
  }();
  return org;
}

SoqlError ErrorOf(const std::string& soql) {
  std::variant<SoqlQuery, SoqlError> parsed = ParseSoql(soql, TestOrg());
  REQUIRE(std::holds_alternative<SoqlError>(parsed));
  return std::get<SoqlError>(parsed);
}

// Ids the query selects, in order.
std::vector<std::string> Run(const std::string& soql, bool all = false) {
  std::variant<SoqlQuery, SoqlError> parsed = ParseSoql(soql, TestOrg());
  if (auto* error = std::get_if<SoqlError>(&parsed)) FAIL(error->code + error->message);
  std::mt19937_64 rng(3);
  std::vector<std::string> ids;
  for (const SfRecord* r : RunSoql(std::get<SoqlQuery>(parsed), TestOrg(), kNow, all, rng)) {
    ids.push_back(r->id);
  }
  return ids;
}

// Ids of the org's records of `object` for which `pred` holds.
template <typename Pred>
std::vector<std::string> Expected(const std::string& object, Pred pred) {
  std::vector<std::string> ids;
  for (const SfRecord& r : TestOrg().Records(object, false)) {
    if (pred(r)) ids.push_back(r.id);
  }
  return ids;
}

const std::string& Text(const SfRecord& r, const char* field) {
  static const std::string kEmpty;
  const SfValue& v = r.fields.at(field);
  return std::holds_alternative<std::string>(v) ? std::get<std::string>(v) : kEmpty;
}

TEST_CASE("an unexpected token is MALFORMED_QUERY with the line, a caret and its position") {
  const SoqlError e = ErrorOf("SELECT Id FROM Lead WHERE Status = 'Open' Name");
  CHECK(e.code == "MALFORMED_QUERY");
  CHECK(e.message ==
        "\nSELECT Id FROM Lead WHERE Status = 'Open' Name\n"
        "                                          ^\n"
        "ERROR at Row:1:Column:43\nunexpected token: Name");
  CHECK(ErrorOf("SELECT * FROM Lead").message.ends_with("unexpected token: *"));
  CHECK(ErrorOf("SELECT Id FROM Lead WHERE").message.ends_with("unexpected token: <EOF>"));
  CHECK(ErrorOf("SELECT Id FROM Lead LIMIT -1").code == "MALFORMED_QUERY");
  CHECK(ErrorOf("SELECT Id, Id FROM Lead").message.ends_with("duplicate field selected: Id"));
  CHECK(ErrorOf("SELECT Id FROM Lead WHERE LastName = 'unterminated").code == "MALFORMED_QUERY");
}

TEST_CASE(
    "unknown columns are INVALID_FIELD and unknown objects INVALID_TYPE, worded as Salesforce") {
  const SoqlError field = ErrorOf("SELECT Id, Foo FROM Lead");
  CHECK(field.code == "INVALID_FIELD");
  CHECK(field.message.ends_with(
      "No such column 'Foo' on entity 'Lead'. If you are attempting to use a custom field, be "
      "sure to append the '__c' after the custom field name. Please reference your WSDL or the "
      "describe call for the appropriate names."));
  const SoqlError object = ErrorOf("SELECT Foo FROM Bar");
  CHECK(object.code == "INVALID_TYPE");
  CHECK(object.message.ends_with(
      "sObject type 'Bar' is not supported. If you are attempting to use a custom object, be sure "
      "to append the '__c' after the entity name. Please reference your WSDL or the describe "
      "call for the appropriate names."));
  CHECK(ErrorOf("SELECT Owner.Name FROM Lead").code == "INVALID_FIELD");
  CHECK(ErrorOf("SELECT SystemModstamp FROM LeadHistory").code == "INVALID_FIELD");
  CHECK(ErrorOf("SELECT CurrencyIsoCode FROM Opportunity").code == "INVALID_FIELD");
}

TEST_CASE("a literal of the wrong type is INVALID_FIELD naming the type the field wants") {
  CHECK(ErrorOf("SELECT Id FROM Lead WHERE CreatedDate > 2024-01-01")
            .message.ends_with("value of filter criterion for field 'CreatedDate' must be of type "
                               "dateTime and should not "
                               "be enclosed in quotes"));
  CHECK(ErrorOf("SELECT Id FROM Lead WHERE CreatedDate > '2024-01-01T00:00:00Z'").code ==
        "INVALID_FIELD");
  CHECK(ErrorOf("SELECT Id FROM Lead WHERE ConvertedDate = 2024-01-01T00:00:00Z")
            .message.ends_with("must be of type date and should not be enclosed in quotes"));
  CHECK(ErrorOf("SELECT Id FROM Lead WHERE IsConverted = 'true'")
            .message.ends_with("must be of type boolean and should not be enclosed in quotes"));
  CHECK(ErrorOf("SELECT Id FROM Lead WHERE Email = 5")
            .message.ends_with("must be of type string and should be enclosed in quotes"));
  const SoqlError id = ErrorOf("SELECT Id FROM Lead WHERE OwnerId = 'abc'");
  CHECK(id.code == "INVALID_QUERY_FILTER_OPERATOR");
  CHECK(id.message.ends_with("invalid ID field: abc"));
  CHECK(ErrorOf("SELECT Id FROM Lead WHERE CreatedDate > 2024-01-01T00:00:00").code ==
        "MALFORMED_QUERY");  // a dateTime needs its zone
  CHECK(ErrorOf("SELECT Id FROM Lead WHERE CreatedDate > 2024-01-01T00:00:00.000Z").code ==
        "MALFORMED_QUERY");  // and has no fraction
}

TEST_CASE("AND and OR cannot be mixed without parentheses") {
  CHECK(ErrorOf("SELECT Id FROM Lead WHERE IsConverted = true OR Status = 'x' AND Rating = 'Hot'")
            .message.ends_with("unexpected token: AND"));
  const std::vector<std::string> ids =
      Run("SELECT Id FROM Lead WHERE IsConverted = true OR (Status = 'Working - Contacted' AND "
          "Rating = 'Hot') ORDER BY Id");
  CHECK(ids == Expected("Lead", [](const SfRecord& r) {
          return std::get<bool>(r.fields.at("IsConverted")) ||
                 (Text(r, "Status") == "Working - Contacted" && Text(r, "Rating") == "Hot");
        }));
}

TEST_CASE("comparisons follow the field's type: datetimes with offsets, dates, ids, text") {
  const int64_t cut = kNow - 90LL * 86'400'000;
  const std::vector<std::string> recent =
      Run("SELECT Id FROM Lead WHERE SystemModstamp >= 2024-10-03T02:00:00+02:00 ORDER BY Id");
  CHECK(recent == Expected("Lead", [&](const SfRecord& r) {
          return std::get<double>(r.fields.at("SystemModstamp")) >= static_cast<double>(cut);
        }));
  CHECK_FALSE(recent.empty());
  const std::vector<std::string> open =
      Run("select id from LEAD where status = 'open - not contacted' order by id");
  CHECK(open == Expected("Lead", [](const SfRecord& r) {
          return Text(r, "Status") == "Open - Not Contacted";
        }));
  const std::string some = TestOrg().Records("Lead", false)[3].id;
  CHECK(Run("SELECT Id FROM Lead WHERE Id = '" + some.substr(0, 15) + "'") ==
        std::vector<std::string>{some});
  CHECK(Run("SELECT Id FROM Lead WHERE ConvertedDate != null ORDER BY Id") ==
        Expected("Lead", [](const SfRecord& r) { return !IsNull(r.fields.at("ConvertedDate")); }));
  CHECK(Run("SELECT Id FROM Lead WHERE LeadSource != 'Web' ORDER BY Id") ==
        Expected("Lead", [](const SfRecord& r) { return Text(r, "LeadSource") != "Web"; }));
  CHECK(Run("SELECT Id FROM Lead WHERE LastName LIKE 'n%' ORDER BY Id") ==
        Expected("Lead", [](const SfRecord& r) { return Text(r, "LastName").starts_with("N"); }));
  CHECK(Run("SELECT Id FROM Lead WHERE Status IN ('Closed - Converted', 'Closed - Not "
            "Converted') AND NOT (Rating = null) ORDER BY Id") ==
        Expected("Lead", [](const SfRecord& r) {
          return Text(r, "Status").starts_with("Closed") && !IsNull(r.fields.at("Rating"));
        }));
  CHECK(Run("SELECT Id FROM Opportunity WHERE Amount > 1000.5 AND IsWon = false ORDER BY Id") ==
        Expected("Opportunity", [](const SfRecord& r) {
          const SfValue& a = r.fields.at("Amount");
          return !IsNull(a) && std::get<double>(a) > 1000.5 &&
                 !std::get<bool>(r.fields.at("IsWon"));
        }));
  CHECK(Run("SELECT Id FROM Lead WHERE Region__c = 'Alpha' ORDER BY Id") ==
        Expected("Lead", [](const SfRecord& r) { return Text(r, "Region__c") == "Alpha"; }));
}

TEST_CASE("string literals take backslash escapes") {
  CHECK(Run("SELECT Id FROM Lead WHERE LastName = 'O\\'Brien'").empty());
  CHECK(ErrorOf("SELECT Id FROM Lead WHERE LastName = 'a\\qb'").code == "MALFORMED_QUERY");
}

TEST_CASE("ORDER BY sorts nulls first in either direction unless told, and LIMIT cuts") {
  const std::vector<std::string> by_rating =
      Run("SELECT Id FROM Lead ORDER BY Rating DESC, Id LIMIT 500");
  std::vector<SfRecord> leads = TestOrg().Records("Lead", false);
  std::sort(leads.begin(), leads.end(), [](const SfRecord& a, const SfRecord& b) {
    const bool an = IsNull(a.fields.at("Rating")), bn = IsNull(b.fields.at("Rating"));
    if (an != bn) return an;
    if (!an && Text(a, "Rating") != Text(b, "Rating")) return Text(a, "Rating") > Text(b, "Rating");
    return a.id < b.id;
  });
  std::vector<std::string> expected;
  for (const SfRecord& r : leads) expected.push_back(r.id);
  CHECK(by_rating == expected);
  const std::vector<std::string> last = Run("SELECT Id FROM Lead ORDER BY Rating NULLS LAST, Id");
  CHECK(IsNull(TestOrg().Find("Lead", last.back())->fields.at("Rating")));
  CHECK_FALSE(IsNull(TestOrg().Find("Lead", last.front())->fields.at("Rating")));
  const std::vector<std::string> first = Run("SELECT Id FROM Lead ORDER BY Rating ASC, Id LIMIT 1");
  CHECK(IsNull(TestOrg().Find("Lead", first[0])->fields.at("Rating")));
}

TEST_CASE("semi- and anti-joins select through another object's ids, never the same object") {
  const std::vector<std::string> converted_owners = Run(
      "SELECT Id FROM User WHERE Id IN (SELECT OwnerId FROM Lead WHERE IsConverted = true) ORDER "
      "BY Id");
  CHECK(converted_owners == Expected("User", [](const SfRecord& u) {
          for (const SfRecord& l : TestOrg().Records("Lead", false)) {
            if (std::get<bool>(l.fields.at("IsConverted")) && Text(l, "OwnerId") == u.id)
              return true;
          }
          return false;
        }));
  const std::vector<std::string> no_roles =
      Run("SELECT Id FROM Contact WHERE Id NOT IN (SELECT ContactId FROM OpportunityContactRole)");
  const std::vector<std::string> with_roles =
      Run("SELECT Id FROM Contact WHERE Id IN (SELECT ContactId FROM OpportunityContactRole)");
  CHECK(no_roles.size() + with_roles.size() == TestOrg().Records("Contact", false).size());
  const SoqlError same = ErrorOf("SELECT Id FROM Lead WHERE Id IN (SELECT Id FROM Lead)");
  CHECK(same.code == "INVALID_QUERY_FILTER_OPERATOR");
  CHECK(ErrorOf("SELECT Id FROM User WHERE Id IN (SELECT OwnerId, Id FROM Lead)").code ==
        "MALFORMED_QUERY");
  CHECK(ErrorOf("SELECT Id FROM User WHERE Id IN (SELECT Email FROM Lead)")
            .message.ends_with(
                "semi join sub selects can only query id fields, cannot use: 'Email'"));
  CHECK(ErrorOf("SELECT Id FROM User WHERE Id IN (SELECT OwnerId FROM Lead WHERE Id IN (SELECT "
                "LeadId FROM LeadHistory))")
            .code == "MALFORMED_QUERY");
}

TEST_CASE("the parser stays bounded on deep nesting and over-long text") {
  std::string deep = "SELECT Id FROM Lead WHERE ";
  for (int i = 0; i < 5000; ++i) deep += "(";
  CHECK(ErrorOf(deep).message.ends_with("expression nested too deeply"));
  std::string nots = "SELECT Id FROM Lead WHERE ";
  for (int i = 0; i < 5000; ++i) nots += "NOT ";
  CHECK(ErrorOf(nots).code == "MALFORMED_QUERY");
  CHECK(ErrorOf("SELECT Id FROM Lead WHERE LastName = '" + std::string(kMaxSoqlLength, 'a') + "'")
            .code == "MALFORMED_QUERY");
}

TEST_CASE("query excludes deleted and history rows of deleted leads, queryAll includes them") {
  OrgSpec spec;
  spec.seed = 9;
  spec.leads = 20;
  Org org(spec, kNow);
  const std::string lead = org.Records("Lead", false).front().id;
  org.Delete("Lead", lead, kNow, 0);
  std::variant<SoqlQuery, SoqlError> parsed =
      ParseSoql("SELECT Id FROM LeadHistory WHERE LeadId = '" + lead + "'", org);
  std::mt19937_64 rng(1);
  CHECK(RunSoql(std::get<SoqlQuery>(parsed), org, kNow, false, rng).empty());
  CHECK_FALSE(RunSoql(std::get<SoqlQuery>(parsed), org, kNow, true, rng).empty());
}

TEST_CASE("deleting a contact leaves its contact roles, an opportunity takes its own along") {
  OrgSpec spec;
  spec.seed = 4;
  spec.leads = 0;
  Org org(spec, kNow);
  const SfRecord role = org.Records("OpportunityContactRole", false).front();
  const std::string contact = std::get<std::string>(role.fields.at("ContactId"));
  const std::string opportunity = std::get<std::string>(role.fields.at("OpportunityId"));
  auto role_deleted = [&] {
    return std::get<bool>(org.Find("OpportunityContactRole", role.id)->fields.at("IsDeleted"));
  };
  org.Delete("Contact", contact, kNow, 0);
  CHECK_FALSE(role_deleted());
  org.Delete("Opportunity", opportunity, kNow, 0);
  CHECK(role_deleted());
  org.Undelete("Opportunity", opportunity, kNow, 0);
  CHECK_FALSE(role_deleted());
}

}  // namespace
}  // namespace salesaudit::sim
