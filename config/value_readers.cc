#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <filesystem>
#include <limits>
#include <set>
#include <span>
#include <sstream>
#include <string_view>
#include <tuple>
#include <utility>

#include "config/loader.h"
#include "core/records.h"
#include "core/secret_registry.h"
#include "core/text_util.h"

namespace salesaudit::config_internal {

namespace {

// A secret file is a token or password; anything bigger is the wrong file
// (and reading stops there, so /dev/zero cannot hang a load).
constexpr size_t kMaxSecretFileBytes = 64 * 1024;

const char* const kDurationHint = "use e.g. 250ms, 30s, 5m, 1h, 7d";

// Longer durations are typos; shorter ones keep `now - duration` far from
// overflowing the milliseconds in which the audit and the alerts compute.
constexpr milliseconds kMaxDuration = std::chrono::hours(24 * 36500);

// ${A:-${B:-...}} deeper than this is refused: the expansion recurses.
constexpr int kMaxDefaultNesting = 8;

}  // namespace

SourcePos PosOf(const std::string& file, const YAML::Node& node) {
  const YAML::Mark mark = node.Mark();
  return SourcePos{file, mark.line + 1, mark.column + 1};
}

std::string TypeName(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map:
      return "a map";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Scalar:
      return "a single value";
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      break;
  }
  return "nothing";
}

bool IsValidName(std::string_view name) {
  if (name.empty()) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '.' || c == '-';
  });
}

bool IsEnvName(std::string_view name) {
  if (name.empty() || (name[0] >= '0' && name[0] <= '9')) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  });
}

bool IsEnvNameStart(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }

bool IsDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::optional<int64_t> ParseInt(std::string_view text) {
  if (!IsDigits(text) && !(text.size() > 1 && text[0] == '-' && IsDigits(text.substr(1)))) {
    return std::nullopt;
  }
  int64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

std::optional<double> ParseNumber(std::string_view text) {
  double value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() ||
      !std::isfinite(value)) {
    return std::nullopt;
  }
  return value;
}

// An ISO 4217 code as written in the config: three upper-case ASCII letters.
bool IsCurrencyCode(std::string_view s) {
  return s.size() == 3 &&
         std::all_of(s.begin(), s.end(), [](char c) { return c >= 'A' && c <= 'Z'; });
}

// "YYYY-MM" with a month 01..12.
bool IsMonth(std::string_view s) {
  if (s.size() != 7 || s[4] != '-' || !IsDigits(s.substr(0, 4)) || !IsDigits(s.substr(5))) {
    return false;
  }
  const int month = (s[5] - '0') * 10 + (s[6] - '0');
  return month >= 1 && month <= 12;
}

// "host:port" or "[v6]:port", port 1..65535.
bool IsListenAddress(std::string_view s) {
  const size_t colon = s.rfind(':');
  if (colon == std::string_view::npos) return false;
  const std::string_view host = s.substr(0, colon);
  const std::string_view port = s.substr(colon + 1);
  if (host.empty() || !IsDigits(port) || port.size() > 5) return false;
  if (host.front() == '[' && (host.back() != ']' || host.size() < 3)) return false;
  if (host.front() != '[' && host.find(':') != std::string_view::npos) return false;
  const auto number = ParseInt(port);
  return number && *number >= 1 && *number <= 65535;
}

bool HasScheme(std::string_view url, std::string_view scheme_a, std::string_view scheme_b) {
  for (std::string_view scheme : {scheme_a, scheme_b}) {
    if (url.size() > scheme.size() && url.substr(0, scheme.size()) == scheme) return true;
  }
  return false;
}

