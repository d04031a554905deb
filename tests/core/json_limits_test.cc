#include "core/json_limits.h"

#include <catch2/catch.hpp>
#include <string>

namespace salesaudit {
namespace {

std::string Nested(size_t depth) { return std::string(depth, '[') + std::string(depth, ']'); }

TEST_CASE("JSON nested up to the cap passes and one level deeper is refused at its offset") {
  CHECK(CheckJsonNesting(Nested(kMaxJsonDepth)).ok());
  const Status deeper = CheckJsonNesting(Nested(kMaxJsonDepth + 1));
  CHECK(deeper.code() == StatusCode::kDataLoss);
  CHECK(deeper.message() == "JSON nested deeper than 128 levels at offset 128");
  // 150,000 levels: the input that crashed the recursive parser.
  CHECK(CheckJsonNesting(Nested(150000)).code() == StatusCode::kDataLoss);
}

TEST_CASE("brackets inside strings, escaped quotes included, do not count as nesting") {
  const std::string brackets(1000, '[');
  CHECK(CheckJsonNesting(R"({"a":")" + brackets + R"("})").ok());
  CHECK(CheckJsonNesting(R"({"a":"say \"[[[[\" and \\", "b":[1]})").ok());
  // After an escaped backslash the quote ends the string: what follows counts.
  CHECK_FALSE(CheckJsonNesting(R"({"a":"\\",)" + Nested(kMaxJsonDepth) + "}").ok());
}

TEST_CASE("depth counts objects and arrays alike and closes levels as they end") {
  std::string mixed;
  for (size_t i = 0; i < kMaxJsonDepth / 2; ++i) mixed += R"({"k":[)";
  for (size_t i = 0; i < kMaxJsonDepth / 2; ++i) mixed += "]}";
  CHECK(CheckJsonNesting(mixed).ok());
  CHECK_FALSE(CheckJsonNesting("[" + mixed + "]").ok());
  // Many shallow siblings are fine however many there are.
  std::string siblings = "[";
  for (int i = 0; i < 10000; ++i) siblings += "[[]],";
  siblings += "[]]";
  CHECK(CheckJsonNesting(siblings).ok());
  // Syntax is the parser's business: unbalanced closers are not an error here.
  CHECK(CheckJsonNesting("]]]}").ok());
}

}  // namespace
}  // namespace salesaudit
