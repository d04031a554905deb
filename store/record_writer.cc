// CommitPage's writes: an upsert per record, event counts per page,
// deletions and merges, value issues.
#include "store/record_writer.h"

#include <sqlite3.h>

#include <algorithm>
#include <array>
#include <functional>
#include <map>
#include <utility>

#include "core/time_util.h"

namespace salesaudit {
namespace {

// `contact "123"`: how errors name a record.
std::string Label(const char* kind, const std::string& id) {
  return std::string(kind) + " \"" + id + "\"";
}

// The counter columns of email_campaign_recipients, in the order
// count_recipient_events_ binds them.
enum RecipientCounterColumn {
  kSent,
  kDelivered,
  kHumanOpens,
  kMachineOpens,
  kClicks,
  kMachineClicks,
  kBounces,
  kUnsubscribes,
  kSpamReports,
  kRecipientCounterCount
};

// The parameter of count_campaign_events_ (a column of email_campaign_stats)
// that counts the recipients with each counter above 0; 0 for machine
// clicks, which no column counts.
constexpr std::array<int, kRecipientCounterCount> kStatsParameter = {3, 4, 5, 6, 7, 0, 8, 9, 10};

// The column an event of `type` counts in (as the email_events triggers
// count it), -1 for a type with none.
int RecipientCounter(std::string_view type, bool machine) {
  if (type == "sent") return kSent;
  if (type == "delivered") return kDelivered;
  if (type == "open") return machine ? kMachineOpens : kHumanOpens;
  if (type == "click") return machine ? kMachineClicks : kClicks;
  if (type == "bounce") return kBounces;
  if (type == "unsubscribe") return kUnsubscribes;
  if (type == "spam") return kSpamReports;
  return -1;
}

// Contacts and stage events are written this many to a statement (a full
// sync's page of leads has 2,000 and about 1,600): stepping a statement
// costs more than the row it writes, its cursors opened and closed and the
// statement halted and reset.
constexpr size_t kRowsPerStatement = 32;

// "(?1, ..., ?n<tail>), (?n+1, ...<tail>), ...": the VALUES of `rows` rows
// of `parameters` parameters each, row r's being r*parameters+1 onwards.
std::string ValuesRows(size_t rows, size_t parameters, const char* tail) {
  std::string sql;
  for (size_t r = 0; r < rows; ++r) {
    sql += r == 0 ? "(" : ", (";
    for (size_t c = 1; c <= parameters; ++c) {
      sql += (c == 1 ? "?" : ", ?") + std::to_string(parameters * r + c);
    }
    sql += tail;
    sql += ')';
  }
  return sql;
}

// The parameters of one contact, stage event, email event and recipient, in
// the order BindContact, BindStageEvent, BindEvent and FlushEventCounts
// bind them.
constexpr size_t kContactParameters = 15;
constexpr size_t kStageEventParameters = 7;
constexpr size_t kEventParameters = 8;
// A recipient's: source, campaign_id, email and one per counter.
constexpr size_t kRecipientParameters = 3 + kRecipientCounterCount;

std::string ContactUpsertSql(size_t rows) {
  return "INSERT INTO contacts (source, id, email, first_name, last_name, owner_id, channel, "
         "lifecycle_stage, lead_status, created_at, mql_at, contacted_at, sql_at, customer_at, "
         "updated_at, deleted_at) VALUES " +
         ValuesRows(rows, kContactParameters, ", NULL") +
         " ON CONFLICT (source, id) DO UPDATE SET email = excluded.email, "
         "first_name = excluded.first_name, last_name = excluded.last_name, "
         "owner_id = excluded.owner_id, channel = excluded.channel, "
         "lifecycle_stage = excluded.lifecycle_stage, lead_status = excluded.lead_status, "
         "created_at = excluded.created_at, mql_at = excluded.mql_at, "
         "contacted_at = excluded.contacted_at, sql_at = excluded.sql_at, "
         "customer_at = excluded.customer_at, updated_at = excluded.updated_at, "
         "deleted_at = NULL "
         "WHERE excluded.updated_at IS NULL OR contacts.updated_at IS NULL "
         "OR excluded.updated_at >= contacts.updated_at";
}

std::string StageEventUpsertSql(size_t rows) {
  return "INSERT INTO stage_events (source, contact_id, stage, at, origin, origin_id, channel) "
         "VALUES " +
         ValuesRows(rows, kStageEventParameters, "") +
         " ON CONFLICT (source, contact_id, stage, origin, origin_id) "
         "DO UPDATE SET at = excluded.at, channel = excluded.channel";
}

// Adds to each recipient's counters (parameters ?4.. of a row and the
// columns returned from the third on follow RecipientCounterColumn) and
// returns the recipient's key and counters as they now are.
std::string RecipientCountSql(size_t rows) {
  return "INSERT INTO email_campaign_recipients (source, campaign_id, email, sent, delivered, "
         "human_opens, machine_opens, clicks, machine_clicks, bounces, unsubscribes, "
         "spam_reports) VALUES " +
         ValuesRows(rows, kRecipientParameters, "") +
         " ON CONFLICT (source, campaign_id, email) DO UPDATE SET "
         "sent = sent + excluded.sent, delivered = delivered + excluded.delivered, "
         "human_opens = human_opens + excluded.human_opens, "
         "machine_opens = machine_opens + excluded.machine_opens, "
         "clicks = clicks + excluded.clicks, "
         "machine_clicks = machine_clicks + excluded.machine_clicks, "
         "bounces = bounces + excluded.bounces, unsubscribes = unsubscribes + "
         "excluded.unsubscribes, "
         "spam_reports = spam_reports + excluded.spam_reports "
         "RETURNING campaign_id, email, sent, delivered, human_opens, machine_opens, clicks, "
         "machine_clicks, bounces, unsubscribes, spam_reports";
}

std::string StageEventLabel(const std::string& stream, const StageEvent& e) {
  return std::string("stage event ") + FunnelStageName(e.stage) + " of " +
         Label("contact", e.contact_id) + " from " + stream + " " + Label("record", e.origin_id);
}

}  // namespace

Status RecordWriter::Prepare() {
  const std::string upsert_contact = ContactUpsertSql(1);
  const std::string upsert_contacts = ContactUpsertSql(kRowsPerStatement);
  const std::string upsert_stage_event = StageEventUpsertSql(1);
  const std::string upsert_stage_events = StageEventUpsertSql(kRowsPerStatement);
  const std::string insert_events =
      "INSERT INTO email_events (source, id, campaign_id, email, type, occurred_at, url, "
      "machine, deleted_at) VALUES " +
      ValuesRows(kRowsPerStatement, kEventParameters, ", NULL");
  const std::string count_recipient_events = RecipientCountSql(1);
  const std::string count_recipients_events = RecipientCountSql(kRowsPerStatement);
  return db_.Prepare({
      {&upsert_contact_, upsert_contact},
      {&upsert_contacts_, upsert_contacts},
      {&upsert_deal_,
       "INSERT INTO deals (source, id, name, owner_id, pipeline, stage, amount, currency, "
       "created_at, closed_at, is_closed, is_won, updated_at, deleted_at) "
       "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, NULL) "
       "ON CONFLICT (source, id) DO UPDATE SET name = excluded.name, "
       "owner_id = excluded.owner_id, pipeline = excluded.pipeline, stage = excluded.stage, "
       "amount = excluded.amount, currency = excluded.currency, "
       "created_at = excluded.created_at, closed_at = excluded.closed_at, "
       "is_closed = excluded.is_closed, is_won = excluded.is_won, "
       "updated_at = excluded.updated_at, deleted_at = NULL "
       "WHERE excluded.updated_at IS NULL OR deals.updated_at IS NULL "
       "OR excluded.updated_at >= deals.updated_at"},
      {&upsert_deal_stage_,
       "INSERT INTO deal_stages (source, pipeline_id, stage_id, pipeline_name, stage_name, "
       "stage_order) VALUES (?1, ?2, ?3, ?4, ?5, ?6) "
       "ON CONFLICT (source, pipeline_id, stage_id) DO UPDATE SET "
       "pipeline_name = excluded.pipeline_name, stage_name = excluded.stage_name, "
       "stage_order = excluded.stage_order"},
      {&upsert_owner_,
       "INSERT INTO owners (source, id, email, name, active) VALUES (?1, ?2, ?3, ?4, ?5) "
       "ON CONFLICT (source, id) DO UPDATE SET email = excluded.email, name = excluded.name, "
       "active = excluded.active"},
      {&upsert_campaign_,
       "INSERT INTO email_campaigns (source, id, name, subject, kind, sent_at, reported_sent, "
       "reported_delivered, reported_opens, reported_unique_opens, reported_clicks, "
       "reported_unique_clicks, reported_bounces, reported_unsubscribes, reported_spam_reports, "
       "deleted_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, "
       "NULL) "
       "ON CONFLICT (source, id) DO UPDATE SET name = excluded.name, "
       "subject = excluded.subject, kind = excluded.kind, sent_at = excluded.sent_at, "
       "reported_sent = excluded.reported_sent, reported_delivered = excluded.reported_delivered, "
       "reported_opens = excluded.reported_opens, "
       "reported_unique_opens = excluded.reported_unique_opens, "
       "reported_clicks = excluded.reported_clicks, "
       "reported_unique_clicks = excluded.reported_unique_clicks, "
       "reported_bounces = excluded.reported_bounces, "
       "reported_unsubscribes = excluded.reported_unsubscribes, "
       "reported_spam_reports = excluded.reported_spam_reports, deleted_at = NULL"},
      {&upsert_member_,
       "INSERT INTO email_members (source, id, email, first_name, last_name, status, "
       "opted_in_at, updated_at, deleted_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, NULL) "
       "ON CONFLICT (source, id) DO UPDATE SET email = excluded.email, "
       "first_name = excluded.first_name, last_name = excluded.last_name, "
       "status = excluded.status, opted_in_at = excluded.opted_in_at, "
       "updated_at = excluded.updated_at, deleted_at = NULL "
       "WHERE excluded.updated_at IS NULL OR email_members.updated_at IS NULL "
       "OR excluded.updated_at >= email_members.updated_at"},
      {&delete_member_,
       "UPDATE email_members SET deleted_at = COALESCE(deleted_at, ?1) "
       "WHERE source = ?2 AND id = ?3"},
      // A new event is inserted and counted by WriteEvents; a stored one is
      // updated, and email_events_recounted moves its counts.
      {&insert_events_, insert_events},
      {&insert_event_,
       "INSERT INTO email_events (source, id, campaign_id, email, type, occurred_at, url, "
       "machine, deleted_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, NULL) "
       "ON CONFLICT (source, id) DO NOTHING"},
      {&update_event_,
       "UPDATE email_events SET campaign_id = ?3, email = ?4, type = ?5, occurred_at = ?6, "
       "url = ?7, machine = ?8, deleted_at = NULL WHERE source = ?1 AND id = ?2"},
      // ?3..?10: the recipients who started counting, per StatsColumn.
      {&count_campaign_events_,
       "INSERT INTO email_campaign_stats (source, campaign_id, sent, delivered, opened, "
       "machine_opened, clicked, bounced, unsubscribed, spam_reported, first_event_at) "
       "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11) "
       "ON CONFLICT (source, campaign_id) DO UPDATE SET sent = sent + excluded.sent, "
       "delivered = delivered + excluded.delivered, opened = opened + excluded.opened, "
       "machine_opened = machine_opened + excluded.machine_opened, "
       "clicked = clicked + excluded.clicked, bounced = bounced + excluded.bounced, "
       "unsubscribed = unsubscribed + excluded.unsubscribed, "
       "spam_reported = spam_reported + excluded.spam_reported, "
       "first_event_at = CASE WHEN email_campaign_stats.first_event_at IS NULL "
       "OR excluded.first_event_at < email_campaign_stats.first_event_at "
       "THEN excluded.first_event_at ELSE email_campaign_stats.first_event_at END"},
      {&count_recipient_events_, count_recipient_events},
      {&count_recipients_events_, count_recipients_events},
      {&stored_deal_contacts_,
       "SELECT contact_id FROM deal_contacts WHERE source = ?1 AND deal_id = ?2"},
      {&delete_deal_contact_,
       "DELETE FROM deal_contacts WHERE source = ?1 AND deal_id = ?2 AND contact_id = ?3"},
      // DO NOTHING only for a repeated id in the list; a bad id still fails
      // its CHECK (INSERT OR IGNORE would silently drop it).
      {&insert_deal_contact_,
       "INSERT INTO deal_contacts (source, deal_id, contact_id) VALUES (?1, ?2, ?3) "
       "ON CONFLICT (source, deal_id, contact_id) DO NOTHING"},
      {&delete_contact_,
       "UPDATE contacts SET deleted_at = COALESCE(deleted_at, ?1) WHERE source = ?2 AND id = ?3"},
      {&delete_deal_,
       "UPDATE deals SET deleted_at = COALESCE(deleted_at, ?1) WHERE source = ?2 AND id = ?3"},
      // Same parameter numbers as its siblings; ?1 (deleted_at) is bound and
      // unused, which SQLite allows for numbered parameters.
      {&deactivate_owner_, "UPDATE owners SET active = 0 WHERE source = ?2 AND id = ?3"},
      {&delete_campaign_,
       "UPDATE email_campaigns SET deleted_at = COALESCE(deleted_at, ?1) "
       "WHERE source = ?2 AND id = ?3"},
      // A merged-away contact's deal links move to the survivor; links the
      // survivor already had stay single (OR IGNORE), the rest are dropped.
      {&move_deal_contacts_,
       "UPDATE OR IGNORE deal_contacts SET contact_id = ?3 WHERE source = ?1 AND contact_id = ?2"},
      {&drop_deal_contacts_, "DELETE FROM deal_contacts WHERE source = ?1 AND contact_id = ?2"},
      {&upsert_stage_event_, upsert_stage_event},
      {&upsert_stage_events_, upsert_stage_events},
      // A merged-away contact's stage events move to the survivor as its
      // deal links do; evidence the survivor already has stays single.
      {&move_stage_events_,
       "UPDATE OR IGNORE stage_events SET contact_id = ?3 WHERE source = ?1 AND contact_id = ?2"},
      {&drop_stage_events_, "DELETE FROM stage_events WHERE source = ?1 AND contact_id = ?2"},
      {&drop_origin_stage_events_,
       "DELETE FROM stage_events WHERE source = ?1 AND origin = ?2 AND origin_id = ?3"},
      {&delete_event_,
       "UPDATE email_events SET deleted_at = COALESCE(deleted_at, ?1) WHERE source = ?2 AND id = "
       "?3"},
      // A link upserted again is live again, whatever pair it now states.
      {&upsert_link_,
       "INSERT INTO deal_links (source, id, deal_id, contact_id, deleted_at) "
       "VALUES (?1, ?2, ?3, ?4, NULL) "
       "ON CONFLICT (source, id) DO UPDATE SET deal_id = excluded.deal_id, "
       "contact_id = excluded.contact_id, deleted_at = NULL"},
      // The pair link ?2 states while live, unless it stays (?3, ?4) or
      // another live link states it. ?3 and ?4 unset: the link goes away.
      {&release_link_pair_,
       "DELETE FROM deal_contacts WHERE source = ?1 AND (deal_id, contact_id) IN ("
       "SELECT deal_id, contact_id FROM deal_links WHERE source = ?1 AND id = ?2 "
       "AND deleted_at IS NULL AND NOT (deal_id IS ?3 AND contact_id IS ?4)) "
       "AND NOT EXISTS (SELECT 1 FROM deal_links o WHERE o.source = ?1 "
       "AND o.deal_id = deal_contacts.deal_id AND o.contact_id = deal_contacts.contact_id "
       "AND o.id <> ?2 AND o.deleted_at IS NULL)"},
      {&live_link_pair_,
       "SELECT deal_id, contact_id FROM deal_links WHERE source = ?1 AND id = ?2 "
       "AND deleted_at IS NULL"},
      {&delete_link_,
       "UPDATE deal_links SET deleted_at = COALESCE(deleted_at, ?1) WHERE source = ?2 AND id = ?3"},
      {&move_link_rows_,
       "UPDATE deal_links SET contact_id = ?3 WHERE source = ?1 AND contact_id = ?2"},
      // Every live link of the deal goes with it, so none is left to keep a
      // pair of it.
      {&release_deal_pairs_,
       "DELETE FROM deal_contacts WHERE source = ?2 AND deal_id = ?3 AND contact_id IN ("
       "SELECT contact_id FROM deal_links WHERE source = ?2 AND deal_id = ?3 "
       "AND deleted_at IS NULL)"},
      {&delete_deal_links_,
       "UPDATE deal_links SET deleted_at = ?1 WHERE source = ?2 AND deal_id = ?3 "
       "AND deleted_at IS NULL"},
      // The first alias of an id is kept (a conversion happens once).
      {&insert_alias_,
       "INSERT INTO contact_aliases (source, alias_id, contact_id, at) VALUES (?1, ?2, ?3, ?4) "
       "ON CONFLICT (source, alias_id) DO NOTHING"},
      {&repoint_aliases_,
       "UPDATE contact_aliases SET contact_id = ?3 WHERE source = ?1 AND contact_id = ?2"},
      {&alias_target_,
       "SELECT contact_id FROM contact_aliases WHERE source = ?1 AND alias_id = ?2"},
      {&any_alias_, "SELECT EXISTS (SELECT 1 FROM contact_aliases WHERE source = ?1)"},
      // ?4: one more than the most rows worth reading (the page's contacts).
      {&aliases_in_range_,
       "SELECT alias_id, contact_id FROM contact_aliases WHERE source = ?1 "
       "AND alias_id >= ?2 AND alias_id <= ?3 ORDER BY alias_id LIMIT ?4"},
      // Whether an id has anything a merge moves: its contact row, deal
      // pairs, links, stage events or aliases onto it. A new alias's id
      // nearly never has (a converted lead's Contact is read after it).
      {&has_merge_rows_,
       "SELECT EXISTS (SELECT 1 FROM contacts WHERE source = ?1 AND id = ?2) "
       "OR EXISTS (SELECT 1 FROM deal_contacts WHERE source = ?1 AND contact_id = ?2) "
       "OR EXISTS (SELECT 1 FROM deal_links WHERE source = ?1 AND contact_id = ?2) "
       "OR EXISTS (SELECT 1 FROM stage_events WHERE source = ?1 AND contact_id = ?2) "
       "OR EXISTS (SELECT 1 FROM contact_aliases WHERE source = ?1 AND contact_id = ?2)"},
  });
}

std::string_view RecordWriter::Email(const std::string& email) {
  if (IsNormalizedEmail(email)) return email;
  email_scratch_ = NormalizeEmail(email);
  return email_scratch_;
}

Status RecordWriter::RecordFailure(int rc, sqlite3_stmt* s, const std::string& label) {
  Status status = db_.Error(rc, label);
  sqlite3_reset(s);
  return status;
}

Status RecordWriter::PersonOf(const std::string& source, const std::string& id,
                              std::string_view& person) {
  person = id;
  if (!source_has_aliases_) return Status::Ok();
  if (range_read_ && id >= range_first_ && id <= range_last_) {
    auto it = std::lower_bound(range_aliases_.begin(), range_aliases_.end(), id,
                               [](const std::pair<std::string, std::string>& a,
                                  const std::string& key) { return a.first < key; });
    if (it != range_aliases_.end() && it->first == id) person = it->second;
    return Status::Ok();
  }
  if (unaliased_ids_.count(id) != 0) return Status::Ok();
  sqlite3_stmt* s = alias_target_.get();
  BindText(s, 1, source);
  BindText(s, 2, id);
  const int rc = sqlite3_step(s);
  if (rc == SQLITE_ROW) {
    ReadValue(s, 0, person_scratch_);
    person = person_scratch_;
  } else if (rc != SQLITE_DONE) {
    return RecordFailure(rc, s, "alias of " + Label("contact", id));
  } else if (aliases_written_) {
    unaliased_ids_.insert(id);
  }
  sqlite3_reset(s);
  return Status::Ok();
}

// The alias names a person that is no alias: an alias onto an alias means
// that one's person, and the aliases onto this alias's id are re-pointed to
// it, so one lookup always finds the person. An alias that would name
// itself that way (a cycle) is not kept.
Status RecordWriter::WriteAlias(const std::string& source, const ContactAlias& a) {
  std::string_view person;
  if (Status s = PersonOf(source, a.contact_id, person); !s.ok()) return s;
  if (person == a.alias_id) return Status::Ok();
  // Valid to the end: nothing below asks PersonOf again.
  const std::string_view survivor = person;
  auto label = [&] {
    return "alias " + Label("contact", a.alias_id) + " of " + std::string(survivor);
  };
  sqlite3_stmt* s = insert_alias_.get();
  BindText(s, 1, source);
  BindText(s, 2, a.alias_id);
  BindText(s, 3, survivor);
  sqlite3_bind_int64(s, 4, a.at);
  int rc = Database::Run(s);
  if (rc != SQLITE_OK) return RecordFailure(rc, s, label());
  if (sqlite3_changes(db_.handle()) == 0) return Status::Ok();  // aliased before: kept
  source_has_aliases_ = true;
  // One lookup instead of the seven statements that would find nothing.
  s = has_merge_rows_.get();
  BindText(s, 1, source);
  BindText(s, 2, a.alias_id);
  rc = sqlite3_step(s);
  if (rc != SQLITE_ROW) return RecordFailure(rc, s, label());
  const bool has_merge_rows = sqlite3_column_int(s, 0) != 0;
  sqlite3_reset(s);
  if (!has_merge_rows) return Status::Ok();
  s = repoint_aliases_.get();
  BindText(s, 1, source);
  BindText(s, 2, a.alias_id);
  BindText(s, 3, survivor);
  rc = Database::Run(s);
  if (rc != SQLITE_OK) return RecordFailure(rc, s, label());
  return MergeContact(source, a.alias_id, survivor, a.at);
}

Status RecordWriter::ReadAliasesInRange(const std::string& source, const Page& page) {
  range_read_ = false;
  range_aliases_.clear();
  if (!source_has_aliases_ || page.contacts.empty()) return Status::Ok();
  const auto bounds =
      std::minmax_element(page.contacts.begin(), page.contacts.end(),
                          [](const Contact& a, const Contact& b) { return a.id < b.id; });
  const std::string& first = bounds.first->id;
  const std::string& last = bounds.second->id;
  sqlite3_stmt* s = aliases_in_range_.get();
  BindText(s, 1, source);
  // Bound as written: an empty id is a bound like any other.
  BindRequiredText(s, 2, first);
  BindRequiredText(s, 3, last);
  sqlite3_bind_int64(s, 4, static_cast<int64_t>(page.contacts.size()) + 1);
  Status read = db_.ForEachRow(s, "aliases of " + source, [&](sqlite3_stmt* row) {
    std::pair<std::string, std::string>& alias = range_aliases_.emplace_back();
    ReadValue(row, 0, alias.first);
    ReadValue(row, 1, alias.second);
  });
  if (!read.ok()) return read;
  // More aliases in the range than lookups they would spare: each id is
  // looked up instead.
  if (range_aliases_.size() > page.contacts.size()) {
    range_aliases_.clear();
    return Status::Ok();
  }
  range_first_ = first;
  range_last_ = last;
  range_read_ = true;
  return Status::Ok();
}

Status RecordWriter::MergeContact(const std::string& source, const std::string& id,
                                  std::string_view survivor, int64_t at) {
  sqlite3_stmt* s = delete_contact_.get();
  sqlite3_bind_int64(s, 1, at);
  BindText(s, 2, source);
  BindText(s, 3, id);
  int rc = Database::Run(s);
  if (rc != SQLITE_OK) return RecordFailure(rc, s, "deletion of " + Label("contact", id));
  // Pairs and stage events the survivor already has stay single (UPDATE OR
  // IGNORE); the rest of the merged contact's are then dropped.
  for (Statement* step : {&move_deal_contacts_, &drop_deal_contacts_, &move_link_rows_,
                          &move_stage_events_, &drop_stage_events_}) {
    s = step->get();
    BindText(s, 1, source);
    BindText(s, 2, id);
    if (step != &drop_deal_contacts_ && step != &drop_stage_events_) BindText(s, 3, survivor);
    rc = Database::Run(s);
    if (rc != SQLITE_OK) {
      return RecordFailure(rc, s,
                           "merge of " + Label("contact", id) + " into " + std::string(survivor));
    }
  }
  return Status::Ok();
}

void RecordWriter::BindContact(sqlite3_stmt* s, int first, const std::string& source,
                               const Contact& c, std::string_view email) {
  BindText(s, first + 1, source);
  BindText(s, first + 2, c.id);
  BindText(s, first + 3, email);
  BindText(s, first + 4, c.first_name);
  BindText(s, first + 5, c.last_name);
  BindText(s, first + 6, c.owner_id);
  BindText(s, first + 7, c.channel);
  BindText(s, first + 8, c.lifecycle_stage);
  BindText(s, first + 9, c.lead_status);
  BindTime(s, first + 10, c.created_at);
  BindTime(s, first + 11, c.mql_at);
  BindTime(s, first + 12, c.contacted_at);
  BindTime(s, first + 13, c.sql_at);
  BindTime(s, first + 14, c.customer_at);
  BindTime(s, first + 15, c.updated_at);
}

Status RecordWriter::WriteContact(const std::string& source, const Contact& c) {
  sqlite3_stmt* s = upsert_contact_.get();
  BindContact(s, 0, source, c, Email(c.email));
  int rc = Database::Run(s);
  return rc == SQLITE_OK ? Status::Ok() : RecordFailure(rc, s, Label("contact", c.id));
}

// A contact whose id is an alias is counted, not written: its person's
// record is the one kept.
Status RecordWriter::WriteContacts(const std::string& source, const Page& page,
                                   PageCommitNotes& notes) {
  contacts_to_write_.clear();
  for (const Contact& c : page.contacts) {
    std::string_view person;
    if (Status status = PersonOf(source, c.id, person); !status.ok()) return status;
    if (person.data() != c.id.data()) {
      ++notes.aliased_contacts;
    } else {
      contacts_to_write_.push_back(&c);
    }
  }
  return WriteInStatements(
      upsert_contacts_, kContactParameters, contacts_to_write_.size(),
      [&](sqlite3_stmt* s, int first, size_t i) {
        const Contact& c = *contacts_to_write_[i];
        std::string_view email = Email(c.email);
        // Bound until the statement runs, past the next Email.
        if (email.data() == email_scratch_.data()) email = bound_copies_.emplace_back(email);
        BindContact(s, first, source, c, email);
        return Status::Ok();
      },
      [&](size_t i) { return WriteContact(source, *contacts_to_write_[i]); },
      [&](size_t i) { return Label("contact", contacts_to_write_[i]->id); });
}

Status RecordWriter::WriteDeal(const std::string& source, const Deal& d) {
  sqlite3_stmt* s = upsert_deal_.get();
  BindText(s, 1, source);
  BindText(s, 2, d.id);
  BindText(s, 3, d.name);
  BindText(s, 4, d.owner_id);
  BindText(s, 5, d.pipeline);
  BindText(s, 6, d.stage);
  BindReal(s, 7, d.amount);
  BindText(s, 8, d.currency);
  BindTime(s, 9, d.created_at);
  BindTime(s, 10, d.closed_at);
  BindBool(s, 11, d.is_closed);
  BindBool(s, 12, d.is_won);
  BindTime(s, 13, d.updated_at);
  int rc = Database::Run(s);
  if (rc != SQLITE_OK) return RecordFailure(rc, s, Label("deal", d.id));
  if (!d.contact_ids) return Status::Ok();
  return WriteDealContacts(source, d);
}

// Only the difference is written: a deal read again with the contacts it
// had (every deal of an incremental window whose contacts did not change)
// writes nothing to deal_contacts, whose contact index takes each row at a
// random place, a page of the file dirtied per row.
Status RecordWriter::WriteDealContacts(const std::string& source, const Deal& d) {
  deal_persons_.clear();
  person_copies_.clear();
  for (const std::string& contact_id : *d.contact_ids) {
    std::string_view person;
    if (Status status = PersonOf(source, contact_id, person); !status.ok()) return status;
    // Kept past the next PersonOf.
    if (person.data() == person_scratch_.data()) person = person_copies_.emplace_back(person);
    deal_persons_.push_back({person, &contact_id});
  }
  std::sort(deal_persons_.begin(), deal_persons_.end(),
            [](const DealPerson& a, const DealPerson& b) { return a.person < b.person; });
  deal_persons_.erase(
      std::unique(deal_persons_.begin(), deal_persons_.end(),
                  [](const DealPerson& a, const DealPerson& b) { return a.person == b.person; }),
      deal_persons_.end());

  sqlite3_stmt* s = stored_deal_contacts_.get();
  BindText(s, 1, source);
  BindText(s, 2, d.id);
  size_t stored = 0;
  int rc;
  while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
    if (stored == stored_persons_.size()) stored_persons_.emplace_back();
    ReadValue(s, 0, stored_persons_[stored++]);
  }
  if (rc != SQLITE_DONE) return RecordFailure(rc, s, Label("deal", d.id));
  sqlite3_reset(s);
  const auto stored_end = stored_persons_.begin() + static_cast<std::ptrdiff_t>(stored);
  std::sort(stored_persons_.begin(), stored_end);

