#include <algorithm>
#include <iterator>

#include "config/loader.h"

namespace salesaudit::config_internal {

namespace {

// The keys every connector entry takes, whatever its type; the type's own
// options (ConnectorSchema::options) come beside them.
constexpr std::string_view kConnectorKeys[] = {"name",
                                               "type",
                                               "base_url",
                                               "auth",
                                               "poll_interval",
                                               "streams",
                                               "fields",
                                               "stages",
                                               "rate_limit",
                                               "rate_limit_reserve",
                                               "max_retries",
                                               "retry_backoff",
                                               "retry_backoff_max",
                                               "request_timeout",
                                               "max_response_size",
                                               "max_pages_per_run"};

bool Contains(const std::vector<std::string>& items, std::string_view item) {
  return std::find(items.begin(), items.end(), item) != items.end();
}

std::string Describe(const ConnectorConfig& c) { return c.type + " connector " + Quoted(c.name); }

// "auth.token or auth.client_id+client_secret+refresh_token"
std::string DescribeAuthAlternatives(const std::vector<std::vector<std::string>>& alternatives) {
  std::vector<std::string> described;
  for (const auto& keys : alternatives) described.push_back("auth." + Join(keys, "+"));
  return Join(described, " or ");
}

}  // namespace

const Loader::KeyedListsKind Loader::kFieldLists{"field", "canonical field -> source properties",
                                                 "source property"};
const Loader::KeyedListsKind Loader::kStageLists{"stage", "funnel stage -> source status values",
                                                 "status value"};

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

const ConnectorSchema* Loader::FindConnectorType(std::string_view type) const {
  for (const ConnectorSchema* schema : connector_types_) {
    if (schema->type == type) return schema;
  }
  return nullptr;
}

std::optional<ConnectorConfig> Loader::LoadConnector(const Item& item) {
  // The type says which options the entry may have; an unknown or missing
  // type is reported once, and then every type's options pass unremarked.
  const YAML::Node& node = item.node;  // const: a lookup must not add the key
  const YAML::Node type_node = node.IsMap() ? node["type"] : YAML::Node();
  const ConnectorSchema* schema = type_node.IsDefined() && type_node.IsScalar()
                                      ? FindConnectorType(type_node.Scalar())
                                      : nullptr;
  std::vector<std::string_view> known(std::begin(kConnectorKeys), std::end(kConnectorKeys));
  std::vector<std::string_view> auth_keys;
  std::vector<std::string> auth_file_keys;
  for (const ConnectorSchema* type : connector_types_) {
    for (const OptionSpec& option : type->options) known.push_back(option.name);
    for (const std::string& key : type->auth_keys) {
      if (std::find(auth_keys.begin(), auth_keys.end(), key) != auth_keys.end()) continue;
      auth_keys.push_back(key);
      auth_file_keys.push_back(key + "_file");
    }
  }
  for (const std::string& key : auth_file_keys) auth_keys.push_back(key);

  const std::optional<Section> s = ReadSection(item, known);
  if (!s) return std::nullopt;
  ConnectorConfig c;
  c.pos = item.pos;
  Require(*s, "name");
  Require(*s, "type");
  Set(*s, "name", &Loader::ReadName, &c.name);
  if (const Item* type = s->Find("type")) {
    c.type_pos = type->pos;
    Set(*s, "type", &Loader::ReadName, &c.type);
    if (!c.type.empty() && schema == nullptr) {
      std::vector<std::string> names;
      for (const ConnectorSchema* t : connector_types_) names.push_back(t->type);
      Error(type->pos, "unknown connector type " + Quoted(c.type) + " (known types: " +
                           (names.empty() ? std::string("none") : Join(names, ", ")) + ")" +
                           Suggestion(c.type, names));
    }
  }
  Set(*s, "base_url", &Loader::ReadHttpUrl, &c.base_url);
  // Auth keys written, read or not: a secret that cannot be read is reported
  // as such, not also as missing.
  std::vector<std::string> auth_given;
  if (const Item* auth_item = s->Find("auth")) {
    if (const std::optional<Section> auth = ReadSection(*auth_item, auth_keys)) {
      for (const auto& [key, value] : auth->items) {
        const std::string name = key.ends_with("_file") ? key.substr(0, key.size() - 5) : key;
        auth_given.push_back(name);
        if (schema == nullptr || Contains(schema->auth_keys, name)) continue;
        Error(value.key_pos, "unknown auth key " + Quoted(name) + " for " + Describe(c) +
                                 " (accepted: " + Join(schema->auth_keys, ", ") + ")");
      }
      for (std::string_view key : auth_keys) {
        if (key.ends_with("_file")) continue;
        if (schema != nullptr && !Contains(schema->auth_keys, key)) continue;
        if (auto secret = ReadSecret(*auth, key)) {
          c.auth.emplace(key, std::move(secret->first));
          c.auth_pos.emplace(key, secret->second);
        }
      }
    }
  }
  if (schema != nullptr && !schema->auth_required.empty()) {
    const bool satisfied = std::any_of(
        schema->auth_required.begin(), schema->auth_required.end(), [&](const auto& keys) {
          return std::all_of(keys.begin(), keys.end(),
                             [&](const std::string& key) { return Contains(auth_given, key); });
        });
    if (!satisfied) {
      Error(c.pos, Describe(c) + " needs " + DescribeAuthAlternatives(schema->auth_required));
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
    for (const std::string& stream : c.streams) {
      if (schema == nullptr || schema->FindStream(stream) != nullptr) continue;
      const std::vector<std::string> names = schema->StreamNames();
      Error(streams->pos, "unknown stream " + Quoted(stream) + " for " + Describe(c) +
                              " (valid streams: " + Join(names, ", ") + ")" +
                              Suggestion(stream, names));
    }
  }
  if (const Item* fields = s->Find("fields")) {
    LoadKeyedLists(*fields, kFieldLists, schema ? &schema->field_keys : nullptr, &c, &c.fields,
                   &c.fields_pos);
  }
  if (const Item* stages = s->Find("stages")) {
    LoadKeyedLists(*stages, kStageLists, schema ? &schema->stage_keys : nullptr, &c, &c.stages,
                   &c.stages_pos);
  }
  Set(*s, "rate_limit", &Loader::ReadRateLimit, &c.rate_limit);
  Set(*s, "rate_limit_reserve", &Loader::ReadRateLimitReserve, &c.rate_limit_reserve);
  Set(*s, "max_retries", &Loader::ReadNonNegativeInt, &c.max_retries);
  Set(*s, "retry_backoff", &Loader::ReadPositiveDuration, &c.retry_backoff);
  Set(*s, "retry_backoff_max", &Loader::ReadPositiveDuration, &c.retry_backoff_max);
  Set(*s, "request_timeout", &Loader::ReadPositiveDuration, &c.request_timeout);
  Set(*s, "max_response_size", &Loader::ReadByteSize, &c.max_response_size);
  Set(*s, "max_pages_per_run", &Loader::ReadPositiveInt, &c.max_pages_per_run);
  if (c.retry_backoff_max < c.retry_backoff) {
    const Item* at = s->Find("retry_backoff_max");
    Error(at != nullptr ? at->pos : s->Find("retry_backoff")->pos,
          item.path + ": retry_backoff_max must not be shorter than retry_backoff");
  }
  if (schema != nullptr) LoadOptions(*s, *schema, &c);
  return c;
}

void Loader::LoadOptions(const Section& s, const ConnectorSchema& schema, ConnectorConfig* c) {
  for (const auto& entry : s.items) {
    // Named, not a structured binding: the lambda below captures it (clang 14).
    const std::string& key = entry.first;
    if (std::find(std::begin(kConnectorKeys), std::end(kConnectorKeys), key) !=
        std::end(kConnectorKeys)) {
      continue;
    }
    const bool own = std::any_of(schema.options.begin(), schema.options.end(),
                                 [&key](const OptionSpec& o) { return o.name == key; });
    if (own) continue;
    std::vector<std::string> names;
    for (const OptionSpec& option : schema.options) names.push_back(option.name);
    Error(entry.second.key_pos,
          Quoted(key) + " is not an option of " + Describe(*c) +
              " (its options: " + (names.empty() ? std::string("none") : Join(names, ", ")) + ")");
  }
  for (const OptionSpec& option : schema.options) {
    const Item* item = s.Find(option.name);
    if (item == nullptr) continue;
    std::optional<OptionValue> value;
    switch (option.type) {
      case OptionType::kDuration:
        if (auto d = ReadDuration(*item)) value = *d;
        break;
      case OptionType::kPositiveDuration:
        if (auto d = ReadPositiveDuration(*item)) value = *d;
        break;
      case OptionType::kAccountId:
        if (auto id = ReadAccountId(*item)) value = std::move(*id);
        break;
      case OptionType::kCurrencyCode:
        if (auto code = ReadString(*item);
            code && CheckCurrencyCode(item->pos, item->path, *code)) {
          value = std::move(*code);
        }
        break;
    }
    if (value) c->options.Set(option, std::move(*value));
  }
}

void Loader::LoadKeyedLists(const Item& item, const KeyedListsKind& kind,
                            const std::vector<std::string>* keys, ConnectorConfig* connector,
                            std::map<std::string, std::vector<std::string>>* lists,
                            std::map<std::string, SourcePos>* positions) {
  if (item.node.IsNull()) return;
  if (!item.node.IsMap()) {
    Error(item.pos, item.path + ": expected a map of " + kind.map + ", got " + TypeName(item.node));
    return;
  }
  for (const auto& entry : item.node) {
    if (!entry.first.IsScalar() || entry.first.Scalar().empty()) {
      Error(Pos(entry.first), "keys in " + item.path + " must be " + kind.key + " names");
      continue;
    }
    const std::string& key = entry.first.Scalar();
    const Item value = Child(item.path + "." + key, entry.first, entry.second);
    if (lists->count(key) != 0) {
      Error(value.key_pos, "duplicate key " + Quoted(key) + " in " + item.path);
      continue;
    }
    std::vector<std::string> values;
    if (value.node.IsSequence()) {
      std::optional<std::vector<std::string>> list = ReadStringList(value);
      if (!list) continue;
      if (list->empty()) {
        Error(value.pos, value.path + ": list at least one " + kind.value);
        continue;
      }
      values = std::move(*list);
    } else {
      std::optional<std::string> one = ReadNonEmptyString(value);
      if (!one) continue;
      values.push_back(std::move(*one));
    }
    if (keys != nullptr && !Contains(*keys, key)) {
      Error(value.key_pos, "unknown " + kind.key + " " + Quoted(key) + " for " +
                               Describe(*connector) + " (valid " + kind.key +
                               "s: " + (keys->empty() ? std::string("none") : Join(*keys, ", ")) +
                               ")" + Suggestion(key, *keys));
      continue;
    }
    lists->emplace(key, std::move(values));
    positions->emplace(key, value.key_pos);
  }
}

}  // namespace salesaudit::config_internal
