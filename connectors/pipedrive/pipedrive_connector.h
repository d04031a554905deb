// The Pipedrive connector (type `pipedrive`, docs/vendors/pipedrive.md):
// users, persons, deals, leads and activities (pipedrive_streams.h), through
// one api token (pipedrive_api.h).
//
// Registered by RegisterPipedriveConnector(); instances are created per run
// by the sync engine and used by one thread.
#pragma once

#include "connectors/connector.h"

namespace salesaudit {

void RegisterPipedriveConnector(ConnectorRegistry& registry);

}  // namespace salesaudit
