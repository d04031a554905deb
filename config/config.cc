#include "config/config.h"

#include <fcntl.h>
#include <openssl/evp.h>
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

#include "core/records.h"
#include "core/secret_registry.h"

namespace salesaudit {
namespace {

using std::chrono::milliseconds;
using KeyList = std::span<const std::string_view>;

// Auth keys holding credentials; each may also be given as `<key>_file`.
constexpr std::string_view kAuthKeys[] = {"token",   "client_id", "client_secret", "refresh_token",
                                          "api_key", "api_token", "password"};

constexpr std::string_view kAuthSectionKeys[] = {
    "token",         "token_file",         "client_id",     "client_id_file",
    "client_secret", "client_secret_file", "refresh_token", "refresh_token_file",
    "api_key",       "api_key_file",       "api_token",     "api_token_file",
    "password",      "password_file"};

constexpr std::string_view kTopKeys[] = {"store",      "connectors", "team",   "audit", "spend",
                                         "spend_file", "alerts",     "status", "log"};
constexpr std::string_view kStoreKeys[] = {"path"};
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
constexpr std::string_view kTeamKeys[] = {"reps", "leads_per_rep_per_week"};
constexpr std::string_view kAuditKeys[] = {"every",
                                           "period",
                                           "min_interval",
                                           "keep_snapshots",
                                           "attribution_window",
                                           "open_rate_floor",
                                           "click_rate_floor",
                                           "min_sample",
                                           "stale_deal_age",
                                           "forecast_min_channel_leads",
                                           "return_on_spend_target",
                                           "revenue_target_per_period",
                                           "referral_channels",
                                           "currency"};
constexpr std::string_view kCurrencyKeys[] = {"report_in", "rates"};
constexpr size_t kMaxSpendFileBytes = 16 * 1024 * 1024;
constexpr std::string_view kSpendKeys[] = {"channel", "month", "amount"};
constexpr std::string_view kAlertsKeys[] = {"rules", "receivers", "route", "evaluate_every",
                                            "delivery"};
constexpr std::string_view kRuleKeys[] = {
    "name",           "when",    "connector_stale", "connector_failing",
    "snapshot_stale", "for",     "keep_firing_for", "severity",
    "labels",         "summary", "description"};
// What a rule watches; a rule gives exactly one of these.
constexpr std::string_view kRuleWatchKeys[] = {"when", "connector_stale", "connector_failing",
                                               "snapshot_stale"};
constexpr std::string_view kReceiverKeys[] = {
    "name",        "type",     "smtp_url", "from",          "to",     "url",          "secret",
    "secret_file", "username", "password", "password_file", "format", "send_resolved"};
constexpr std::string_view kDeliveryKeys[] = {"retry_backoff", "retry_backoff_max", "max_age",
                                              "timeout"};
// Rules are evaluated on a timer this often at most; a shorter period would
// only spin the evaluation loop.
constexpr milliseconds kMinEvaluateEvery = std::chrono::seconds(1);
constexpr std::string_view kEmailOnlyKeys[] = {"smtp_url", "from", "to"};
constexpr std::string_view kWebhookOnlyKeys[] = {"url", "secret", "secret_file"};
constexpr std::string_view kRouteKeys[] = {"receivers", "repeat_interval", "send_resolved",
                                           "group_by"};
constexpr std::string_view kStatusKeys[] = {
    "listen",      "token", "token_file", "max_connections", "request_timeout", "dashboard_refresh",
    "external_url"};
constexpr std::string_view kLogKeys[] = {"level", "format"};

// A secret file is a token or password; anything bigger is the wrong file
// (and reading stops there, so /dev/zero cannot hang a load).
constexpr size_t kMaxSecretFileBytes = 64 * 1024;

constexpr std::string_view kLogLevels[] = {"trace", "debug", "info", "warn", "error"};
constexpr std::string_view kLogFormats[] = {"text", "json"};
constexpr std::string_view kPeriods[] = {"week", "month"};
constexpr std::string_view kReceiverTypes[] = {"email", "webhook"};

const char* const kDurationHint = "use e.g. 250ms, 30s, 5m, 1h, 7d";

// Bounds on team and target numbers: beyond them a value is a typo (or a
// 1e308 that would make the audit's sums overflow), not a team.
constexpr int64_t kMaxReps = 100000;
constexpr double kMaxLeadsPerRepPerWeek = 10000;
constexpr double kMaxReturnOnSpendTarget = 1000;
// Reporting-currency units per unit of another currency: the widest real
// pair (a strong currency in units of the weakest) is under 1e6.
constexpr double kMaxExchangeRate = 1e9;

// Longer durations are typos; shorter ones keep `now - duration` far from
// overflowing the milliseconds in which the audit and the alerts compute.
constexpr milliseconds kMaxDuration = std::chrono::hours(24 * 36500);

// ${A:-${B:-...}} deeper than this is refused: the expansion recurses.
constexpr int kMaxDefaultNesting = 8;

SourcePos PosOf(const std::string& file, const YAML::Node& node) {
  const YAML::Mark mark = node.Mark();
  return SourcePos{file, mark.line + 1, mark.column + 1};
}

std::string Quoted(std::string_view s) { return "'" + std::string(s) + "'"; }

std::string Join(const std::vector<std::string>& parts, std::string_view sep) {
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i > 0) out += sep;
    out += parts[i];
  }
  return out;
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

// Edit distance counting an adjacent transposition as one edit, so that
// "tokne" is as close to "token" as a single typo.
size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<std::vector<size_t>> d(a.size() + 1, std::vector<size_t>(b.size() + 1));
  for (size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.size()][b.size()];
}

