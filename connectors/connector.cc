#include "connectors/connector.h"

#include <algorithm>
#include <utility>

namespace salesaudit {
namespace {

std::string Join(const std::vector<std::string>& items, const char* separator) {
  std::string out;
  for (const std::string& item : items) {
    if (!out.empty()) out += separator;
    out += item;
  }
  return out;
}

bool Contains(const std::vector<std::string>& items, const std::string& item) {
  return std::find(items.begin(), items.end(), item) != items.end();
}

// "auth.token or auth.client_id+client_secret+refresh_token"
std::string DescribeAuthAlternatives(const std::vector<std::vector<std::string>>& alternatives) {
  std::vector<std::string> described;
  for (const auto& keys : alternatives) described.push_back("auth." + Join(keys, "+"));
  return Join(described, " or ");
}

}  // namespace

void ConnectorRegistry::Register(ConnectorDescriptor descriptor) {
  std::string type = descriptor.type;
  descriptors_.insert_or_assign(std::move(type), std::move(descriptor));
}

const ConnectorDescriptor* ConnectorRegistry::Find(const std::string& type) const {
  auto it = descriptors_.find(type);
  return it == descriptors_.end() ? nullptr : &it->second;
}

std::vector<const ConnectorDescriptor*> ConnectorRegistry::All() const {
  std::vector<const ConnectorDescriptor*> all;
  for (const auto& entry : descriptors_) all.push_back(&entry.second);
  return all;
}

std::vector<std::string> ConnectorRegistry::Validate(const ConnectorConfig& config) const {
  std::vector<std::string> errors;
  auto error_at = [&errors](const SourcePos& pos, const std::string& message) {
    errors.push_back(pos.ToString() + ": " + message);
  };
  const ConnectorDescriptor* d = Find(config.type);
  if (d == nullptr) {
    std::vector<std::string> known;
    for (const auto& entry : descriptors_) known.push_back(entry.first);
    error_at(config.type_pos, "unknown connector type '" + config.type +
                                  "' (known types: " + Join(known, ", ") + ")");
    return errors;
  }
  const std::string what = config.type + " connector '" + config.name + "'";

  for (const auto& [key, value] : config.auth) {
    if (Contains(d->auth_keys, key)) continue;
    auto pos = config.auth_pos.find(key);
    error_at(pos != config.auth_pos.end() ? pos->second : config.pos,
             "unknown auth key '" + key + "' for " + what +
                 " (accepted: " + Join(d->auth_keys, ", ") + ")");
  }
  if (!d->auth_required.empty()) {
    const bool satisfied =
        std::any_of(d->auth_required.begin(), d->auth_required.end(), [&config](const auto& keys) {
          return std::all_of(keys.begin(), keys.end(), [&config](const std::string& key) {
            auto it = config.auth.find(key);
            return it != config.auth.end() && !it->second.empty();
          });
        });
    if (!satisfied) {
      error_at(config.pos, what + " needs " + DescribeAuthAlternatives(d->auth_required));
    }
  }

  if (!config.portal_id.empty() && !d->record_urls) {
    error_at(config.portal_id_pos, "portal_id: " + what + " has no record pages to link to");
  }

  for (const std::string& stream : config.streams) {
    if (Contains(d->streams, stream)) continue;
    error_at(config.streams_pos, "unknown stream '" + stream + "' for " + what +
                                     " (valid streams: " + Join(d->streams, ", ") + ")");
  }

  for (const auto& entry : config.fields) {
    const std::string& key = entry.first;
    if (Contains(d->field_keys, key)) continue;
    auto pos = config.fields_pos.find(key);
    error_at(pos != config.fields_pos.end() ? pos->second : config.pos,
             "unknown field '" + key + "' for " + what + " (valid fields: " +
                 (d->field_keys.empty() ? std::string("none") : Join(d->field_keys, ", ")) + ")");
  }
  return errors;
}

}  // namespace salesaudit
