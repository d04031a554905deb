#include "core/records.h"

namespace salesaudit {

std::string NormalizeEmail(std::string_view email) {
  size_t begin = 0, end = email.size();
  while (begin < end && static_cast<unsigned char>(email[begin]) <= ' ') ++begin;
  while (end > begin && static_cast<unsigned char>(email[end - 1]) <= ' ') --end;
  std::string out(email.substr(begin, end - begin));
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

bool IsNormalizedEmail(std::string_view email) {
  if (email.empty()) return true;
  if (static_cast<unsigned char>(email.front()) <= ' ') return false;
  if (static_cast<unsigned char>(email.back()) <= ' ') return false;
  for (char c : email) {
    if (c >= 'A' && c <= 'Z') return false;
  }
  return true;
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
  }
  return "record";
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