  for (auto it = stored_persons_.begin(); it != stored_end; ++it) {
    const std::string& person = *it;
    auto kept = std::lower_bound(
        deal_persons_.begin(), deal_persons_.end(), person,
        [](const DealPerson& p, const std::string& key) { return p.person < key; });
    if (kept != deal_persons_.end() && kept->person == person) continue;
    s = delete_deal_contact_.get();
    BindText(s, 1, source);
    BindText(s, 2, d.id);
    BindText(s, 3, person);
    if (rc = Database::Run(s); rc != SQLITE_OK) {
      return RecordFailure(rc, s, Label("deal", d.id) + " " + Label("contact", person));
    }
  }
  for (const DealPerson& p : deal_persons_) {
    if (std::binary_search(stored_persons_.begin(), stored_end, p.person, std::less<>())) continue;
    s = insert_deal_contact_.get();
    BindText(s, 1, source);
    BindText(s, 2, d.id);
    BindText(s, 3, p.person);
    if (rc = Database::Run(s); rc != SQLITE_OK) {
      return RecordFailure(rc, s, Label("deal", d.id) + " " + Label("contact", *p.contact_id));
    }
  }
  return Status::Ok();
}

Status RecordWriter::ReleaseLinkPair(const std::string& source, const std::string& id,
                                     std::string_view deal_id, std::string_view contact_id) {
  // A new link (every one of a full sync) or one stating the same pair
  // again has nothing to release: a key lookup spares the DELETE's
  // subqueries.
  sqlite3_stmt* s = live_link_pair_.get();
  BindText(s, 1, source);
  BindText(s, 2, id);
  int rc = sqlite3_step(s);
  bool releases = false;
  if (rc == SQLITE_ROW) {
    std::string stated_deal, stated_contact;
    ReadValue(s, 0, stated_deal);
    ReadValue(s, 1, stated_contact);
    releases = stated_deal != deal_id || stated_contact != contact_id;
  } else if (rc != SQLITE_DONE) {
    return RecordFailure(rc, s, "contacts of " + Label("deal link", id));
  }
  sqlite3_reset(s);
  if (!releases) return Status::Ok();
  s = release_link_pair_.get();
  BindText(s, 1, source);
  BindText(s, 2, id);
  BindText(s, 3, deal_id);
  BindText(s, 4, contact_id);
  rc = Database::Run(s);
  return rc == SQLITE_OK ? Status::Ok()
                         : RecordFailure(rc, s, "contacts of " + Label("deal link", id));
}

