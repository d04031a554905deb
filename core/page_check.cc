#include "core/page_check.h"

#include <cmath>
#include <cstdio>
#include <optional>
#include <type_traits>
#include <vector>

#include "core/metrics.h"
#include "core/secret_registry.h"
#include "core/text_util.h"
#include "core/time_util.h"

namespace salesaudit {
namespace {

// How a text field is checked. Free text is cut when too long; every other
// class is unset instead, since a cut id, address, code or link names
// something else.
enum class TextClass { kId, kEmail, kCode, kFreeText, kUrl };

size_t MaxBytes(TextClass c) {
  switch (c) {
    case TextClass::kId:
      return kMaxIdBytes;
    case TextClass::kEmail:
      return kMaxEmailBytes;
    case TextClass::kCode:
      return kMaxCodeBytes;
    case TextClass::kFreeText:
      return kMaxFreeTextBytes;
    case TextClass::kUrl:
      return kMaxUrlBytes;
  }
  return kMaxCodeBytes;
}

constexpr char kReplacement[] = "\xEF\xBF\xBD";  // U+FFFD

// A C0 control, DEL, or (two bytes) a C1 control U+0080..U+009F.
bool IsControl(std::string_view sequence) {
  const auto b0 = static_cast<unsigned char>(sequence[0]);
  if (sequence.size() == 1) return b0 < 0x20 || b0 == 0x7F;
  return sequence.size() == 2 && b0 == 0xC2 && static_cast<unsigned char>(sequence[1]) < 0xA0;
}

struct Cleaned {
  std::string text;
  bool invalid_utf8 = false;
  bool controls = false;
};

// Whether `value` is valid UTF-8 without control characters (but tab and
// newline when kept). Printable ASCII, nearly all vendor text, is checked a
// byte at a time without decoding.
bool IsClean(std::string_view value, bool keep_tab_newline) {
  for (size_t i = 0; i < value.size();) {
    const auto b = static_cast<unsigned char>(value[i]);
    if (b >= 0x20 && b < 0x7F) {
      ++i;
      continue;
    }
    if (keep_tab_newline && (b == '\t' || b == '\n')) {
      ++i;
      continue;
    }
    const size_t n = Utf8SequenceLength(value, i);
    if (n <= 1 || IsControl(value.substr(i, n))) return false;
    i += n;
  }
  return true;
}

// `value` with each invalid byte replaced by U+FFFD and control characters
// removed (tab and newline kept in free text).
Cleaned CleanText(std::string_view value, bool keep_tab_newline) {
  Cleaned out;
  if (IsClean(value, keep_tab_newline)) {
    out.text = value;
    return out;
  }
  out.text.reserve(value.size());
  for (size_t i = 0; i < value.size();) {
    const size_t n = Utf8SequenceLength(value, i);
    if (n == 0) {
      out.text += kReplacement;
      out.invalid_utf8 = true;
      ++i;
      continue;
    }
    const std::string_view sequence = value.substr(i, n);
    i += n;
    if (IsControl(sequence) && !(keep_tab_newline && (sequence == "\t" || sequence == "\n"))) {
      out.controls = true;
      continue;
    }
    out.text += sequence;
  }
  return out;
}

// The longest prefix of valid UTF-8 `s` of at most `max` bytes that ends on
// a character boundary.
size_t CutAtCharacter(std::string_view s, size_t max) {
  size_t end = max;
  while (end > 0 && (static_cast<unsigned char>(s[end]) & 0xC0) == 0x80) --end;
  return end;
}

bool CleanId(std::string_view id) {
  return !id.empty() && id.size() <= kMaxIdBytes && IsClean(id, /*keep_tab_newline=*/false);
}

std::string WhyIdUnusable(std::string_view id) {
  if (id.empty()) return "is empty";
  std::string why = "= " + ValueExcerpt(id);
  return why + (id.size() > kMaxIdBytes
                    ? " is longer than " + std::to_string(kMaxIdBytes) + " bytes"
                    : " is not clean text (invalid UTF-8 or control characters)");
}

std::string ImplausibleTime(int64_t value) {
  return "= " + std::to_string(value) + " ms is outside the plausible years 1980..2099";
}

CounterFamily& ValuesRejected() {
  static CounterFamily& family = GlobalMetrics().Counter(
      "salesaudit_values_rejected_total",
      "Values from a source that were repaired or dropped before storing (wrong type, invalid "
      "UTF-8, over-long, implausible date or amount, record without an id).",
      {"connector", "stream", "property"});
  return family;
}

// Checks the fields of one record at a time, collecting issues that name it.
class RecordChecker {
 public:
  explicit RecordChecker(std::vector<ValueIssue>& issues) : issues_(issues) {}

