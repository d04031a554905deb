// Property definitions as HubSpot's properties API describes them
// (GET /crm/v3/properties/{objectType}, docs/vendors/hubspot.md "Property
// definitions"), built from what the simulated portal holds: one definition
// per property its ObjectTable::schema names, with HubSpot's type, fieldType,
// label and group for the properties HubSpot defines, and, for an
// enumeration, one option per value the portal's records hold.
#pragma once

#include <optional>
#include <string>

#include "tests/sim/hubspot/sim_portal.h"

namespace salesaudit::sim {

// {"results":[...]} with every property `table` defines, in name order.
std::string PropertiesJson(ObjectType type, const ObjectTable& table);

// The definition of property `name`; nullopt when `table` does not define it.
std::optional<std::string> PropertyJson(ObjectType type, const ObjectTable& table,
                                        const std::string& name);

}  // namespace salesaudit::sim
