// A real SMTP server for tests: tests/support/smtp_server.py (Debian's
// python3-aiosmtpd) as a child process on 127.0.0.1. Each accepted message
// is kept whole, after "X-Envelope-From:" / "X-Envelope-To:" lines;
// recipients whose local part starts with "reject" get 550, "later" 451.
//
// Ownership: a test creates one on the stack; destruction kills the server.
// Threading: one thread.
//
//   TestSmtpServer smtp("bot", "secret");
//   SendMail({.url = smtp.url(), .username = "bot", .password = "secret", ...});
//   CHECK(smtp.Mails().size() == 1);
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "tests/support/subprocess.h"

namespace salesaudit::testing {

class TestSmtpServer {
 public:
  // Requires AUTH with these credentials when `username` is not empty.
  explicit TestSmtpServer(const std::string& username = "", const std::string& password = "");
  ~TestSmtpServer();
  TestSmtpServer(const TestSmtpServer&) = delete;
  TestSmtpServer& operator=(const TestSmtpServer&) = delete;

  // "smtp://127.0.0.1:PORT", or "" when the server did not start.
  const std::string& url() const { return url_; }
  // The messages received so far, in arrival order.
  std::vector<std::string> Mails() const;

 private:
  TempDir dir_;
  std::unique_ptr<ChildProcess> process_;
  std::string url_;
};

// The decoded body of the first part of `mail` whose Content-Type is `type`
// ("text/plain"), in a MIME message with base64 parts; "" when it has none.
std::string MailPart(const std::string& mail, const std::string& type);

}  // namespace salesaudit::testing