  // Starts on the record at `position` (0-based) of its kind in the page;
  // false when its id is unusable (the record is to be dropped; the issue
  // names it by position and `identifying`, its email or name).
  bool Start(RecordKind kind, const std::string& id, size_t position,
             std::string_view identifying = {}) {
    kind_ = kind;
    id_ = id;
    label_ = RecordKindName(kind);
    if (CleanId(id)) return true;
    id_.clear();
    std::string problem = WhyIdUnusable(id) + ": " + RecordKindName(kind) + " #" +
                          std::to_string(position + 1) + " of the page";
    const Cleaned shown = CleanText(identifying, false);
    if (!shown.text.empty()) problem += " (" + ValueExcerpt(shown.text) + ")";
    Add("id", problem + " dropped");
    return false;
  }

  // Starts on an entry of the page that is no record of its own (a stage
  // event, a contact alias): its issues name `kind` and `record_id` (the
  // contact it is about, "" when unusable), and `label` says what is dropped.
  void StartEntry(RecordKind kind, const std::string& record_id, std::string label) {
    kind_ = kind;
    id_ = CleanId(record_id) ? record_id : std::string();
    label_ = std::move(label);
  }

  // An id of another record without which the record or entry means
  // nothing (a link's deal and contact): false, with an issue, when unusable.
  bool RequiredId(const std::string& id, const char* field) {
    if (CleanId(id)) return true;
    Add(field, WhyIdUnusable(id) + ": " + label_ + " dropped");
    return false;
  }

  // A time without which the entry means nothing (when a stage was reached).
  bool RequiredTime(int64_t value, const char* field) {
    if (IsPlausibleTimeMs(value)) return true;
    Add(field, ImplausibleTime(value) + ": " + label_ + " dropped");
    return false;
  }

  // Two ids of an entry that must differ (an alias and its person).
  bool Distinct(const std::string& id, const std::string& other, const char* field) {
    if (id != other) return true;
    Add(field, "= " + ValueExcerpt(other) + " is the entry's own id: " + label_ + " dropped");
    return false;
  }

  void Text(std::string& value, const char* field, TextClass c) {
    const bool free_text = c == TextClass::kFreeText;
    // An email is checked as the store keeps it: what NormalizeEmail trims
    // from its ends (whitespace, control characters) is no issue.
    const std::string_view checked = c == TextClass::kEmail ? TrimEmail(value) : value;
    if (checked.size() <= MaxBytes(c) && IsClean(checked, free_text)) return;  // nearly always
    Cleaned cleaned = CleanText(checked, free_text);
    std::string what;
    if (cleaned.invalid_utf8) what = "has invalid UTF-8 (replaced by U+FFFD)";
    if (cleaned.controls) {
      what += std::string(what.empty() ? "has" : " and") + " control characters (removed)";
    }
    if (c == TextClass::kId && !what.empty()) {
      cleaned.text.clear();  // a repaired id would name another record
      what += "; stored as unknown";
    }
    const size_t max = MaxBytes(c);
    if (cleaned.text.size() > max) {
      what += std::string(what.empty() ? "is" : "; it is") + " " +
              std::to_string(cleaned.text.size()) + " bytes, more than " + std::to_string(max);
      if (c == TextClass::kFreeText) {
        cleaned.text.resize(CutAtCharacter(cleaned.text, max));
        what += " (cut)";
      } else {
        cleaned.text.clear();
        what += "; stored as unknown";
      }
    }
    if (what.empty()) return;
    Add(field, "= " + ValueExcerpt(checked) + " " + what);
    value = std::move(cleaned.text);
  }

  void Time(TimeMs& value, const char* field) {
    if (!value || IsPlausibleTimeMs(*value)) return;
    Add(field, ImplausibleTime(*value) + "; stored as unknown");
    value.reset();
  }

  void Amount(std::optional<double>& value, const char* field) {
    if (!value || IsPlausibleAmount(*value)) return;
    char shown[64];
    snprintf(shown, sizeof shown, "%g", *value);
    Add(field, std::string("= ") + shown + " is not a plausible amount; stored as unknown");
    value.reset();
  }

  void Count(std::optional<int64_t>& value, const char* field) {
    if (!value || (*value >= 0 && *value <= kMaxCount)) return;
    Add(field, "= " + std::to_string(*value) + " is not a plausible count; stored as unknown");
    value.reset();
  }

  // A list of ids of other records: unusable ones are removed.
  void Ids(std::vector<std::string>& ids, const char* field) {
    std::erase_if(ids, [&](const std::string& id) {
      if (CleanId(id)) return false;
      Add(field, "entry " + WhyIdUnusable(id) + "; entry left out");
      return true;
    });
  }

 private:
  void Add(const char* property, std::string problem) {
    issues_.push_back(ValueIssue{kind_, id_, property, std::move(problem)});
  }

