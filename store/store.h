// The SQLite store: the tables README.md documents for BI tools ("The
// store"), migrations by PRAGMA user_version, and the one write path that
// commits a page of records, deletions and the stream's cursor in one
// transaction.
//
// The implementation is split by what it holds: open.cc (opening, health),
// schema.cc (migrations), record_writer.cc and sync_state.cc (CommitPage and
// the sync state), row_readers.cc (the read side), snapshots.cc,
// alert_tables.cc, check_and_backup.cc; database.h and statement.h hold what
// they share.
//
// Ownership: the daemon (or a CLI command) opens one Store and shares it.
// Threading: every method is safe to call from any thread; writes are
// serialised on one connection (one SQLite writer); the read side (the
// ForEach* scans, DealContacts, NewestChangeAt, CountRows, LiveIds) has a
// read-only connection and a lock of its own, so a scan and a commit never
// wait for each other (WAL: a scan sees the store as it was when it began).
//
//   auto store = Store::Open("/var/lib/salesaudit/salesaudit.db");
//   if (!store.ok()) return store.status();
//   Status s = (*store)->CommitPage("hubspot", page);
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/records.h"
#include "core/status.h"

namespace salesaudit {

// One row of sync_state.
struct StreamState {
  std::string connector;
  std::string stream;
  std::string cursor;
  TimeMs last_success_at;
  std::string last_error;
  TimeMs last_error_at;
  int64_t failures_in_a_row = 0;  // failed runs since the last success
};

// A contact as the audit reads it: the canonical record plus where it is from.
struct StoredContact {
  std::string source;
  Contact contact;
  TimeMs deleted_at;
};

struct StoredDeal {
  std::string source;
  Deal deal;  // contact_ids unset
  TimeMs deleted_at;
};

struct StoredOwner {
  std::string source;
  Owner owner;
};

struct StoredEmailCampaign {
  std::string source;
  EmailCampaign campaign;
  TimeMs deleted_at;
};

struct StoredEmailMember {
  std::string source;
  EmailMember member;
  TimeMs deleted_at;
};

struct StoredEmailEvent {
  std::string source;
  EmailEvent event;
  TimeMs deleted_at;
};

// One row of stage_events: dated evidence that a contact reached a stage,
// from `origin`, the stream of the page that wrote it.
struct StoredStageEvent {
  std::string source;
  StageEvent event;
  std::string origin;
};

// A live deal linked to a contact in deal_contacts: evidence of the
// contact's stages (sql from the deal's creation, won from a won deal's
// close; README "The store", v_contact_funnel).
struct LinkedDeal {
  std::string source;
  std::string contact_id;
  std::string deal_id;
  TimeMs created_at;
  TimeMs closed_at;
  bool is_won = false;
};

// Distinct recipients of one campaign with at least one live event of each
// type (one row of email_campaign_stats, kept current as events are written,
// so reading it costs one row per campaign whatever the number of events).
// Events without a campaign id or an email are not counted.
struct EmailCampaignTotals {
  std::string source;
  std::string campaign_id;
  int64_t sent = 0;
  int64_t delivered = 0;
  int64_t opened = 0;          // a human open: type open, machine false
  int64_t machine_opened = 0;  // an open marked machine (and none necessarily human)
  int64_t clicked = 0;
  int64_t bounced = 0;
  int64_t unsubscribed = 0;
  int64_t spam_reported = 0;
  TimeMs first_event_at;  // the earliest live event's occurred_at
};

// One recipient of one campaign (a row of email_campaign_recipients): how
// many live events it has there, of every type. The texts point into the
// store's row and are valid only during the callback that is given it (a
// scan reads millions and keeps few).
struct EmailRecipient {
  std::string_view email;  // normalised
  int64_t events = 0;
};

// One live click with a campaign, an email (normalised) and a time.
struct EmailClick {
  std::string source;
  std::string campaign_id;
  std::string email;
  int64_t occurred_at = 0;
};

// One row of value_issues: the values of one property of one stream that
// were repaired or dropped before storing (core/page_check.h), since the
// store was created.
struct ValueIssueCount {
  std::string connector;
  std::string stream;
  std::string property;
  int64_t count = 0;
  std::string last_record_id;  // "" for a record without a usable id
  std::string last_problem;
  int64_t last_seen_at = 0;
};

// What a stored snapshot is for. kLive: the daemon's audit of the configured
// window on its schedule, the one the dashboard, /api/v1/snapshot and the
// alert rules read as the current state. kOneOff: any other (`salesaudit
// audit` by hand, whatever its window), kept for the record and never read
// as the current state.
enum class SnapshotPurpose { kLive, kOneOff };
// "live" or "one_off", as audit_snapshots.purpose holds it.
const char* SnapshotPurposeName(SnapshotPurpose purpose);

struct SnapshotRow {
  int64_t id = 0;
  SnapshotPurpose purpose = SnapshotPurpose::kLive;
  int64_t computed_at = 0;
  TimeMs window_from;
  TimeMs window_to;
  std::string json;
  std::string config_hash;  // SHA-256 of the config file it was computed with
  std::string cursors;      // JSON {"<connector>/<stream>": cursor}: the data it saw
};

// What audit_snapshots keeps, applied on every save. The history holds one
// live snapshot per `live_interval_ms` (aligned to the epoch; a newer one in
// the same interval replaces the older, so audits run after syncs between two
// scheduled ones leave only the last), and the newest `max_one_off` one-off
// snapshots; neither older than `keep_after_ms`, nor more than `max_live`
// live ones.
struct SnapshotRetention {
  int64_t keep_after_ms = 0;
  int64_t live_interval_ms = 1;  // > 0
  int64_t max_live = 10000;
  int64_t max_one_off = 20;
};

// The alerts' durable state (alerts/ gives the JSON fields their meaning).
// Which alert: a rule, and for a rule that raises one alert per connector,
// the connector ("" otherwise).
struct AlertKey {
  std::string rule;
  std::string instance;
  auto operator<=>(const AlertKey&) const = default;
};

struct AlertStateRow {
  std::string rule;
  std::string instance;
  std::string phase;  // inactive | pending | firing
  TimeMs active_since;
  TimeMs fired_at;
  TimeMs last_held_at;
  TimeMs resolved_at;
  std::optional<double> value;
  std::string labels_json = "{}";
  std::string annotations_json = "{}";
};

// What one (receiver, group) was last told.
struct AlertGroupRow {
  std::string group_id;
  TimeMs last_sent_at;
  std::string firing_json = "[]";  // fingerprints
};

// A notification to deliver. `idempotency_key` is unique: queuing one twice
// keeps the first.
struct OutboxRow {
  int64_t id = 0;
  std::string idempotency_key;
  std::string receiver;
  int64_t created_at = 0;
  std::string payload;   // what to send, as the queuing side wrote it
  int64_t attempts = 0;  // counted as each attempt starts
  TimeMs last_attempt_at;
  int64_t next_attempt_at = 0;
  std::string last_error;
  TimeMs delivered_at;
  TimeMs dropped_at;
};

struct OutboxBacklog {
  int64_t waiting = 0;
  TimeMs oldest_created_at;
  TimeMs next_attempt_at;  // the earliest among those waiting
};

struct SilenceRow {
  int64_t id = 0;
  std::string matchers_json;  // ["name=value", ...]
  int64_t starts_at = 0;
  int64_t ends_at = 0;
  std::string created_by;
  std::string comment;
};

// What CommitPage stored otherwise than the page said, for the sync log.
struct PageCommitNotes {
  // Contacts not written because their id is an alias of another contact
  // of the source (contact_aliases): the person's row is the one the alias
  // names (a Salesforce Contact a Lead converted into is kept as its lead).
  int64_t aliased_contacts = 0;
};

// Whether the store can still commit, as far as this process can tell
// (Store::Health).
struct StoreHealth {
  bool ok = true;
  // When not ok: removed or replaced (the file at the path is no longer the
  // one open), corrupt, full (disk or file system), io, readonly.
  std::string kind;
  std::string problem;  // when not ok: one line naming the file and the cause
};

// How the integrity check at open went.
struct StoreOpenCheck {
  bool complete = true;  // false: the budget ran out before the end (nothing found so far)
  std::chrono::milliseconds took{0};
};

// What `salesaudit store check` found in a store file.
struct StoreCheckReport {
  std::vector<std::string> problems;  // damage, in SQLite's words; empty: none
  std::vector<std::string> warnings;  // not damage: modes open to others, a newer schema
  int schema_version = 0;
  int64_t bytes = 0;  // the file's size, without its WAL
  std::chrono::milliseconds took{0};
};

class Store {
 public:
  // The schema version Open() migrates to.
  static constexpr int kSchemaVersion = 16;
  // How long the integrity check at open may take: a quick_check of a 1 GB
  // store takes 2.5 s of CPU, so this covers about 2 GB on an idle machine; a
  // bigger store opens with the check incomplete (open_check() says so).
  static constexpr std::chrono::milliseconds kOpenCheckBudget{5000};

