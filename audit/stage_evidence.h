// Effective stage dates (docs/audit.md "Conventions"; README "The store",
// v_contact_funnel): HubSpot dates each stage on the contact, other CRMs
// elsewhere, so every figure of the audit and the forecast reads a contact's
// stage dates as the earliest of its own column (customer_at for won), its
// stage_events and its linked live deals (sql from a deal's created_at, won
// from a won deal's closed_at). FoldStageEvidence is that rule, the one place
// it is written in C++; v_contact_funnel writes it in SQL for BI tools.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/records.h"
#include "core/status.h"
#include "store/store.h"

namespace salesaudit {

// A contact's evidence beyond its own columns: each stage's earliest date,
// unset where there is none.
struct StageDates {
  TimeMs mql_at;
  TimeMs contacted_at;
  TimeMs sql_at;
  TimeMs won_at;
};

// Each of `contact`'s stage dates becomes the earliest of its own and
// `evidence`'s (won: customer_at).
void FoldStageEvidence(const StageDates& evidence, Contact& contact);

// Every contact's evidence in a store, read in two scans (stage events,
// deals linked to contacts) and kept per contact that has any, so
// the audit's contact passes fold it without a query per contact. Evidence
// at an implausible time (IsPlausibleTimeMs) is unknown, as a contact's own
// implausible dates are. A contact without a channel of its own takes that
// of its earliest stage event naming one (ties: the smallest channel), as
// v_contact_funnel does.
//
// Ownership: a value, made by Read for one computation. Threading: one
// thread (Effective keeps a cursor and a scratch contact); Read itself reads
// the two scans side by side.
class StageEvidence {
 public:
  static Result<StageEvidence> Read(Store& store);

  // `contact` of `source` with its effective dates: `contact` itself when
  // nothing beyond its own dates is known, else a copy with the evidence
  // folded in, valid until the next call. Any order of contacts works; in
  // the store's (source, id) order, ForEachContact's, each costs a step or
  // two of a cursor rather than a search.
  const Contact& Effective(std::string_view source, const Contact& contact);

 private:
  // The evidence of one contact; a stage without any is kNone.
  struct Entry {
    uint32_t source = 0;  // in sources_
    uint32_t id_begin = 0;
    uint32_t id_size = 0;
    int64_t at[4] = {kNone, kNone, kNone, kNone};  // by FunnelStage
    // The earliest evidence naming a channel: its time, and the channel in
    // channels_.
    int64_t channel_at = kNone;
    uint32_t channel_begin = 0;
    uint32_t channel_size = 0;
  };
  static constexpr int64_t kNone = INT64_MAX;

  // Adds evidence of `stage` at `at` for (source, contact_id), rows coming
  // in (source, contact_id) order within each scan.
  void Add(const std::string& source, std::string_view contact_id, FunnelStage stage, TimeMs at,
           std::string_view channel = {});
  // Adds `other`'s entries (in key order) to these (the stage events' scan,
  // in key order): one list in key order, a contact's entries folded into
  // one.
  void MergeIn(const StageEvidence& other);
  uint32_t SourceIndex(const std::string& source);
  std::string_view Id(const Entry& e) const {
    return std::string_view(ids_).substr(e.id_begin, e.id_size);
  }
  std::string_view Channel(const Entry& e) const {
    return std::string_view(channels_).substr(e.channel_begin, e.channel_size);
  }
  // Gives `into` the channel evidence of `from` when that comes first
  // (earlier, or as early with a smaller channel).
  void KeepEarlierChannel(const Entry& from, Entry& into) const;
  // (source, id) of entry `e` compared with (source, id).
  int Compare(const Entry& e, std::string_view source, std::string_view id) const;
  // Entry `a` before entry `b` in key order.
  bool Less(const Entry& a, const Entry& b) const;

  std::vector<std::string> sources_;
  std::string ids_;
  std::string channels_;
  std::vector<Entry> entries_;
  size_t next_ = 0;  // Effective's cursor
  Contact scratch_;
};

}  // namespace salesaudit