// The pair the link stated before goes first (unless it is the same or
// another live link keeps it), then the link and its pair are written.
Status RecordWriter::WriteDealLink(const std::string& source, const DealLink& l) {
  std::string_view person;
  if (Status s = PersonOf(source, l.contact_id, person); !s.ok()) return s;
  if (Status s = ReleaseLinkPair(source, l.id, l.deal_id, person); !s.ok()) return s;
  sqlite3_stmt* s = upsert_link_.get();
  BindText(s, 1, source);
  BindText(s, 2, l.id);
  BindText(s, 3, l.deal_id);
  BindText(s, 4, person);
  int rc = Database::Run(s);
  if (rc != SQLITE_OK) return RecordFailure(rc, s, Label("deal link", l.id));
  s = insert_deal_contact_.get();
  BindText(s, 1, source);
  BindText(s, 2, l.deal_id);
  BindText(s, 3, person);
  rc = Database::Run(s);
  return rc == SQLITE_OK ? Status::Ok() : RecordFailure(rc, s, Label("deal link", l.id));
}

Status RecordWriter::WriteDealStage(const std::string& source, const DealStage& stage) {
  sqlite3_stmt* s = upsert_deal_stage_.get();
  BindText(s, 1, source);
  BindText(s, 2, stage.pipeline_id);
  BindText(s, 3, stage.stage_id);
  BindText(s, 4, stage.pipeline_name);
  BindText(s, 5, stage.stage_name);
  BindTime(s, 6, stage.order);
  int rc = Database::Run(s);
  return rc == SQLITE_OK ? Status::Ok() : RecordFailure(rc, s, Label("deal stage", stage.stage_id));
}

