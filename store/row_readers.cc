// The read side for the audit and the tests: the record tables and the
// email counts read whole, one struct per row through a table of its
// columns (statement.h), and each record kind's row count and newest change.
#include <sqlite3.h>

#include <utility>

#include "store/store_impl.h"

namespace salesaudit {
namespace {

static_assert(static_cast<size_t>(RecordKind::kStageEvent) + 1 ==
                  RecordReadStatements::kRecordKinds,
              "RecordReadStatements::kRecordKinds must count RecordKind's values");

// The table the records of a kind are stored in.
struct RecordTable {
  const char* name;
  const char* change_column;  // as Page::NewestChangeAt reads a page; nullptr: none
  bool has_deleted_at;        // owners have none: a removed owner is an inactive one
};

RecordTable TableOf(RecordKind kind) {
  switch (kind) {
    case RecordKind::kContact:
      return {"contacts", "updated_at", true};
    case RecordKind::kDeal:
      return {"deals", "updated_at", true};
    case RecordKind::kOwner:
      return {"owners", nullptr, false};
    case RecordKind::kEmailCampaign:
      return {"email_campaigns", "sent_at", true};
    case RecordKind::kEmailEvent:
      return {"email_events", "occurred_at", true};
    case RecordKind::kEmailMember:
      return {"email_members", "updated_at", true};
    case RecordKind::kDealLink:
      return {"deal_links", nullptr, true};
    // Evidence is dropped with its record, not marked.
    case RecordKind::kStageEvent:
      return {"stage_events", nullptr, false};
  }
  return {"contacts", "updated_at", true};
}

// One of the whole-table reads: its statement, its columns and what follows
// them in the SELECT.
template <typename Row>
struct TableRead {
  Statement RecordReadStatements::*statement;
  std::span<const Column<Row>> columns;
  const char* rest;  // FROM, WHERE, ORDER BY
  const char* what;  // in messages: "read <what>"

