// Sending one email over SMTP with libcurl, or checking a server's login
// without sending one (smtp:// with STARTTLS when the server offers it,
// required when credentials would otherwise go in clear to another host;
// smtps:// for implicit TLS; AUTH with username and password).
// libcurl stays inside smtp_client.cc. No retries: the caller's outbox owns
// them, guided by the returned code.
//
// Threading: a free function; calls on different threads are independent.
//
//   Status s = SendMail({.url = "smtp://127.0.0.1:2525", .from = "a@x", .to = {"b@x"},
//                        .data = AlertEmail(...)});
//   if (s.code() == StatusCode::kUnavailable) RetryLater();
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "core/status.h"

namespace salesaudit {

struct SmtpMessage {
  std::string url;  // smtp://host[:port] or smtps://host[:port]
  std::string username;
  std::string password;  // never in a returned message
  std::string from;      // envelope sender address
  std::vector<std::string> to;
  std::string data;  // the RFC 5322 message, CRLF line ends
  std::chrono::milliseconds timeout{30000};
};

// OK once the server accepted the message for every recipient. Failures:
// kUnavailable (connection, TLS, timeout, a 4xx reply: try again later),
// kUnauthenticated (credentials refused), kPermanent (a 5xx reply: the
// server will not take it), kInvalidArgument (no recipients, bad URL).
// Messages name the server and what it answered.
Status SendMail(const SmtpMessage& message);

// What CheckMailLogin found of the login.
enum class SmtpLogin {
  kNotAsked,    // no username configured
  kAccepted,    // AUTH sent and accepted
  // A username is configured but the server offered no AUTH in its EHLO
  // reply: libcurl then goes on without logging in, as SendMail does.
  kNotOffered,
};

// Checks `message`'s server and login without sending mail: connects, says
// EHLO, upgrades with STARTTLS as SendMail would, logs in with the
// credentials, then QUITs. from, to and data are not used. Failures as
// SendMail's: kUnauthenticated when the login is refused.
Result<SmtpLogin> CheckMailLogin(const SmtpMessage& message);

}  // namespace salesaudit
