// What the config may say about one connector type, declared as data by the
// connector itself (connectors/<type>/): its streams, its auth keys, the
// canonical fields it maps, and its own options (as fluent-bit's plugins
// declare a config map). The config loader checks each connector entry
// against its type's schema with FILE:LINE:COL errors; `salesaudit
// connectors` and the README's option lists print the same tables. Adding a
// connector therefore changes nothing in config/.
//
// Plain data; built once at startup and shared read-only between threads.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/records.h"

namespace salesaudit {

// How an option's value is written and checked.
enum class OptionType {
  kDuration,          // "10m", "0s": zero or more
  kPositiveDuration,  // more than zero
  kAccountId,         // digits only, at most 18 (a vendor's account number)
  kCurrencyCode,      // three upper-case letters (ISO 4217), e.g. "EUR"
};

// One option's value: a duration, or text (kAccountId, kCurrencyCode; "" =
// not set).
using OptionValue = std::variant<std::chrono::milliseconds, std::string>;

struct OptionSpec {
  std::string name;  // the key beside `type:` in the connector's entry
  OptionType type = OptionType::kDuration;
  OptionValue default_value;
  std::string description;  // one sentence, for `salesaudit connectors` and the README
};

// A stream the connector offers, and the records it yields.
struct StreamSpec {
  std::string name;
  RecordKind records = RecordKind::kContact;
};

struct ConnectorSchema {
  std::string type;  // the value of `type:`, e.g. "hubspot"
  std::string description;
  std::vector<StreamSpec> streams;  // every stream offered, in sync order
  // Auth keys the type accepts (each also as `<key>_file`); `auth_required`
  // lists alternatives, each a set of keys that together suffice (e.g.
  // {{"token"}, {"client_id", "client_secret", "refresh_token"}}).
  std::vector<std::string> auth_keys;
  std::vector<std::vector<std::string>> auth_required;
  std::vector<std::string> field_keys;  // keys accepted under `fields:`
  std::vector<std::string> stage_keys;  // keys accepted under `stages:`; empty: none
  std::vector<OptionSpec> options;

  std::vector<std::string> StreamNames() const;
  // The stream named `name`, or nullptr.
  const StreamSpec* FindStream(std::string_view name) const;
};

// The connector types the loader knows, in the order they are listed.
using ConnectorSchemas = std::vector<const ConnectorSchema*>;

// One connector entry's values of its type's options, every option present:
// the value given, else the declared default.
class ConnectorOptions {
 public:
  void Set(const OptionSpec& spec, OptionValue value) { values_[spec.name] = std::move(value); }

  // The value of the option, whatever its type (the default when not given).
  const OptionValue& Value(const OptionSpec& spec) const;
  // The value of a kDuration or kPositiveDuration option.
  std::chrono::milliseconds Duration(const OptionSpec& spec) const;
  // The value of a text option ("" when not set).
  const std::string& Text(const OptionSpec& spec) const;

 private:
  std::map<std::string, OptionValue, std::less<>> values_;
};

// How an option's type reads in help and the README: "duration", ...
std::string_view OptionTypeName(OptionType type);

// An option value as the config writes it: "10m", "365d", "2412345"; "" for
// unset text.
std::string FormatOptionValue(const OptionValue& value);

}  // namespace salesaudit
