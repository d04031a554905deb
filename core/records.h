// Canonical record types: what connectors produce and the store keeps.
// Plain value types; no threading concerns. Times are milliseconds since the
// Unix epoch, UTC; std::nullopt means unknown (NULL in the store). An empty
// string means unknown for text fields (stored as NULL).
#pragma once

#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace salesaudit {

using TimeMs = std::optional<int64_t>;

struct Contact {
  std::string id;
  std::string email;  // as the source sent it; stored in NormalizeEmail's form
  std::string first_name;
  std::string last_name;
  std::string owner_id;
  std::string channel;  // the source's own value, e.g. PAID_SEARCH
  std::string lifecycle_stage;
  std::string lead_status;
  TimeMs created_at;
  TimeMs mql_at;
  TimeMs contacted_at;
  TimeMs sql_at;
  TimeMs customer_at;
  TimeMs updated_at;
};

// The largest magnitude of money (a deal amount, a month's spend, a target)
// that salesaudit believes, in any currency: no real deal comes near it, and
// no sum of a store's amounts below it can overflow a double.
inline constexpr double kMaxPlausibleAmount = 1e15;
// A finite amount within +-kMaxPlausibleAmount: what ingest keeps and the
// audit counts; anything else is an unknown amount.
inline bool IsPlausibleAmount(double amount) {
  return std::isfinite(amount) && std::fabs(amount) <= kMaxPlausibleAmount;
}

struct Deal {
  std::string id;
  std::string name;
  std::string owner_id;
  std::string pipeline;
  std::string stage;
  std::optional<double> amount;
  std::string currency;
  TimeMs created_at;
  TimeMs closed_at;
  bool is_closed = false;
  bool is_won = false;
  TimeMs updated_at;
  // When set, the complete list of associated contact ids: the store replaces
  // the deal's deal_contacts rows with it. When unset, associations are left alone.
  std::optional<std::vector<std::string>> contact_ids;
};

struct Owner {
  std::string id;
  std::string email;  // as the source sent it; stored in NormalizeEmail's form
  std::string name;
  bool active = true;
};

// Totals an email tool reports for a campaign itself (HubSpot's counters,
// Mailchimp's emails_sent and report_summary); unset where it reports none.
// Kept beside the counts the audit derives from synced events, so a gap in
// the synced events shows.
struct EmailCampaignCounters {
  std::optional<int64_t> sent;
  std::optional<int64_t> delivered;
  std::optional<int64_t> opens;         // every open, repeats included
  std::optional<int64_t> unique_opens;  // recipients who opened
  std::optional<int64_t> clicks;
  std::optional<int64_t> unique_clicks;  // recipients who clicked
  std::optional<int64_t> bounces;
  std::optional<int64_t> unsubscribes;
  std::optional<int64_t> spam_reports;
};

struct EmailCampaign {
  std::string id;
  std::string name;
  std::string subject;
  std::string kind;
  TimeMs sent_at;
  EmailCampaignCounters reported;
};

struct EmailEvent {
  std::string id;
  std::string campaign_id;
  std::string email;  // as the source sent it; stored in NormalizeEmail's form
  std::string type;   // sent delivered open click bounce unsubscribe spam
  TimeMs occurred_at;
  std::string url;
  // An open the source marks as made by a machine (a mail client's or
  // scanner's prefetch) or filtered as non-human; never counted as human.
  bool machine = false;
};

// A subscriber of an email tool's audience (a Mailchimp list member). Not a
// lead: members are kept apart from CRM contacts and never enter the funnel;
// they say who the email tool reaches, matched to contacts by email.
struct EmailMember {
  std::string id;
  std::string email;  // as the source sent it; stored in NormalizeEmail's form
  std::string first_name;
  std::string last_name;
  std::string status;  // the source's own value: subscribed, unsubscribed, cleaned...
  TimeMs opted_in_at;
  TimeMs updated_at;
};

// A funnel stage after lead that dated evidence can put a contact at
// (docs/contracts.md "Funnel semantics"); won is the contact's customer_at.
enum class FunnelStage { kMql, kContacted, kSql, kWon };

// "mql", "contacted", "sql", "won": as stage_events.stage holds it.
const char* FunnelStageName(FunnelStage stage);
// The stage of a name FunnelStageName gives; nullopt for any other text.
std::optional<FunnelStage> ParseFunnelStage(std::string_view name);

// Dated evidence that a contact reached a stage, from a record other than
// the contact's own stage dates (a CRM's lead status history, a done
// activity). The audit takes each stage's earliest date among the contact's
// own, its stage events and its linked deals (README "The store",
// v_contact_funnel). Kept in stage_events, keyed by (source, contact_id,
// stage, origin, origin_id), where origin is the stream of the page that
// carried it: a deletion of `origin_id` in that stream, or of the contact,
// deletes it.
struct StageEvent {
  std::string contact_id;
  FunnelStage stage = FunnelStage::kMql;
  int64_t at = 0;
  std::string origin_id;  // the id of the record, in the page's stream, that says it
  // The channel the record says the contact came through (a Pipedrive
  // lead's source); "" when it says none. A contact without a channel of its
  // own has that of its earliest evidence naming one.
  std::string channel;
};

