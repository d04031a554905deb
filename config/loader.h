// The config loader's inside, shared by the files that read each section:
// one YAML value with its position (Item), a checked map (Section), the
// Loader that collects every problem, and the value readers. Only config/
// includes it; yaml-cpp stays behind this header.
#pragma once

#include <sys/types.h>
#include <yaml-cpp/yaml.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/config.h"
#include "core/duration.h"
#include "core/records.h"
#include "core/text_util.h"  // Join, LikelyTypoOf

namespace salesaudit::config_internal {

using KeyList = std::span<const std::string_view>;
using std::chrono::milliseconds;

// Bounds on team and target numbers: beyond them a value is a typo (or a
// 1e308 that would make the audit's sums overflow), not a team.
constexpr int64_t kMaxReps = 100000;
constexpr double kMaxLeadsPerRepPerWeek = 10000;
constexpr double kMaxReturnOnSpendTarget = 1000;

SourcePos PosOf(const std::string& file, const YAML::Node& node);

inline std::string Quoted(std::string_view s) { return "'" + std::string(s) + "'"; }

std::string TypeName(const YAML::Node& node);

bool IsValidName(std::string_view name);

bool IsEnvName(std::string_view name);

bool IsDigits(std::string_view s);

std::optional<int64_t> ParseInt(std::string_view text);

std::optional<double> ParseNumber(std::string_view text);

// An ISO 4217 code as written in the config: three upper-case ASCII letters.
bool IsCurrencyCode(std::string_view s);

// "YYYY-MM" with a month 01..12.
bool IsMonth(std::string_view s);

// "host:port" or "[v6]:port", port 1..65535.
bool IsListenAddress(std::string_view s);

bool HasScheme(std::string_view url, std::string_view scheme_a, std::string_view scheme_b);

// The host of an http(s) URL, lower-cased and without brackets or port;
// "" when the URL names none ("https://", "https:///x").
std::string UrlHost(std::string_view url);

// A host only the machine itself reaches (or none): a link to it in an
// alert opens nothing for the person reading it.
bool IsLocalOnlyHost(std::string_view host);

// What a file that is not a regular one is, for messages.
std::string FileKind(mode_t mode);

// Reads at most `max_bytes` + 1 bytes of `path` into `out`; returns the reason
// on failure (strerror text, never the contents). `regular_only` refuses
// anything but a regular file, and opens without blocking first: opening a
// FIFO for reading waits for a writer, which would hang `check` and a
// reload on the daemon's loop.
std::optional<std::string> ReadFile(const std::string& path, size_t max_bytes, bool regular_only,
                                    std::string* out);

// "; did you mean 'x'?" when one candidate is a likely typo of `word`.
template <typename Names>
std::string Suggestion(std::string_view word, const Names& candidates) {
  const std::optional<std::string> best = LikelyTypoOf(word, candidates);
  return best ? "; did you mean " + Quoted(*best) + "?" : "";
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
  Loader(std::string file_name, std::filesystem::path base_dir, ConnectorSchemas connector_types)
      : file_(std::move(file_name)),
        base_dir_(std::move(base_dir)),
        connector_types_(std::move(connector_types)) {}

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
  // A list of distinct values, each read by `read_element`.
  std::optional<std::vector<std::string>> ReadDistinctList(
      const Item& item, std::optional<std::string> (Loader::*read_element)(const Item&));
  std::optional<std::vector<std::string>> ReadStringList(const Item& item) {
    return ReadDistinctList(item, &Loader::ReadNonEmptyString);
  }
  // "name@example.com" or "Display Name <name@example.com>", as written.
  std::optional<std::string> ReadMailbox(const Item& item);
  std::optional<std::vector<std::string>> ReadMailboxList(const Item& item) {
    return ReadDistinctList(item, &Loader::ReadMailbox);
  }
  std::optional<std::map<std::string, std::string>> ReadStringMap(const Item& item);
  std::optional<std::string> ReadHttpUrl(const Item& item);
  std::optional<std::string> ReadAccountId(const Item& item);
  std::optional<RateLimit> ReadRateLimit(const Item& item);
  std::optional<double> ReadRateLimitReserve(const Item& item) {
    return ReadNumber(item, true, 0.5, "the share of a vendor's limit left to other apps");
  }
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
  // `schema` is null for an unknown type: then no field key is refused.
  // How a map of names to lists reads in messages: `fields:` (canonical
  // field -> source properties) and `stages:` (stage -> status values).
  struct KeyedListsKind {
    std::string key;    // "field"
    std::string map;    // "canonical field -> source properties"
    std::string value;  // "source property"
  };
  static const KeyedListsKind kFieldLists;
  static const KeyedListsKind kStageLists;
  // Reads `item` (a map of key -> one value or a list) into `lists`, each
  // key checked against `keys` (nullptr: the type is unknown, not checked).
  void LoadKeyedLists(const Item& item, const KeyedListsKind& kind,
                      const std::vector<std::string>* keys, ConnectorConfig* connector,
                      std::map<std::string, std::vector<std::string>>* lists,
                      std::map<std::string, SourcePos>* positions);
  // The type's own options, each read as its OptionSpec says; a key that is
  // another type's option is refused with this type's list.
  void LoadOptions(const Section& s, const ConnectorSchema& schema, ConnectorConfig* c);
  const ConnectorSchema* FindConnectorType(std::string_view type) const;
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
  ConnectorSchemas connector_types_;
  std::vector<Problem> problems_;
  std::vector<std::string> secrets_;
};

}  // namespace salesaudit::config_internal
