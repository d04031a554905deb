#include "alerts/notification.h"

#include <cstdio>

#include "core/encoding.h"
#include "core/json_writer.h"
#include "core/time_util.h"

namespace salesaudit {
namespace {

// Alertmanager's endsAt for an alert still firing: Go's zero time.
constexpr char kZeroTime[] = "0001-01-01T00:00:00Z";

void WriteLabelSet(JsonWriter& w, const char* key, const LabelSet& labels) {
  w.Key(key);
  w.StartObject();
  for (const auto& [name, value] : labels) {
    w.String(name);
    w.String(value);
  }
  w.EndObject();
}

// The pairs every set holds with the same value.
LabelSet Common(const std::vector<const LabelSet*>& sets) {
  if (sets.empty()) return {};
  LabelSet common = *sets.front();
  for (const LabelSet* set : sets) {
    for (auto it = common.begin(); it != common.end();) {
      auto other = set->find(it->first);
      it = other == set->end() || other->second != it->second ? common.erase(it) : std::next(it);
    }
  }
  return common;
}

// Slack's mrkdwn needs &, < and > escaped; nothing else.
std::string SlackEscape(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '&') {
      out += "&amp;";
    } else if (c == '<') {
      out += "&lt;";
    } else if (c == '>') {
      out += "&gt;";
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace

std::string AlertFingerprint(const LabelSet& labels) {
  constexpr uint64_t kOffset = 14695981039346656037ULL;
  constexpr uint64_t kPrime = 1099511628211ULL;
  uint64_t h = kOffset;
  auto add = [&h](std::string_view bytes) {
    for (unsigned char c : bytes) {
      h ^= c;
      h *= kPrime;
    }
  };
  for (const auto& [name, value] : labels) {  // std::map: sorted by name
    add(name);
    add("\xff");
    add(value);
    add("\xff");
  }
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return buf;
}

std::string GroupKey(const LabelSet& group_labels) {
  std::string key = "{}:{";
  bool first = true;
  for (const auto& [name, value] : group_labels) {
    key += (first ? "" : ", ") + name + "=\"" + value + "\"";
    first = false;
  }
  return key + "}";
}

const char* GroupStatus(const NotificationGroup& group) {
  for (const AlertNotice& a : group.alerts) {
    if (a.firing) return "firing";
  }
  return "resolved";
}

std::string AlertmanagerWebhookBody(const NotificationGroup& group) {
  JsonWriter w;
  w.StartObject();
  w.Key("receiver");
  w.String(group.receiver);
  w.Key("status");
  w.String(GroupStatus(group));
  w.Key("alerts");
  w.StartArray();
  std::vector<const LabelSet*> labels, annotations;
  for (const AlertNotice& a : group.alerts) {
    labels.push_back(&a.labels);
    annotations.push_back(&a.annotations);
    w.StartObject();
    w.Key("status");
    w.String(a.firing ? "firing" : "resolved");
    WriteLabelSet(w, "labels", a.labels);
    WriteLabelSet(w, "annotations", a.annotations);
    w.Key("startsAt");
    w.String(FormatIsoMs(a.starts_at_ms));
    w.Key("endsAt");
    w.String(a.firing || a.ends_at_ms == 0 ? std::string(kZeroTime) : FormatIsoMs(a.ends_at_ms));
    w.Key("generatorURL");
    w.String(group.external_url);
    w.Key("fingerprint");
    w.String(AlertFingerprint(a.labels));
    w.Key("value");
    w.OptionalDouble(a.value);
    w.EndObject();
  }
  w.EndArray();
  WriteLabelSet(w, "groupLabels", group.group_labels);
  WriteLabelSet(w, "commonLabels", Common(labels));
  WriteLabelSet(w, "commonAnnotations", Common(annotations));
  w.Key("externalURL");
  w.String(group.external_url);
  w.Key("version");
  w.String("4");
  w.Key("groupKey");
  w.String(GroupKey(group.group_labels));
  w.Key("truncatedAlerts");
  w.Int(0);
  w.EndObject();
  return w.TakeString();
}

std::string SlackWebhookBody(const NotificationGroup& group) {
  size_t firing = 0;
  for (const AlertNotice& a : group.alerts) firing += a.firing ? 1 : 0;
  std::string text = firing > 0 ? "*[FIRING:" + std::to_string(firing) + "]*"
                                : "*[RESOLVED:" + std::to_string(group.alerts.size()) + "]*";
  for (const auto& [name, value] : group.group_labels) text += " " + SlackEscape(value);
  for (const AlertNotice& a : group.alerts) {
    auto summary = a.annotations.find("summary");
    auto name = a.labels.find("alertname");
    text += "\n• ";
    text += a.firing ? "" : "resolved: ";
    text += SlackEscape(summary != a.annotations.end() ? summary->second
                        : name != a.labels.end()       ? name->second
                                                       : std::string("alert"));
    if (a.value) text += " (value: " + SlackEscape(FigureWithUnit(*a.value, a.unit)) + ")";
  }
  if (!group.external_url.empty()) {
    text += "\n<" + SlackEscape(group.external_url) + "|Dashboard>";
  }
  JsonWriter w;
  w.StartObject();
  w.Key("text");
  w.String(text);
  w.EndObject();
  return w.TakeString();
}

std::string SignatureHeader(std::string_view secret, std::string_view body) {
  return "sha256=" + HmacSha256Hex(secret, body);
}

}  // namespace salesaudit
