#include "cli/cli_util.h"

#include <algorithm>
#include <cstdlib>
#include <iostream>

#include "alerts/rule_check.h"
#include "core/text_util.h"
#include "core/time_util.h"
#include "daemon/logging.h"

namespace salesaudit {

std::optional<CommandArgs> ParseCommandArgs(const std::string& command,
                                            const std::vector<std::string>& args) {
  const CliCommand* spec = FindCliCommand(command);
  if (spec == nullptr) {
    // A command without a table entry is a bug: every help and completion
    // would miss it.
    std::cerr << "salesaudit: internal error: '" << command << "' is not in the command table\n";
    std::abort();
  }
  CommandArgs out;
  for (size_t i = 0; i < args.size(); ++i) {
    std::string arg = args[i];
    if (spec->takes_operands == Operands::kCollect && !arg.starts_with("--")) {
      out.operands.push_back(arg);
      continue;
    }
    std::string value;
    bool has_inline_value = false;
    if (auto eq = arg.find('='); arg.starts_with("--") && eq != std::string::npos) {
      value = arg.substr(eq + 1);
      arg = arg.substr(0, eq);
      has_inline_value = true;
    }
    if (spec->IsFlag(arg) && !has_inline_value) {
      out.flags[arg] = true;
    } else if (spec->TakesValue(arg)) {
      if (!has_inline_value) {
        if (i + 1 >= args.size()) {
          std::cerr << "salesaudit " << command << ": " << arg << " needs a value (see salesaudit "
                    << command << " --help)\n";
          return std::nullopt;
        }
        value = args[++i];
      }
      out.values[arg] = value;
    } else {
      std::vector<std::string> names;
      for (const CliOption& option : spec->options) names.push_back(option.name);
      const auto typo = arg.starts_with("--") ? LikelyTypoOf(arg, names) : std::nullopt;
      std::cerr << "salesaudit " << command << ": unknown argument '" << args[i] << "'"
                << (typo ? "; did you mean '" + *typo + "'?" : "") << " (see salesaudit " << command
                << " --help)\n";
      return std::nullopt;
    }
  }
  return out;
}

std::optional<TimeMs> ParseDateArgument(const std::string& command, const CommandArgs& args,
                                        const std::string& name) {
  auto it = args.values.find(name);
  if (it == args.values.end()) return TimeMs();
  const std::string& text = it->second;
  TimeMs t = text.find('-') == std::string::npos ? std::nullopt : ParseTimestampMs(text);
  if (!t) {
    std::cerr << "salesaudit " << command << ": " << name << " '" << text
              << "' is not a date (YYYY-MM-DD or ISO-8601)\n";
    return std::nullopt;
  }
  return t;
}

std::optional<AuditWindow> ParseWindowArguments(const std::string& command,
                                                const CommandArgs& args) {
  auto from = ParseDateArgument(command, args, "--from");
  auto to = ParseDateArgument(command, args, "--to");
  if (!from || !to) return std::nullopt;
  if (*from && *to && **from >= **to) {
    std::cerr << "salesaudit " << command << ": --from must be before --to\n";
    return std::nullopt;
  }
  return AuditWindow{*from, *to};
}

std::optional<std::string> ParseFormat(const std::string& command, const CommandArgs& args,
                                       const std::vector<std::string>& allowed) {
  auto it = args.values.find("--format");
  std::string format = it == args.values.end() ? allowed.front() : it->second;
  if (std::find(allowed.begin(), allowed.end(), format) == allowed.end()) {
    std::string list;
    for (const auto& a : allowed) list += (list.empty() ? "" : "|") + a;
    std::cerr << "salesaudit " << command << ": --format '" << format << "' is not one of " << list
              << "\n";
    return std::nullopt;
  }
  return format;
}

std::optional<Config> LoadCheckedConfig(const std::string& path) {
  ConfigLoadResult loaded = LoadCheckedConfigFile(path);
  for (const auto& e : loaded.errors) std::cerr << e << "\n";
  if (!loaded.config) return std::nullopt;
  SetLogLevel(loaded.config->log.level);
  SetLogFormat(loaded.config->log.format);
  return std::move(loaded.config);
}

std::unique_ptr<Store> OpenStore(const Config& config) {
  auto store = Store::Open(config.store.path);
  if (!store.ok()) {
    std::cerr << "salesaudit: cannot open store: " << store.status().message() << "\n";
    return nullptr;
  }
  for (const std::string& warning : (*store)->warnings())
    std::cerr << "salesaudit: " << warning << "\n";
  return std::move(store).value();
}

}  // namespace salesaudit
