#include "connectors/connector.h"

#include <utility>

namespace salesaudit {

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

ConnectorSchemas ConnectorRegistry::Schemas() const {
  ConnectorSchemas schemas;
  for (const auto& entry : descriptors_) schemas.push_back(&entry.second);
  return schemas;
}

}  // namespace salesaudit