Status RecordWriter::WriteOwner(const std::string& source, const Owner& o) {
  sqlite3_stmt* s = upsert_owner_.get();
  BindText(s, 1, source);
  BindText(s, 2, o.id);
  BindText(s, 3, Email(o.email));
  BindText(s, 4, o.name);
  BindBool(s, 5, o.active);
  int rc = Database::Run(s);
  return rc == SQLITE_OK ? Status::Ok() : RecordFailure(rc, s, Label("owner", o.id));
}

Status RecordWriter::WriteCampaign(const std::string& source, const EmailCampaign& c) {
  sqlite3_stmt* s = upsert_campaign_.get();
  BindText(s, 1, source);
  BindText(s, 2, c.id);
  BindText(s, 3, c.name);
  BindText(s, 4, c.subject);
  BindText(s, 5, c.kind);
  BindTime(s, 6, c.sent_at);
  const EmailCampaignCounters& r = c.reported;
  int column = 7;
  for (const std::optional<int64_t>* counter :
       {&r.sent, &r.delivered, &r.opens, &r.unique_opens, &r.clicks, &r.unique_clicks, &r.bounces,
        &r.unsubscribes, &r.spam_reports}) {
    BindTime(s, column++, *counter);
  }
  int rc = Database::Run(s);
  return rc == SQLITE_OK ? Status::Ok() : RecordFailure(rc, s, Label("email campaign", c.id));
}

