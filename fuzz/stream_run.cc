#include "fuzz/stream_run.h"

#include <chrono>
#include <cstdlib>

#include "connectors/connector.h"
#include "net/http_client.h"

namespace salesaudit::fuzz {

void ReadStream(const std::string& type, const std::string& stream, const std::string& base_url,
                const std::map<std::string, std::string>& auth, int64_t started_at_ms,
                int max_pages) {
  ConnectorConfig config;
  config.name = "fuzz";
  config.type = type;
  config.base_url = base_url;
  config.auth = auth;
  const ConnectorDescriptor* descriptor = BuiltinConnectors().Find(type);
  if (descriptor == nullptr) std::abort();
  // Every URL the config can name points at the server (Salesforce's
  // login_url): nothing here may reach the internet.
  for (const std::string& key : descriptor->auth_keys) {
    if (key.ends_with("_url")) config.auth[key] = base_url;
  }
  HttpClient http(HttpClient::Options{.timeout = std::chrono::seconds(10),
                                      .connect_timeout = std::chrono::seconds(2)},
                  nullptr, nullptr);
  auto connector = descriptor->create(config, http);
  if (!connector.ok()) std::abort();
  auto reader =
      (*connector)->OpenStream(StreamRun{.stream = stream, .started_at_ms = started_at_ms});
  if (!reader.ok()) std::abort();
  for (int page = 0; page < max_pages; ++page) {
    auto next = (*reader)->Next();
    if (!next.ok() || !next->has_value()) return;
    // Each cursor holds what the vendor sent (ids, tokens): `status` and
    // `sync --dry-run` describe it as stored.
    const std::string& cursor = (*next)->cursor;
    const CursorDescription described =
        DescribeStoredCursor(*descriptor, config, stream, cursor, started_at_ms);
    if (CursorStateText(described, cursor).empty() ||
        NextReadText(described, started_at_ms).empty()) {
      std::abort();
    }
  }
}

}  // namespace salesaudit::fuzz
