#include "connectors/hubspot/hubspot_connector.h"

#include "connectors/hubspot/hubspot_api.h"
#include "connectors/hubspot/hubspot_email.h"
#include "connectors/hubspot/hubspot_mapping.h"
#include "connectors/hubspot/hubspot_objects.h"
#include "connectors/shared_options.h"

namespace salesaudit {
namespace {

class HubSpotConnector : public Connector {
 public:
  HubSpotConnector(const ConnectorConfig& config, HttpClient& http) : api_(config, http) {}

  Result<std::unique_ptr<StreamReader>> OpenStream(const StreamRun& run) override {
    if (hubspot::IsEmailStream(run.stream)) return hubspot::OpenEmailStream(api_, run);
    if (hubspot::IsObjectStream(run.stream)) return hubspot::OpenObjectStream(api_, run);
    return Status::InvalidArgument(api_.Context(run.stream) + ": no such stream");
  }

 private:
  hubspot::HubSpotApi api_;
};

}  // namespace

const OptionSpec kHubSpotPortalIdOption{
    "portal_id", OptionType::kAccountId, std::string(),
    "Your HubSpot account id (the number in your HubSpot URLs); the audit report then links "
    "example records to their pages in HubSpot."};

// A rescan reads every archived record, so it is not done on every poll.
const OptionSpec kHubSpotDeletionScanEveryOption{
    "deletion_scan_every", OptionType::kDuration, std::chrono::hours(1),
    "How often a sync also rescans for archived (deleted) records, which modified-since "
    "queries never show; 0s = every sync."};

void RegisterHubspotConnector(ConnectorRegistry& registry) {
  ConnectorDescriptor d;
  d.type = "hubspot";
  d.description =
      "HubSpot CRM v3: owners, contacts, deals with contact associations; marketing email "
      "campaigns and events";
  d.default_base_url = hubspot::kDefaultBaseUrl;
  d.streams = {{"owners", RecordKind::kOwner},
               {"contacts", RecordKind::kContact},
               {"deals", RecordKind::kDeal},
               {"email_campaigns", RecordKind::kEmailCampaign},
               {"email_events", RecordKind::kEmailEvent}};
  d.auth_keys = {"token", "client_id", "client_secret", "refresh_token"};
  d.auth_required = {{"token"}, {"client_id", "client_secret", "refresh_token"}};
  d.field_keys = hubspot::FieldMap::ConfigKeys();
  d.options = {kHubSpotPortalIdOption, kLookbackOption, kHubSpotDeletionScanEveryOption,
               kEmailHistoryOption, kEmailActivityWindowOption};
  // The lowest private-app tier allows 100 requests per 10 s per portal; the
  // search endpoints allow 4 per second (docs/vendors/hubspot.md "Rate limits").
  d.default_rate_limit = RateLimit{100, std::chrono::seconds(10)};
  d.extra_budget_buckets = {{"search", RateLimit{4, std::chrono::seconds(1)}}};
  d.read_rate_limit = hubspot::ReadRateLimit;
  // A record's page: app.hubspot.com/contacts/<account id>/record/<object
  // type id>/<record id>, with the object type ids 0-1 (contacts) and 0-3
  // (deals) of the CRM objects API ("Using the object APIs", object type IDs).
  // The account id is in no record we read, so only the config can give it.
  d.record_urls = [](const ConnectorConfig& config) {
    std::map<RecordKind, std::string> urls;
    const std::string& portal_id = config.options.Text(kHubSpotPortalIdOption);
    if (portal_id.empty()) return urls;
    const std::string account = "https://app.hubspot.com/contacts/" + portal_id;
    urls[RecordKind::kContact] = account + "/record/0-1/";
    urls[RecordKind::kDeal] = account + "/record/0-3/";
    return urls;
  };
  d.describe_cursor = [](const ConnectorConfig& config, const std::string& stream,
                         const std::string& cursor, int64_t now_ms) {
    if (hubspot::IsEmailStream(stream)) {
      return hubspot::DescribeEmailCursor(config, stream, cursor, now_ms);
    }
    return hubspot::DescribeObjectCursor(config, stream, cursor);
  };
  d.create = [](const ConnectorConfig& config,
                HttpClient& http) -> Result<std::unique_ptr<Connector>> {
    return std::unique_ptr<Connector>(std::make_unique<HubSpotConnector>(config, http));
  };
  registry.Register(std::move(d));
}

}  // namespace salesaudit