Status RecordWriter::WriteMember(const std::string& source, const EmailMember& m) {
  sqlite3_stmt* s = upsert_member_.get();
  BindText(s, 1, source);
  BindText(s, 2, m.id);
  BindText(s, 3, Email(m.email));
  BindText(s, 4, m.first_name);
  BindText(s, 5, m.last_name);
  BindText(s, 6, m.status);
  BindTime(s, 7, m.opted_in_at);
  BindTime(s, 8, m.updated_at);
  int rc = Database::Run(s);
  return rc == SQLITE_OK ? Status::Ok() : RecordFailure(rc, s, Label("email member", m.id));
}

void RecordWriter::BindEvent(sqlite3_stmt* s, int first, const std::string& source,
                             const EmailEvent& e, std::string_view email) {
  BindText(s, first + 1, source);
  BindText(s, first + 2, e.id);
  BindText(s, first + 3, e.campaign_id);
  BindText(s, first + 4, email);
  BindText(s, first + 5, e.type);
  BindTime(s, first + 6, e.occurred_at);
  BindText(s, first + 7, e.url);
  BindBool(s, first + 8, e.machine);
}

// Counted only with a campaign and an email, as stored (empty is NULL).
void RecordWriter::CountNewEvent(const EmailEvent& e) {
  const std::string_view email = Email(e.email);
  if (e.campaign_id.empty() || email.empty()) return;
  std::string_view kept = email;
  if (email.data() == email_scratch_.data()) kept = normalized_emails_.emplace_back(email);
  uncounted_events_.push_back(
      UncountedEvent{e.campaign_id, kept, e.occurred_at, RecipientCounter(e.type, e.machine)});
}