  std::string Sql() const { return SelectSql(columns, rest); }
};

constexpr Column<StoredContact> kContactColumns[] = {
    ColumnOf<&StoredContact::source>("source"),
    ColumnOf<&StoredContact::contact, &Contact::id>("id"),
    ColumnOf<&StoredContact::contact, &Contact::email>("email"),
    ColumnOf<&StoredContact::contact, &Contact::first_name>("first_name"),
    ColumnOf<&StoredContact::contact, &Contact::last_name>("last_name"),
    ColumnOf<&StoredContact::contact, &Contact::owner_id>("owner_id"),
    ColumnOf<&StoredContact::contact, &Contact::channel>("channel"),
    ColumnOf<&StoredContact::contact, &Contact::lifecycle_stage>("lifecycle_stage"),
    ColumnOf<&StoredContact::contact, &Contact::lead_status>("lead_status"),
    ColumnOf<&StoredContact::contact, &Contact::created_at>("created_at"),
    ColumnOf<&StoredContact::contact, &Contact::mql_at>("mql_at"),
    ColumnOf<&StoredContact::contact, &Contact::contacted_at>("contacted_at"),
    ColumnOf<&StoredContact::contact, &Contact::sql_at>("sql_at"),
    ColumnOf<&StoredContact::contact, &Contact::customer_at>("customer_at"),
    ColumnOf<&StoredContact::contact, &Contact::updated_at>("updated_at"),
    ColumnOf<&StoredContact::deleted_at>("deleted_at"),
};
constexpr TableRead<StoredContact> kContacts{&RecordReadStatements::each_contact, kContactColumns,
                                             "FROM contacts ORDER BY source, id", "contacts"};

constexpr Column<StoredDeal> kDealColumns[] = {
    ColumnOf<&StoredDeal::source>("source"),
    ColumnOf<&StoredDeal::deal, &Deal::id>("id"),
    ColumnOf<&StoredDeal::deal, &Deal::name>("name"),
    ColumnOf<&StoredDeal::deal, &Deal::owner_id>("owner_id"),
    ColumnOf<&StoredDeal::deal, &Deal::pipeline>("pipeline"),
    ColumnOf<&StoredDeal::deal, &Deal::stage>("stage"),
    ColumnOf<&StoredDeal::deal, &Deal::amount>("amount"),
    ColumnOf<&StoredDeal::deal, &Deal::currency>("currency"),
    ColumnOf<&StoredDeal::deal, &Deal::created_at>("created_at"),
    ColumnOf<&StoredDeal::deal, &Deal::closed_at>("closed_at"),
    ColumnOf<&StoredDeal::deal, &Deal::is_closed>("is_closed"),
    ColumnOf<&StoredDeal::deal, &Deal::is_won>("is_won"),
    ColumnOf<&StoredDeal::deal, &Deal::updated_at>("updated_at"),
    ColumnOf<&StoredDeal::deleted_at>("deleted_at"),
};
constexpr TableRead<StoredDeal> kDeals{&RecordReadStatements::each_deal, kDealColumns,
                                       "FROM deals ORDER BY source, id", "deals"};

constexpr Column<StoredOwner> kOwnerColumns[] = {
    ColumnOf<&StoredOwner::source>("source"),
    ColumnOf<&StoredOwner::owner, &Owner::id>("id"),
    ColumnOf<&StoredOwner::owner, &Owner::email>("email"),
    ColumnOf<&StoredOwner::owner, &Owner::name>("name"),
    ColumnOf<&StoredOwner::owner, &Owner::active>("active"),
};
constexpr TableRead<StoredOwner> kOwners{&RecordReadStatements::each_owner, kOwnerColumns,
                                         "FROM owners ORDER BY source, id", "owners"};

constexpr Column<StoredEmailCampaign> kCampaignColumns[] = {
    ColumnOf<&StoredEmailCampaign::source>("source"),
    ColumnOf<&StoredEmailCampaign::campaign, &EmailCampaign::id>("id"),
    ColumnOf<&StoredEmailCampaign::campaign, &EmailCampaign::name>("name"),
    ColumnOf<&StoredEmailCampaign::campaign, &EmailCampaign::subject>("subject"),
    ColumnOf<&StoredEmailCampaign::campaign, &EmailCampaign::kind>("kind"),
    ColumnOf<&StoredEmailCampaign::campaign, &EmailCampaign::sent_at>("sent_at"),
    ColumnOf<&StoredEmailCampaign::deleted_at>("deleted_at"),
    ColumnOf<&StoredEmailCampaign::campaign, &EmailCampaign::reported,
             &EmailCampaignCounters::sent>("reported_sent"),
    ColumnOf<&StoredEmailCampaign::campaign, &EmailCampaign::reported,
             &EmailCampaignCounters::delivered>("reported_delivered"),
    ColumnOf<&StoredEmailCampaign::campaign, &EmailCampaign::reported,
             &EmailCampaignCounters::opens>("reported_opens"),
    ColumnOf<&StoredEmailCampaign::campaign, &EmailCampaign::reported,
             &EmailCampaignCounters::unique_opens>("reported_unique_opens"),
    ColumnOf<&StoredEmailCampaign::campaign, &EmailCampaign::reported,
             &EmailCampaignCounters::clicks>("reported_clicks"),
    ColumnOf<&StoredEmailCampaign::campaign, &EmailCampaign::reported,
             &EmailCampaignCounters::unique_clicks>("reported_unique_clicks"),
    ColumnOf<&StoredEmailCampaign::campaign, &EmailCampaign::reported,
             &EmailCampaignCounters::bounces>("reported_bounces"),
    ColumnOf<&StoredEmailCampaign::campaign, &EmailCampaign::reported,
             &EmailCampaignCounters::unsubscribes>("reported_unsubscribes"),
    ColumnOf<&StoredEmailCampaign::campaign, &EmailCampaign::reported,
             &EmailCampaignCounters::spam_reports>("reported_spam_reports"),
};
constexpr TableRead<StoredEmailCampaign> kCampaigns{
    &RecordReadStatements::each_campaign, kCampaignColumns,
    "FROM email_campaigns ORDER BY source, id", "email_campaigns"};

constexpr Column<StoredEmailMember> kMemberColumns[] = {
    ColumnOf<&StoredEmailMember::source>("source"),
    ColumnOf<&StoredEmailMember::member, &EmailMember::id>("id"),
    ColumnOf<&StoredEmailMember::member, &EmailMember::email>("email"),
    ColumnOf<&StoredEmailMember::member, &EmailMember::first_name>("first_name"),
    ColumnOf<&StoredEmailMember::member, &EmailMember::last_name>("last_name"),
    ColumnOf<&StoredEmailMember::member, &EmailMember::status>("status"),
    ColumnOf<&StoredEmailMember::member, &EmailMember::opted_in_at>("opted_in_at"),
    ColumnOf<&StoredEmailMember::member, &EmailMember::updated_at>("updated_at"),
    ColumnOf<&StoredEmailMember::deleted_at>("deleted_at"),
};
constexpr TableRead<StoredEmailMember> kMembers{&RecordReadStatements::each_member, kMemberColumns,
                                                "FROM email_members ORDER BY source, id",
                                                "email_members"};

constexpr Column<StoredEmailEvent> kEventColumns[] = {
    ColumnOf<&StoredEmailEvent::source>("source"),
    ColumnOf<&StoredEmailEvent::event, &EmailEvent::id>("id"),
    ColumnOf<&StoredEmailEvent::event, &EmailEvent::campaign_id>("campaign_id"),
    ColumnOf<&StoredEmailEvent::event, &EmailEvent::email>("email"),
    ColumnOf<&StoredEmailEvent::event, &EmailEvent::type>("type"),
    ColumnOf<&StoredEmailEvent::event, &EmailEvent::occurred_at>("occurred_at"),
    ColumnOf<&StoredEmailEvent::event, &EmailEvent::url>("url"),
    ColumnOf<&StoredEmailEvent::deleted_at>("deleted_at"),
    ColumnOf<&StoredEmailEvent::event, &EmailEvent::machine>("machine"),
};
constexpr TableRead<StoredEmailEvent> kEvents{&RecordReadStatements::each_event, kEventColumns,
                                              "FROM email_events ORDER BY source, id",
                                              "email_events"};

constexpr Column<EmailRecipient> kRecipientColumns[] = {
    ColumnOf<&EmailRecipient::email>("email"),
    ColumnOf<&EmailRecipient::events>("sent + delivered + human_opens + machine_opens + clicks + "
                                      "machine_clicks + bounces + unsubscribes + spam_reports"),
};

constexpr Column<EmailCampaignTotals> kCampaignTotalsColumns[] = {
    ColumnOf<&EmailCampaignTotals::source>("source"),
    ColumnOf<&EmailCampaignTotals::campaign_id>("campaign_id"),
    ColumnOf<&EmailCampaignTotals::sent>("sent"),
    ColumnOf<&EmailCampaignTotals::delivered>("delivered"),
    ColumnOf<&EmailCampaignTotals::opened>("opened"),
    ColumnOf<&EmailCampaignTotals::machine_opened>("machine_opened"),
    ColumnOf<&EmailCampaignTotals::clicked>("clicked"),
    ColumnOf<&EmailCampaignTotals::bounced>("bounced"),
    ColumnOf<&EmailCampaignTotals::unsubscribed>("unsubscribed"),
    ColumnOf<&EmailCampaignTotals::spam_reported>("spam_reported"),
    ColumnOf<&EmailCampaignTotals::first_event_at>("first_event_at"),
};
constexpr TableRead<EmailCampaignTotals> kCampaignTotals{
    &RecordReadStatements::each_campaign_stats, kCampaignTotalsColumns,
    "FROM email_campaign_stats ORDER BY source, campaign_id", "email_campaign_stats"};

constexpr Column<EmailClick> kClickColumns[] = {
    ColumnOf<&EmailClick::source>("source"),
    ColumnOf<&EmailClick::campaign_id>("campaign_id"),
    ColumnOf<&EmailClick::email>("email"),
    ColumnOf<&EmailClick::occurred_at>("occurred_at"),
};
// The WHERE repeats email_events_clicks' condition so the partial index
// answers the query by itself.
constexpr TableRead<EmailClick> kClicks{
    &RecordReadStatements::each_click, kClickColumns,
    "FROM email_events WHERE type = 'click' AND deleted_at IS NULL AND machine = 0 AND "
    "campaign_id IS NOT NULL AND email IS NOT NULL AND occurred_at IS NOT NULL "
    "ORDER BY source, campaign_id, email, occurred_at",
    "email clicks"};

constexpr Column<StoredStageEvent> kStageEventColumns[] = {
    ColumnOf<&StoredStageEvent::source>("source"),
    ColumnOf<&StoredStageEvent::event, &StageEvent::contact_id>("contact_id"),
    ColumnOf<&StoredStageEvent::event, &StageEvent::stage>("stage"),
    ColumnOf<&StoredStageEvent::event, &StageEvent::at>("at"),
    ColumnOf<&StoredStageEvent::origin>("origin"),
    ColumnOf<&StoredStageEvent::event, &StageEvent::origin_id>("origin_id"),
    ColumnOf<&StoredStageEvent::event, &StageEvent::channel>("channel"),
};
constexpr TableRead<StoredStageEvent> kStageEvents{
    &RecordReadStatements::each_stage_event, kStageEventColumns,
    "FROM stage_events ORDER BY source, contact_id, stage, origin, origin_id", "stage_events"};

constexpr Column<LinkedDeal> kLinkedDealColumns[] = {
    ColumnOf<&LinkedDeal::source>("l.source"),
    ColumnOf<&LinkedDeal::contact_id>("l.contact_id"),
    ColumnOf<&LinkedDeal::deal_id>("l.deal_id"),
    ColumnOf<&LinkedDeal::created_at>("d.created_at"),
    ColumnOf<&LinkedDeal::closed_at>("d.closed_at"),
    ColumnOf<&LinkedDeal::is_won>("d.is_won"),
};
// Deals read in their key order, each one's links found by deal_contacts'
// primary key, which has the same order: both tables are read front to
// back. CROSS JOIN keeps SQLite to that order. In contact order instead, each
// link looks its deal up at random: audit_bench (300k deals) read it in 1.4 s
// instead of 0.3 s, most of it waiting for pages.
constexpr TableRead<LinkedDeal> kLinkedDeals{
    &RecordReadStatements::each_linked_deal, kLinkedDealColumns,
    "FROM deals d CROSS JOIN deal_contacts l ON l.source = d.source AND l.deal_id = d.id "
    "WHERE d.deleted_at IS NULL ORDER BY d.source, d.id",
    "deals linked to contacts"};

using DealContact = std::pair<std::string, std::string>;
constexpr Column<DealContact> kDealContactColumns[] = {
    ColumnOf<&DealContact::first>("deal_id"),
    ColumnOf<&DealContact::second>("contact_id"),
};

constexpr Column<ValueIssueCount> kValueIssueColumns[] = {
    ColumnOf<&ValueIssueCount::connector>("connector"),
    ColumnOf<&ValueIssueCount::stream>("stream"),
    ColumnOf<&ValueIssueCount::property>("property"),
    ColumnOf<&ValueIssueCount::count>("count"),
    ColumnOf<&ValueIssueCount::last_record_id>("last_record_id"),
    ColumnOf<&ValueIssueCount::last_problem>("last_problem"),
    ColumnOf<&ValueIssueCount::last_seen_at>("last_seen_at"),
};

// Calls fn with each row of `read` on `lane`.
template <typename Row>
Status ReadEach(HeldReadLane lane, const TableRead<Row>& read,
                const std::function<void(const Row&)>& fn) {
  return ReadRows<Row>(lane.db, (lane.statements.*read.statement).get(),
                       lane.db.Context() + ": read " + read.what, read.columns, fn);
}

// salesaudit_recipient_wanted(email): RecordReadStatements::recipient_wanted's
// answer, 1 or 0 (1 when none is set).
void RecipientWanted(sqlite3_context* context, int, sqlite3_value** args) {
  const auto* statements = static_cast<const RecordReadStatements*>(sqlite3_user_data(context));
  const unsigned char* text = sqlite3_value_text(args[0]);
  const std::string_view email(
      reinterpret_cast<const char*>(text),
      text == nullptr ? 0 : static_cast<size_t>(sqlite3_value_bytes(args[0])));
  const bool wanted =
      statements->recipient_wanted == nullptr || (*statements->recipient_wanted)(email);
  sqlite3_result_int(context, wanted ? 1 : 0);
}

}  // namespace

Status RecordReadStatements::Prepare(Database& db) {
  // DIRECTONLY: for this connection's own statements, never a view's or a
  // trigger's.
  if (int rc = sqlite3_create_function_v2(db.handle(), "salesaudit_recipient_wanted", 1,
                                          SQLITE_UTF8 | SQLITE_DIRECTONLY, this, RecipientWanted,
                                          nullptr, nullptr, nullptr);
      rc != SQLITE_OK) {
    return db.Error(rc, db.Context() + ": register salesaudit_recipient_wanted");
  }
  return db.Prepare({
      {&each_contact, kContacts.Sql()},
      {&each_deal, kDeals.Sql()},
      {&each_owner, kOwners.Sql()},
      {&each_campaign, kCampaigns.Sql()},
      {&each_member, kMembers.Sql()},
      {&each_contact_email,
       "SELECT email FROM contacts WHERE deleted_at IS NULL AND email IS NOT NULL AND email <> ''"},
      {&each_recipient,
       SelectSql<EmailRecipient>(kRecipientColumns,
                                 "FROM email_campaign_recipients WHERE source = ?1 AND "
                                 "campaign_id = ?2 AND salesaudit_recipient_wanted(email) "
                                 "ORDER BY email")},
      {&each_event, kEvents.Sql()},
      {&each_campaign_stats, kCampaignTotals.Sql()},
      {&each_click, kClicks.Sql()},
      {&each_stage_event, kStageEvents.Sql()},
      {&each_linked_deal, kLinkedDeals.Sql()},
      {&deal_contacts,
       SelectSql<DealContact>(kDealContactColumns,
                              "FROM deal_contacts WHERE source = ?1 ORDER BY deal_id, contact_id")},
  });
}

Status Store::ForEachContact(const std::function<void(const StoredContact&)>& fn) {
  return ReadEach(impl_->AcquireReadLane(), kContacts, fn);
}

Status Store::ForEachDeal(const std::function<void(const StoredDeal&)>& fn) {
  return ReadEach(impl_->AcquireReadLane(), kDeals, fn);
}

Status Store::ForEachOwner(const std::function<void(const StoredOwner&)>& fn) {
  return ReadEach(impl_->AcquireReadLane(), kOwners, fn);
}

Status Store::ForEachEmailCampaign(const std::function<void(const StoredEmailCampaign&)>& fn) {
  return ReadEach(impl_->AcquireReadLane(), kCampaigns, fn);
}

Status Store::ForEachEmailMember(const std::function<void(const StoredEmailMember&)>& fn) {
  return ReadEach(impl_->AcquireReadLane(), kMembers, fn);
}

Status Store::ForEachContactEmail(const std::function<void(std::string_view email)>& fn) {
  HeldReadLane lane = impl_->AcquireReadLane();
  Database& db = lane.db;
  return db.ForEachRow(lane.statements.each_contact_email.get(),
                       db.Context() + ": read contacts' emails", [&](sqlite3_stmt* row) {
                         std::string_view email;
                         ReadValue(row, 0, email);
                         fn(email);
                       });
}

Status Store::ForEachEmailRecipient(const std::string& source, const std::string& campaign_id,
                                    const std::function<bool(std::string_view email)>& wanted,
                                    const std::function<void(const EmailRecipient&)>& fn) {
  HeldReadLane lane = impl_->AcquireReadLane();
  Database& db = lane.db;
  sqlite3_stmt* s = lane.statements.each_recipient.get();
  BindText(s, 1, source);
  BindText(s, 2, campaign_id);
  lane.statements.recipient_wanted = &wanted;
  Status status = ReadRows<EmailRecipient>(db, s, db.Context() + ": read email_campaign_recipients",
                                           kRecipientColumns, fn);
  lane.statements.recipient_wanted = nullptr;
  return status;
}

Status Store::ForEachEmailEvent(const std::function<void(const StoredEmailEvent&)>& fn) {
  return ReadEach(impl_->AcquireReadLane(), kEvents, fn);
}

Status Store::ForEachEmailCampaignTotals(
    const std::function<void(const EmailCampaignTotals&)>& fn) {
  return ReadEach(impl_->AcquireReadLane(), kCampaignTotals, fn);
}

Status Store::ForEachEmailClick(const std::function<void(const EmailClick&)>& fn) {
  return ReadEach(impl_->AcquireReadLane(), kClicks, fn);
}

Status Store::ForEachStageEvent(const std::function<void(const StoredStageEvent&)>& fn) {
  return ReadEach(impl_->AcquireReadLane(), kStageEvents, fn);
}

Status Store::ForEachLinkedDeal(const std::function<void(const LinkedDeal&)>& fn) {
  return ReadEach(impl_->AcquireReadLane(), kLinkedDeals, fn);
}

Result<std::vector<DealContact>> Store::DealContacts(const std::string& source) {
  HeldReadLane lane = impl_->AcquireReadLane();
  Database& db = lane.db;
  sqlite3_stmt* s = lane.statements.deal_contacts.get();
  BindText(s, 1, source);
  std::vector<DealContact> pairs;
  Status status =
      ReadRows<DealContact>(db, s, db.Context() + ": read deal_contacts of " + source,
                            kDealContactColumns, [&](const DealContact& p) { pairs.push_back(p); });
  if (!status.ok()) return status;
  return pairs;
}

Result<std::vector<ValueIssueCount>> Store::ValueIssueCounts() {
  Database& db = impl_->db;
  auto lock = db.Lock();
  const std::string sql = SelectSql<ValueIssueCount>(
      kValueIssueColumns, "FROM value_issues ORDER BY connector, stream, property");
  std::vector<ValueIssueCount> out;
  Status s = db.RunOnce(sql.c_str(), db.Context() + ": read value issues", nullptr,
                        [&](sqlite3_stmt* row) {
                          ReadRow<ValueIssueCount>(row, kValueIssueColumns, out.emplace_back());
                        });
  if (!s.ok()) return s;
  return out;
}

Result<TimeMs> Store::NewestChangeAt(RecordKind kind, const std::string& source) {
  const RecordTable table = TableOf(kind);
  if (table.change_column == nullptr) return TimeMs();
  const std::string sql = std::string("SELECT max(") + table.change_column + ") FROM " +
                          table.name + " WHERE source = ?1";
  HeldReadLane lane = impl_->AcquireReadLane();
  Database& db = lane.db;
  TimeMs newest;
  Status s = db.RunOnce(
      sql.c_str(), db.Context() + ": " + source + ": newest change",
      [&](sqlite3_stmt* st) { BindText(st, 1, source); },
      [&](sqlite3_stmt* r) { ReadValue(r, 0, newest); });
  if (!s.ok()) return s;
  return newest;
}

Result<int64_t> Store::CountRows(RecordKind kind, const std::string& source, bool include_deleted) {
  const RecordTable table = TableOf(kind);
  // Tables without deleted_at have nothing to exclude.
  const bool exclude_deleted = table.has_deleted_at && !include_deleted;
  HeldReadLane lane = impl_->AcquireReadLane();
  Database& db = lane.db;
  Statement& stmt = lane.statements.count_rows[static_cast<size_t>(kind)][exclude_deleted ? 0 : 1];
  if (stmt.get() == nullptr) {
    std::string sql = std::string("SELECT count(*) FROM ") + table.name + " WHERE source = ?1";
    if (exclude_deleted) sql += " AND deleted_at IS NULL";
    if (Status s = db.Prepare(&stmt, sql); !s.ok()) return s;
  }
  sqlite3_stmt* s = stmt.get();
  BindText(s, 1, source);
  int64_t count = 0;
  Status status = db.ForEachRow(s, db.Context() + ": count " + table.name,
                                [&](sqlite3_stmt* row) { ReadValue(row, 0, count); });
  if (!status.ok()) return status;
  return count;
}

Result<std::vector<std::string>> Store::LiveIds(RecordKind kind, const std::string& source) {
  const RecordTable table = TableOf(kind);
  const char* id_column = kind == RecordKind::kStageEvent ? "origin_id" : "id";
  std::string sql =
      std::string("SELECT DISTINCT ") + id_column + " FROM " + table.name + " WHERE source = ?1";
  if (table.has_deleted_at) sql += " AND deleted_at IS NULL";
  sql += std::string(" ORDER BY ") + id_column;
  HeldReadLane lane = impl_->AcquireReadLane();
  Database& db = lane.db;
  std::vector<std::string> ids;
  Status s = db.RunOnce(
      sql.c_str(), db.Context() + ": " + source + ": ids of " + table.name,
      [&](sqlite3_stmt* st) { BindText(st, 1, source); },
      [&](sqlite3_stmt* r) { ReadValue(r, 0, ids.emplace_back()); });
  if (!s.ok()) return s;
  return ids;
}

}  // namespace salesaudit
