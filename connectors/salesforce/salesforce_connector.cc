#include "connectors/salesforce/salesforce_connector.h"

#include "connectors/salesforce/salesforce_api.h"
#include "connectors/salesforce/salesforce_mapping.h"
#include "connectors/salesforce/salesforce_streams.h"
#include "connectors/shared_options.h"

namespace salesaudit {
namespace {

class SalesforceConnector : public Connector {
 public:
  SalesforceConnector(const ConnectorConfig& config, HttpClient& http) : org_(config, http) {}

  Result<std::unique_ptr<StreamReader>> OpenStream(const StreamRun& run) override {
    return salesforce::OpenSalesforceStream(org_, run);
  }

 private:
  salesforce::OrgState org_;
};

}  // namespace

void RegisterSalesforceConnector(ConnectorRegistry& registry) {
  ConnectorDescriptor d;
  d.type = "salesforce";
  d.description =
      "Salesforce REST (SOQL): users, leads with their status history, contacts, opportunities "
      "and opportunity contact roles";
  d.default_base_url = salesforce::kDefaultLoginUrl;
  d.streams = salesforce::SalesforceStreams();
  d.auth_keys = {"client_id", "client_secret", "refresh_token", "login_url"};
  // The consumer secret is optional for connected apps that do not require it.
  d.auth_required = {{"client_id", "refresh_token"}};
  d.field_keys = salesforce::FieldConfigKeys();
  d.stage_keys = salesforce::StageConfigKeys();
  d.options = {kLookbackOption, salesforce::kSessionLifetimeOption, salesforce::kCurrencyOption};
  // Salesforce limits requests per day and long-running requests at once,
  // not per second; this only keeps a backfill from flooding the org.
  d.default_rate_limit = RateLimit{25, std::chrono::seconds(1)};
  // Every record opens at <instance>/<id>; the instance is known from the
  // config only when base_url names it.
  d.record_urls = [](const ConnectorConfig& config) {
    std::map<RecordKind, std::string> urls;
    if (config.base_url.empty()) return urls;
    urls[RecordKind::kContact] = config.base_url + "/";
    urls[RecordKind::kDeal] = config.base_url + "/";
    return urls;
  };
  d.describe_cursor = [](const ConnectorConfig& config, const std::string&,
                         const std::string& cursor,
                         int64_t) { return salesforce::DescribeSalesforceCursor(config, cursor); };
  d.create = [](const ConnectorConfig& config,
                HttpClient& http) -> Result<std::unique_ptr<Connector>> {
    return std::unique_ptr<Connector>(std::make_unique<SalesforceConnector>(config, http));
  };
  registry.Register(std::move(d));
}

}  // namespace salesaudit