// A stored event (a window overlap, a changed one) is updated rather than
// inserted, and the email_events_recounted trigger moves its counts; the
// counts pending from this page are added first, so that trigger finds the
// rows it takes an event out of.
Status RecordWriter::WriteEvent(const std::string& source, const EmailEvent& e) {
  const std::string_view email = Email(e.email);
  sqlite3_stmt* s = insert_event_.get();
  BindEvent(s, 0, source, e, email);
  int rc = Database::Run(s);
  if (rc != SQLITE_OK) return RecordFailure(rc, s, Label("email event", e.id));
  if (sqlite3_changes(db_.handle()) == 1) {
    CountNewEvent(e);
    return Status::Ok();
  }
  if (Status flushed = FlushEventCounts(source); !flushed.ok()) return flushed;
  s = update_event_.get();
  BindEvent(s, 0, source, e, email);
  rc = Database::Run(s);
  return rc == SQLITE_OK ? Status::Ok() : RecordFailure(rc, s, Label("email event", e.id));
}

// New events are inserted kRowsPerStatement to a plain INSERT, and their
// counts added per page (FlushEventCounts), instead of two upserts per
// event in a trigger. A statement that meets a stored event (or one
// repeated within it) fails as a whole; its rows are then written one by
// one, in order, by WriteEvent, which updates the stored ones.
Status RecordWriter::WriteEvents(const std::string& source, const Page& page) {
  const std::vector<EmailEvent>& events = page.events;
  return WriteInStatements(
      insert_events_, kEventParameters, events.size(),
      [&](sqlite3_stmt* s, int first, size_t i) {
        std::string_view email = Email(events[i].email);
        // Bound until the statement runs, past the next Email.
        if (email.data() == email_scratch_.data()) email = bound_copies_.emplace_back(email);
        BindEvent(s, first, source, events[i], email);
        return Status::Ok();
      },
      [&](size_t i) { return WriteEvent(source, events[i]); },
      [&](size_t i) { return Label("email event", events[i].id); },
      [&](size_t first) {
        for (size_t i = first; i < first + kRowsPerStatement; ++i) CountNewEvent(events[i]);
      });
}

