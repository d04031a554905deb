// Delivers the notification outbox (store v6) to the configured receivers:
// a webhook is POSTed with its signature and idempotency key, an email goes
// over SMTP. A notification is retried with full-jitter backoff while its
// receiver is unreachable, answers 5xx or 429, or refuses the SMTP
// credentials (a reload can fix them); dropped on a permanent failure
// (another HTTP 4xx, a 5xx SMTP reply, a receiver no longer configured) or
// once older than max_age. Each attempt is counted in the outbox before it
// is made and its outcome recorded after, so a kill at any moment loses
// nothing: delivery is at least once. A notification whose attempt a kill
// cut short is sent again after the restart with the same Idempotency-Key,
// so a receiver that dedupes on that header sees each notification once.
//
// Threading: DeliverDueNotifications blocks on the network; run it on a
// worker, one pass at a time.
//
//   auto delivered = DeliverDueNotifications(store, config.alerts, NowMs(), rng);
#pragma once

#include <chrono>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "config/config.h"
#include "core/status.h"
#include "store/store.h"

namespace salesaudit {

// The outbox payload says what to send, as queued: a webhook's body, or an
// email's whole RFC 5322 message. The receiver's URL, secret and SMTP
// settings, and alerts.delivery's backoff, max_age and timeout, are read
// from the config at delivery, so a reload that changes them (a rotated
// secret) applies to notifications still queued.
struct DeliveryCounts {
  int delivered = 0;
  int retried = 0;
  int dropped = 0;
  // "notification <key> to <receiver>: <why>" for each drop, to log as
  // errors, and for each failed attempt that will be retried, as warnings.
  std::vector<std::string> drops;
  std::vector<std::string> retries;
  TimeMs next_attempt_at;  // of the notifications still waiting, if any
};

// Exports salesaudit_notifications_total of every receiver and result at 0,
// so that rate() and absent() work before the first notification.
void ExportDeliverySeries(const AlertsConfig& alerts);

// Checks that `receiver` can be reached as delivery reaches it, sending no
// notification: an email receiver's server takes its login (connect, EHLO,
// STARTTLS, AUTH, QUIT; no MAIL), a webhook's server accepts a connection
// (and its TLS certificate verifies) and is sent no request. Blocks for up
// to delivery.timeout. Messages are SendMail's and HttpClient::Connect's.
// Returns what was reached, for a person to read: "reachable" (a webhook),
// "connected" (a server without login), "login accepted", or that the
// server offered no login, so the configured username was not used.
Result<std::string> CheckReceiver(const ReceiverConfig& receiver,
                                  const DeliveryConfig& delivery);

// One pass over the notifications due at `now_ms`. A store failure stops
// the pass and is returned; a receiver's failure is recorded on its row.
Result<DeliveryCounts> DeliverDueNotifications(Store& store, const AlertsConfig& alerts,
                                               int64_t now_ms, std::mt19937_64& rng);

}  // namespace salesaudit
