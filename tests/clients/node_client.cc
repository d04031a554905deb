#include "tests/clients/node_client.h"

#include <catch2/catch.hpp>
#include <chrono>

#include "tests/support/subprocess.h"

namespace salesaudit::testing {

rapidjson::Document RunNodeClient(const std::string& script,
                                  const std::map<std::string, std::string>& env) {
  TempDir dir;
  std::map<std::string, std::string> with_path = env;
  with_path["NODE_PATH"] = CLIENT_NODE_MODULES;
  ChildProcess client({NODE_EXECUTABLE, script}, dir.path(), with_path);
  const int exit_code = client.Wait(std::chrono::seconds(120));
  INFO("client stderr: " << client.Stderr());
  REQUIRE(exit_code == 0);
  rapidjson::Document doc;
  const std::string out = client.Stdout();
  doc.Parse(out.c_str(), out.size());
  REQUIRE_FALSE(doc.HasParseError());
  return doc;
}

}  // namespace salesaudit::testing