// The host of an http(s) URL, lower-cased and without brackets or port;
// "" when the URL names none ("https://", "https:///x").
std::string UrlHost(std::string_view url) {
  const size_t scheme_end = url.find("://");
  std::string_view authority = url.substr(scheme_end + 3);
  authority = authority.substr(0, authority.find_first_of("/?#"));
  if (const size_t at = authority.rfind('@'); at != std::string_view::npos) {
    authority = authority.substr(at + 1);
  }
  std::string_view host = authority;
  if (!host.empty() && host.front() == '[') {
    host = host.substr(
        1, host.find(']') == std::string_view::npos ? host.size() - 1 : host.find(']') - 1);
  } else {
    host = host.substr(0, host.find(':'));
  }
  std::string lower;
  for (char c : host) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return lower;
}

// A host only the machine itself reaches (or none): a link to it in an
// alert opens nothing for the person reading it.
bool IsLocalOnlyHost(std::string_view host) {
  return host == "localhost" || host.ends_with(".localhost") || host.starts_with("127.") ||
         host == "::1" || host == "0.0.0.0" || host == "::" || host.starts_with("0:0:0:0:0:0:0:");
}

// What a file that is not a regular one is, for messages.
std::string FileKind(mode_t mode) {
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISSOCK(mode)) return "a socket";
  if (S_ISCHR(mode) || S_ISBLK(mode)) return "a device";
  return "not a regular file";
}

// Reads at most `max_bytes` + 1 bytes of `path` into `out`; returns the reason
// on failure (strerror text, never the contents). `regular_only` refuses
// anything but a regular file, and opens without blocking first: opening a
// FIFO for reading waits for a writer, which would hang `check` and a
// reload on the daemon's loop.
std::optional<std::string> ReadFile(const std::string& path, size_t max_bytes, bool regular_only,
                                    std::string* out) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | (regular_only ? O_NONBLOCK : 0));
  if (fd < 0) return std::string(std::strerror(errno));
  struct stat st {};
  if (regular_only && ::fstat(fd, &st) == 0 && !S_ISREG(st.st_mode)) {
    ::close(fd);
    return "it is " + FileKind(st.st_mode) + "; give a regular file";
  }
  out->clear();
  char buffer[8192];
  std::optional<std::string> failure;
  while (out->size() <= max_bytes) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) failure = std::string(std::strerror(errno));
    if (n <= 0) break;
    out->append(buffer, static_cast<size_t>(n));
  }
  ::close(fd);
  return failure;
}

std::optional<Section> Loader::ReadSection(const Item& item, KeyList known) {
  Section section{item.path, item.pos, {}};
  if (item.node.IsNull()) return section;
  if (!item.node.IsMap()) {
    Error(item.pos, item.path + ": expected a map, got " + TypeName(item.node));
    return std::nullopt;
  }
  for (const auto& entry : item.node) {
    const YAML::Node& key = entry.first;
    if (!key.IsScalar()) {
      Error(Pos(key), "keys in " + (item.path.empty() ? "the top level" : item.path) +
                          " must be plain names, got " + TypeName(key));
      continue;
    }
    const std::string& name = key.Scalar();
    if (std::find(known.begin(), known.end(), name) == known.end()) {
      const std::string where = item.path.empty()
                                    ? "unknown top-level key " + Quoted(name)
                                    : "unknown key " + Quoted(name) + " in " + item.path;
      Error(Pos(key), where + Suggestion(name, known));
      continue;
    }
    if (const Item* first = section.Find(name)) {
      Error(Pos(key), "duplicate key " + Quoted(name) + " in " +
                          (item.path.empty() ? "the top level" : item.path) + " (first at line " +
                          std::to_string(first->key_pos.line) + ")");
      continue;
    }
    const std::string path = item.path.empty() ? name : item.path + "." + name;
    section.items.emplace(name, Child(path, key, entry.second));
  }
  return section;
}

std::optional<std::vector<Item>> Loader::ReadList(const Item& item) {
  std::vector<Item> out;
  if (item.node.IsNull()) return out;
  if (!item.node.IsSequence()) {
    Error(item.pos, item.path + ": expected a list, got " + TypeName(item.node));
    return std::nullopt;
  }
  for (size_t i = 0; i < item.node.size(); ++i) {
    const YAML::Node element = item.node[i];
    const std::string path = item.path + "[" + std::to_string(i) + "]";
    if (element.IsNull()) {
      // yaml-cpp marks an empty item at the next token, maybe in another
      // section; the list's own position is the honest one.
      Error(item.pos, path + ": the list item is empty");
      continue;
    }
    const SourcePos pos = Pos(element);
    out.push_back(Item{path, element, pos, pos});
  }
  return out;
}

