#include "core/json_reader.h"

#include <rapidjson/document.h>

#include <catch2/catch.hpp>
#include <string>

namespace salesaudit {
namespace {

TEST_CASE("ParseJson treats a body cut short as retryable and other garbage as data loss") {
  struct Case {
    const char* text;
    StatusCode code;
  };
  const Case cases[] = {
      {R"({"results":[{"id":"1"}]})", StatusCode::kOk},
      {R"({"results":[{"id":"1"},)", StatusCode::kUnavailable},
      {R"({"results":[{"id":"1)", StatusCode::kUnavailable},
      {R"({"total":12)", StatusCode::kUnavailable},
      {R"({"archived":tr)", StatusCode::kUnavailable},
      {"", StatusCode::kUnavailable},
      {R"({"a":1}})", StatusCode::kDataLoss},
      {"<html>502 Bad Gateway</html>", StatusCode::kDataLoss},
      {R"({"a":nope})", StatusCode::kDataLoss},
  };
  for (const Case& c : cases) {
    INFO("JSON: " << c.text);
    rapidjson::Document doc;
    CHECK(ParseJson(c.text, &doc).code() == c.code);
  }
}

TEST_CASE("ParseJson refuses JSON nested past the cap as data loss without recursing") {
  rapidjson::Document doc;
  const std::string deep = std::string(150000, '[') + std::string(150000, ']');
  Status s = ParseJson(deep, &doc);
  CHECK(s.code() == StatusCode::kDataLoss);
  CHECK(s.message() == "JSON nested deeper than 128 levels at offset 128");
  CHECK(doc.IsNull());
  // Cut short it is still refused for its depth, not retried as truncated.
  CHECK(ParseJson(std::string(150000, '{'), &doc).code() == StatusCode::kDataLoss);
  const std::string at_cap = std::string(128, '[') + std::string(128, ']');
  CHECK(ParseJson(at_cap, &doc).ok());
}

TEST_CASE("ParseJson names the offset of the error") {
  rapidjson::Document doc;
  Status s = ParseJson(R"({"a":1}})", &doc);
  CHECK_THAT(s.message(), Catch::StartsWith("invalid JSON at offset 7: "));
}

TEST_CASE("ParseJsonInPlace gives the document and the status ParseJson gives for the same text") {
  using namespace std::string_literals;
  const std::string texts[] = {
      R"({"records":[{"Id":"00Q1","Name":"a \"quoted\" \u00e9\n name","n":-1.5e3,"ok":true}]})",
      R"({"a":"\ud83d\ude00","b":"","c":null,"d":[1,[2,{"e":"f"}]]})",
      R"({"results":[{"id":"1"},)",
      R"({"a":"unterminated)",
      R"({"a":1}})",
      "<html>502 Bad Gateway</html>",
      "",
      R"({"a":"x\u0000y"})",
      "{\"a\":1}\0{\"b\":2}"s,
      "{\"a\":\"b\0c\"}"s,
      "\xef\xbb\xbf{\"a\":1}",
      "\xef",
      std::string(129, '[') + std::string(129, ']'),
      std::string(128, '[') + std::string(128, ']'),
  };
  for (const std::string& text : texts) {
    INFO("JSON: " << text);
    rapidjson::Document copied;
    const Status expected = ParseJson(text, &copied);
    std::string buffer = text;
    rapidjson::Document in_place;
    const Status status = ParseJsonInPlace(buffer, &in_place);
    CHECK(status.ToString() == expected.ToString());
    if (expected.ok()) CHECK(in_place == copied);
  }
}

TEST_CASE("accessors return values of the asked type and nothing for null, absent or other types") {
  rapidjson::Document doc;
  REQUIRE(ParseJson(R"({"id":"42","n":7,"big":9007199254740993,"f":1.5,"b":true,"nil":null,)"
                    R"("obj":{"k":"v"},"arr":[1,2]})",
                    &doc)
              .ok());
  CHECK(GetString(doc, "id") == "42");
  CHECK_FALSE(GetString(doc, "n").has_value());
  CHECK_FALSE(GetString(doc, "nil").has_value());
  CHECK_FALSE(GetString(doc, "absent").has_value());
  CHECK(GetInt64(doc, "n") == 7);
  CHECK(GetInt64(doc, "big") == 9007199254740993);
  CHECK_FALSE(GetInt64(doc, "f").has_value());
  CHECK_FALSE(GetInt64(doc, "id").has_value());
  CHECK(GetDouble(doc, "f") == 1.5);
  CHECK(GetDouble(doc, "n") == 7.0);
  CHECK(GetBool(doc, "b") == true);
  CHECK_FALSE(GetBool(doc, "nil").has_value());
  REQUIRE(GetObject(doc, "obj") != nullptr);
  CHECK(GetString(*GetObject(doc, "obj"), "k") == "v");
  CHECK(GetObject(doc, "arr") == nullptr);
  REQUIRE(GetArray(doc, "arr") != nullptr);
  CHECK(GetArray(doc, "arr")->Size() == 2);
  CHECK(GetArray(doc, "nil") == nullptr);
  // Not an object at all.
  CHECK_FALSE(GetString((*GetArray(doc, "arr"))[0], "id").has_value());
}

