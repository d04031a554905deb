// What a connector test says of a sync's results: the streams that failed,
// one summary line each. Header-only; pure.
#pragma once

#include <string>
#include <vector>

#include "sync/sync_engine.h"

namespace salesaudit::testing {

// "" when every stream's result is ok.
inline std::string FailedStreams(const std::vector<StreamSyncResult>& results) {
  std::string out;
  for (const StreamSyncResult& r : results) {
    if (!r.status.ok()) out += r.Summary() + "\n";
  }
  return out;
}

}  // namespace salesaudit::testing