// "; did you mean 'x'?" when one candidate is a likely typo of `word`.
template <typename Names>
std::string Suggestion(std::string_view word, const Names& candidates) {
  const size_t limit = word.size() <= 4 ? 1 : 2;
  std::optional<std::string_view> best;
  size_t best_distance = limit + 1;
  for (std::string_view candidate : candidates) {
    const size_t distance = EditDistance(word, candidate);
    if (distance < best_distance) {
      best_distance = distance;
      best = candidate;
    }
  }
  return best ? "; did you mean " + Quoted(*best) + "?" : "";
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

std::string Sha256Hex(std::string_view bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_Digest(bytes.data(), bytes.size(), digest, &length, EVP_sha256(), nullptr) != 1) {
    return "";
  }
  static const char kHex[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(length * 2);
  for (unsigned int i = 0; i < length; ++i) {
    hex += kHex[digest[i] >> 4];
    hex += kHex[digest[i] & 0xf];
  }
  return hex;
}

// One value in the document: a map entry's value or a list element.
struct Item {
  std::string path;  // "connectors[0].poll_interval", for messages
  YAML::Node node;
  SourcePos pos;      // of the value; of the key when the value is empty
  SourcePos key_pos;  // of the key; same as pos for list elements
};

// A map's entries after checking its keys against the ones a section accepts.
struct Section {
  std::string path;
  SourcePos pos;
  std::map<std::string, Item, std::less<>> items;

  const Item* Find(std::string_view key) const {
    const auto it = items.find(key);
    return it == items.end() ? nullptr : &it->second;
  }
};

struct Problem {
  SourcePos pos;
  std::string message;
};

// Turns one parsed YAML document into a Config, collecting every problem
// instead of stopping at the first. Used by one load on one thread.
class Loader {
 public:
  Loader(std::string file_name, std::filesystem::path base_dir)
      : file_(std::move(file_name)), base_dir_(std::move(base_dir)) {}

  void Error(const SourcePos& pos, std::string message) {
    problems_.push_back(Problem{pos, std::move(message)});
  }

  void Load(const YAML::Node& root, Config* config);

  // The problems as "FILE:LINE:COL: message", in document order.
  std::vector<std::string> TakeErrors() {
    // The config file's problems first, then those of files it names.
    std::stable_sort(problems_.begin(), problems_.end(), [&](const Problem& a, const Problem& b) {
      return std::tuple(a.pos.file != file_, a.pos.line, a.pos.column) <
             std::tuple(b.pos.file != file_, b.pos.line, b.pos.column);
    });
    std::vector<std::string> out;
    for (const Problem& p : problems_) out.push_back(p.pos.ToString() + ": " + p.message);
    return out;
  }

 private:
  SourcePos Pos(const YAML::Node& node) const { return PosOf(file_, node); }

  Item Child(const std::string& path, const YAML::Node& key, const YAML::Node& value) const {
    const SourcePos key_pos = Pos(key);
    // yaml-cpp marks an empty value at the next token, which may be lines away.
    const SourcePos pos = value.IsNull() ? key_pos : Pos(value);
    return Item{path, value, pos, key_pos};
  }

  // A map whose keys must all be in `known`; an empty value is an empty map.
  std::optional<Section> ReadSection(const Item& item, KeyList known);
  // A list without its empty items (each reported); an empty value is an
  // empty list.
  std::optional<std::vector<Item>> ReadList(const Item& item);

  // A scalar with ${...} expanded; `expected` names what belongs there.
  std::optional<std::string> ReadScalar(const Item& item, std::string_view expected);
  std::optional<std::string> ReadString(const Item& item) { return ReadScalar(item, "a string"); }
  std::optional<std::string> ReadNonEmptyString(const Item& item);
  std::optional<std::string> ReadName(const Item& item);
  std::optional<std::string> ReadOneOf(const Item& item, KeyList allowed);
  std::optional<milliseconds> ReadDuration(const Item& item);
  std::optional<milliseconds> ReadPositiveDuration(const Item& item);
  std::optional<int> ReadInt(const Item& item, int64_t min,
                             int64_t max = std::numeric_limits<int>::max());
  std::optional<int> ReadReps(const Item& item) { return ReadInt(item, 1, kMaxReps); }
  std::optional<int> ReadPositiveInt(const Item& item) { return ReadInt(item, 1); }
  std::optional<int> ReadNonNegativeInt(const Item& item) { return ReadInt(item, 0); }
  // Bytes, with an optional KiB, MiB or GiB suffix: "16MiB", "65536".
  std::optional<size_t> ReadByteSize(const Item& item);
  // A finite number in [0, max] (zero_allowed) or (0, max]; `what` says
  // what the number counts, for the message when it exceeds max.
  std::optional<double> ReadNumber(const Item& item, bool zero_allowed, double max,
                                   std::string_view what);
  // Money: a spend, a revenue target (core/records.h bounds every amount).
  std::optional<double> ReadAmount(const Item& item) {
    return ReadNumber(item, true, kMaxPlausibleAmount, "money");
  }
  std::optional<double> ReadPositiveAmount(const Item& item) {
    return ReadNumber(item, false, kMaxPlausibleAmount, "money");
  }
  std::optional<double> ReadLeadsPerRep(const Item& item) {
    return ReadNumber(item, false, kMaxLeadsPerRepPerWeek, "leads one rep can work in a week");
  }
  std::optional<double> ReadReturnOnSpend(const Item& item) {
    return ReadNumber(item, false, kMaxReturnOnSpendTarget, "revenue per unit of spend");
  }
  std::optional<bool> ReadBool(const Item& item);
  std::optional<std::vector<std::string>> ReadStringList(const Item& item);
  std::optional<std::map<std::string, std::string>> ReadStringMap(const Item& item);
  std::optional<std::string> ReadHttpUrl(const Item& item);
  std::optional<std::string> ReadPortalId(const Item& item);
  std::optional<RateLimit> ReadRateLimit(const Item& item);
  // `key` or `key_file` from `section`: the resolved value and the position
  // of whichever key was given; nullopt when neither is or it is invalid.
  std::optional<std::pair<std::string, SourcePos>> ReadSecret(const Section& section,
                                                              std::string_view key);

  // ${VAR}, ${VAR:-default} and $$ in a scalar; errors name the variable only.
  std::optional<std::string> Expand(const Item& item);
  // Expand's work on `raw`, the scalar or a default within it, `depth`
  // defaults deep.
  std::optional<std::string> ExpandText(const Item& item, std::string_view raw, int depth);
  // `value` read from `item`, quoted for a message: the text as written when
  // it expanded ${...}, so that an error never shows what a variable holds
  // (a secret given to the wrong key).
  std::string Shown(const Item& item, std::string_view value) const {
    if (item.node.IsScalar() && item.node.Scalar().find('$') != std::string::npos) {
      return Quoted(item.node.Scalar());
    }
    return Quoted(value);
  }

  template <typename T, typename Out>
  void Set(const Section& section, std::string_view key,
           std::optional<T> (Loader::*read)(const Item&), Out* out) {
    if (const Item* item = section.Find(key)) {
      if (std::optional<T> value = (this->*read)(*item)) *out = std::move(*value);
    }
  }

  void Require(const Section& section, std::string_view key, std::string_view what = "") {
    if (section.Find(key) == nullptr) {
      Error(section.pos, section.path + ": missing " + Quoted(key) +
                             (what.empty() ? "" : " (" + std::string(what) + ")"));
    }
  }

  void LoadStore(const Item& item, StoreConfig* store);
  void LoadConnectors(const Item& item, std::vector<ConnectorConfig>* connectors);
  std::optional<ConnectorConfig> LoadConnector(const Item& item);
  void LoadFields(const Item& item, ConnectorConfig* connector);
  void LoadTeam(const Item& item, TeamConfig* team);
  void LoadAudit(const Item& item, AuditConfig* audit);
  void LoadCurrency(const Item& item, CurrencyConfig* currency);
  // A currency code (IsCurrencyCode); `text` is the scalar read at `pos`.
  bool CheckCurrencyCode(const SourcePos& pos, const std::string& path, const std::string& text);
  void LoadSpend(const Item& item, std::vector<SpendEntry>* spend);
  // The CSV named by `spend_file:`: a header `channel,month,amount`, then one
  // row per channel and month; problems name CSVFILE:LINE:COL.
  void LoadSpendFile(const Item& item, std::vector<SpendEntry>* spend);
  // A fraction in [0, 1].
  std::optional<double> ReadFraction(const Item& item);
  void LoadAlerts(const Item& item, AlertsConfig* alerts);
  void LoadRules(const Item& item, std::vector<AlertRuleConfig>* rules);
  // The one key saying what `rule` watches (`when` or a built-in check) into
  // rule->kind and its value; false when none or several are given.
  bool LoadRuleWatch(const Item& element, const Section& s, AlertRuleConfig* rule);
  void LoadDelivery(const Item& item, DeliveryConfig* delivery);
  // `declared` gets every receiver name, even of receivers with errors, so
  // that the route is not blamed for them too.
  void LoadReceivers(const Item& item, std::vector<ReceiverConfig>* receivers,
                     std::vector<std::string>* declared);
  void LoadRoute(const Item& item, const std::vector<std::string>& declared, RouteConfig* route);
  void LoadStatus(const Item& item, StatusConfig* status);
  void LoadLog(const Item& item, LogConfig* log);

  std::string file_;
  std::filesystem::path base_dir_;
  std::vector<Problem> problems_;
  std::vector<std::string> secrets_;
};

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

std::optional<std::vector<std::string>> Loader::ReadStringList(const Item& item) {
  if (item.node.IsNull()) {
    Error(item.pos, item.path + ": expected a list, got nothing");
    return std::nullopt;
  }
  std::optional<std::vector<Item>> elements = ReadList(item);
  if (!elements) return std::nullopt;
  std::vector<std::string> out;
  bool ok = true;
  for (const Item& element : *elements) {
    std::optional<std::string> value = ReadNonEmptyString(element);
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
std::optional<std::string> Loader::ReadPortalId(const Item& item) {
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

void Loader::Load(const YAML::Node& root, Config* config) {
  if (!root.IsMap()) {
    Error(Pos(root), "the top level must be a map of sections (store, connectors, ...), got " +
                         TypeName(root));
    return;
  }
  const std::optional<Section> top = ReadSection(Item{"", root, Pos(root), Pos(root)}, kTopKeys);
  if (!top) return;
  if (const Item* item = top->Find("store")) LoadStore(*item, &config->store);
  if (const Item* item = top->Find("connectors")) LoadConnectors(*item, &config->connectors);
  if (const Item* item = top->Find("team")) LoadTeam(*item, &config->team);
  if (const Item* item = top->Find("audit")) LoadAudit(*item, &config->audit);
  if (const Item* item = top->Find("spend")) LoadSpend(*item, &config->spend);
  if (const Item* item = top->Find("spend_file")) LoadSpendFile(*item, &config->spend);
  if (const Item* item = top->Find("alerts")) LoadAlerts(*item, &config->alerts);
  if (const Item* item = top->Find("status")) LoadStatus(*item, &config->status);
  if (const Item* item = top->Find("log")) LoadLog(*item, &config->log);
  config->secrets = secrets_;
}

void Loader::LoadStatus(const Item& item, StatusConfig* status) {
  const std::optional<Section> s = ReadSection(item, kStatusKeys);
  if (!s) return;
  if (const Item* listen = s->Find("listen")) {
    std::optional<std::string> value = ReadString(*listen);
    // Port 0 (any free port) is for tests that run several daemons at once.
    const bool any_port = value && value->size() > 2 && value->ends_with(":0") &&
                          IsListenAddress(value->substr(0, value->size() - 1) + "1");
    if (value && !value->empty() && !IsListenAddress(*value) && !any_port) {
      Error(listen->pos, listen->path + ": expected HOST:PORT like 127.0.0.1:9464, got " +
                             Shown(*listen, *value));
    } else if (value) {
      status->listen = std::move(*value);
    }
  }
  if (auto token = ReadSecret(*s, "token")) status->token = std::move(token->first);
  if (const Item* external = s->Find("external_url")) {
    if (std::optional<std::string> url = ReadHttpUrl(*external)) {
      const std::string host = UrlHost(*url);
      if (host.empty()) {
        Error(external->pos, external->path + ": the URL names no host");
      } else if (IsLocalOnlyHost(host)) {
        Error(external->pos, external->path + ": " + host +
                                 " opens only on this machine; give the address people open "
                                 "the dashboard at (e.g. https://salesaudit.example.com/)");
      } else {
        status->external_url = *url + "/";
      }
    }
  }
  Set(*s, "max_connections", &Loader::ReadPositiveInt, &status->max_connections);
  Set(*s, "request_timeout", &Loader::ReadPositiveDuration, &status->request_timeout);
  Set(*s, "dashboard_refresh", &Loader::ReadPositiveDuration, &status->dashboard_refresh);
  if (status->dashboard_refresh < std::chrono::seconds(1)) {
    const Item* at = s->Find("dashboard_refresh");
    Error(at->pos, at->path + ": must be at least 1s (a meta refresh counts whole seconds)");
  }
}

void Loader::LoadLog(const Item& item, LogConfig* log) {
  const std::optional<Section> s = ReadSection(item, kLogKeys);
  if (!s) return;
  if (const Item* level = s->Find("level")) {
    if (auto v = ReadOneOf(*level, kLogLevels)) log->level = *v;
  }
  if (const Item* format = s->Find("format")) {
    if (auto v = ReadOneOf(*format, kLogFormats)) log->format = *v;
  }
}

void Loader::LoadStore(const Item& item, StoreConfig* store) {
  const std::optional<Section> s = ReadSection(item, kStoreKeys);
  if (!s) return;
  Set(*s, "path", &Loader::ReadNonEmptyString, &store->path);
}

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

void Loader::LoadTeam(const Item& item, TeamConfig* team) {
  const std::optional<Section> s = ReadSection(item, kTeamKeys);
  if (!s) return;
  if (const Item* reps = s->Find("reps"); reps != nullptr && !reps->node.IsNull()) {
    Set(*s, "reps", &Loader::ReadReps, &team->reps);
  }
  Set(*s, "leads_per_rep_per_week", &Loader::ReadLeadsPerRep, &team->leads_per_rep_per_week);
}

void Loader::LoadAudit(const Item& item, AuditConfig* audit) {
  const std::optional<Section> s = ReadSection(item, kAuditKeys);
  if (!s) return;
  Set(*s, "every", &Loader::ReadPositiveDuration, &audit->every);
  if (const Item* period = s->Find("period")) {
    if (auto v = ReadOneOf(*period, kPeriods)) audit->period = *v;
  }
  Set(*s, "min_interval", &Loader::ReadDuration, &audit->min_interval);
  Set(*s, "keep_snapshots", &Loader::ReadPositiveDuration, &audit->keep_snapshots);
  Set(*s, "attribution_window", &Loader::ReadPositiveDuration, &audit->attribution_window);
  Set(*s, "open_rate_floor", &Loader::ReadFraction, &audit->open_rate_floor);
  Set(*s, "click_rate_floor", &Loader::ReadFraction, &audit->click_rate_floor);
  Set(*s, "min_sample", &Loader::ReadPositiveInt, &audit->min_sample);
  Set(*s, "stale_deal_age", &Loader::ReadPositiveDuration, &audit->stale_deal_age);
  Set(*s, "forecast_min_channel_leads", &Loader::ReadPositiveInt,
      &audit->forecast_min_channel_leads);
  Set(*s, "return_on_spend_target", &Loader::ReadReturnOnSpend, &audit->return_on_spend_target);
  if (const Item* target = s->Find("revenue_target_per_period");
      target != nullptr && !target->node.IsNull()) {
    Set(*s, "revenue_target_per_period", &Loader::ReadPositiveAmount,
        &audit->revenue_target_per_period);
  }
  Set(*s, "referral_channels", &Loader::ReadStringList, &audit->referral_channels);
  if (const Item* currency = s->Find("currency")) LoadCurrency(*currency, &audit->currency);
}

bool Loader::CheckCurrencyCode(const SourcePos& pos, const std::string& path,
                               const std::string& text) {
  if (IsCurrencyCode(text)) return true;
  Error(pos, path +
                 ": expected a currency code of three upper-case letters (ISO 4217, e.g. EUR), "
                 "got " +
                 Quoted(text));
  return false;
}

void Loader::LoadCurrency(const Item& item, CurrencyConfig* currency) {
  const std::optional<Section> s = ReadSection(item, kCurrencyKeys);
  if (!s) return;
  Require(*s, "report_in", "the ISO 4217 code totals are converted into");
  if (const Item* report_in = s->Find("report_in")) {
    std::optional<std::string> code = ReadString(*report_in);
    if (code && CheckCurrencyCode(report_in->pos, report_in->path, *code)) {
      currency->report_in = std::move(*code);
    }
  }
  const Item* rates = s->Find("rates");
  if (rates == nullptr || rates->node.IsNull()) return;
  if (!rates->node.IsMap()) {
    Error(rates->pos, rates->path +
                          ": expected a map of currency code -> rate (e.g. USD: 0.92), "
                          "got " +
                          TypeName(rates->node));
    return;
  }
  for (const auto& entry : rates->node) {
    const SourcePos key_pos = Pos(entry.first);
    if (!entry.first.IsScalar()) {
      Error(key_pos, "keys in " + rates->path + " must be currency codes");
      continue;
    }
    const std::string& code = entry.first.Scalar();
    const std::string path = rates->path + "." + code;
    if (!CheckCurrencyCode(key_pos, path, code)) continue;
    if (code == currency->report_in) {
      Error(key_pos, path + ": " + code + " is the reporting currency; its rate is 1");
      continue;
    }
    if (currency->rates.count(code) != 0) {
      Error(key_pos, "duplicate key " + Quoted(code) + " in " + rates->path);
      continue;
    }
    if (std::optional<double> rate =
            ReadNumber(Child(path, entry.first, entry.second), false, kMaxExchangeRate,
                       "reporting-currency units per unit of " + code)) {
      currency->rates.emplace(code, *rate);
    }
  }
}

std::optional<double> Loader::ReadFraction(const Item& item) {
  return ReadNumber(item, true, 1, "a fraction: 0.2 for 20%");
}

void Loader::LoadSpendFile(const Item& item, std::vector<SpendEntry>* spend) {
  std::optional<std::string> path_text = ReadNonEmptyString(item);
  if (!path_text) return;
  std::filesystem::path path(*path_text);
  if (path.is_relative()) path = base_dir_ / path;
  const std::string file = path.string();
  std::string contents;
  if (std::optional<std::string> failure =
          ReadFile(file, kMaxSpendFileBytes, /*regular_only=*/true, &contents)) {
    Error(item.pos, item.path + ": cannot read " + Quoted(file) + ": " + *failure);
    return;
  }
  std::set<std::pair<std::string, std::string>> seen;
  for (const SpendEntry& e : *spend) seen.emplace(e.channel, e.month);
  int line_number = 0;
  size_t begin = 0;
  while (begin < contents.size()) {
    size_t end = contents.find('\n', begin);
    if (end == std::string::npos) end = contents.size();
    std::string line = contents.substr(begin, end - begin);
    begin = end + 1;
    ++line_number;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    std::vector<std::string> cells;
    std::vector<int> columns;
    size_t start = 0;
    while (true) {
      size_t comma = line.find(',', start);
      std::string cell =
          line.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
      while (!cell.empty() && cell.front() == ' ') cell.erase(0, 1), ++start;
      while (!cell.empty() && cell.back() == ' ') cell.pop_back();
      cells.push_back(cell);
      columns.push_back(static_cast<int>(start) + 1);
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
    auto at = [&](size_t cell) {
      return SourcePos{file, line_number, cell < columns.size() ? columns[cell] : 1};
    };
    if (line_number == 1) {
      if (cells != std::vector<std::string>{"channel", "month", "amount"}) {
        Error(at(0), "expected the header channel,month,amount");
        return;
      }
      continue;
    }
    if (cells.size() != 3) {
      Error(at(0), "expected 3 values (channel,month,amount), got " + std::to_string(cells.size()));
      continue;
    }
    if (cells[0].empty()) Error(at(0), "the channel is empty");
    if (!IsMonth(cells[1])) Error(at(1), "expected a month as YYYY-MM, got " + Quoted(cells[1]));
    char* parsed_end = nullptr;
    const double amount = std::strtod(cells[2].c_str(), &parsed_end);
    const bool amount_ok = !cells[2].empty() && parsed_end == cells[2].c_str() + cells[2].size() &&
                           std::isfinite(amount) && amount >= 0 && amount <= kMaxPlausibleAmount;
    if (!amount_ok) Error(at(2), "expected an amount from 0 to 1e+15, got " + Quoted(cells[2]));
    if (cells[0].empty() || !IsMonth(cells[1]) || !amount_ok) continue;
    if (!seen.emplace(cells[0], cells[1]).second) {
      Error(at(0), "spend for channel " + Quoted(cells[0]) + " in " + cells[1] + " is given twice");
      continue;
    }
    spend->push_back(SpendEntry{cells[0], cells[1], amount});
  }
}

void Loader::LoadSpend(const Item& item, std::vector<SpendEntry>* spend) {
  const std::optional<std::vector<Item>> elements = ReadList(item);
  if (!elements) return;
  std::set<std::pair<std::string, std::string>> seen;
  for (const Item& element : *elements) {
    const std::optional<Section> s = ReadSection(element, kSpendKeys);
    if (!s) continue;
    Require(*s, "channel");
    Require(*s, "month", "YYYY-MM");
    Require(*s, "amount");
    SpendEntry entry;
    Set(*s, "channel", &Loader::ReadNonEmptyString, &entry.channel);
    if (const Item* month = s->Find("month")) {
      std::optional<std::string> text = ReadString(*month);
      if (text && !IsMonth(*text)) {
        Error(month->pos,
              month->path + ": expected a month as YYYY-MM, got " + Shown(*month, *text));
      } else if (text) {
        entry.month = std::move(*text);
      }
    }
    Set(*s, "amount", &Loader::ReadAmount, &entry.amount);
    if (entry.channel.empty() || entry.month.empty() || s->Find("amount") == nullptr) continue;
    if (!seen.emplace(entry.channel, entry.month).second) {
      Error(element.pos, element.path + ": spend for channel " + Quoted(entry.channel) + " in " +
                             entry.month + " is given twice");
      continue;
    }
    spend->push_back(std::move(entry));
  }
}

void Loader::LoadAlerts(const Item& item, AlertsConfig* alerts) {
  const std::optional<Section> s = ReadSection(item, kAlertsKeys);
  if (!s) return;
  if (const Item* rules = s->Find("rules")) LoadRules(*rules, &alerts->rules);
  std::vector<std::string> declared;
  if (const Item* receivers = s->Find("receivers")) {
    LoadReceivers(*receivers, &alerts->receivers, &declared);
  }
  if (const Item* route = s->Find("route")) LoadRoute(*route, declared, &alerts->route);
  if (const Item* every = s->Find("evaluate_every")) {
    if (std::optional<milliseconds> value = ReadDuration(*every)) {
      if (*value < kMinEvaluateEvery) {
        Error(every->pos, every->path + ": must be at least 1s");
      } else {
        alerts->evaluate_every = *value;
      }
    }
  }
  if (const Item* delivery = s->Find("delivery")) LoadDelivery(*delivery, &alerts->delivery);
}

void Loader::LoadDelivery(const Item& item, DeliveryConfig* delivery) {
  const std::optional<Section> s = ReadSection(item, kDeliveryKeys);
  if (!s) return;
  Set(*s, "retry_backoff", &Loader::ReadPositiveDuration, &delivery->retry_backoff);
  Set(*s, "retry_backoff_max", &Loader::ReadPositiveDuration, &delivery->retry_backoff_max);
  Set(*s, "max_age", &Loader::ReadPositiveDuration, &delivery->max_age);
  Set(*s, "timeout", &Loader::ReadPositiveDuration, &delivery->timeout);
  if (delivery->retry_backoff_max < delivery->retry_backoff) {
    const Item* at = s->Find("retry_backoff_max");
    Error(at != nullptr ? at->pos : s->Find("retry_backoff")->pos,
          item.path + ": retry_backoff_max must not be shorter than retry_backoff");
  }
}

bool Loader::LoadRuleWatch(const Item& element, const Section& s, AlertRuleConfig* rule) {
  std::vector<const Item*> given;
  for (std::string_view key : kRuleWatchKeys) {
    if (const Item* item = s.Find(key)) given.push_back(item);
  }
  if (given.empty()) {
    Error(element.pos, element.path +
                           ": give `when` (a condition on the snapshot, e.g. "
                           "capacity.shortfall_per_period > 0) or a built-in check: "
                           "connector_stale, connector_failing or snapshot_stale");
    return false;
  }
  // Blame the keys after the first as written, not in the section's key order.
  std::sort(given.begin(), given.end(), [](const Item* a, const Item* b) {
    return std::tuple(a->key_pos.line, a->key_pos.column) <
           std::tuple(b->key_pos.line, b->key_pos.column);
  });
  auto key_of = [&](const Item* item) { return item->path.substr(element.path.size() + 1); };
  for (size_t i = 1; i < given.size(); ++i) {
    Error(given[i]->key_pos, element.path + ": give either " + Quoted(key_of(given[0])) + " or " +
                                 Quoted(key_of(given[i])) + ", not both; a rule watches one thing");
  }
  if (given.size() > 1) return false;
  const Item& watch = *given[0];
  const std::string key = key_of(&watch);
  rule->when_pos = watch.pos;
  if (key == "when") {
    rule->kind = AlertRuleKind::kCondition;
    std::optional<std::string> when = ReadNonEmptyString(watch);
    if (when) rule->when = std::move(*when);
    return when.has_value();
  }
  if (key == "connector_failing") {
    rule->kind = AlertRuleKind::kConnectorFailing;
    std::optional<int> runs = ReadPositiveInt(watch);
    if (runs) rule->failing_runs = *runs;
    return runs.has_value();
  }
  rule->kind =
      key == "connector_stale" ? AlertRuleKind::kConnectorStale : AlertRuleKind::kSnapshotStale;
  std::optional<milliseconds> stale_after = ReadPositiveDuration(watch);
  if (stale_after) rule->stale_after = *stale_after;
  return stale_after.has_value();
}

void Loader::LoadRules(const Item& item, std::vector<AlertRuleConfig>* rules) {
  const std::optional<std::vector<Item>> elements = ReadList(item);
  if (!elements) return;
  std::map<std::string, int> names;
  for (const Item& element : *elements) {
    const std::optional<Section> s = ReadSection(element, kRuleKeys);
    if (!s) continue;
    Require(*s, "name");
    AlertRuleConfig rule;
    rule.pos = element.pos;
    Set(*s, "name", &Loader::ReadName, &rule.name);
    const bool watch_ok = LoadRuleWatch(element, *s, &rule);
    Set(*s, "for", &Loader::ReadDuration, &rule.for_duration);
    Set(*s, "keep_firing_for", &Loader::ReadDuration, &rule.keep_firing_for);
    Set(*s, "severity", &Loader::ReadNonEmptyString, &rule.severity);
    Set(*s, "labels", &Loader::ReadStringMap, &rule.labels);
    if (const Item* labels = s->Find("labels"); labels != nullptr && labels->node.IsMap()) {
      const bool per_connector = rule.kind == AlertRuleKind::kConnectorStale ||
                                 rule.kind == AlertRuleKind::kConnectorFailing;
      for (const auto& entry : labels->node) {
        if (!entry.first.IsScalar()) continue;
        const std::string& label = entry.first.Scalar();
        if (label == "alertname") {
          Error(Pos(entry.first),
                labels->path + ": 'alertname' cannot be set; it is the rule's name");
        } else if (label == "connector" && per_connector) {
          Error(Pos(entry.first), labels->path +
                                      ": 'connector' cannot be set on a per-connector check; "
                                      "the check sets it to each connector's name");
        }
      }
    }
    Set(*s, "summary", &Loader::ReadString, &rule.summary);
    Set(*s, "description", &Loader::ReadString, &rule.description);
    if (rule.name.empty() || !watch_ok) continue;
    const auto [it, inserted] = names.emplace(rule.name, rule.pos.line);
    if (!inserted) {
      Error(element.pos, element.path + ": duplicate rule name " + Quoted(rule.name) +
                             " (first at line " + std::to_string(it->second) + ")");
      continue;
    }
    rules->push_back(std::move(rule));
  }
}

void Loader::LoadReceivers(const Item& item, std::vector<ReceiverConfig>* receivers,
                           std::vector<std::string>* declared) {
  const std::optional<std::vector<Item>> elements = ReadList(item);
  if (!elements) return;
  std::map<std::string, int> names;
  for (const Item& element : *elements) {
    const std::optional<Section> s = ReadSection(element, kReceiverKeys);
    if (!s) continue;
    Require(*s, "name");
    Require(*s, "type", "email or webhook");
    ReceiverConfig r;
    r.pos = element.pos;
    Set(*s, "name", &Loader::ReadName, &r.name);
    if (!r.name.empty()) declared->push_back(r.name);
    if (const Item* type = s->Find("type")) {
      if (auto v = ReadOneOf(*type, kReceiverTypes)) r.type = *v;
    }
    Set(*s, "smtp_url", &Loader::ReadString, &r.smtp_url);
    if (!r.smtp_url.empty() && !HasScheme(r.smtp_url, "smtp://", "smtps://")) {
      const Item* at = s->Find("smtp_url");
      Error(at->pos,
            at->path + ": must start with smtp:// or smtps://, got " + Shown(*at, r.smtp_url));
    }
    Set(*s, "from", &Loader::ReadNonEmptyString, &r.from);
    Set(*s, "to", &Loader::ReadStringList, &r.to);
    Set(*s, "url", &Loader::ReadHttpUrl, &r.url);
    Set(*s, "username", &Loader::ReadString, &r.username);
    Set(*s, "format", &Loader::ReadNonEmptyString, &r.format);
    Set(*s, "send_resolved", &Loader::ReadBool, &r.send_resolved);
    if (auto secret = ReadSecret(*s, "secret")) r.secret = std::move(secret->first);
    if (auto password = ReadSecret(*s, "password")) r.password = std::move(password->first);

    if (r.type == "email") {
      Require(*s, "smtp_url", "e.g. smtp://127.0.0.1:25");
      Require(*s, "from");
      Require(*s, "to", "a list of addresses");
      if (const Item* to = s->Find("to");
          to != nullptr && to->node.IsSequence() && to->node.size() == 0) {
        Error(to->pos, to->path + ": list at least one address");
      }
    } else if (r.type == "webhook") {
      Require(*s, "url");
    }
    const KeyList foreign = r.type == "email" ? KeyList(kWebhookOnlyKeys) : KeyList(kEmailOnlyKeys);
    if (!r.type.empty()) {
      for (std::string_view key : foreign) {
        if (const Item* misplaced = s->Find(key)) {
          Error(misplaced->key_pos,
                element.path + ": " + Quoted(key) + " does not apply to " + r.type + " receivers");
        }
      }
    }
    if (r.name.empty() || r.type.empty()) continue;
    const auto [it, inserted] = names.emplace(r.name, r.pos.line);
    if (!inserted) {
      Error(element.pos, element.path + ": duplicate receiver name " + Quoted(r.name) +
                             " (first at line " + std::to_string(it->second) + ")");
      continue;
    }
    receivers->push_back(std::move(r));
  }
}

void Loader::LoadRoute(const Item& item, const std::vector<std::string>& declared,
                       RouteConfig* route) {
  const std::optional<Section> s = ReadSection(item, kRouteKeys);
  if (!s) return;
  if (const Item* names = s->Find("receivers")) {
    if (const std::optional<std::vector<Item>> elements = ReadList(*names)) {
      for (const Item& element : *elements) {
        const std::optional<std::string> name = ReadNonEmptyString(element);
        if (!name) continue;
        if (std::find(declared.begin(), declared.end(), *name) == declared.end()) {
          Error(element.pos, element.path + ": unknown receiver " + Shown(element, *name) +
                                 Suggestion(*name, declared));
        } else if (std::find(route->receivers.begin(), route->receivers.end(), *name) ==
                   route->receivers.end()) {
          route->receivers.push_back(*name);
        }
      }
    }
  }
  Set(*s, "repeat_interval", &Loader::ReadPositiveDuration, &route->repeat_interval);
  Set(*s, "send_resolved", &Loader::ReadBool, &route->send_resolved);
  Set(*s, "group_by", &Loader::ReadStringList, &route->group_by);
}

// Where the root node of each document of a YAML text stands, for at most
// the first two documents. yaml-cpp 0.7's LoadAll never returns on a text
// whose content starts with a flow entry (","): its parser yields empty
// documents forever without consuming the comma, each kept in memory (found
// by fuzz_config). The event API read with a bound cannot loop.
class DocumentRoots : public YAML::EventHandler {
 public:
  static std::vector<YAML::Mark> Of(const std::string& text) {
    std::istringstream in(text);
    YAML::Parser parser(in);
    DocumentRoots roots;
    for (int i = 0; i < 2 && parser.HandleNextDocument(roots); ++i) {
    }
    return roots.marks_;
  }

  void OnDocumentStart(const YAML::Mark&) override { root_seen_ = false; }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark& mark, YAML::anchor_t) override { Node(mark); }
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t) override { Node(mark); }
  void OnScalar(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                const std::string&) override {
    Node(mark);
  }
  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {
    Node(mark);
  }
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {
    Node(mark);
  }
  void OnMapEnd() override {}

 private:
  void Node(const YAML::Mark& mark) {
    if (!root_seen_) marks_.push_back(mark);
    root_seen_ = true;
  }
  bool root_seen_ = false;
  std::vector<YAML::Mark> marks_;
};

}  // namespace

std::string SourcePos::ToString() const {
  if (line == 0) return file;
  return file + ":" + std::to_string(line) + ":" + std::to_string(column);
}

std::optional<milliseconds> ParseDuration(const std::string& text) {
  struct Unit {
    std::string_view suffix;
    int64_t ms;
  };
  // "ms" before "m" so that "250ms" is not read as 250 minutes and a stray "s".
  static constexpr Unit kUnits[] = {
      {"ms", 1}, {"s", 1000}, {"m", 60'000}, {"h", 3'600'000}, {"d", 86'400'000}};
  std::string_view rest = text;
  if (rest.empty()) return std::nullopt;
  int64_t total = 0;
  while (!rest.empty()) {
    size_t digits = 0;
    while (digits < rest.size() && rest[digits] >= '0' && rest[digits] <= '9') ++digits;
    if (digits == 0) return std::nullopt;
    int64_t number = 0;
    const auto [end, ec] = std::from_chars(rest.data(), rest.data() + digits, number);
    if (ec != std::errc()) return std::nullopt;
    rest.remove_prefix(digits);
    const Unit* unit = nullptr;
    for (const Unit& candidate : kUnits) {
      if (rest.substr(0, candidate.suffix.size()) == candidate.suffix) {
        unit = &candidate;
        break;
      }
    }
    if (unit == nullptr) return std::nullopt;
    rest.remove_prefix(unit->suffix.size());
    if (number > (std::numeric_limits<int64_t>::max() - total) / unit->ms) return std::nullopt;
    total += number * unit->ms;
  }
  return milliseconds(total);
}

ConfigLoadResult LoadConfigText(const std::string& text, const std::string& file_name) {
  ConfigLoadResult result;
  Loader loader(file_name, std::filesystem::path(file_name).parent_path());
  Config config;
  config.path = file_name;
  config.hash = Sha256Hex(text);
  try {
    const std::vector<YAML::Mark> roots = DocumentRoots::Of(text);
    const YAML::Node document = YAML::Load(text);
    if (document.IsNull()) {
      loader.Error(SourcePos{file_name, 0, 0}, "the config is empty");
    } else if (roots.size() > 1) {
      loader.Error(SourcePos{file_name, roots[1].line + 1, roots[1].column + 1},
                   "only one YAML document is allowed; remove the extra '---'");
    } else {
      loader.Load(document, &config);
    }
  } catch (const YAML::DeepRecursion& e) {
    // yaml-cpp stops at a fixed depth and calls it "bad file".
    loader.Error(SourcePos{file_name, e.mark.line + 1, e.mark.column + 1},
                 "the YAML nests deeper than " + std::to_string(e.depth()) +
                     " levels here; a salesaudit config nests a few levels at most");
  } catch (const YAML::Exception& e) {
    loader.Error(SourcePos{file_name, e.mark.line + 1, e.mark.column + 1},
                 "invalid YAML: " + e.msg);
  } catch (const std::exception& e) {
    loader.Error(SourcePos{file_name, 0, 0}, std::string("cannot load config: ") + e.what());
  }
  result.errors = loader.TakeErrors();
  if (result.errors.empty()) result.config = std::move(config);
  return result;
}

ConfigLoadResult LoadConfigFile(const std::string& path) {
  std::string text;
  // A config is small; the cap only stops a mistaken --config /dev/zero.
  constexpr size_t kMaxConfigBytes = 16 * 1024 * 1024;
  // Any readable file: `check --config <(envsubst < tmpl)` reads a pipe.
  if (std::optional<std::string> failure =
          ReadFile(path, kMaxConfigBytes, /*regular_only=*/false, &text)) {
    return ConfigLoadResult{std::nullopt, {path + ": cannot read: " + *failure}};
  }
  if (text.size() > kMaxConfigBytes) {
    return ConfigLoadResult{std::nullopt, {path + ": larger than 16 MiB; is it the config?"}};
  }
  return LoadConfigText(text, path);
}

}  // namespace salesaudit
