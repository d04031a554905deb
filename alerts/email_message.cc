#include "alerts/email_message.h"

#include <cstdio>
#include <ctime>
#include <set>

#include "alerts/lifecycle.h"
#include "core/encoding.h"
#include "core/text_util.h"
#include "core/time_util.h"

namespace salesaudit {
namespace {

// A header value on one line: CR and LF would start a header of their own.
std::string OneLine(std::string_view s) {
  std::string out;
  for (char c : s) out += (c == '\r' || c == '\n') ? ' ' : c;
  return out;
}

bool IsAscii(std::string_view s) {
  for (unsigned char c : s) {
    if (c >= 0x80) return false;
  }
  return true;
}

// RFC 2047 for a Subject that is not plain ASCII.
std::string EncodedWord(const std::string& text) {
  if (IsAscii(text)) return text;
  std::string b64 = MimeBase64(text);
  std::string flat;
  for (char c : b64) {
    if (c != '\r' && c != '\n') flat += c;
  }
  return "=?UTF-8?B?" + flat + "?=";
}

// A From/To mailbox for the header: a display name that is not plain ASCII
// as an RFC 2047 word, one with RFC 5322 specials quoted.
std::string HeaderMailbox(const std::string& written) {
  const std::optional<Mailbox> mailbox = ParseMailbox(written);
  if (!mailbox || mailbox->display_name.empty()) return OneLine(written);
  std::string name = mailbox->display_name;
  if (!IsAscii(name)) {
    name = EncodedWord(name);
  } else if (name.find_first_of("()<>[]:;@\\,.") != std::string::npos) {
    name = "\"" + name + "\"";
  }
  return OneLine(name + " <" + mailbox->address + ">");
}

// "Fri, 27 Nov 2026 21:32:09 +0000" (RFC 5322 date-time, UTC).
std::string MailDate(int64_t now_ms) {
  const std::time_t t = static_cast<std::time_t>(now_ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  static const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                  "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s, %02d %s %04d %02d:%02d:%02d +0000", kDays[tm.tm_wday],
                tm.tm_mday, kMonths[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
                tm.tm_sec);
  return buf;
}

std::string Label(const AlertNotice& a, const char* name) {
  auto it = a.labels.find(name);
  return it == a.labels.end() ? "" : it->second;
}

std::string Annotation(const AlertNotice& a, const char* name) {
  auto it = a.annotations.find(name);
  return it == a.annotations.end() ? "" : it->second;
}

// "value: 4.1 leads per week", or "" without a value.
std::string ValueLine(const AlertNotice& a) {
  return a.value ? "value: " + FigureWithUnit(*a.value, a.unit) : "";
}

std::string LineText(const FigureLine& line) {
  return line.label.empty() ? line.text : line.label + ": " + line.text;
}

std::string TextBody(const NotificationGroup& group) {
  std::string out;
  for (const AlertNotice& a : group.alerts) {
    out += std::string(a.firing ? "[FIRING] " : "[RESOLVED] ") + Label(a, "alertname");
    if (!Label(a, "severity").empty()) out += " (" + Label(a, "severity") + ")";
    out += "\n";
    if (!Annotation(a, "summary").empty()) out += Annotation(a, "summary") + "\n";
    if (!Annotation(a, "description").empty()) out += Annotation(a, "description") + "\n";
    if (a.value) out += ValueLine(a) + "\n";
    // The figures that explain the value, indented under it.
    for (const FigureLine& line : a.context) out += "  " + LineText(line) + "\n";
    out += "since: " + FormatIsoMs(a.starts_at_ms) + "\n";
    if (!a.firing && a.ends_at_ms != 0) out += "resolved: " + FormatIsoMs(a.ends_at_ms) + "\n";
    std::string labels;
    for (const auto& [k, v] : a.labels) labels += (labels.empty() ? "" : ", ") + k + "=" + v;
    out += "labels: " + labels + "\n\n";
  }
  if (!group.external_url.empty()) out += "Dashboard: " + group.external_url + "\n";
  return out;
}

std::string HtmlBody(const NotificationGroup& group) {
  std::string out =
      "<!DOCTYPE html>\n<html><body style=\"font-family:sans-serif\">\n<table cellpadding=\"6\" "
      "style=\"border-collapse:collapse\">\n";
  for (const AlertNotice& a : group.alerts) {
    const char* color = a.firing ? "#b00020" : "#2e7d32";
    out += "<tr><td style=\"color:" + std::string(color) + ";font-weight:bold\">" +
           std::string(a.firing ? "FIRING" : "RESOLVED") + "</td><td><b>" +
           HtmlEscape(Label(a, "alertname")) + "</b> " + HtmlEscape(Label(a, "severity")) +
           "</td></tr>\n";
    out += "<tr><td></td><td>" + HtmlEscape(Annotation(a, "summary"));
    if (!Annotation(a, "description").empty()) {
      out += "<br>\n" + HtmlEscape(Annotation(a, "description"));
    }
    if (a.value) out += "<br>\n" + HtmlEscape(ValueLine(a));
    for (const FigureLine& line : a.context) {
      out += "<br>\n&nbsp;&nbsp;" + HtmlEscape(LineText(line));
    }
    out += "<br>\nsince: " + FormatIsoMs(a.starts_at_ms);
    if (!a.firing && a.ends_at_ms != 0) out += "<br>\nresolved: " + FormatIsoMs(a.ends_at_ms);
    out += "</td></tr>\n";
  }
  out += "</table>\n";
  if (!group.external_url.empty()) {
    out += "<p><a href=\"" + HtmlEscape(group.external_url) + "\">Dashboard</a></p>\n";
  }
  return out + "</body></html>\n";
}

}  // namespace

std::string MimeBase64(std::string_view in) {
  const std::string encoded = Base64Encode(in);
  std::string out;
  // Lines of at most 76 characters, each ending in CRLF (RFC 2045 6.8).
  for (size_t i = 0; i < encoded.size(); i += 76) out += encoded.substr(i, 76) + "\r\n";
  return out;
}

std::string AlertEmailSubject(const NotificationGroup& group) {
  size_t firing = 0;
  std::set<std::string> severities, names;
  for (const AlertNotice& a : group.alerts) {
    firing += a.firing ? 1 : 0;
    severities.insert(Label(a, "severity"));
    names.insert(Label(a, "alertname"));
  }
  std::string subject =
      firing > 0 ? "[FIRING:" + std::to_string(firing) + "]" : std::string("[RESOLVED]");
  if (severities.size() == 1 && !severities.begin()->empty()) subject += " " + *severities.begin();
  std::string joined;
  for (const std::string& n : names) joined += (joined.empty() ? "" : ", ") + n;
  return OneLine(subject + " " + joined);
}

std::string AlertEmailText(const NotificationGroup& group) { return TextBody(group); }

std::string AlertEmail(const NotificationGroup& group, const EmailEnvelope& envelope,
                       const std::string& idempotency_key, int64_t now_ms) {
  const std::string boundary = "salesaudit-" + idempotency_key;
  std::string to;
  for (const std::string& address : envelope.to) {
    to += (to.empty() ? "" : ", ") + HeaderMailbox(address);
  }
  std::string m;
  m += "From: " + HeaderMailbox(envelope.from) + "\r\n";
  m += "To: " + to + "\r\n";
  m += "Subject: " + EncodedWord(AlertEmailSubject(group)) + "\r\n";
  m += "Date: " + MailDate(now_ms) + "\r\n";
  m += "Message-ID: <" + OneLine(idempotency_key) + "@salesaudit>\r\n";
  m += "MIME-Version: 1.0\r\n";
  m += "Content-Type: multipart/alternative; boundary=\"" + OneLine(boundary) + "\"\r\n";
  m += "\r\n";
  for (const auto& [type, body] :
       {std::pair{"text/plain", TextBody(group)}, std::pair{"text/html", HtmlBody(group)}}) {
    m += "--" + boundary + "\r\n";
    m += std::string("Content-Type: ") + type + "; charset=utf-8\r\n";
    m += "Content-Transfer-Encoding: base64\r\n\r\n";
    m += MimeBase64(body);
  }
  m += "--" + boundary + "--\r\n";
  return m;
}

}  // namespace salesaudit
