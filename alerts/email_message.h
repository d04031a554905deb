// The email for one notification: an RFC 5322 message with a plain-text and
// an HTML part (multipart/alternative, each base64 so no line is ever too
// long for SMTP), a Subject naming state, severity and rule, and an
// Idempotency header that a retry repeats. Pure; thread-safe.
//
//   std::string mail = AlertEmail(group, {.from = "salesaudit@example.com",
//                                         .to = {"ops@example.com"}}, key, now_ms);
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "alerts/notification.h"

namespace salesaudit {

struct EmailEnvelope {
  std::string from;
  std::vector<std::string> to;
};

// "[FIRING:2] warning lead-shortfall" / "[RESOLVED] warning lead-shortfall":
// state and count, the group's common severity, the rule names.
std::string AlertEmailSubject(const NotificationGroup& group);

// The whole message, CRLF line ends. `idempotency_key` goes into the
// Message-ID, so a resent message is recognisably the same one.
std::string AlertEmail(const NotificationGroup& group, const EmailEnvelope& envelope,
                       const std::string& idempotency_key, int64_t now_ms);

// The plain-text part, as a person reads it (the message encodes it base64).
std::string AlertEmailText(const NotificationGroup& group);

// Standard base64 with CRLF every 76 characters (MIME).
std::string MimeBase64(std::string_view data);

}  // namespace salesaudit
