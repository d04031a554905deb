// The HubSpot CRM connector (type `hubspot`): streams contacts, deals (with
// their contact associations) and owners from the CRM v3 API
// (docs/vendors/hubspot.md).
//
// Contacts and deals: the first run (or `sync --full`) pages through the list
// endpoint; later runs read what changed through the search endpoint. Each run
// ends with a scan of the archived listing, because archiving does not touch
// the modified date (docs/vendors/hubspot.md "List and archived records").
// Owners are read whole every run. The
// marketing email streams (email_campaigns, email_events) are in
// hubspot_email.h.
//
// Registered by RegisterHubspotConnector(); instances are created per run by
// the sync engine and used by one thread.
#pragma once

#include "config/connector_schema.h"
#include "connectors/connector.h"

namespace salesaudit {

// HubSpot's own options (besides the shared lookback and email ones).
extern const OptionSpec kHubSpotPortalIdOption;
extern const OptionSpec kHubSpotDeletionScanEveryOption;

void RegisterHubspotConnector(ConnectorRegistry& registry);

}  // namespace salesaudit