std::optional<std::string> Loader::Expand(const Item& item) {
  return ExpandText(item, item.node.Scalar(), 0);
}

std::optional<std::string> Loader::ExpandText(const Item& item, std::string_view raw, int depth) {
  std::string out;
  bool ok = true;
  for (size_t i = 0; i < raw.size(); ++i) {
    const char next = i + 1 < raw.size() ? raw[i + 1] : '\0';
    if (raw[i] != '$' || (next != '$' && next != '{' && !IsEnvNameStart(next))) {
      out += raw[i];
      continue;
    }
    if (next == '$') {
      out += '$';
      ++i;
      continue;
    }
    if (next != '{') {
      // The name is not echoed: it may be part of a secret holding a '$'.
      Error(item.pos, item.path +
                          ": '$' before a name is not expanded: write '${NAME}' for an "
                          "environment variable, or '$$' for a literal '$'");
      return std::nullopt;
    }
    // The '}' that closes this '${', past any '${...}' nested in a default.
    size_t close = i + 2;
    for (int open = 1; close < raw.size(); ++close) {
      if (raw[close] == '$' && close + 1 < raw.size() && raw[close + 1] == '$') {
        ++close;
      } else if (raw[close] == '$' && close + 1 < raw.size() && raw[close + 1] == '{') {
        ++open;
        ++close;
      } else if (raw[close] == '}' && --open == 0) {
        break;
      }
    }
    if (close >= raw.size()) {
      Error(item.pos, item.path + ": unterminated '${' (write '$$' for a literal '$')");
      return std::nullopt;
    }
    const std::string_view inner = raw.substr(i + 2, close - i - 2);
    const size_t dash = inner.find(":-");
    const std::string name(inner.substr(0, dash));
    if (!IsEnvName(name)) {
      // The text between the braces may be a secret written in the wrong place.
      Error(item.pos, item.path + ": invalid environment variable name in '${...}'");
      ok = false;
    } else {
      const char* value = std::getenv(name.c_str());
      if (dash != std::string_view::npos && (value == nullptr || *value == '\0')) {
        if (depth >= kMaxDefaultNesting) {
          Error(item.pos, item.path + ": defaults in '${NAME:-...}' nest deeper than " +
                              std::to_string(kMaxDefaultNesting) + " levels");
          return std::nullopt;
        }
        // The default may name another variable: ${A:-${B:-text}}.
        std::optional<std::string> fallback = ExpandText(item, inner.substr(dash + 2), depth + 1);
        if (!fallback) return std::nullopt;
        out += *fallback;
      } else if (value != nullptr) {
        out += value;
      } else {
        Error(item.pos, item.path + ": environment variable " + Quoted(name) + " is not set");
        ok = false;
      }
    }
    i = close;
  }
  if (!ok) return std::nullopt;
  return out;
}

std::optional<std::string> Loader::ReadScalar(const Item& item, std::string_view expected) {
  if (!item.node.IsScalar()) {
    Error(item.pos,
          item.path + ": expected " + std::string(expected) + ", got " + TypeName(item.node));
    return std::nullopt;
  }
  return Expand(item);
}

std::optional<std::string> Loader::ReadNonEmptyString(const Item& item) {
  std::optional<std::string> value = ReadString(item);
  if (value && value->empty()) {
    Error(item.pos, item.path + ": must not be empty");
    return std::nullopt;
  }
  return value;
}

