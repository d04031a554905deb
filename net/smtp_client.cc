#include "net/smtp_client.h"

#include <curl/curl.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <optional>

#include "core/text_util.h"

namespace salesaudit {
namespace {

struct CurlDeleter {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
};
struct SlistDeleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};

struct Upload {
  const std::string* data;
  size_t offset = 0;
};

size_t ReadChunk(char* buffer, size_t size, size_t count, void* user) {
  auto* upload = static_cast<Upload*>(user);
  const size_t n = std::min(size * count, upload->data->size() - upload->offset);
  std::memcpy(buffer, upload->data->data() + upload->offset, n);
  upload->offset += n;
  return n;
}

// "host:port" of the URL, for messages (no credentials ever sit in it: they
// are options of their own).
std::string Server(const std::string& url) {
  const size_t scheme = url.find("://");
  std::string rest = scheme == std::string::npos ? url : url.substr(scheme + 3);
  const size_t at = rest.rfind('@');
  if (at != std::string::npos) rest = rest.substr(at + 1);
  return rest.substr(0, rest.find('/'));
}

bool IsLoopback(const std::string& server) {
  const std::string host = server.substr(0, server.rfind(':'));
  return host == "127.0.0.1" || host == "localhost" || host == "[::1]";
}

// Sets `c` up for `message`'s server as every session with it goes: the
// URL, timeouts, login, and the TLS policy.
Status SetUpSession(CURL* c, const SmtpMessage& message, const std::string& context, char* error) {
  const bool smtps = message.url.rfind("smtps://", 0) == 0;
  if (!smtps && message.url.rfind("smtp://", 0) != 0) {
    return Status::InvalidArgument(context + ": the URL must start with smtp:// or smtps://");
  }
  curl_easy_setopt(c, CURLOPT_URL, message.url.c_str());
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(message.timeout.count()));
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(std::min<int64_t>(message.timeout.count(), 10000)));
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, error);
  if (!message.username.empty()) {
    curl_easy_setopt(c, CURLOPT_USERNAME, message.username.c_str());
    curl_easy_setopt(c, CURLOPT_PASSWORD, message.password.c_str());
  }
  if (!smtps) {
    // STARTTLS when the server offers it; demanded when a password would
    // otherwise cross the network in clear.
    const bool must = !message.password.empty() && !IsLoopback(Server(message.url));
    curl_easy_setopt(c, CURLOPT_USE_SSL, must ? CURLUSESSL_ALL : CURLUSESSL_TRY);
  }
  return Status::Ok();
}

// The session's outcome as SendMail's contract classifies it.
Status Outcome(CURL* c, CURLcode rc, const std::string& context, const char* error) {
  long reply = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &reply);
  if (rc == CURLE_OK) return Status::Ok();
  std::string what = context + ": " + (error[0] != '\0' ? error : curl_easy_strerror(rc));
  if (reply != 0) what += " (last reply " + std::to_string(reply) + ")";
  if (rc == CURLE_LOGIN_DENIED) return Status::Unauthenticated(what);
  if (reply >= 500 && reply < 600) return Status::Permanent(what);
  return Status::Unavailable(what);
}

// The addr-spec of "Name <addr>" for MAIL FROM and RCPT TO. The config
// refuses what does not parse; such text is passed on for the server to judge.
std::string EnvelopeAddress(const std::string& mailbox) {
  const std::optional<Mailbox> parsed = ParseMailbox(mailbox);
  return parsed ? parsed->address : mailbox;
}

// CURLOPT_DEBUGFUNCTION: sets *sent once the client sends an AUTH command
// (the rest of what libcurl traces, credentials included, is ignored).
int NoteAuthCommand(CURL*, curl_infotype type, char* data, size_t size, void* sent) {
  if (type == CURLINFO_HEADER_OUT && size >= 5 && std::memcmp(data, "AUTH ", 5) == 0) {
    *static_cast<bool*>(sent) = true;
  }
  return 0;
}

}  // namespace

Status SendMail(const SmtpMessage& message) {
  const std::string context = "smtp " + Server(message.url);
  if (message.to.empty()) return Status::InvalidArgument(context + ": no recipients");

  std::unique_ptr<CURL, CurlDeleter> curl(curl_easy_init());
  if (!curl) return Status::Internal(context + ": cannot create a libcurl handle");
  char error[CURL_ERROR_SIZE] = {0};
  CURL* c = curl.get();
  if (Status s = SetUpSession(c, message, context, error); !s.ok()) return s;
  std::unique_ptr<curl_slist, SlistDeleter> recipients;
  for (const std::string& to : message.to) {
    curl_slist* grown =
        curl_slist_append(recipients.get(), ("<" + EnvelopeAddress(to) + ">").c_str());
    if (grown == nullptr) return Status::Internal(context + ": out of memory");
    recipients.release();
    recipients.reset(grown);
  }
  Upload upload{&message.data};
  curl_easy_setopt(c, CURLOPT_MAIL_FROM, ("<" + EnvelopeAddress(message.from) + ">").c_str());
  curl_easy_setopt(c, CURLOPT_MAIL_RCPT, recipients.get());
  curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
  curl_easy_setopt(c, CURLOPT_READFUNCTION, ReadChunk);
  curl_easy_setopt(c, CURLOPT_READDATA, &upload);
  curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(message.data.size()));
  return Outcome(c, curl_easy_perform(c), context, error);
}

Result<SmtpLogin> CheckMailLogin(const SmtpMessage& message) {
  const std::string context = "smtp " + Server(message.url);
  std::unique_ptr<CURL, CurlDeleter> curl(curl_easy_init());
  if (!curl) return Status::Internal(context + ": cannot create a libcurl handle");
  char error[CURL_ERROR_SIZE] = {0};
  CURL* c = curl.get();
  if (Status s = SetUpSession(c, message, context, error); !s.ok()) return s;
  // libcurl's SMTP connect phase is the greeting, EHLO, STARTTLS and AUTH
  // (lib/smtp.c smtp_connect); CONNECT_ONLY skips the DO phase that sends
  // MAIL FROM, and the cleanup at return sends QUIT (smtp_disconnect).
  curl_easy_setopt(c, CURLOPT_CONNECT_ONLY, 1L);
  // Whether libcurl sent AUTH: it skips the login, without an error, when
  // the server's EHLO reply offers none.
  bool auth_sent = false;
  curl_easy_setopt(c, CURLOPT_DEBUGFUNCTION, NoteAuthCommand);
  curl_easy_setopt(c, CURLOPT_DEBUGDATA, &auth_sent);
  curl_easy_setopt(c, CURLOPT_VERBOSE, 1L);
  if (Status s = Outcome(c, curl_easy_perform(c), context, error); !s.ok()) return s;
  if (message.username.empty()) return SmtpLogin::kNotAsked;
  return auth_sent ? SmtpLogin::kAccepted : SmtpLogin::kNotOffered;
}

}  // namespace salesaudit