// Adds the counts of uncounted_events_: each recipient's counters, in
// statements of kRowsPerStatement recipients (the rest one by one), each
// returning the counters as they now are; then each campaign's stats row
// once (created if missing), with the recipients whose counters the page
// took from 0 and the earliest new event. Statements cost more than the
// rows they write, so the stats are written per campaign, not per
// recipient, and the recipients many to a statement.
Status RecordWriter::FlushEventCounts(const std::string& source) {
  static_assert(kRecipientCounters == kRecipientCounterCount);
  if (uncounted_events_.empty()) return Status::Ok();
  std::sort(uncounted_events_.begin(), uncounted_events_.end(),
            [](const UncountedEvent& a, const UncountedEvent& b) {
              if (int c = a.campaign_id.compare(b.campaign_id); c != 0) return c < 0;
              return a.email < b.email;
            });
  page_recipients_.clear();
  page_campaigns_.clear();
  for (const UncountedEvent& e : uncounted_events_) {
    if (page_campaigns_.empty() || page_campaigns_.back().campaign_id != e.campaign_id) {
      page_campaigns_.push_back(PageCampaign{e.campaign_id, {}, {}});
    }
    PageCampaign& campaign = page_campaigns_.back();
    if (e.occurred_at && (!campaign.earliest || *e.occurred_at < *campaign.earliest)) {
      campaign.earliest = e.occurred_at;
    }
    if (page_recipients_.empty() || page_recipients_.back().email != e.email ||
        page_recipients_.back().campaign_id != e.campaign_id) {
      page_recipients_.push_back(
          PageRecipient{e.campaign_id, e.email, {}, page_campaigns_.size() - 1});
    }
    if (e.counter >= 0) ++page_recipients_.back().added[static_cast<size_t>(e.counter)];
  }
  auto failure = [this](int rc, sqlite3_stmt* s, std::string_view campaign_id) {
    return RecordFailure(rc, s, "counts of email campaign \"" + std::string(campaign_id) + "\"");
  };
  auto key_less = [](const PageRecipient& r, std::pair<std::string_view, std::string_view> key) {
    return std::pair(r.campaign_id, r.email) < key;
  };
  for (size_t next = 0; next < page_recipients_.size();) {
    const size_t rows = page_recipients_.size() - next >= kRowsPerStatement ? kRowsPerStatement : 1;
    sqlite3_stmt* s = (rows == 1 ? count_recipient_events_ : count_recipients_events_).get();
    const auto batch = page_recipients_.begin() + static_cast<std::ptrdiff_t>(next);
    const auto batch_end = batch + static_cast<std::ptrdiff_t>(rows);
    for (auto r = batch; r != batch_end; ++r) {
      const int first = static_cast<int>(kRecipientParameters * static_cast<size_t>(r - batch));
      BindText(s, first + 1, source);
      BindText(s, first + 2, r->campaign_id);
      BindText(s, first + 3, r->email);
      for (size_t i = 0; i < r->added.size(); ++i) {
        sqlite3_bind_int64(s, first + 4 + static_cast<int>(i), r->added[i]);
      }
    }
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
      // RETURNING gives the rows in no set order: each is found by its key.
      std::pair<std::string_view, std::string_view> key;
      ReadValue(s, 0, key.first);
      ReadValue(s, 1, key.second);
      const auto r = std::lower_bound(batch, batch_end, key, key_less);
      if (r == batch_end || r->campaign_id != key.first || r->email != key.second) {
        sqlite3_reset(s);
        return Status::Internal("counts of email campaign \"" + std::string(batch->campaign_id) +
                                "\": the store returned a recipient not written");
      }
      // A counter that now holds just what this page added was 0 before.
      PageCampaign& campaign = page_campaigns_[r->campaign];
      for (size_t i = 0; i < r->added.size(); ++i) {
        if (r->added[i] > 0 && sqlite3_column_int64(s, 2 + static_cast<int>(i)) == r->added[i]) {
          ++campaign.started[i];
        }
      }
    }
    if (rc != SQLITE_DONE) return failure(rc, s, batch->campaign_id);
    sqlite3_reset(s);
    next += rows;
  }
  sqlite3_stmt* const s = count_campaign_events_.get();
  for (const PageCampaign& campaign : page_campaigns_) {
    BindText(s, 1, source);
    BindText(s, 2, campaign.campaign_id);
    for (size_t i = 0; i < campaign.started.size(); ++i) {
      if (kStatsParameter[i] != 0) sqlite3_bind_int64(s, kStatsParameter[i], campaign.started[i]);
    }
    BindTime(s, 11, campaign.earliest);
    if (int rc = Database::Run(s); rc != SQLITE_OK) return failure(rc, s, campaign.campaign_id);
  }
  uncounted_events_.clear();
  normalized_emails_.clear();
  return Status::Ok();
}

void RecordWriter::BindStageEvent(sqlite3_stmt* s, int first, const std::string& source,
                                  std::string_view person, const std::string& stream,
                                  const StageEvent& e) {
  BindText(s, first + 1, source);
  BindText(s, first + 2, person);
  BindText(s, first + 3, FunnelStageName(e.stage));
  sqlite3_bind_int64(s, first + 4, e.at);
  BindText(s, first + 5, stream);
  BindText(s, first + 6, e.origin_id);
  BindText(s, first + 7, e.channel);
}

Status RecordWriter::WriteStageEvent(const std::string& source, const std::string& stream,
                                     const StageEvent& e) {
  std::string_view person;
  if (Status status = PersonOf(source, e.contact_id, person); !status.ok()) return status;
  sqlite3_stmt* s = upsert_stage_event_.get();
  BindStageEvent(s, 0, source, person, stream, e);
  int rc = Database::Run(s);
  if (rc == SQLITE_OK) return Status::Ok();
  return RecordFailure(rc, s, StageEventLabel(stream, e));
}

template <typename Bind, typename WriteOne, typename Label, typename Written>
Status RecordWriter::WriteInStatements(Statement& many, size_t parameters, size_t count,
                                       const Bind& bind, const WriteOne& write_one,
                                       const Label& label, const Written& written) {
  size_t next = 0;
  for (; count - next >= kRowsPerStatement; next += kRowsPerStatement) {
    sqlite3_stmt* s = many.get();
    bound_copies_.clear();
    for (size_t r = 0; r < kRowsPerStatement; ++r) {
      if (Status status = bind(s, static_cast<int>(parameters * r), next + r); !status.ok()) {
        return status;
      }
    }
    const int rc = Database::Run(s);
    if (rc == SQLITE_OK) {
      written(next);
      continue;
    }
    if (sqlite3_get_autocommit(db_.handle()) != 0) {
      // SQLite rolled the transaction back (a full disk, an I/O error).
      return RecordFailure(
          rc, s,
          label(next) + " and the " + std::to_string(kRowsPerStatement - 1) + " rows after it");
    }
    sqlite3_reset(s);
    for (size_t r = 0; r < kRowsPerStatement; ++r) {
      if (Status status = write_one(next + r); !status.ok()) return status;
    }
  }
  for (; next < count; ++next) {
    if (Status status = write_one(next); !status.ok()) return status;
  }
  return Status::Ok();
}

template <typename Bind, typename WriteOne, typename Label>
Status RecordWriter::WriteInStatements(Statement& many, size_t parameters, size_t count,
                                       const Bind& bind, const WriteOne& write_one,
                                       const Label& label) {
  return WriteInStatements(many, parameters, count, bind, write_one, label, [](size_t) {});
}

Status RecordWriter::WriteStageEvents(const std::string& source, const Page& page) {
  const std::vector<StageEvent>& events = page.stage_events;
  return WriteInStatements(
      upsert_stage_events_, kStageEventParameters, events.size(),
      [&](sqlite3_stmt* s, int first, size_t i) {
        std::string_view person;
        if (Status status = PersonOf(source, events[i].contact_id, person); !status.ok()) {
          return status;
        }
        // Bound until the statement runs, past the next PersonOf.
        if (person.data() == person_scratch_.data()) person = bound_copies_.emplace_back(person);
        BindStageEvent(s, first, source, person, page.stream, events[i]);
        return Status::Ok();
      },
      [&](size_t i) { return WriteStageEvent(source, page.stream, events[i]); },
      [&](size_t i) { return StageEventLabel(page.stream, events[i]); });
}

// The stage events a deleted record leaves: every one of a deleted contact
// and every one whose origin is the deleted record of this page's stream (a
// merged contact's move to the survivor instead, in MergeContact: what its
// records said is true of the person the survivor is).
Status RecordWriter::DropStageEvents(const std::string& source, const std::string& stream,
                                     const Deletion& d) {
  sqlite3_stmt* s = drop_origin_stage_events_.get();
  BindText(s, 1, source);
  BindText(s, 2, stream);
  BindText(s, 3, d.id);
  int rc = Database::Run(s);
  if (rc == SQLITE_OK && d.kind == RecordKind::kContact) {
    s = drop_stage_events_.get();
    BindText(s, 1, source);
    BindText(s, 2, d.id);
    rc = Database::Run(s);
  }
  if (rc == SQLITE_OK) return Status::Ok();
  return RecordFailure(rc, s, "stage events of deleted " + Label(RecordKindName(d.kind), d.id));
}