  // When Open() runs the integrity check. kInBackground (the daemon, whose
  // status server must answer at once): Open returns before it, the check
  // runs on a connection of its own, and every commit waits until it ends;
  // if it finds damage, the store is unhealthy for good (Health(), kind
  // corrupt) and every commit fails, so nothing is written to a damaged
  // file either way. A file that needs a migration is checked first
  // whatever is asked (the migration writes).
  enum class CheckTiming { kBeforeReturning, kInBackground };

  // Opens (creating if missing, mode 0600) the database at `path`, checks
  // its integrity (PRAGMA quick_check, stopped after `check_budget`),
  // enables WAL, applies pending migrations in order. Fails with
  // kInvalidArgument when the file's user_version is newer than
  // kSchemaVersion or it is not a database, kDataLoss when the check finds
  // damage (nothing is written to it then), kUnavailable when its directory
  // does not exist or the file cannot be opened or is locked beyond the busy
  // timeout. A store file, -wal or -shm open to group or others loses those
  // permissions (see warnings()).
  static Result<std::unique_ptr<Store>> Open(
      const std::string& path, std::chrono::milliseconds check_budget = kOpenCheckBudget,
      CheckTiming timing = CheckTiming::kBeforeReturning);

  // Opens the store at `path` for reading only (`sync --dry-run`): the file
  // is never created, migrated, switched to WAL or re-permissioned, and
  // every write through it fails. Fails with kNotFound when there is no
  // file, kInvalidArgument when its schema version is not kSchemaVersion
  // (Open() upgrades it), otherwise as Open().
  static Result<std::unique_ptr<Store>> OpenReadOnly(const std::string& path);

