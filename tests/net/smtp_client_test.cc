// SendMail against a real SMTP server (Debian's python3-aiosmtpd, started by
// the test on 127.0.0.1): delivery, refused credentials, 5xx and 4xx replies,
// a server that is down.
#include "net/smtp_client.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "tests/support/test_smtp_server.h"

namespace salesaudit {
namespace {

constexpr char kPassword[] = "s3cret-smtp-pass";

// A real server requiring AUTH, and messages for it.
struct SmtpServer {
  SmtpServer() : smtp("bot", kPassword) { REQUIRE_FALSE(smtp.url().empty()); }

  std::vector<std::string> Mails() const { return smtp.Mails(); }

  SmtpMessage Message(std::vector<std::string> to = {"ops@example.com"}) const {
    return {.url = smtp.url(),
            .username = "bot",
            .password = kPassword,
            .from = "salesaudit@example.com",
            .to = std::move(to),
            .data =
                "From: salesaudit@example.com\r\nTo: ops@example.com\r\nSubject: hi\r\n\r\n"
                "first line\r\n.leading dot\r\n",
            .timeout = std::chrono::seconds(10)};
  }

  testing::TestSmtpServer smtp;
};

TEST_CASE("SendMail delivers a message with its envelope to a real SMTP server") {
  SmtpServer server;
  const Status s = SendMail(server.Message({"ops@example.com", "lead@example.com"}));
  INFO(s.ToString());
  REQUIRE(s.ok());
  const auto mails = server.Mails();
  REQUIRE(mails.size() == 1);
  CHECK_THAT(mails[0], Catch::StartsWith("X-Envelope-From: salesaudit@example.com\r\n"
                                         "X-Envelope-To: ops@example.com, lead@example.com\r\n"));
  // The body arrives as sent; SMTP's dot-stuffing is undone by the server.
  CHECK_THAT(mails[0], Catch::EndsWith("Subject: hi\r\n\r\nfirst line\r\n.leading dot\r\n"));
}

TEST_CASE("SendMail gives the server only the address of a mailbox with a display name") {
  SmtpServer server;
  SmtpMessage message = server.Message({"Ops team <ops@example.com>"});
  message.from = "\"Sales audit\" <salesaudit@example.com>";
  const Status s = SendMail(message);
  INFO(s.ToString());
  REQUIRE(s.ok());
  const auto mails = server.Mails();
  REQUIRE(mails.size() == 1);
  CHECK_THAT(mails[0], Catch::StartsWith("X-Envelope-From: salesaudit@example.com\r\n"
                                         "X-Envelope-To: ops@example.com\r\n"));
}

TEST_CASE(
    "SendMail classifies refused credentials, 5xx and 4xx replies and a server that is down") {
  SmtpServer server;
  SmtpMessage wrong = server.Message();
  wrong.password = "not-the-password";
  Status s = SendMail(wrong);
  CHECK(s.code() == StatusCode::kUnauthenticated);
  CHECK_THAT(s.message(), Catch::Contains("smtp 127.0.0.1:"));
  CHECK_THAT(s.message(), !Catch::Contains("not-the-password") && !Catch::Contains(kPassword));

  s = SendMail(server.Message({"reject-me@example.com"}));
  CHECK(s.code() == StatusCode::kPermanent);
  CHECK_THAT(s.message(), Catch::Contains("550"));

  s = SendMail(server.Message({"later@example.com"}));
  CHECK(s.code() == StatusCode::kUnavailable);
  CHECK_THAT(s.message(), Catch::Contains("451"));
  CHECK(server.Mails().empty());

  SmtpMessage down = server.Message();
  down.url = "smtp://127.0.0.1:1";
  CHECK(SendMail(down).code() == StatusCode::kUnavailable);

  SmtpMessage bad = server.Message();
  bad.url = "http://127.0.0.1:25";
  CHECK(SendMail(bad).code() == StatusCode::kInvalidArgument);
  CHECK(SendMail(server.Message({})).code() == StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace salesaudit
