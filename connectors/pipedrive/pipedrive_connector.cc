#include "connectors/pipedrive/pipedrive_connector.h"

#include "connectors/pipedrive/pipedrive_api.h"
#include "connectors/pipedrive/pipedrive_mapping.h"
#include "connectors/pipedrive/pipedrive_streams.h"
#include "connectors/shared_options.h"

namespace salesaudit {
namespace {

class PipedriveConnector : public Connector {
 public:
  PipedriveConnector(const ConnectorConfig& config, HttpClient& http) : company_(config, http) {}

  Result<std::unique_ptr<StreamReader>> OpenStream(const StreamRun& run) override {
    return pipedrive::OpenPipedriveStream(company_, run);
  }

 private:
  pipedrive::CompanyState company_;
};

}  // namespace

void RegisterPipedriveConnector(ConnectorRegistry& registry) {
  ConnectorDescriptor d;
  d.type = "pipedrive";
  d.description =
      "Pipedrive API v2 and v1: users, persons, deals, leads and done activities as stage "
      "evidence";
  d.default_base_url = pipedrive::kDefaultBaseUrl;
  d.streams = pipedrive::PipedriveStreams();
  d.auth_keys = {"api_token"};
  d.auth_required = {{"api_token"}};
  d.field_keys = pipedrive::FieldConfigKeys();
  d.options = {kLookbackOption, pipedrive::kDeletionScanEveryOption};
  // The plans allow 20 (Essential) to 120 (Enterprise) requests per 2 s for
  // an api token; every answer states the company's own, which the budget
  // then follows below this ceiling (docs/vendors/pipedrive.md "Rate limits").
  d.default_rate_limit = RateLimit{120, std::chrono::seconds(2)};
  d.read_rate_limit = pipedrive::ReadRateLimit;
  d.describe_cursor = pipedrive::DescribePipedriveCursor;
  d.create = [](const ConnectorConfig& config,
                HttpClient& http) -> Result<std::unique_ptr<Connector>> {
    return std::unique_ptr<Connector>(std::make_unique<PipedriveConnector>(config, http));
  };
  registry.Register(std::move(d));
}

}  // namespace salesaudit