  // `salesaudit store check`: integrity_check of the whole file at `path`
  // (never created or migrated; only read), also while a daemon has it
  // open. Fails (kNotFound, kUnavailable) only when the check cannot run;
  // damage is in the report.
  static Result<StoreCheckReport> CheckFile(const std::string& path);

  // `salesaudit store backup`: a consistent copy of the store at `path` in
  // `destination`, through SQLite's online backup API (a daemon writing
  // meanwhile is not held up). The copy is written to a temporary name
  // beside `destination` with mode 0600, must pass quick_check, and then
  // replaces `destination` by a rename, so `destination` is always either
  // the old file or a whole, checked copy. kDataLoss when the copy fails
  // its check (the store is damaged: nothing is replaced).
  static Status Backup(const std::string& path, const std::string& destination);

  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // In ONE transaction: first stores `page.contact_aliases` (the first alias
  // of an id is kept; an existing contact row of the alias is merged into
  // its person as a merge deletion is, its deal_links rows moved too); then
  // upserts every record of `page` under `source` (an
  // upsert clears deleted_at: sources only list live records as records; a
  // contact, deal or email member whose stored updated_at is later than the record's is
  // left alone, so a stale copy from a lagging search index never overwrites
  // newer data; a contact whose id is an alias is not written, and counted
  // in `notes`), with every contact id that a deal's contact_ids, a deal
  // link or a stage event names read as the person its alias names;
  // replaces deal_contacts of each deal whose contact_ids is set, upserts
  // `page.deal_links` (a link's pair in deal_contacts; the pair it stated
  // before removed unless another live link states it) and
  // `page.stage_events` (origin = page.stream), then sets deleted_at on each
  // deletion (a deletion of a row not stored is ignored, so a connector that
  // wants an archived record kept sends it as a record too; a deleted link's
  // pair goes as a moved one's does; a deleted deal's live links are deleted
  // with it) and deletes the
  // stage events of each deleted contact (a merged one's move to the
  // survivor) and those whose origin is the deleted record in page.stream,
  // adds `page.value_issues` to value_issues,
  // and writes `page.cursor` to sync_state(source, page.stream). Either all of
  // it is stored or none; on failure the previous cursor stays. The order
  // and its reasons: docs/contracts.md "Links and aliases".
  Status CommitPage(const std::string& source, const Page& page, PageCommitNotes* notes = nullptr);

