#include "config/config.h"

#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <charconv>
#include <exception>
#include <filesystem>
#include <limits>
#include <sstream>
#include <string_view>

#include "config/loader.h"
#include "core/encoding.h"

namespace salesaudit {
namespace config_internal {

namespace {

constexpr std::string_view kTopKeys[] = {"store",      "connectors", "team",   "audit", "spend",
                                         "spend_file", "alerts",     "status", "log"};

constexpr std::string_view kStoreKeys[] = {"path"};

constexpr std::string_view kStatusKeys[] = {
    "listen",      "token", "token_file", "max_connections", "request_timeout", "dashboard_refresh",
    "external_url"};

constexpr std::string_view kLogKeys[] = {"level", "format"};

constexpr std::string_view kLogLevels[] = {"trace", "debug", "info", "warn", "error"};

constexpr std::string_view kLogFormats[] = {"text", "json"};

}  // namespace

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
  for (ConnectorConfig& c : config->connectors) c.state_dir = ConnectorStateDir(config->store.path);
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

}  // namespace config_internal

namespace {

using config_internal::Loader;
using std::chrono::milliseconds;

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

std::string ConnectorStateDir(const std::string& store_path) {
  const std::string dir = std::filesystem::path(store_path).parent_path().string();
  return dir.empty() ? "." : dir;
}

std::string SourcePos::ToString() const {
  if (line == 0) return file;
  return file + ":" + std::to_string(line) + ":" + std::to_string(column);
}

ConfigLoadResult LoadConfigText(const std::string& text, const std::string& file_name,
                                const ConnectorSchemas& connector_types) {
  ConfigLoadResult result;
  Loader loader(file_name, std::filesystem::path(file_name).parent_path(), connector_types);
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

ConfigLoadResult LoadConfigFile(const std::string& path, const ConnectorSchemas& connector_types) {
  std::string text;
  // A config is small; the cap only stops a mistaken --config /dev/zero.
  constexpr size_t kMaxConfigBytes = 16 * 1024 * 1024;
  // Any readable file: `check --config <(envsubst < tmpl)` reads a pipe.
  if (std::optional<std::string> failure =
          config_internal::ReadFile(path, kMaxConfigBytes, /*regular_only=*/false, &text)) {
    return ConfigLoadResult{std::nullopt, {path + ": cannot read: " + *failure}};
  }
  if (text.size() > kMaxConfigBytes) {
    return ConfigLoadResult{std::nullopt, {path + ": larger than 16 MiB; is it the config?"}};
  }
  return LoadConfigText(text, path, connector_types);
}

}  // namespace salesaudit