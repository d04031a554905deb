#include "alerts/delivery.h"

#include <algorithm>

#include "alerts/notification.h"
#include "core/backoff.h"
#include "core/metrics.h"
#include "core/secret_registry.h"
#include "net/http_client.h"
#include "net/smtp_client.h"

namespace salesaudit {
namespace {

constexpr int kBatch = 100;  // notifications per pass

enum class Outcome { kDelivered, kRetry, kDrop };

struct NotifierMetrics {
  CounterFamily& attempts = GlobalMetrics().Counter(
      "salesaudit_notifications_total",
      "Notification delivery attempts by receiver and result (delivered, retried, dropped).",
      {"receiver", "result"});
  GaugeFamily& waiting = GlobalMetrics().Gauge(
      "salesaudit_notifications_waiting", "Notifications in the outbox not yet delivered.", {});
};

NotifierMetrics& Metrics() { return MetricFamilies<NotifierMetrics>(); }

constexpr Outcome kOutcomes[] = {Outcome::kDelivered, Outcome::kRetry, Outcome::kDrop};

const char* OutcomeName(Outcome outcome) {
  switch (outcome) {
    case Outcome::kDelivered:
      return "delivered";
    case Outcome::kRetry:
      return "retried";
    case Outcome::kDrop:
      return "dropped";
  }
  return "dropped";
}

struct Attempt {
  Outcome outcome;
  std::string error;
};

// 2xx delivers; 429 and 5xx are the receiver's trouble and are retried; any
// other answer will not change by sending again.
Attempt PostWebhook(const OutboxRow& row, const ReceiverConfig& receiver, HttpClient& http) {
  HttpRequest request{.method = "POST", .url = receiver.url, .body = row.payload};
  request.headers.emplace_back("Content-Type", "application/json");
  request.headers.emplace_back("Idempotency-Key", row.idempotency_key);
  if (!receiver.secret.empty()) {
    request.headers.emplace_back("X-Salesaudit-Signature",
                                 SignatureHeader(receiver.secret, row.payload));
  }
  auto response = http.Send(request);
  if (!response.ok()) return {Outcome::kRetry, response.status().message()};
  const long status = response->status;
  if (status >= 200 && status < 300) return {Outcome::kDelivered, ""};
  const std::string what = "POST " + UrlPath(receiver.url) + ": HTTP " + std::to_string(status);
  if (status == 429 || status >= 500) return {Outcome::kRetry, what};
  return {Outcome::kDrop, what + " (a client error: sending again would not help)"};
}

// An email receiver's message with `data`: its server, login and envelope.
SmtpMessage MailTo(const ReceiverConfig& receiver, const DeliveryConfig& delivery,
                   const std::string& data) {
  return {.url = receiver.smtp_url,
          .username = receiver.username,
          .password = receiver.password,
          .from = receiver.from,
          .to = receiver.to,
          .data = data,
          .timeout = delivery.timeout};
}

// One client per pass or check, made alike.
HttpClient WebhookClient(const DeliveryConfig& delivery) {
  return HttpClient(HttpClient::Options{.timeout = delivery.timeout}, nullptr, nullptr);
}

Attempt SendEmail(const OutboxRow& row, const ReceiverConfig& receiver,
                  const DeliveryConfig& delivery) {
  const Status s = SendMail(MailTo(receiver, delivery, row.payload));
  if (s.ok()) return {Outcome::kDelivered, ""};
  // Refused credentials are retried too: a reload with the right password
  // should still deliver what was queued. Only a 5xx reply is final.
  if (s.code() == StatusCode::kPermanent || s.code() == StatusCode::kInvalidArgument) {
    return {Outcome::kDrop, s.message()};
  }
  return {Outcome::kRetry, s.message()};
}

}  // namespace

void ExportDeliverySeries(const AlertsConfig& alerts) {
  for (const ReceiverConfig& receiver : alerts.receivers) {
    for (Outcome outcome : kOutcomes) {
      Metrics().attempts.WithLabels({receiver.name, OutcomeName(outcome)});
    }
  }
}

Result<std::string> CheckReceiver(const ReceiverConfig& receiver,
                                  const DeliveryConfig& delivery) {
  if (receiver.type != "email") {
    HttpClient http = WebhookClient(delivery);
    if (Status s = http.Connect(receiver.url); !s.ok()) return s;
    return std::string("reachable");
  }
  auto login = CheckMailLogin(MailTo(receiver, delivery, ""));
  if (!login.ok()) return login.status();
  switch (*login) {
    case SmtpLogin::kNotAsked:
      return std::string("connected");
    case SmtpLogin::kAccepted:
      return std::string("login accepted");
    case SmtpLogin::kNotOffered:
      break;
  }
  return std::string(
      "connected, but the server offers no login (no AUTH in its EHLO reply), so username "
      "and password are not used");
}

Result<DeliveryCounts> DeliverDueNotifications(Store& store, const AlertsConfig& alerts,
                                               int64_t now_ms, std::mt19937_64& rng) {
  const DeliveryConfig& delivery = alerts.delivery;
  auto due = store.DueNotifications(now_ms, kBatch);
  if (!due.ok()) return due.status();
  // One client for the pass: notifications to one receiver share a connection.
  HttpClient http = WebhookClient(delivery);
  DeliveryCounts counts;
  for (const OutboxRow& row : *due) {
    const std::string context = "notification " + row.idempotency_key + " to " + row.receiver;
    const ReceiverConfig* receiver = alerts.FindReceiver(row.receiver);
    Attempt attempt;
    if (receiver == nullptr) {
      attempt = {Outcome::kDrop, "the receiver is no longer configured"};
    } else if (now_ms - row.created_at > delivery.max_age.count()) {
      attempt = {Outcome::kDrop,
                 "undelivered after " + std::to_string(row.attempts) +
                     " attempts, older than max_age; last error: " + row.last_error};
    } else {
      // Counted before it is made: a crash during the attempt still leaves
      // it counted, and the restart sends again with the same key.
      if (Status s = store.RecordNotificationAttempt(row.id, now_ms); !s.ok()) {
        return s.WithContext(context);
      }
      attempt = receiver->type == "email" ? SendEmail(row, *receiver, delivery)
                                          : PostWebhook(row, *receiver, http);
    }
    // Stored and shown by `alerts`: a receiver's answer may quote a secret.
    attempt.error = ProcessSecrets().Redact(attempt.error);
    Metrics().attempts.WithLabels({row.receiver, OutcomeName(attempt.outcome)}).Increment();
    Status recorded;
    switch (attempt.outcome) {
      case Outcome::kDelivered:
        recorded = store.MarkNotificationDelivered(row.id, now_ms);
        ++counts.delivered;
        break;
      case Outcome::kRetry: {
        const auto delay = BackoffDelay(static_cast<int>(std::min<int64_t>(row.attempts, 30)),
                                        delivery.retry_backoff, delivery.retry_backoff_max, rng);
        recorded = store.MarkNotificationFailed(row.id, attempt.error, now_ms + delay.count());
        ++counts.retried;
        counts.retries.push_back(context + ": attempt " + std::to_string(row.attempts + 1) +
                                 " failed, retrying in " + std::to_string(delay.count() / 1000) +
                                 "s: " + attempt.error);
        break;
      }
      case Outcome::kDrop:
        recorded = store.MarkNotificationDropped(row.id, attempt.error, now_ms);
        ++counts.dropped;
        counts.drops.push_back(context + ": " + attempt.error);
        break;
    }
    if (!recorded.ok()) return recorded.WithContext(context);
  }
  auto backlog = store.WaitingNotifications();
  if (!backlog.ok()) return backlog.status();
  counts.next_attempt_at = backlog->next_attempt_at;
  Metrics().waiting.WithLabels({}).Set(static_cast<double>(backlog->waiting));
  return counts;
}

}  // namespace salesaudit
