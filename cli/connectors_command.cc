#include "cli/connectors_command.h"

#include <iostream>

#include "cli/cli_util.h"
#include "connectors/connector.h"
#include "core/text_table.h"
#include "core/text_util.h"

namespace salesaudit {
namespace {

// "token, or client_id + client_secret + refresh_token", then the keys no
// alternative needs: "(optional: login_url)".
std::string AuthText(const ConnectorSchema& type) {
  std::vector<std::string> alternatives;
  std::vector<std::string> optional = type.auth_keys;
  for (const auto& keys : type.auth_required) {
    alternatives.push_back(Join(keys, " + "));
    for (const std::string& key : keys) std::erase(optional, key);
  }
  if (alternatives.empty()) return Join(type.auth_keys, ", ");
  return Join(alternatives, ", or ") +
         (optional.empty() ? "" : " (optional: " + Join(optional, ", ") + ")");
}

std::string DefaultText(const OptionSpec& option) {
  const std::string value = FormatOptionValue(option.default_value);
  return value.empty() ? "not set" : value;
}

std::string Text(const ConnectorSchema& type) {
  std::string out = type.type + ": " + type.description + "\n";
  out += "  streams: " + Join(type.StreamNames(), ", ") + "\n";
  out += "  auth: " + AuthText(type) + " (each key also as <key>_file)\n";
  if (!type.field_keys.empty()) out += "  fields: " + Join(type.field_keys, ", ") + "\n";
  if (!type.stage_keys.empty()) out += "  stages: " + Join(type.stage_keys, ", ") + "\n";
  out += "  options:\n";
  TextTable table("    ");
  table.Add({"NAME", "TYPE", "DEFAULT", "WHAT IT DOES"});
  for (const OptionSpec& option : type.options) {
    table.Add({option.name, std::string(OptionTypeName(option.type)), DefaultText(option),
               option.description});
  }
  return out + table.Render();
}

// Between the markers the README keeps it in (a test holds the two equal).
std::string Markdown(const ConnectorSchema& type) {
  std::string out = "<!-- options of the " + type.type + " connector -->\n";
  out += "| option | type | default | what it does |\n|---|---|---|---|\n";
  for (const OptionSpec& option : type.options) {
    out += "| `" + option.name + "` | " + std::string(OptionTypeName(option.type)) + " | " +
           DefaultText(option) + " | " + option.description + " |\n";
  }
  return out + "<!-- end of options -->\n";
}

}  // namespace

int ConnectorsCommand(const std::vector<std::string>& args) {
  auto parsed = ParseCommandArgs("connectors", args);
  if (!parsed) return 2;
  auto format = ParseFormat("connectors", *parsed, {"text", "markdown"});
  if (!format) return 2;
  std::string out;
  for (const ConnectorDescriptor* type : BuiltinConnectors().All()) {
    out += (out.empty() ? "" : "\n") + (*format == "markdown" ? Markdown(*type) : Text(*type));
  }
  std::cout << out;
  return 0;
}

}  // namespace salesaudit
