#include "config/loader.h"

namespace salesaudit::config_internal {

using std::chrono::milliseconds;

namespace {

// Auth keys holding credentials; each may also be given as `<key>_file`.
constexpr std::string_view kAuthKeys[] = {"token",   "client_id", "client_secret", "refresh_token",
                                          "api_key", "api_token", "password"};

constexpr std::string_view kAuthSectionKeys[] = {
    "token",         "token_file",         "client_id",     "client_id_file",
    "client_secret", "client_secret_file", "refresh_token", "refresh_token_file",
    "api_key",       "api_key_file",       "api_token",     "api_token_file",
    "password",      "password_file"};

constexpr std::string_view kConnectorKeys[] = {"name",
                                               "type",
                                               "base_url",
                                               "portal_id",
                                               "auth",
                                               "poll_interval",
                                               "streams",
                                               "fields",
                                               "rate_limit",
                                               "max_retries",
                                               "retry_backoff",
                                               "retry_backoff_max",
                                               "request_timeout",
                                               "lookback",
                                               "deletion_scan_every",
                                               "email_history",
                                               "email_activity_window",
                                               "max_response_size",
                                               "max_pages_per_run"};

}  // namespace

void Loader::LoadConnectors(const Item& item, std::vector<ConnectorConfig>* connectors) {
  const std::optional<std::vector<Item>> elements = ReadList(item);
  if (!elements) return;
  std::map<std::string, SourcePos> names;
  for (const Item& element : *elements) {
    std::optional<ConnectorConfig> connector = LoadConnector(element);
    // A connector without a name was reported already; it cannot clash.
    if (!connector || connector->name.empty()) continue;
    const auto [it, inserted] = names.emplace(connector->name, connector->pos);
    if (!inserted) {
      Error(connector->pos, element.path + ": duplicate connector name " + Quoted(connector->name) +
                                " (first at line " + std::to_string(it->second.line) + ")");
      continue;
    }
    connectors->push_back(std::move(*connector));
  }
}

std::optional<ConnectorConfig> Loader::LoadConnector(const Item& item) {
  const std::optional<Section> s = ReadSection(item, kConnectorKeys);
  if (!s) return std::nullopt;
  ConnectorConfig c;
  c.pos = item.pos;
  Require(*s, "name");
  Require(*s, "type");
  Set(*s, "name", &Loader::ReadName, &c.name);
  if (const Item* type = s->Find("type")) {
    c.type_pos = type->pos;
    Set(*s, "type", &Loader::ReadName, &c.type);
  }
  Set(*s, "base_url", &Loader::ReadHttpUrl, &c.base_url);
  if (const Item* portal = s->Find("portal_id")) {
    c.portal_id_pos = portal->pos;
    Set(*s, "portal_id", &Loader::ReadPortalId, &c.portal_id);
  }
  if (const Item* auth_item = s->Find("auth")) {
    if (const std::optional<Section> auth = ReadSection(*auth_item, kAuthSectionKeys)) {
      for (std::string_view key : kAuthKeys) {
        if (auto secret = ReadSecret(*auth, key)) {
          c.auth.emplace(key, std::move(secret->first));
          c.auth_pos.emplace(key, secret->second);
        }
      }
    }
  }
  Set(*s, "poll_interval", &Loader::ReadPositiveDuration, &c.poll_interval);
  if (const Item* streams = s->Find("streams")) {
    c.streams_pos = streams->pos;
    if (auto list = ReadStringList(*streams)) {
      if (list->empty()) {
        Error(streams->pos,
              streams->path + ": the list is empty; leave it out to sync every stream");
      }
      c.streams = std::move(*list);
    }
  }
  if (const Item* fields = s->Find("fields")) LoadFields(*fields, &c);
  Set(*s, "rate_limit", &Loader::ReadRateLimit, &c.rate_limit);
  Set(*s, "max_retries", &Loader::ReadNonNegativeInt, &c.max_retries);
  Set(*s, "retry_backoff", &Loader::ReadPositiveDuration, &c.retry_backoff);
  Set(*s, "retry_backoff_max", &Loader::ReadPositiveDuration, &c.retry_backoff_max);
  Set(*s, "request_timeout", &Loader::ReadPositiveDuration, &c.request_timeout);
  Set(*s, "lookback", &Loader::ReadDuration, &c.lookback);
  Set(*s, "deletion_scan_every", &Loader::ReadDuration, &c.deletion_scan_every);
  Set(*s, "email_history", &Loader::ReadPositiveDuration, &c.email_history);
  Set(*s, "email_activity_window", &Loader::ReadDuration, &c.email_activity_window);
  Set(*s, "max_response_size", &Loader::ReadByteSize, &c.max_response_size);
  Set(*s, "max_pages_per_run", &Loader::ReadPositiveInt, &c.max_pages_per_run);
  if (c.retry_backoff_max < c.retry_backoff) {
    const Item* at = s->Find("retry_backoff_max");
    Error(at != nullptr ? at->pos : s->Find("retry_backoff")->pos,
          item.path + ": retry_backoff_max must not be shorter than retry_backoff");
  }
  return c;
}

void Loader::LoadFields(const Item& item, ConnectorConfig* connector) {
  if (item.node.IsNull()) return;
  if (!item.node.IsMap()) {
    Error(item.pos, item.path + ": expected a map of canonical field -> source properties, got " +
                        TypeName(item.node));
    return;
  }
  for (const auto& entry : item.node) {
    if (!entry.first.IsScalar() || entry.first.Scalar().empty()) {
      Error(Pos(entry.first), "keys in " + item.path + " must be canonical field names");
      continue;
    }
    const std::string& field = entry.first.Scalar();
    const Item value = Child(item.path + "." + field, entry.first, entry.second);
    if (connector->fields.count(field) != 0) {
      Error(value.key_pos, "duplicate key " + Quoted(field) + " in " + item.path);
      continue;
    }
    std::vector<std::string> properties;
    if (value.node.IsSequence()) {
      std::optional<std::vector<std::string>> list = ReadStringList(value);
      if (!list) continue;
      if (list->empty()) {
        Error(value.pos, value.path + ": list at least one source property");
        continue;
      }
      properties = std::move(*list);
    } else {
      std::optional<std::string> property = ReadNonEmptyString(value);
      if (!property) continue;
      properties.push_back(std::move(*property));
    }
    connector->fields.emplace(field, std::move(properties));
    connector->fields_pos.emplace(field, value.key_pos);
  }
}

}  // namespace salesaudit::config_internal