  // The stored cursor of a stream; "" when the stream never committed.
  Result<std::string> GetCursor(const std::string& connector, const std::string& stream);
  // Forgets the cursor (for `sync --full`); rows stay.
  Status ResetCursor(const std::string& connector, const std::string& stream);
  // A stream run finished: last_success_at = at_ms, last_error cleared.
  Status RecordSuccess(const std::string& connector, const std::string& stream, int64_t at_ms);
  // A stream run failed: last_error = message, last_error_at = at_ms; cursor untouched.
  Status RecordError(const std::string& connector, const std::string& stream,
                     const std::string& message, int64_t at_ms);
  Result<std::vector<StreamState>> ListStreamStates();

  // The latest change time of `source`'s records of `kind`, as
  // Page::NewestChangeAt reads a page (updated_at; occurred_at for events,
  // sent_at for campaigns); unset when none has one, or for owners.
  Result<TimeMs> NewestChangeAt(RecordKind kind, const std::string& source);
  // The number of `source`'s stored records of `kind`, counting deleted ones
  // only when include_deleted. Owners are never deleted (a removed owner is
  // an inactive one), so every owner counts.
  Result<int64_t> CountRows(RecordKind kind, const std::string& source, bool include_deleted);
  // The ids of `source`'s live (not deleted) records of `kind`, in id order:
  // what a connector whose vendor lists no deletions checks against a scan.
  Result<std::vector<std::string>> LiveIds(RecordKind kind, const std::string& source);

  // Read side for the audit and the tests. Three reads may run at once, each
  // on a read connection of its own (a fourth waits for one); a callback
  // holds its connection and must not call the read side (writes may go on).
  Status ForEachContact(const std::function<void(const StoredContact&)>& fn);
  // The address of each live contact that has one, in no set order: what
  // the audit matches email recipients against, without reading the rest.
  Status ForEachContactEmail(const std::function<void(std::string_view email)>& fn);
  Status ForEachDeal(const std::function<void(const StoredDeal&)>& fn);
  Status ForEachOwner(const std::function<void(const StoredOwner&)>& fn);
  Status ForEachEmailCampaign(const std::function<void(const StoredEmailCampaign&)>& fn);
  Status ForEachEmailEvent(const std::function<void(const StoredEmailEvent&)>& fn);
  Status ForEachEmailMember(const std::function<void(const StoredEmailMember&)>& fn);
  // Every recipient of one campaign with counted events whose address
  // `wanted` accepts, by email; events without a campaign id or an email are
  // not in it. `wanted` runs inside the scan, on each row before its counts
  // are read, so a row it turns down costs little more than its address.
  Status ForEachEmailRecipient(const std::string& source, const std::string& campaign_id,
                               const std::function<bool(std::string_view email)>& wanted,
                               const std::function<void(const EmailRecipient&)>& fn);
  // Every campaign that has counted events, by source then campaign id.
  Status ForEachEmailCampaignTotals(const std::function<void(const EmailCampaignTotals&)>& fn);
  // Every live click with a campaign, an email and a time, ordered by source,
  // campaign id, email, then time (served by a partial index over clicks
  // only, so it reads no other event).
  Status ForEachEmailClick(const std::function<void(const EmailClick&)>& fn);
  // Every stage event, by source, contact id, stage, origin, origin id.
  Status ForEachStageEvent(const std::function<void(const StoredStageEvent&)>& fn);
  // Every link of a live deal to a contact (the contact may be deleted or
  // missing), by source then deal id.
  Status ForEachLinkedDeal(const std::function<void(const LinkedDeal&)>& fn);
  // (deal_id, contact_id) pairs of one source.
  Result<std::vector<std::pair<std::string, std::string>>> DealContacts(const std::string& source);

  // Every row of value_issues, by connector, stream, property.
  Result<std::vector<ValueIssueCount>> ValueIssueCounts();

