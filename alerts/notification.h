// What a notification says, in the formats receivers expect: the body of
// Alertmanager's webhook (version 4), a Slack incoming-webhook message, and
// the signature header over the body. Pure functions; thread-safe.
//
//   NotificationGroup group{.receiver = "ops-hook", ...};
//   std::string body = AlertmanagerWebhookBody(group);
//   request.headers.emplace_back("X-Salesaudit-Signature", SignatureHeader(secret, body));
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "alerts/figure.h"

namespace salesaudit {

using LabelSet = std::map<std::string, std::string>;

// One alert in a notification.
struct AlertNotice {
  bool firing = true;    // false: resolved
  LabelSet labels;       // alertname (the rule's name), severity, the rule's labels
  LabelSet annotations;  // summary, description
  int64_t starts_at_ms = 0;
  int64_t ends_at_ms = 0;       // resolved: when; firing: unset (0)
  std::optional<double> value;  // exact; the webhook's `value`
  FigureUnit unit;              // what `value` is, for people
  // The snapshot figures that explain the value, and its window.
  std::vector<FigureLine> context;
};

// Alerts sent together to one receiver: those sharing the route's group_by
// label values.
struct NotificationGroup {
  std::string receiver;
  LabelSet group_labels;
  std::vector<AlertNotice> alerts;
  // Where people open the dashboard (config status.external_url), or "":
  // never the listen address, which is loopback to everyone but the host.
  std::string external_url;
};

// Prometheus's label-set fingerprint (FNV-1a 64 over the labels sorted by
// name, each name and value followed by a 0xff byte), as 16 hex digits: the
// same alert gets the same fingerprint as Alertmanager would give it.
std::string AlertFingerprint(const LabelSet& labels);

// Alertmanager's groupKey: "{}:{name=\"value\", ...}" over the group labels.
std::string GroupKey(const LabelSet& group_labels);

// "firing" when any alert fires, else "resolved".
const char* GroupStatus(const NotificationGroup& group);

// The JSON body Alertmanager's webhook receiver posts (version "4"):
// receiver, status, alerts[] {status, labels, annotations, startsAt, endsAt
// ("0001-01-01T00:00:00Z" while firing), generatorURL, fingerprint},
// groupLabels, commonLabels, commonAnnotations, externalURL, version,
// groupKey, truncatedAlerts; each alert also carries `value`, the exact
// number its condition read (null when none), for receivers that compute.
std::string AlertmanagerWebhookBody(const NotificationGroup& group);

// A Slack incoming-webhook message: {"text": "..."} with one line per alert
// (its summary and its value with the value's unit), then a link to the
// dashboard when there is one.
std::string SlackWebhookBody(const NotificationGroup& group);

// "sha256=<hex HMAC-SHA256 of body with secret>": the value of the
// X-Salesaudit-Signature header, which a receiver recomputes to trust a body.
std::string SignatureHeader(std::string_view secret, std::string_view body);

}  // namespace salesaudit
