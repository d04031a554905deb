// The simulator's read endpoints over a Company: the v2 collections with
// their filters, sorting and cursor pages, the v2 single-record reads, and
// the v1 lists with their offset pages (docs/vendors/pipedrive.md). Each
// checks its query parameters as Pipedrive does and answers its envelope.
// Pure functions of the company and the request; the caller holds the lock.
#pragma once

#include <cstdint>
#include <string>

#include "tests/sim/common/sim_text.h"
#include "tests/sim/pipedrive/pd_company.h"

namespace salesaudit::sim {

struct PdAnswer {
  int status = 200;
  std::string body;
  int64_t records = 0;  // records the body carries
};

enum class PdCollection { kPersons, kDeals, kActivities, kStages, kPipelines };

// GET /api/v2/<collection> at `now_ms`.
PdAnswer ListV2(PdCollection collection, const Company& company, const FormFields& params,
                int64_t now_ms);
// GET /api/v2/persons/{id} and /api/v2/deals/{id}: deleted ones too, until
// they are deleted for good.
PdAnswer GetV2(PdCollection collection, const Company& company, const std::string& id,
               const FormFields& params, int64_t now_ms);
// GET /v1/users: every user, not paginated.
PdAnswer ListUsersV1(const Company& company);
// GET /v1/leads (not archived) and /v1/leads/archived.
PdAnswer ListLeadsV1(const Company& company, bool archived, const FormFields& params);
// GET /v1/personFields.
PdAnswer ListPersonFieldsV1(const Company& company, const FormFields& params);

}  // namespace salesaudit::sim
