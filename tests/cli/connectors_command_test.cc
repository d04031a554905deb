// `salesaudit connectors` through the real binary: the option tables it
// prints are the ones the config loader checks, and the README holds them.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "connectors/connector.h"
#include "tests/support/subprocess.h"

namespace salesaudit {
namespace {

using testing::ReadFile;
using testing::RunProcess;
using testing::RunResult;

const char* const kBinary = SALESAUDIT_BINARY;

// The output's blocks, one per connector type, as separated by blank lines.
std::vector<std::string> Blocks(const std::string& text) {
  std::vector<std::string> blocks;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find("\n\n", start);
    if (end == std::string::npos) end = text.size();
    blocks.push_back(text.substr(start, end - start + 1));
    start = end + 2;
  }
  return blocks;
}

TEST_CASE("connectors lists every compiled-in type with each option's type, default and meaning") {
  const RunResult r = RunProcess({kBinary, "connectors"});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  for (const ConnectorDescriptor* type : BuiltinConnectors().All()) {
    CHECK_THAT(r.out, Catch::Contains(type->type + ": " + type->description));
    for (const OptionSpec& option : type->options) {
      CHECK_THAT(r.out, Catch::Contains(option.name));
      CHECK_THAT(r.out, Catch::Contains(option.description));
    }
  }
  CHECK_THAT(r.out, Catch::Contains("deletion_scan_every    duration             1h"));
}

TEST_CASE("The README's per-connector option tables are what connectors --format markdown prints") {
  const RunResult r = RunProcess({kBinary, "connectors", "--format", "markdown"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  const std::vector<std::string> blocks = Blocks(r.out);
  CHECK(blocks.size() == BuiltinConnectors().All().size());
  const std::string readme = ReadFile(std::string(SALESAUDIT_SOURCE_DIR) + "/README.md");
  for (const std::string& block : blocks) {
    INFO("paste `salesaudit connectors --format markdown` into README.md:\n" << block);
    CHECK_THAT(readme, Catch::Contains(block));
  }
}

TEST_CASE("connectors refuses a format it does not write") {
  const RunResult r = RunProcess({kBinary, "connectors", "--format", "json"});
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.err, Catch::Contains("--format"));
}

}  // namespace
}  // namespace salesaudit
