#include "connectors/record_reader.h"

#include <rapidjson/document.h>

#include <catch2/catch.hpp>

#include "core/json_reader.h"

namespace salesaudit {
namespace {

TEST_CASE(
    "RecordReader reads a member of the wrong type as absent and reports it by record and key") {
  rapidjson::Document doc;
  REQUIRE(ParseJson(R"({"id":"42","email":7,"name":"Ada","count":"3","props":[],)"
                    R"("created":"not a date","updated":"2026-03-02T10:00:00Z","nil":null})",
                    &doc)
              .ok());
  std::vector<ValueIssue> issues;
  RecordReader record(RecordKind::kContact, issues);
  record.set_id("42");
  CHECK(record.String(doc, "name") == "Ada");
  CHECK_FALSE(record.String(doc, "email", "hs_email").has_value());
  CHECK(record.Text(doc, "email").empty());
  CHECK_FALSE(record.Int64(doc, "count").has_value());
  CHECK(record.Object(doc, "props") == nullptr);
  CHECK_FALSE(record.Time(doc, "created").has_value());
  CHECK(record.Time(doc, "updated").has_value());
  // Null and absent members are unknown values, not wrong ones.
  CHECK_FALSE(record.String(doc, "nil").has_value());
  CHECK_FALSE(record.Int64(doc, "absent").has_value());
  CHECK(record.Object(doc, "nil") == nullptr);

  std::vector<std::string> reported;
  for (const ValueIssue& issue : issues) {
    CHECK(issue.kind == RecordKind::kContact);
    CHECK(issue.record_id == "42");
    reported.push_back(issue.property + " " + issue.problem);
  }
  CHECK(reported == std::vector<std::string>{
                        "hs_email is a number, not a string; stored as unknown",
                        "email is a number, not a string; stored as unknown",
                        "count is a string, not an integer; stored as unknown",
                        "props is an array, not an object; stored as unknown",
                        "created = \"not a date\" is not a date; stored as unknown",
                    });
}

TEST_CASE("RecordReader reads an id sent as a string or an integer, and reports any other") {
  rapidjson::Document doc;
  REQUIRE(ParseJson(R"({"text":"00Q5g","number":101,"fraction":1.5,"nil":null})", &doc).ok());
  std::vector<ValueIssue> issues;
  RecordReader record(RecordKind::kDeal, issues);
  record.set_id("d1");
  CHECK(record.Id(doc, "text") == "00Q5g");
  CHECK(record.Id(doc, "number") == "101");
  CHECK(record.Id(doc, "nil").empty());
  CHECK(record.Id(doc, "absent").empty());
  CHECK(issues.empty());
  CHECK(record.Id(doc, "fraction").empty());
  REQUIRE(issues.size() == 1);
  CHECK(issues[0].Describe() ==
        "deal d1: property fraction is a number, not an id; stored as unknown");
}

}  // namespace
}  // namespace salesaudit
