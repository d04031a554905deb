// The HubSpot connector (type `hubspot`, docs/vendors/hubspot.md): the CRM
// object streams owners, contacts and deals (hubspot_objects.h) and the
// marketing email streams email_campaigns and email_events (hubspot_email.h),
// all through one session with the portal (hubspot_api.h).
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
