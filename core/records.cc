#include "core/records.h"

#include <algorithm>

namespace salesaudit {

namespace {

bool IsTrimmedFromEmail(char c) { return static_cast<unsigned char>(c) <= ' '; }

bool IsUpperAscii(char c) { return c >= 'A' && c <= 'Z'; }

}  // namespace

std::string_view TrimEmail(std::string_view email) {
  while (!email.empty() && IsTrimmedFromEmail(email.front())) email.remove_prefix(1);
  while (!email.empty() && IsTrimmedFromEmail(email.back())) email.remove_suffix(1);
  return email;
}

std::string NormalizeEmail(std::string_view email) {
  std::string out(TrimEmail(email));
  for (char& c : out) {
    if (IsUpperAscii(c)) c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

bool IsNormalizedEmail(std::string_view email) {
  return TrimEmail(email).size() == email.size() &&
         std::none_of(email.begin(), email.end(), IsUpperAscii);
}

const char* RecordKindName(RecordKind kind) {
  switch (kind) {
    case RecordKind::kContact:
      return "contact";
    case RecordKind::kDeal:
      return "deal";
    case RecordKind::kOwner:
      return "owner";
    case RecordKind::kEmailCampaign:
      return "email campaign";
    case RecordKind::kEmailEvent:
      return "email event";
    case RecordKind::kEmailMember:
      return "email member";
    case RecordKind::kDealLink:
      return "deal link";
    case RecordKind::kStageEvent:
      return "stage event";
  }
  return "record";
}

size_t Page::CountOf(RecordKind kind) const {
  switch (kind) {
    case RecordKind::kContact:
      return contacts.size();
    case RecordKind::kDeal:
      return deals.size();
    case RecordKind::kOwner:
      return owners.size();
    case RecordKind::kEmailCampaign:
      return campaigns.size();
    case RecordKind::kEmailEvent:
      return events.size();
    case RecordKind::kEmailMember:
      return members.size();
    case RecordKind::kDealLink:
      return deal_links.size();
    case RecordKind::kStageEvent:
      return stage_events.size();
  }
  return 0;
}

const char* FunnelStageName(FunnelStage stage) {
  switch (stage) {
    case FunnelStage::kMql:
      return "mql";
    case FunnelStage::kContacted:
      return "contacted";
    case FunnelStage::kSql:
      return "sql";
    case FunnelStage::kWon:
      return "won";
  }
  return "mql";
}

std::optional<FunnelStage> ParseFunnelStage(std::string_view name) {
  for (FunnelStage stage :
       {FunnelStage::kMql, FunnelStage::kContacted, FunnelStage::kSql, FunnelStage::kWon}) {
    if (name == FunnelStageName(stage)) return stage;
  }
  return std::nullopt;
}

std::string ValueIssue::Describe() const {
  return std::string(RecordKindName(kind)) + " " +
         (record_id.empty() ? "without an id" : record_id) + ": property " + property + " " +
         problem;
}

TimeMs Page::NewestChangeAt() const {
  TimeMs newest;
  auto consider = [&newest](const TimeMs& t) {
    if (t && (!newest || *t > *newest)) newest = t;
  };
  for (const Contact& c : contacts) consider(c.updated_at);
  for (const Deal& d : deals) consider(d.updated_at);
  for (const EmailMember& m : members) consider(m.updated_at);
  for (const EmailEvent& e : events) consider(e.occurred_at);
  for (const EmailCampaign& c : campaigns) consider(c.sent_at);
  return newest;
}

}  // namespace salesaudit