std::optional<std::string> Loader::ReadMailbox(const Item& item) {
  std::optional<std::string> value = ReadString(item);
  if (value && !ParseMailbox(*value)) {
    Error(item.pos, item.path + ": not an email address (name@example.com, or \"Name " +
                        "<name@example.com>\" with the quotes), got " + Shown(item, *value));
    return std::nullopt;
  }
  return value;
}

std::optional<std::string> Loader::ReadName(const Item& item) {
  std::optional<std::string> value = ReadString(item);
  if (value && !IsValidName(*value)) {
    Error(item.pos, item.path + ": invalid name " + Shown(item, *value) +
                        " (use letters, digits, '_', '.', '-')");
    return std::nullopt;
  }
  return value;
}

std::optional<std::string> Loader::ReadOneOf(const Item& item, KeyList allowed) {
  std::optional<std::string> value = ReadString(item);
  if (!value) return std::nullopt;
  if (std::find(allowed.begin(), allowed.end(), *value) == allowed.end()) {
    std::vector<std::string> choices(allowed.begin(), allowed.end());
    Error(item.pos,
          item.path + ": must be one of " + Join(choices, ", ") + ", got " + Shown(item, *value));
    return std::nullopt;
  }
  return value;
}

std::optional<milliseconds> Loader::ReadDuration(const Item& item) {
  std::optional<std::string> text = ReadScalar(item, "a duration");
  if (!text) return std::nullopt;
  std::optional<milliseconds> duration = ParseDuration(*text);
  if (!duration) {
    Error(item.pos,
          item.path + ": invalid duration " + Shown(item, *text) + " (" + kDurationHint + ")");
  } else if (*duration > kMaxDuration) {
    Error(item.pos, item.path + ": must be at most 36500d (100 years), got " + Shown(item, *text));
    return std::nullopt;
  }
  return duration;
}

std::optional<milliseconds> Loader::ReadPositiveDuration(const Item& item) {
  std::optional<milliseconds> duration = ReadDuration(item);
  if (duration && duration->count() == 0) {
    Error(item.pos, item.path + ": must be longer than zero");
    return std::nullopt;
  }
  return duration;
}