// A stage of a deal pipeline, with the names reports show for the ids deals
// carry (Deal::pipeline, Deal::stage). Kept in deal_stages by (pipeline_id,
// stage_id); v_deals gives each deal its pipeline's and stage's names.
struct DealStage {
  std::string pipeline_id;
  std::string stage_id;
  std::string pipeline_name;
  std::string stage_name;
  std::optional<int64_t> order;  // the stage's place in its pipeline
};

// A link between a deal and a contact that a record of its own states (a
// Salesforce OpportunityContactRole; a converted lead's opportunity, stated
// by the lead). Kept in deal_links by `id`; deal_contacts holds a (deal,
// contact) pair while any live link states it, so a link deleted or moved
// to another contact removes the pair only when no other link keeps it.
// Sources that send a deal's whole contact list use Deal::contact_ids instead.
struct DealLink {
  std::string id;  // the id of the record that states the link
  std::string deal_id;
  std::string contact_id;
};

// Records of the same source that name `alias_id` as a contact mean the
// person `contact_id` (a Salesforce Contact that a Lead converted into is
// that lead's person: docs/contracts.md "Stage dates from any evidence").
// Once stored, the alias's own contact row is never written again (an
// existing one is merged into `contact_id` as a merge deletion is), and deal
// links and stage events naming `alias_id` are kept under `contact_id`.
struct ContactAlias {
  std::string alias_id;
  std::string contact_id;
  int64_t at = 0;  // when they became one person (the conversion)
};

enum class RecordKind {
  kContact,
  kDeal,
  kOwner,
  kEmailCampaign,
  kEmailEvent,
  kEmailMember,
  kDealLink,
  // A record that is only stage evidence (a Pipedrive lead or activity): its
  // deletion drops the stage events it stated.
  kStageEvent
};

// "contact", "deal", "owner", "email campaign", "email event", "email member",
// "deal link", "stage event".
const char* RecordKindName(RecordKind kind);

// A value the source sent that could not be kept as sent (a property of the
// wrong JSON type, a date that is none or out of range, invalid UTF-8, an
// over-long text, a record without an id): what was wrong and what was kept
// instead. Made by a connector's mapping or by CheckPage (core/page_check.h);
// logged, counted in salesaudit_values_rejected_total and in the store's
// value_issues table, which the audit's data_quality reports.
struct ValueIssue {
  RecordKind kind;
  std::string record_id;  // "" when the record has no usable id
  std::string property;   // the source's property, or the canonical field
  // What was wrong and what happened, with at most a short escaped excerpt
  // of the value (ValueExcerpt): `= "abc" is not a date; stored as unknown`.
  std::string problem;

  // `contact 123: property createdate = "abc" is not a date; stored as unknown`
  std::string Describe() const;
};

// A record the source reports as deleted, archived or merged away: its row
// keeps existing with deleted_at set (the first time it was reported). A
// deletion of kind kStageEvent drops the evidence its record stated (a
// deleted activity).
struct Deletion {
  RecordKind kind;
  std::string id;
  int64_t deleted_at = 0;
  // A contact merged into another: the survivor's id. Its deal links move to
  // the survivor, as they do in the source system.
  std::string merged_into;
};

// One unit of sync progress: records, deletions and the stream cursor that
// follows them. The sync engine commits a Page in one transaction, so a
// restart resumes from `cursor` with nothing lost or duplicated.
struct Page {
  std::string stream;  // set by the sync engine, which knows which stream it ran
  std::vector<Contact> contacts;
  std::vector<Deal> deals;
  std::vector<Owner> owners;
  std::vector<EmailCampaign> campaigns;
  std::vector<EmailEvent> events;
  std::vector<EmailMember> members;
  std::vector<StageEvent> stage_events;
  std::vector<DealLink> deal_links;
  std::vector<ContactAlias> contact_aliases;
  std::vector<DealStage> deal_stages;
  std::vector<Deletion> deletions;
  // Records of the page's stream that state all their evidence in this
  // page, maybe none: what they stated before is dropped first, so an
  // activity moved to another person, or no longer done, stops dating its
  // old person. Streams whose evidence only grows (a lead's status history)
  // leave it empty.
  std::vector<std::string> restated_origins;
  std::string cursor;  // opaque to everyone but the connector that made it
  // What the connector wants said about the page (an API fallback, data it
  // could not fetch); the engine logs them.
  std::vector<std::string> warnings;
  // Values the connector or the page check could not keep as sent.
  std::vector<ValueIssue> value_issues;

  // The records of `kind` in the page: what a stream yielding `kind` counts
  // as its records (the evidence and aliases a page carries beside them are
  // not counted).
  size_t CountOf(RecordKind kind) const;
  // The latest change time among the records (contacts', deals' and
  // members' updated_at, events' occurred_at, campaigns' sent_at): how
  // current the data is, for the cursor-lag metric. Unset when none has one.
  TimeMs NewestChangeAt() const;
};

// `email` without the bytes up to ' ' (whitespace, control characters) at
// its ends.
std::string_view TrimEmail(std::string_view email);
// TrimEmail, then lower case (ASCII): the form the store keeps every email
// in, whatever a record holds (the store applies it as it writes).
std::string NormalizeEmail(std::string_view email);
// True when NormalizeEmail(email) == email, checked without a copy.
bool IsNormalizedEmail(std::string_view email);

}  // namespace salesaudit
