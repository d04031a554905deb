// ParseMailbox: the email addresses config gives for alert receivers.
#include "core/text_util.h"

#include <catch2/catch.hpp>

namespace salesaudit {
namespace {

TEST_CASE("ParseMailbox reads a bare address and one with a display name") {
  auto bare = ParseMailbox("ops@example.com");
  REQUIRE(bare);
  CHECK(bare->address == "ops@example.com");
  CHECK(bare->display_name.empty());

  auto named = ParseMailbox("  Sales audit <salesaudit@example.com> ");
  REQUIRE(named);
  CHECK(named->address == "salesaudit@example.com");
  CHECK(named->display_name == "Sales audit");

  auto quoted = ParseMailbox("\"Audit, Sales\" <a@b.example>");
  REQUIRE(quoted);
  CHECK(quoted->display_name == "Audit, Sales");
  CHECK(quoted->address == "a@b.example");

  auto unicode = ParseMailbox("Équipe ventes <ventes@example.fr>");
  REQUIRE(unicode);
  CHECK(unicode->display_name == "Équipe ventes");
}

TEST_CASE("ParseMailbox refuses what an SMTP envelope cannot carry") {
  for (const char* text :
       {"", "ops", "@example.com", "ops@", "a@b@c", "ops @example.com", "ops@example.com>",
        "Name <ops@example.com", "Name <>", "Name <ops>", "ops@exa\r\nmple.com",
        "Na\nme <ops@example.com>", "Name \"x <ops@example.com>", "ops,lead@example.com",
        "<ops@example.com> trailing", "Na\\me <ops@example.com>"}) {
    INFO(text);
    CHECK_FALSE(ParseMailbox(text));
  }
}

}  // namespace
}  // namespace salesaudit