Status RecordWriter::DeleteDealLinks(const std::string& source, const Deletion& d) {
  for (Statement* step : {&release_deal_pairs_, &delete_deal_links_}) {
    sqlite3_stmt* s = step->get();
    sqlite3_bind_int64(s, 1, d.deleted_at);
    BindText(s, 2, source);
    BindText(s, 3, d.id);
    if (int rc = Database::Run(s); rc != SQLITE_OK) {
      return RecordFailure(rc, s, "deal links of deleted " + Label("deal", d.id));
    }
  }
  return Status::Ok();
}

// A merge goes to the survivor's person: a contact merged into a converted
// lead's contact is merged into the lead.
Status RecordWriter::WriteDeletion(const std::string& source, const std::string& stream,
                                   const Deletion& d) {
  if (d.kind == RecordKind::kContact && !d.merged_into.empty()) {
    std::string_view survivor;
    if (Status s = PersonOf(source, d.merged_into, survivor); !s.ok()) return s;
    if (survivor == d.id) return Status::Ok();  // merged into its own alias: nothing moves
    return MergeContact(source, d.id, survivor, d.deleted_at);
  }
  Statement* stmt = nullptr;
  switch (d.kind) {
    case RecordKind::kContact:
      stmt = &delete_contact_;
      break;
    case RecordKind::kDeal:
      stmt = &delete_deal_;
      break;
    // owners have no deleted_at: a removed owner is an inactive one.
    case RecordKind::kOwner:
      stmt = &deactivate_owner_;
      break;
    case RecordKind::kEmailCampaign:
      stmt = &delete_campaign_;
      break;
    case RecordKind::kEmailEvent:
      stmt = &delete_event_;
      break;
    case RecordKind::kEmailMember:
      stmt = &delete_member_;
      break;
    case RecordKind::kDealLink:
      stmt = &delete_link_;
      // While the link is still live, so that its pair is the one released.
      if (Status s = ReleaseLinkPair(source, d.id, {}, {}); !s.ok()) return s;
      break;
    // A record that is only evidence has no row but its stage events.
    case RecordKind::kStageEvent:
      return DropStageEvents(source, stream, d);
  }
  if (stmt == nullptr) {
    return Status::InvalidArgument("deletion of " + Label("record", d.id) + ": unknown kind");
  }
  sqlite3_stmt* s = stmt->get();
  sqlite3_bind_int64(s, 1, d.deleted_at);
  BindText(s, 2, source);
  BindText(s, 3, d.id);
  int rc = Database::Run(s);
  if (rc != SQLITE_OK)
    return RecordFailure(rc, s, "deletion of " + Label(RecordKindName(d.kind), d.id));
  if (d.kind == RecordKind::kDeal) {
    if (Status status = DeleteDealLinks(source, d); !status.ok()) return status;
  }
  return DropStageEvents(source, stream, d);
}

// Few pages have issues: one statement per property of the page, prepared
// when needed, the last issue of each property kept as its example.
Status RecordWriter::WriteValueIssues(const std::string& source, const Page& page) {
  std::map<std::string_view, std::pair<int64_t, const ValueIssue*>> by_property;
  for (const ValueIssue& issue : page.value_issues) {
    auto& [count, last] = by_property[issue.property];
    ++count;
    last = &issue;
  }
  const int64_t now = NowMs();
  // Named references, not structured bindings: clang 14 cannot capture
  // those in the binding lambda below.
  for (const auto& entry : by_property) {
    const std::string_view property = entry.first;
    const int64_t count = entry.second.first;
    const ValueIssue* last = entry.second.second;
    Status s = db_.RunOnce(
        "INSERT INTO value_issues (connector, stream, property, count, last_record_id, "
        "last_problem, last_seen_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) "
        "ON CONFLICT (connector, stream, property) DO UPDATE SET count = count + excluded.count, "
        "last_record_id = excluded.last_record_id, last_problem = excluded.last_problem, "
        "last_seen_at = excluded.last_seen_at",
        "value issues", [&](sqlite3_stmt* st) {
          BindText(st, 1, source);
          BindText(st, 2, page.stream);
          BindText(st, 3, property);
          sqlite3_bind_int64(st, 4, count);
          BindText(st, 5, last->record_id);
          BindText(st, 6, last->problem);
          sqlite3_bind_int64(st, 7, now);
        });
    if (!s.ok()) return s;
  }
  return Status::Ok();
}

Status RecordWriter::WritePage(const std::string& source, const Page& page,
                               PageCommitNotes& notes) {
  // Left over only from a page that failed (and was rolled back).
  uncounted_events_.clear();
  normalized_emails_.clear();
  unaliased_ids_.clear();
  aliases_written_ = false;
  range_read_ = false;
  sqlite3_stmt* any = any_alias_.get();
  BindText(any, 1, source);
  Status known = db_.ForEachRow(any, "aliases of " + source,
                                [&](sqlite3_stmt* row) { ReadValue(row, 0, source_has_aliases_); });
  if (!known.ok()) return known;
  for (const ContactAlias& a : page.contact_aliases) {
    if (Status s = WriteAlias(source, a); !s.ok()) return s;
  }
  aliases_written_ = true;
  if (Status s = ReadAliasesInRange(source, page); !s.ok()) return s;
  if (Status s = WriteContacts(source, page, notes); !s.ok()) return s;
  for (const Deal& d : page.deals) {
    if (Status s = WriteDeal(source, d); !s.ok()) return s;
  }
  for (const DealStage& stage : page.deal_stages) {
    if (Status s = WriteDealStage(source, stage); !s.ok()) return s;
  }
  for (const Owner& o : page.owners) {
    if (Status s = WriteOwner(source, o); !s.ok()) return s;
  }
  for (const EmailCampaign& c : page.campaigns) {
    if (Status s = WriteCampaign(source, c); !s.ok()) return s;
  }
  if (Status s = WriteEvents(source, page); !s.ok()) return s;
  // Before the deletions, whose trigger takes events out of these counts.
  if (Status s = FlushEventCounts(source); !s.ok()) return s;
  for (const EmailMember& m : page.members) {
    if (Status s = WriteMember(source, m); !s.ok()) return s;
  }
  for (const DealLink& l : page.deal_links) {
    if (Status s = WriteDealLink(source, l); !s.ok()) return s;
  }
  // What each restated record stated before goes; its events follow.
  for (const std::string& origin : page.restated_origins) {
    const Deletion restated{RecordKind::kStageEvent, origin, 0, ""};
    if (Status s = DropStageEvents(source, page.stream, restated); !s.ok()) return s;
  }
  if (Status s = WriteStageEvents(source, page); !s.ok()) return s;
  for (const Deletion& d : page.deletions) {
    if (Status s = WriteDeletion(source, page.stream, d); !s.ok()) return s;
  }
  return WriteValueIssues(source, page);
}

}  // namespace salesaudit