  std::vector<ValueIssue>& issues_;
  RecordKind kind_ = RecordKind::kContact;
  std::string id_;
  std::string label_;  // what is dropped: "deal link", "stage event sql #2 of the page"
};

// Checks every record of `records` with `check_fields`, dropping those
// `Start` refuses and those for which check_fields, where it returns a bool,
// returns false.
template <typename Record, typename CheckFields>
void CheckRecords(std::vector<Record>& records, RecordKind kind, RecordChecker& checker,
                  CheckFields check_fields) {
  size_t position = 0;
  std::erase_if(records, [&](Record& r) {
    std::string_view identifying;
    if constexpr (requires { r.email; }) identifying = r.email;
    if constexpr (requires { r.name; }) {
      if (identifying.empty()) identifying = r.name;
    }
    if (!checker.Start(kind, r.id, position++, identifying)) return true;
    if constexpr (std::is_same_v<std::invoke_result_t<CheckFields, Record&>, bool>) {
      return !check_fields(r);
    } else {
      check_fields(r);
      return false;
    }
  });
}

void CheckRecordsOf(Page& page, std::vector<ValueIssue>& issues) {
  RecordChecker k(issues);
  CheckRecords(page.contacts, RecordKind::kContact, k, [&](Contact& c) {
    k.Text(c.email, "email", TextClass::kEmail);
    k.Text(c.first_name, "first_name", TextClass::kFreeText);
    k.Text(c.last_name, "last_name", TextClass::kFreeText);
    k.Text(c.owner_id, "owner_id", TextClass::kId);
    k.Text(c.channel, "channel", TextClass::kCode);
    k.Text(c.lifecycle_stage, "lifecycle_stage", TextClass::kCode);
    k.Text(c.lead_status, "lead_status", TextClass::kCode);
    k.Time(c.created_at, "created_at");
    k.Time(c.mql_at, "mql_at");
    k.Time(c.contacted_at, "contacted_at");
    k.Time(c.sql_at, "sql_at");
    k.Time(c.customer_at, "customer_at");
    k.Time(c.updated_at, "updated_at");
  });
  CheckRecords(page.deals, RecordKind::kDeal, k, [&](Deal& d) {
    k.Text(d.name, "name", TextClass::kFreeText);
    k.Text(d.owner_id, "owner_id", TextClass::kId);
    k.Text(d.pipeline, "pipeline", TextClass::kCode);
    k.Text(d.stage, "stage", TextClass::kCode);
    k.Amount(d.amount, "amount");
    k.Text(d.currency, "currency", TextClass::kCode);
    k.Time(d.created_at, "created_at");
    k.Time(d.closed_at, "closed_at");
    k.Time(d.updated_at, "updated_at");
    if (d.contact_ids) k.Ids(*d.contact_ids, "contact_ids");
  });
  CheckRecords(page.owners, RecordKind::kOwner, k, [&](Owner& o) {
    k.Text(o.email, "email", TextClass::kEmail);
    k.Text(o.name, "name", TextClass::kFreeText);
  });
  CheckRecords(page.campaigns, RecordKind::kEmailCampaign, k, [&](EmailCampaign& c) {
    k.Text(c.name, "name", TextClass::kFreeText);
    k.Text(c.subject, "subject", TextClass::kFreeText);
    k.Text(c.kind, "kind", TextClass::kCode);
    k.Time(c.sent_at, "sent_at");
    EmailCampaignCounters& n = c.reported;
    k.Count(n.sent, "reported_sent");
    k.Count(n.delivered, "reported_delivered");
    k.Count(n.opens, "reported_opens");
    k.Count(n.unique_opens, "reported_unique_opens");
    k.Count(n.clicks, "reported_clicks");
    k.Count(n.unique_clicks, "reported_unique_clicks");
    k.Count(n.bounces, "reported_bounces");
    k.Count(n.unsubscribes, "reported_unsubscribes");
    k.Count(n.spam_reports, "reported_spam_reports");
  });
  CheckRecords(page.events, RecordKind::kEmailEvent, k, [&](EmailEvent& e) {
    k.Text(e.campaign_id, "campaign_id", TextClass::kId);
    k.Text(e.email, "email", TextClass::kEmail);
    k.Text(e.type, "type", TextClass::kCode);
    k.Time(e.occurred_at, "occurred_at");
    k.Text(e.url, "url", TextClass::kUrl);
  });
  CheckRecords(page.members, RecordKind::kEmailMember, k, [&](EmailMember& m) {
    k.Text(m.email, "email", TextClass::kEmail);
    k.Text(m.first_name, "first_name", TextClass::kFreeText);
    k.Text(m.last_name, "last_name", TextClass::kFreeText);
    k.Text(m.status, "status", TextClass::kCode);
    k.Time(m.opted_in_at, "opted_in_at");
    k.Time(m.updated_at, "updated_at");
  });
  CheckRecords(page.deal_links, RecordKind::kDealLink, k, [&](DealLink& l) {
    return k.RequiredId(l.deal_id, "deal_id") && k.RequiredId(l.contact_id, "contact_id");
  });
  // Stage events and aliases are about a contact: their issues name it.
  size_t position = 0;
  std::erase_if(page.stage_events, [&](StageEvent& e) {
    k.StartEntry(RecordKind::kContact, e.contact_id,
                 std::string("stage event ") + FunnelStageName(e.stage) + " #" +
                     std::to_string(++position) + " of the page");
    if (!k.RequiredId(e.contact_id, "stage_event.contact_id") ||
        !k.RequiredId(e.origin_id, "stage_event.origin_id") ||
        !k.RequiredTime(e.at, "stage_event.at")) {
      return true;
    }
    k.Text(e.channel, "stage_event.channel", TextClass::kCode);
    return false;
  });
  position = 0;
  std::erase_if(page.contact_aliases, [&](const ContactAlias& a) {
    k.StartEntry(RecordKind::kContact, a.alias_id,
                 "contact alias #" + std::to_string(++position) + " of the page");
    return !k.RequiredId(a.alias_id, "alias.alias_id") ||
           !k.RequiredId(a.contact_id, "alias.contact_id") ||
           !k.Distinct(a.alias_id, a.contact_id, "alias.contact_id") ||
           !k.RequiredTime(a.at, "alias.at");
  });
  // An origin without an id names no evidence.
  std::erase_if(page.restated_origins, [](const std::string& id) { return id.empty(); });
  position = 0;
  std::erase_if(page.deal_stages, [&](DealStage& stage) {
    k.StartEntry(RecordKind::kDeal, stage.stage_id,
                 "deal stage #" + std::to_string(++position) + " of the page");
    if (!k.RequiredId(stage.pipeline_id, "deal_stage.pipeline_id") ||
        !k.RequiredId(stage.stage_id, "deal_stage.stage_id")) {
      return true;
    }
    k.Text(stage.pipeline_name, "deal_stage.pipeline_name", TextClass::kFreeText);
    k.Text(stage.stage_name, "deal_stage.stage_name", TextClass::kFreeText);
    return false;
  });
  position = 0;
  std::erase_if(page.deletions, [&](Deletion& d) {
    if (!k.Start(d.kind, d.id, position++)) return true;
    k.Text(d.merged_into, "merged_into", TextClass::kId);
    return false;
  });
}

}  // namespace

void CheckPage(const std::string& connector, Page& page) {
  CheckRecordsOf(page, page.value_issues);
  CounterFamily& rejected = ValuesRejected();
  for (const ValueIssue& issue : page.value_issues) {
    rejected.WithLabels({connector, page.stream, issue.property}).Increment();
  }
  // The connector's own warnings first, then the issues, up to the bound.
  const size_t total = page.warnings.size() + page.value_issues.size();
  std::vector<std::string>& lines = page.warnings;
  if (lines.size() > kMaxWarningsLoggedPerPage) lines.resize(kMaxWarningsLoggedPerPage);
  for (size_t i = 0; i < page.value_issues.size() && lines.size() < kMaxWarningsLoggedPerPage;
       ++i) {
    lines.push_back(page.value_issues[i].Describe());
  }
  if (total > lines.size()) {
    lines.push_back("and " + std::to_string(total - lines.size()) +
                    " more warnings in this page (value issues are counted in "
                    "salesaudit_values_rejected_total and the audit's "
                    "data_quality.values_rejected)");
  }
}

std::string ValueExcerpt(std::string_view raw) {
  constexpr size_t kShownBytes = 40;
  // Redacted before it is cut: a secret echoed into a bad value would
  // otherwise survive as a prefix that redaction no longer recognises. The
  // head is enough (no secret is 8 KiB long) and keeps a 10 MB value cheap.
  const std::string head = ProcessSecrets().Redact(raw.substr(0, 8192));
  const std::string_view value = head;
  size_t cut = 0;
  while (cut < value.size() && cut < kShownBytes) {
    const size_t n = Utf8SequenceLength(value, cut);
    cut += n == 0 ? 1 : n;
  }
  std::string quoted;
  for (char c : value.substr(0, cut)) {
    if (c == '"' || c == '\\') quoted += '\\';
    quoted += c;
  }
  std::string out = "\"" + EscapeControlCharacters(quoted) + "\"";
  if (cut < value.size()) out += "... (" + std::to_string(raw.size()) + " bytes)";
  return out;
}

}  // namespace salesaudit
