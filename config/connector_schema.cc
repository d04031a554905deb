#include "config/connector_schema.h"

#include "core/duration.h"

namespace salesaudit {

std::vector<std::string> ConnectorSchema::StreamNames() const {
  std::vector<std::string> names;
  for (const StreamSpec& stream : streams) names.push_back(stream.name);
  return names;
}

const StreamSpec* ConnectorSchema::FindStream(std::string_view name) const {
  for (const StreamSpec& stream : streams) {
    if (stream.name == name) return &stream;
  }
  return nullptr;
}

const OptionValue& ConnectorOptions::Value(const OptionSpec& spec) const {
  const auto it = values_.find(spec.name);
  return it == values_.end() ? spec.default_value : it->second;
}

std::chrono::milliseconds ConnectorOptions::Duration(const OptionSpec& spec) const {
  const auto* value = std::get_if<std::chrono::milliseconds>(&Value(spec));
  return value != nullptr ? *value : std::chrono::milliseconds(0);
}

const std::string& ConnectorOptions::Text(const OptionSpec& spec) const {
  static const std::string kNone;
  const auto* value = std::get_if<std::string>(&Value(spec));
  return value != nullptr ? *value : kNone;
}

std::string_view OptionTypeName(OptionType type) {
  switch (type) {
    case OptionType::kDuration:
      return "duration";
    case OptionType::kPositiveDuration:
      return "duration above 0";
    case OptionType::kAccountId:
      return "account id (digits)";
    case OptionType::kCurrencyCode:
      return "currency code (ISO 4217)";
  }
  return "";
}

std::string FormatOptionValue(const OptionValue& value) {
  if (const auto* duration = std::get_if<std::chrono::milliseconds>(&value)) {
    return FormatDuration(*duration);
  }
  return std::get<std::string>(value);
}

}  // namespace salesaudit
