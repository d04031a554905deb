#include "core/json_writer.h"

#include <catch2/catch.hpp>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>

namespace salesaudit {
namespace {

TEST_CASE("Doubles are written as RapidJSON writes them: shortest text that reads back the same") {
  JsonWriter w;
  w.StartArray();
  w.Double(0.1);
  w.Double(0.0);
  w.Double(1e21);
  w.Double(-2.5);
  w.EndArray();
  CHECK(w.TakeString() == "[0.1,0.0,1e21,-2.5]");
}

TEST_CASE("Unknown values are null and known counts stay integers") {
  JsonWriter w;
  w.StartObject();
  w.Key("count");
  w.OptionalInt64(int64_t{5});
  w.Key("no_count");
  w.OptionalInt64(std::nullopt);
  w.Key("rate");
  w.OptionalDouble(0.5);
  w.Key("no_rate");
  w.OptionalDouble(std::nullopt);
  w.Key("name");
  w.OptionalString(std::optional<std::string>("a\"b"));
  w.Key("no_name");
  w.OptionalString(std::optional<std::string>());
  w.EndObject();
  CHECK(w.TakeString() ==
        R"({"count":5,"no_count":null,"rate":0.5,"no_rate":null,"name":"a\"b","no_name":null})");
}

TEST_CASE("A non-finite number is written as null and its path is kept for the caller to refuse") {
  JsonWriter w;
  w.StartObject();
  w.Key("total");
  w.Double(1.0);
  w.Key("reps");
  w.StartArray();
  w.StartObject();
  w.Key("revenue");
  w.Double(2.0);
  w.EndObject();
  w.Double(3.0);
  w.StartObject();
  w.Key("revenue");
  w.Double(std::numeric_limits<double>::infinity());
  w.EndObject();
  w.Double(std::numeric_limits<double>::quiet_NaN());
  w.EndArray();
  w.EndObject();
  REQUIRE(w.NonFinitePath().has_value());
  CHECK(*w.NonFinitePath() == "reps[2].revenue");
  CHECK(w.IsComplete());
  CHECK(w.TakeString() == R"({"total":1.0,"reps":[{"revenue":2.0},3.0,{"revenue":null},null]})");
  // TakeString starts a new document: the old path goes with the old text.
  CHECK_FALSE(w.NonFinitePath().has_value());
}

TEST_CASE("A document of finite numbers has no non-finite path") {
  JsonWriter w;
  w.StartArray();
  w.Double(1.5);
  w.Null();
  w.EndArray();
  CHECK_FALSE(w.NonFinitePath().has_value());
}

}  // namespace
}  // namespace salesaudit