std::optional<size_t> Loader::ReadByteSize(const Item& item) {
  std::optional<std::string> text = ReadScalar(item, "a size");
  if (!text) return std::nullopt;
  std::string_view digits = *text;
  int64_t unit = 1;
  static constexpr std::pair<std::string_view, int64_t> kUnits[] = {
      {"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}};
  for (const auto& [suffix, bytes] : kUnits) {
    if (digits.ends_with(suffix)) {
      digits.remove_suffix(3);
      unit = bytes;
    }
  }
  const std::optional<int64_t> count = IsDigits(digits) ? ParseInt(digits) : std::nullopt;
  if (!count || *count > (int64_t{1} << 30) / unit || *count * unit < 1024) {
    Error(item.pos,
          item.path + ": expected a size from 1KiB to 1GiB (e.g. 16MiB), got " + Quoted(*text));
    return std::nullopt;
  }
  return static_cast<size_t>(*count * unit);
}

std::optional<int> Loader::ReadInt(const Item& item, int64_t min, int64_t max) {
  std::optional<std::string> text = ReadScalar(item, "a whole number");
  if (!text) return std::nullopt;
  const std::optional<int64_t> value = ParseInt(*text);
  if (!value || *value > std::numeric_limits<int>::max()) {
    Error(item.pos, item.path + ": expected a whole number, got " + Shown(item, *text));
    return std::nullopt;
  }
  if (*value < min) {
    Error(item.pos, item.path + (min == 1 ? ": must be at least 1" : ": must not be negative"));
    return std::nullopt;
  }
  if (*value > max) {
    Error(item.pos,
          item.path + ": must be at most " + std::to_string(max) + ", got " + Shown(item, *text));
    return std::nullopt;
  }
  return static_cast<int>(*value);
}

std::optional<double> Loader::ReadNumber(const Item& item, bool zero_allowed, double max,
                                         std::string_view what) {
  std::optional<std::string> text = ReadScalar(item, "a number");
  if (!text) return std::nullopt;
  const std::optional<double> value = ParseNumber(*text);
  if (!value) {
    Error(item.pos, item.path + ": expected a number, got " + Shown(item, *text));
    return std::nullopt;
  }
  if (*value < 0 || (!zero_allowed && *value == 0)) {
    Error(item.pos,
          item.path + (zero_allowed ? ": must not be negative" : ": must be greater than zero"));
    return std::nullopt;
  }
  if (*value > max) {
    char bound[32];
    std::snprintf(bound, sizeof bound, "%g", max);
    Error(item.pos, item.path + ": must be at most " + bound + " (" + std::string(what) +
                        "), got " + Shown(item, *text));
    return std::nullopt;
  }
  return value;
}

std::optional<bool> Loader::ReadBool(const Item& item) {
  std::optional<std::string> text = ReadScalar(item, "true or false");
  if (!text) return std::nullopt;
  if (*text == "true" || *text == "True" || *text == "TRUE") return true;
  if (*text == "false" || *text == "False" || *text == "FALSE") return false;
  Error(item.pos, item.path + ": expected true or false, got " + Shown(item, *text));
  return std::nullopt;
}

std::optional<std::vector<std::string>> Loader::ReadDistinctList(
    const Item& item, std::optional<std::string> (Loader::*read_element)(const Item&)) {
  if (item.node.IsNull()) {
    Error(item.pos, item.path + ": expected a list, got nothing");
    return std::nullopt;
  }
  std::optional<std::vector<Item>> elements = ReadList(item);
  if (!elements) return std::nullopt;
  std::vector<std::string> out;
  bool ok = true;
  for (const Item& element : *elements) {
    std::optional<std::string> value = (this->*read_element)(element);
    if (!value) {
      ok = false;
    } else if (std::find(out.begin(), out.end(), *value) != out.end()) {
      Error(element.pos, element.path + ": " + Shown(element, *value) + " is listed twice");
      ok = false;
    } else {
      out.push_back(std::move(*value));
    }
  }
  if (!ok) return std::nullopt;
  return out;
}

std::optional<std::map<std::string, std::string>> Loader::ReadStringMap(const Item& item) {
  if (item.node.IsNull()) return std::map<std::string, std::string>{};
  if (!item.node.IsMap()) {
    Error(item.pos, item.path + ": expected a map, got " + TypeName(item.node));
    return std::nullopt;
  }
  std::map<std::string, std::string> out;
  bool ok = true;
  for (const auto& entry : item.node) {
    if (!entry.first.IsScalar() || entry.first.Scalar().empty()) {
      Error(Pos(entry.first), "keys in " + item.path + " must be plain names");
      ok = false;
      continue;
    }
    const std::string& key = entry.first.Scalar();
    if (out.count(key) != 0) {
      Error(Pos(entry.first), "duplicate key " + Quoted(key) + " in " + item.path);
      ok = false;
      continue;
    }
    std::optional<std::string> value =
        ReadString(Child(item.path + "." + key, entry.first, entry.second));
    if (value) {
      out.emplace(key, std::move(*value));
    } else {
      ok = false;
    }
  }
  if (!ok) return std::nullopt;
  return out;
}

// An account id that goes into record URLs: digits only, so that it can
// neither change the URL's path nor be mistaken for another setting.
std::optional<std::string> Loader::ReadAccountId(const Item& item) {
  std::optional<std::string> value = ReadScalar(item, "an account id");
  if (value && (!IsDigits(*value) || value->size() > 18)) {
    Error(item.pos, item.path + ": expected the account id, digits only (e.g. 2412345), got " +
                        Shown(item, *value));
    return std::nullopt;
  }
  return value;
}

std::optional<std::string> Loader::ReadHttpUrl(const Item& item) {
  const std::optional<std::string> text = ReadString(item);
  if (!text) return std::nullopt;
  // Connectors append "/path" to it; a trailing '/' would double the slash.
  std::string url = *text;
  while (!url.empty() && url.back() == '/') url.pop_back();
  if (!HasScheme(url, "http://", "https://")) {
    Error(item.pos, item.path + ": expected a URL starting with http:// or https://, got " +
                        Shown(item, *text));
    return std::nullopt;
  }
  return url;
}

std::optional<RateLimit> Loader::ReadRateLimit(const Item& item) {
  std::optional<std::string> text = ReadScalar(item, "a rate limit like 100/10s");
  if (!text) return std::nullopt;
  if (*text == "off" || *text == "0") return RateLimit{};
  const size_t slash = text->find('/');
  if (slash != std::string::npos) {
    const std::optional<int64_t> requests = ParseInt(std::string_view(*text).substr(0, slash));
    std::string per_text = text->substr(slash + 1);
    // "100/s" reads as "100/1s".
    if (!per_text.empty() && !(per_text[0] >= '0' && per_text[0] <= '9')) {
      per_text.insert(0, "1");
    }
    const std::optional<milliseconds> per = ParseDuration(per_text);
    if (requests && *requests >= 1 && *requests <= std::numeric_limits<int>::max() && per &&
        per->count() > 0) {
      return RateLimit{static_cast<int>(*requests), *per};
    }
  }
  Error(item.pos, item.path + ": invalid rate limit " + Shown(item, *text) +
                      " (use REQUESTS/DURATION like 100/10s, or off)");
  return std::nullopt;
}

std::optional<std::pair<std::string, SourcePos>> Loader::ReadSecret(const Section& section,
                                                                    std::string_view key) {
  const std::string file_key = std::string(key) + "_file";
  const Item* inline_item = section.Find(key);
  const Item* file_item = section.Find(file_key);
  if (inline_item == nullptr && file_item == nullptr) return std::nullopt;
  if (inline_item != nullptr && file_item != nullptr) {
    Error(file_item->key_pos,
          section.path + ": set either " + Quoted(key) + " or " + Quoted(file_key) + ", not both");
    return std::nullopt;
  }
  std::string value;
  SourcePos pos;
  if (inline_item != nullptr) {
    std::optional<std::string> text = ReadString(*inline_item);
    if (!text) return std::nullopt;
    if (text->empty()) {
      Error(inline_item->pos, inline_item->path + ": must not be empty");
      return std::nullopt;
    }
    value = std::move(*text);
    pos = inline_item->key_pos;
  } else {
    std::optional<std::string> path_text = ReadNonEmptyString(*file_item);
    if (!path_text) return std::nullopt;
    std::filesystem::path path(*path_text);
    if (path.is_relative()) path = base_dir_ / path;
    const std::string shown = Quoted(path.string());
    std::string contents;
    if (std::optional<std::string> failure =
            ReadFile(path.string(), kMaxSecretFileBytes, /*regular_only=*/true, &contents)) {
      Error(file_item->pos, file_item->path + ": cannot read " + shown + ": " + *failure);
      return std::nullopt;
    }
    if (contents.size() > kMaxSecretFileBytes) {
      Error(file_item->pos, file_item->path + ": " + shown + " is larger than " +
                                std::to_string(kMaxSecretFileBytes / 1024) +
                                " KiB; is it the right file?");
      return std::nullopt;
    }
    // Editors and `echo` add a trailing newline that is not part of the secret.
    while (!contents.empty() && std::isspace(static_cast<unsigned char>(contents.back()))) {
      contents.pop_back();
    }
    if (contents.empty()) {
      Error(file_item->pos, file_item->path + ": " + shown + " is empty");
      return std::nullopt;
    }
    value = std::move(contents);
    pos = file_item->key_pos;
  }
  if (std::find(secrets_.begin(), secrets_.end(), value) == secrets_.end()) {
    secrets_.push_back(value);
  }
  // Redacted from here on, even if this config is then refused: the errors
  // about it are logged too.
  ProcessSecrets().Add(value);
  return std::pair(std::move(value), pos);
}

}  // namespace salesaudit::config_internal
