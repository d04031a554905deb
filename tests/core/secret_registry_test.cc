// SecretRegistry: each secret redacted in every form a vendor may echo it
// in, short secrets only as whole words, and safely from many threads; and
// EscapeControlCharacters, which keeps vendor text from steering a terminal.
#include "core/secret_registry.h"

#include <atomic>
#include <catch2/catch.hpp>
#include <string>
#include <thread>
#include <vector>

#include "core/text_util.h"

namespace salesaudit::testing {
namespace {

TEST_CASE("A secret is redacted as sent, URL-encoded and JSON-escaped", "[secrets]") {
  SecretRegistry secrets;
  secrets.Add("cs+Se/cret\"x=1");
  struct Case {
    std::string text;
    std::string expected;
  };
  const std::vector<Case> cases = {
      {"secret cs+Se/cret\"x=1 here", "secret [redacted] here"},
      {"form client_secret=cs%2BSe%2Fcret%22x%3D1&x=1", "form client_secret=[redacted]&x=1"},
      {R"({"client_secret":"cs+Se/cret\"x=1"})", R"({"client_secret":"[redacted]"})"},
      {R"({"client_secret":"cs+Se\/cret\"x=1"})", R"({"client_secret":"[redacted]"})"},
      {"cs+Se/cret", "cs+Se/cret"},  // a part alone is not the secret
  };
  for (const auto& c : cases) {
    INFO(c.text);
    CHECK(secrets.Redact(c.text) == c.expected);
  }
}

TEST_CASE("A secret shorter than 8 characters is redacted only as a whole word", "[secrets]") {
  SecretRegistry secrets;
  secrets.Add("s3cr3t");
  secrets.Add("pass");
  struct Case {
    std::string text;
    std::string expected;
  };
  const std::vector<Case> cases = {
      {"GET /x?key=s3cr3t failed", "GET /x?key=[redacted] failed"},
      {"s3cr3t", "[redacted]"},
      {"password accepted, passes", "password accepted, passes"},
      {"auth pass: refused", "auth [redacted]: refused"},
      {"bypass pass", "bypass [redacted]"},
  };
  for (const auto& c : cases) {
    INFO(c.text);
    CHECK(secrets.Redact(c.text) == c.expected);
  }
}

TEST_CASE("Redaction ends even when a secret occurs in its own replacement marker", "[secrets]") {
  struct Case {
    std::vector<std::string> secrets;
    std::string text;
    std::string expected;
  };
  const std::vector<Case> cases = {
      {{"redacted"}, "redacted or not", "[redacted] or not"},
      {{"dddddddd"}, std::string(16, 'd'), "[redacted][redacted]"},
      {{"aaaaaaaa"}, std::string(17, 'a'), "[redacted][redacted]a"},
      {{"tokenpart", "secondpart"}, "tokenpartsecondpart", "[redacted][redacted]"},
  };
  for (const auto& c : cases) {
    INFO(c.text);
    SecretRegistry secrets;
    for (const auto& s : c.secrets) secrets.Add(s);
    CHECK(secrets.Redact(c.text) == c.expected);
  }
}

TEST_CASE("A longer secret is redacted whole before a secret it contains", "[secrets]") {
  SecretRegistry secrets;
  secrets.Add("abcdefgh");
  secrets.Add("xxabcdefghyy");
  CHECK(secrets.Redact("k=xxabcdefghyy") == "k=[redacted]");
}

TEST_CASE("A slot holds one value: a refreshed token replaces the previous one", "[secrets]") {
  SecretRegistry secrets;
  secrets.Replace("crm: access token", "first-access-token");
  CHECK(secrets.Redact("first-access-token") == "[redacted]");
  secrets.Replace("crm: access token", "second-access-token");
  CHECK(secrets.Redact("second-access-token") == "[redacted]");
  // Bounded: the slot does not keep every token a long-running daemon held.
  CHECK(secrets.Redact("first-access-token") == "first-access-token");
  // Another slot and added secrets are independent of it.
  secrets.Add("configured-secret");
  secrets.Replace("other: access token", "other-access-token");
  CHECK(secrets.Redact("second-access-token configured-secret other-access-token") ==
        "[redacted] [redacted] [redacted]");
}

TEST_CASE("Redact runs safely while other threads add secrets", "[secrets]") {
  SecretRegistry secrets;
  std::atomic<bool> done{false};
  std::thread adder([&] {
    for (int i = 0; i < 500; ++i) {
      secrets.Add("added-secret-" + std::to_string(i));
      secrets.Replace("slot", "slot-secret-" + std::to_string(i));
    }
    done = true;
  });
  int64_t redactions = 0;
  int64_t wrong = 0;
  while (!done.load()) {
    const std::string redacted = secrets.Redact("added-secret-0 ok");
    if (redacted != "added-secret-0 ok" && redacted != "[redacted] ok") ++wrong;
    ++redactions;
  }
  adder.join();
  CHECK(redactions > 0);
  CHECK(wrong == 0);
  CHECK(secrets.Redact("added-secret-499 slot-secret-499") == "[redacted] [redacted]");
}

TEST_CASE("Control characters print escaped and other text unchanged", "[text]") {
  struct Case {
    std::string text;
    std::string expected;
  };
  const std::vector<Case> cases = {
      {"plain M\xc3\xbcller \xe2\x82\xac", "plain M\xc3\xbcller \xe2\x82\xac"},
      {"\x1b[2Jcleared", "\\x1b[2Jcleared"},
      {"\x1b]0;title\x07", "\\x1b]0;title\\x07"},
      {"a\nb\tc\r", "a\\x0ab\\x09c\\x0d"},
      {std::string("nul\0", 4), "nul\\x00"},
      {"del\x7f", "del\\x7f"},
      {"csi \xc2\x9b"
       "2J",
       "csi \\u009b2J"},                     // C1 CSI as UTF-8
      {"nbsp \xc2\xa0.", "nbsp \xc2\xa0."},  // U+00A0 is text
      {"raw \x9b"
       "2J",
       "raw \\x9b2J"},                     // an 8-bit CSI byte
      {"cut \xe2\x82", "cut \\xe2\\x82"},  // not UTF-8
  };
  for (const auto& c : cases) {
    INFO(c.text);
    CHECK(EscapeControlCharacters(c.text) == c.expected);
  }
}

}  // namespace
}  // namespace salesaudit::testing