TEST_CASE("RequireString reports the missing key as data loss") {
  rapidjson::Document doc;
  REQUIRE(ParseJson(R"({"id":null,"name":"x"})", &doc).ok());
  Result<std::string_view> name = RequireString(doc, "name");
  REQUIRE(name.ok());
  CHECK(*name == "x");
  Result<std::string_view> id = RequireString(doc, "id");
  REQUIRE_FALSE(id.ok());
  CHECK(id.status().code() == StatusCode::kDataLoss);
  CHECK(id.status().message() == "missing string field 'id'");
}

TEST_CASE("GetMember keeps a null member apart from a missing one") {
  rapidjson::Document doc;
  REQUIRE(ParseJson(R"({"nil":null,"n":1,"arr":[{"k":2}]})", &doc).ok());
  const rapidjson::Value* nil = GetMember(doc, "nil");
  REQUIRE(nil != nullptr);
  CHECK(nil->IsNull());
  CHECK(GetMember(doc, "absent") == nullptr);
  CHECK(GetMember(doc, "n")->GetInt64() == 1);
  CHECK(GetMember((*GetArray(doc, "arr"))[0], "k")->GetInt64() == 2);
  CHECK(GetMember(*GetArray(doc, "arr"), "k") == nullptr);
}

TEST_CASE("the pointer forms read a missing object as absent, so lookups chain") {
  rapidjson::Document doc;
  REQUIRE(ParseJson(R"({"funnel":{"leads":12,"won":null,"done":true,"stages":[1]}})", &doc).ok());
  const rapidjson::Value* funnel = GetObject(doc, "funnel");
  CHECK(GetDouble(funnel, "leads") == 12.0);
  CHECK(GetBool(funnel, "done") == true);
  CHECK(GetArray(funnel, "stages")->Size() == 1);
  CHECK(GetMember(funnel, "won")->IsNull());
  const rapidjson::Value* missing = GetObject(doc, "window");
  REQUIRE(missing == nullptr);
  CHECK(GetMember(missing, "from") == nullptr);
  CHECK(GetObject(missing, "from") == nullptr);
  CHECK(GetArray(missing, "series") == nullptr);
  CHECK_FALSE(GetDouble(missing, "leads").has_value());
  CHECK_FALSE(GetBool(missing, "done").has_value());
  CHECK_FALSE(GetDouble(GetObject(missing, "deeper"), "leads").has_value());
}

TEST_CASE("GetStringOrEmpty copies a string and reads anything else as empty") {
  rapidjson::Document doc;
  REQUIRE(ParseJson(R"({"after":"abc","n":7,"nil":null})", &doc).ok());
  CHECK(GetStringOrEmpty(doc, "after") == "abc");
  CHECK(GetStringOrEmpty(doc, "n").empty());
  CHECK(GetStringOrEmpty(doc, "nil").empty());
  CHECK(GetStringOrEmpty(doc, "absent").empty());
}

TEST_CASE("GetId reads an id sent as a string or an integer, and nothing else") {
  rapidjson::Document doc;
  REQUIRE(ParseJson(R"({"s":"12726","n":1092,"big":9007199254740993,"f":1.5,"b":true,)"
                    R"("nil":null})",
                    &doc)
              .ok());
  CHECK(GetId(doc, "s") == "12726");
  CHECK(GetId(doc, "n") == "1092");
  CHECK(GetId(doc, "big") == "9007199254740993");
  CHECK(GetId(doc, "f").empty());
  CHECK(GetId(doc, "b").empty());
  CHECK(GetId(doc, "nil").empty());
  CHECK(GetId(doc, "absent").empty());
}

}  // namespace
}  // namespace salesaudit
