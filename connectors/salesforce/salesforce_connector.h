// The Salesforce connector (type `salesforce`, docs/vendors/salesforce.md):
// users, leads (with their status history), contacts, opportunities and
// opportunity contact roles (salesforce_streams.h), all through one session
// with the org (salesforce_api.h).
//
// Registered by RegisterSalesforceConnector(); instances are created per run
// by the sync engine and used by one thread.
#pragma once

#include "connectors/connector.h"

namespace salesaudit {

void RegisterSalesforceConnector(ConnectorRegistry& registry);

}  // namespace salesaudit
