#include "audit/stage_evidence.h"

#include <algorithm>
#include <future>
#include <utility>

#include "core/time_util.h"

namespace salesaudit {
namespace {

void KeepEarliest(const TimeMs& evidence, TimeMs& date) {
  if (evidence && (!date || *evidence < *date)) date = evidence;
}

}  // namespace

void FoldStageEvidence(const StageDates& evidence, Contact& contact) {
  KeepEarliest(evidence.mql_at, contact.mql_at);
  KeepEarliest(evidence.contacted_at, contact.contacted_at);
  KeepEarliest(evidence.sql_at, contact.sql_at);
  KeepEarliest(evidence.won_at, contact.customer_at);
}

Result<StageEvidence> StageEvidence::Read(Store& store) {
  // The deals linked to contacts come by deal: read and put in contact order
  // on a thread of their own, beside the stage events (the store reads on
  // several connections at once).
  std::future<Result<StageEvidence>> linked = std::async([&store]() -> Result<StageEvidence> {
    StageEvidence deals;
    Status s = store.ForEachLinkedDeal([&](const LinkedDeal& link) {
      deals.Add(link.source, link.contact_id, FunnelStage::kSql, link.created_at);
      if (link.is_won) deals.Add(link.source, link.contact_id, FunnelStage::kWon, link.closed_at);
    });
    if (!s.ok()) return s.WithContext("audit: deals linked to contacts");
    std::sort(deals.entries_.begin(), deals.entries_.end(),
              [&](const Entry& a, const Entry& b) { return deals.Less(a, b); });
    return deals;
  });
  StageEvidence evidence;
  Status s = store.ForEachStageEvent([&](const StoredStageEvent& row) {
    evidence.Add(row.source, row.event.contact_id, row.event.stage, row.event.at,
                 row.event.channel);
  });
  Result<StageEvidence> deals = linked.get();
  if (!s.ok()) return s.WithContext("audit: stage events");
  if (!deals.ok()) return deals.status();
  evidence.MergeIn(*deals);
  return evidence;
}

uint32_t StageEvidence::SourceIndex(const std::string& source) {
  if (!sources_.empty() && sources_.back() == source)
    return static_cast<uint32_t>(sources_.size() - 1);
  auto known = std::find(sources_.begin(), sources_.end(), source);
  if (known == sources_.end()) known = sources_.insert(sources_.end(), source);
  return static_cast<uint32_t>(known - sources_.begin());
}

void StageEvidence::Add(const std::string& source, std::string_view contact_id, FunnelStage stage,
                        TimeMs at, std::string_view channel) {
  if (!at || !IsPlausibleTimeMs(*at)) return;
  // A contact's rows that follow each other (a stage event scan comes by
  // contact) share one entry; MergeIn folds the others.
  if (entries_.empty() || sources_[entries_.back().source] != source ||
      Id(entries_.back()) != contact_id) {
    Entry& e = entries_.emplace_back();
    e.source = SourceIndex(source);
    e.id_begin = static_cast<uint32_t>(ids_.size());
    e.id_size = static_cast<uint32_t>(contact_id.size());
    ids_.append(contact_id);
  }
  Entry& e = entries_.back();
  int64_t& earliest = e.at[static_cast<size_t>(stage)];
  earliest = std::min(earliest, *at);
  if (channel.empty()) return;
  Entry named;
  named.channel_at = *at;
  named.channel_begin = static_cast<uint32_t>(channels_.size());
  named.channel_size = static_cast<uint32_t>(channel.size());
  channels_.append(channel);
  KeepEarlierChannel(named, e);
}

void StageEvidence::KeepEarlierChannel(const Entry& from, Entry& into) const {
  if (from.channel_at == kNone) return;
  if (into.channel_at != kNone &&
      (from.channel_at > into.channel_at ||
       (from.channel_at == into.channel_at && Channel(from) >= Channel(into)))) {
    return;
  }
  into.channel_at = from.channel_at;
  into.channel_begin = from.channel_begin;
  into.channel_size = from.channel_size;
}

int StageEvidence::Compare(const Entry& e, std::string_view source, std::string_view id) const {
  if (int c = std::string_view(sources_[e.source]).compare(source); c != 0) return c;
  return Id(e).compare(id);
}

bool StageEvidence::Less(const Entry& a, const Entry& b) const {
  return Compare(a, sources_[b.source], Id(b)) < 0;
}

void StageEvidence::MergeIn(const StageEvidence& other) {
  // The stage events came in key order (by source, contact_id in SQLite's
  // BINARY collation, which compares bytes as string_view does), `other`
  // is sorted: the two runs are merged and a contact's entries folded into
  // one.
  const size_t middle = entries_.size();
  const auto id_shift = static_cast<uint32_t>(ids_.size());
  const auto channel_shift = static_cast<uint32_t>(channels_.size());
  ids_ += other.ids_;
  channels_ += other.channels_;
  for (Entry e : other.entries_) {
    e.source = SourceIndex(other.sources_[e.source]);
    e.id_begin += id_shift;
    e.channel_begin += channel_shift;
    entries_.push_back(e);
  }
  std::inplace_merge(entries_.begin(), entries_.begin() + static_cast<std::ptrdiff_t>(middle),
                     entries_.end(), [&](const Entry& a, const Entry& b) { return Less(a, b); });
  size_t kept = 0;
  for (size_t i = 0; i < entries_.size(); ++i) {
    if (kept > 0 &&
        Compare(entries_[kept - 1], sources_[entries_[i].source], Id(entries_[i])) == 0) {
      for (size_t stage = 0; stage < 4; ++stage) {
        entries_[kept - 1].at[stage] =
            std::min(entries_[kept - 1].at[stage], entries_[i].at[stage]);
      }
      KeepEarlierChannel(entries_[i], entries_[kept - 1]);
      continue;
    }
    entries_[kept++] = entries_[i];
  }
  entries_.resize(kept);
  entries_.shrink_to_fit();
}

const Contact& StageEvidence::Effective(std::string_view source, const Contact& contact) {
  auto before = [&](const Entry& e) { return Compare(e, source, contact.id) < 0; };
  // In store order the entry sought is at the cursor or just after it.
  if (next_ > 0 && !before(entries_[next_ - 1])) next_ = 0;
  if (next_ < entries_.size() && before(entries_[next_])) {
    ++next_;
    if (next_ < entries_.size() && before(entries_[next_])) {
      next_ = static_cast<size_t>(
          std::partition_point(entries_.begin() + static_cast<std::ptrdiff_t>(next_),
                               entries_.end(), before) -
          entries_.begin());
    }
  }
  if (next_ == entries_.size() || Compare(entries_[next_], source, contact.id) != 0) return contact;
  const Entry& e = entries_[next_];
  auto date = [](int64_t at) { return at == kNone ? TimeMs() : TimeMs(at); };
  scratch_ = contact;
  FoldStageEvidence(StageDates{date(e.at[0]), date(e.at[1]), date(e.at[2]), date(e.at[3])},
                    scratch_);
  if (scratch_.channel.empty()) scratch_.channel = Channel(e);
  return scratch_;
}

}  // namespace salesaudit