  // Saves `row` and prunes the history by `retention`, in one transaction;
  // returns the new row's id.
  Result<int64_t> SaveSnapshot(const SnapshotRow& row, const SnapshotRetention& retention);
  // The most recently computed snapshot of that purpose; nullopt when none.
  Result<std::optional<SnapshotRow>> LatestSnapshot(
      SnapshotPurpose purpose = SnapshotPurpose::kLive);

  // Alerts. In ONE transaction: replaces the states of the alerts given,
  // removes those `removed` names (a rule or connector gone from the config),
  // replaces the memories of the groups given, and queues `queued` (a key
  // already queued is kept as it is), so a crash never keeps a state without
  // the notification it called for, nor the reverse.
  Status SaveAlertRound(const std::vector<AlertStateRow>& states,
                        const std::vector<AlertKey>& removed,
                        const std::vector<AlertGroupRow>& groups,
                        const std::vector<OutboxRow>& queued);
  Result<std::vector<AlertStateRow>> AlertStates();  // by rule, instance
  Result<std::vector<AlertGroupRow>> AlertGroups();  // by group id
  // Neither delivered nor dropped, next_attempt_at <= now_ms, oldest first.
  Result<std::vector<OutboxRow>> DueNotifications(int64_t now_ms, int limit);
  // Notifications newest first, at most `limit`: every one, or with
  // `finished_only` just those delivered or dropped (for `alerts`).
  Result<std::vector<OutboxRow>> RecentNotifications(int limit, bool finished_only = false);
  // Commits attempts + 1 and last_attempt_at before a delivery attempt, so
  // an attempt cut short by a crash is still counted after a restart.
  Status RecordNotificationAttempt(int64_t id, int64_t at_ms);
  // How many notifications wait (neither delivered nor dropped), when the
  // oldest of them was queued and when the next attempt is due.
  Result<OutboxBacklog> WaitingNotifications();
  // The outcome of the attempt RecordNotificationAttempt counted (a drop
  // without an attempt, for a receiver gone or max_age, counts none).
  Status MarkNotificationDelivered(int64_t id, int64_t at_ms);
  // A failed attempt: the error and the next try.
  Status MarkNotificationFailed(int64_t id, const std::string& error, int64_t next_attempt_at_ms);
  Status MarkNotificationDropped(int64_t id, const std::string& error, int64_t at_ms);
  Result<int64_t> AddSilence(const SilenceRow& silence);  // returns the new id
  Result<std::vector<SilenceRow>> Silences();             // by id
  // Ends the silence at `at_ms` (if it ends later); kNotFound for no such id.
  Status ExpireSilence(int64_t id, int64_t at_ms);

  // The database's user_version (for tests and `status`).
  Result<int> SchemaVersion();

  // What Open() changed or noticed that the operator should know (a file's
  // permissions narrowed), to log.
  const std::vector<std::string>& warnings() const;
  // How the integrity check at open went; waits for one in the background.
  const StoreOpenCheck& open_check() const;
  // What the integrity check at open found, waiting for one in the
  // background: kDataLoss naming the file and the damage, kUnavailable when
  // it could not run, OK otherwise (also when it stopped unfinished).
  Status OpenCheckOutcome() const;

  // For a process that is stopping: the read side's scans in flight stop,
  // and those started later fail at once, with kCancelled (an audit in
  // flight ends without a snapshot); a background open check stops as if
  // its budget ran out. Writes go on. Safe from any thread, for good. A
  // store in memory (":memory:") has no read side of its own: its reads go on.
  void CancelReads();

  // Compares the file now at the path with the one open (device and inode:
  // removed, replaced), then reports the faults operations met: damage
  // (SQLITE_CORRUPT or NOTADB, after which a full integrity check runs
  // once) and a file removed or replaced last until the process ends; a
  // write that failed for lack of space, an I/O error or a read-only file
  // counts until that same write (a stream's page, a snapshot, an alert
  // round) next commits. Once the file is removed or replaced, no commit
  // reaches the unlinked file: each fails with kUnavailable.
  // Metrics: salesaudit_store_errors_total{kind} counts failed operations.
  // Cheap (one stat); never waits for a running store operation.
  StoreHealth Health();

 private:
  static Result<std::unique_ptr<Store>> OpenFile(const std::string& path,
                                                 std::chrono::milliseconds check_budget,
                                                 bool read_only, CheckTiming timing);
  struct Impl;
  explicit Store(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace salesaudit
