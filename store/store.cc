#include "store/store.h"

#include <sqlite3.h>

#include <algorithm>
#include <array>
#include <deque>
#include <functional>
#include <iterator>
#include <map>
#include <mutex>
#include <string_view>
#include <utility>

#include "core/metrics.h"
#include "core/time_util.h"
#include "store/store_file.h"

namespace salesaudit {
namespace {

constexpr int kBusyTimeoutMs = 5000;

// One step of the schema. Steps are applied in order, each in its own
// transaction together with the bump of PRAGMA user_version, so a crash
// leaves the file at a whole version. Released steps are never edited: a
// change to the schema is a new step.
struct Migration {
  int version;
  const char* sql;
};

// Version 1: the documented tables (DESIGN.md "Store"). Every table keyed by
// (source, id) is WITHOUT ROWID: the primary key is the only lookup the sync
// path makes, and a clustered key saves the separate rowid-to-key index on
// every upsert. email_campaigns and email_events carry deleted_at too, so
// every record kind a Deletion names has somewhere to record it.
constexpr const char* kSchemaV1 = R"sql(
CREATE TABLE contacts (
  source TEXT NOT NULL CHECK (source <> ''),
  id TEXT NOT NULL CHECK (id <> ''),
  email TEXT,
  first_name TEXT,
  last_name TEXT,
  owner_id TEXT,
  channel TEXT,
  lifecycle_stage TEXT,
  lead_status TEXT,
  created_at INTEGER,
  mql_at INTEGER,
  contacted_at INTEGER,
  sql_at INTEGER,
  customer_at INTEGER,
  updated_at INTEGER,
  deleted_at INTEGER,
  PRIMARY KEY (source, id)
) WITHOUT ROWID;

CREATE TABLE deals (
  source TEXT NOT NULL CHECK (source <> ''),
  id TEXT NOT NULL CHECK (id <> ''),
  name TEXT,
  owner_id TEXT,
  pipeline TEXT,
  stage TEXT,
  amount REAL,
  currency TEXT,
  created_at INTEGER,
  closed_at INTEGER,
  is_closed INTEGER NOT NULL DEFAULT 0 CHECK (is_closed IN (0, 1)),
  is_won INTEGER NOT NULL DEFAULT 0 CHECK (is_won IN (0, 1)),
  updated_at INTEGER,
  deleted_at INTEGER,
  PRIMARY KEY (source, id)
) WITHOUT ROWID;

CREATE TABLE deal_contacts (
  source TEXT NOT NULL CHECK (source <> ''),
  deal_id TEXT NOT NULL CHECK (deal_id <> ''),
  contact_id TEXT NOT NULL CHECK (contact_id <> ''),
  PRIMARY KEY (source, deal_id, contact_id)
) WITHOUT ROWID;

CREATE TABLE owners (
  source TEXT NOT NULL CHECK (source <> ''),
  id TEXT NOT NULL CHECK (id <> ''),
  email TEXT,
  name TEXT,
  active INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
  PRIMARY KEY (source, id)
) WITHOUT ROWID;

CREATE TABLE email_campaigns (
  source TEXT NOT NULL CHECK (source <> ''),
  id TEXT NOT NULL CHECK (id <> ''),
  name TEXT,
  subject TEXT,
  kind TEXT,
  sent_at INTEGER,
  deleted_at INTEGER,
  PRIMARY KEY (source, id)
) WITHOUT ROWID;

CREATE TABLE email_events (
  source TEXT NOT NULL CHECK (source <> ''),
  id TEXT NOT NULL CHECK (id <> ''),
  campaign_id TEXT,
  email TEXT,
  type TEXT,
  occurred_at INTEGER,
  url TEXT,
  deleted_at INTEGER,
  PRIMARY KEY (source, id)
) WITHOUT ROWID;

CREATE TABLE sync_state (
  connector TEXT NOT NULL CHECK (connector <> ''),
  stream TEXT NOT NULL CHECK (stream <> ''),
  cursor TEXT,
  last_success_at INTEGER,
  last_error TEXT,
  last_error_at INTEGER,
  PRIMARY KEY (connector, stream)
) WITHOUT ROWID;

CREATE TABLE audit_snapshots (
  id INTEGER PRIMARY KEY,
  computed_at INTEGER NOT NULL,
  window_from INTEGER,
  window_to INTEGER,
  json TEXT NOT NULL
);
)sql";

// Version 2: indexes and the read-only views with ISO-8601 text times.
//
// Only indexes whose keys arrive in roughly ascending order are kept. The sync
// path commits every page of 100-200 records; an index keyed by a value that
// is random with respect to arrival order (an email, a created date when
// pages come in modification order) dirties one leaf page per row, and each
// dirty page is written to the WAL and checkpointed again. With
// contacts(created_at) and contacts(source, email), sync_bench of 200k
// contacts took 19.9 us of client CPU per contact (the budget is 20 us);
// without them 7.4 us. The audit reads whole tables and needs neither; a BI
// user who wants them can create them in the file. Our index names always
// start with their table's name, so a user's index named otherwise never
// clashes with a later migration.
constexpr const char* kSchemaV2 = R"sql(
CREATE INDEX deals_source_owner ON deals (source, owner_id);
CREATE INDEX deal_contacts_contact ON deal_contacts (source, contact_id);
CREATE INDEX email_events_campaign ON email_events (source, campaign_id);
CREATE INDEX audit_snapshots_computed_at ON audit_snapshots (computed_at);

CREATE VIEW v_contacts AS SELECT
  source, id, email, first_name, last_name, owner_id, channel, lifecycle_stage, lead_status,
  strftime('%Y-%m-%dT%H:%M:%fZ', created_at / 1000.0, 'unixepoch') AS created_at,
  strftime('%Y-%m-%dT%H:%M:%fZ', mql_at / 1000.0, 'unixepoch') AS mql_at,
  strftime('%Y-%m-%dT%H:%M:%fZ', contacted_at / 1000.0, 'unixepoch') AS contacted_at,
  strftime('%Y-%m-%dT%H:%M:%fZ', sql_at / 1000.0, 'unixepoch') AS sql_at,
  strftime('%Y-%m-%dT%H:%M:%fZ', customer_at / 1000.0, 'unixepoch') AS customer_at,
  strftime('%Y-%m-%dT%H:%M:%fZ', updated_at / 1000.0, 'unixepoch') AS updated_at,
  strftime('%Y-%m-%dT%H:%M:%fZ', deleted_at / 1000.0, 'unixepoch') AS deleted_at
FROM contacts;

CREATE VIEW v_deals AS SELECT
  source, id, name, owner_id, pipeline, stage, amount, currency,
  strftime('%Y-%m-%dT%H:%M:%fZ', created_at / 1000.0, 'unixepoch') AS created_at,
  strftime('%Y-%m-%dT%H:%M:%fZ', closed_at / 1000.0, 'unixepoch') AS closed_at,
  is_closed, is_won,
  strftime('%Y-%m-%dT%H:%M:%fZ', updated_at / 1000.0, 'unixepoch') AS updated_at,
  strftime('%Y-%m-%dT%H:%M:%fZ', deleted_at / 1000.0, 'unixepoch') AS deleted_at
FROM deals;

CREATE VIEW v_email_events AS SELECT
  source, id, campaign_id, email, type,
  strftime('%Y-%m-%dT%H:%M:%fZ', occurred_at / 1000.0, 'unixepoch') AS occurred_at,
  url,
  strftime('%Y-%m-%dT%H:%M:%fZ', deleted_at / 1000.0, 'unixepoch') AS deleted_at
FROM email_events;
)sql";

// Version 3: machine opens, and per-campaign counts kept at write time.
//
// email_events.machine marks an open (or, from version 5 on, a click) the
// source reports as machine-made or filtered; such events are never a
// human's. The audit asks, per campaign,
// how many distinct recipients were sent, delivered, opened (by a human),
// clicked...; over tens of millions of events, counting them at read time
// takes seconds. Two tables are kept current as events are written instead,
// so reading them costs one row per campaign:
// - email_campaign_recipients: per (source, campaign_id, email), how many
//   live events of each type the recipient has;
// - email_campaign_stats: per (source, campaign_id), how many recipients have
//   at least one of each type, and the earliest live event's time.
// An event counts while it is live (deleted_at NULL) and names a campaign
// and an email. From version 5 on, the store's write path counts the events
// a page inserts (one upsert per campaign, then one per recipient, for the
// whole page); triggers on email_events count the rest: an update that
// moves an event (new type, campaign, time, deletion) takes the old version
// out and puts the new one in, a re-synced identical event fires nothing,
// and a deleted row is taken out. Triggers on email_campaign_recipients keep
// the stats' recipient counts. The stats row is always written before the
// recipient row, so the recipient triggers always find it. The triggers on
// email_events and the clicks index are (re)created by version 5.
// email_events_clicks serves the click list (leads and content attribution)
// without reading the other events. It carries type and deleted_at although
// its WHERE fixes them: SQLite still tests the query's terms on each row, and
// without the columns it reads every click's table row (0.55 s instead of
// 0.09 s for 300k clicks among 10M events).
constexpr const char* kSchemaV3 = R"sql(
ALTER TABLE email_events ADD COLUMN machine INTEGER NOT NULL DEFAULT 0 CHECK (machine IN (0, 1));

CREATE TABLE email_campaign_recipients (
  source TEXT NOT NULL,
  campaign_id TEXT NOT NULL,
  email TEXT NOT NULL,
  sent INTEGER NOT NULL DEFAULT 0,
  delivered INTEGER NOT NULL DEFAULT 0,
  human_opens INTEGER NOT NULL DEFAULT 0,
  machine_opens INTEGER NOT NULL DEFAULT 0,
  clicks INTEGER NOT NULL DEFAULT 0,
  bounces INTEGER NOT NULL DEFAULT 0,
  unsubscribes INTEGER NOT NULL DEFAULT 0,
  spam_reports INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (source, campaign_id, email)
) WITHOUT ROWID;

CREATE TABLE email_campaign_stats (
  source TEXT NOT NULL,
  campaign_id TEXT NOT NULL,
  sent INTEGER NOT NULL DEFAULT 0,
  delivered INTEGER NOT NULL DEFAULT 0,
  opened INTEGER NOT NULL DEFAULT 0,
  machine_opened INTEGER NOT NULL DEFAULT 0,
  clicked INTEGER NOT NULL DEFAULT 0,
  bounced INTEGER NOT NULL DEFAULT 0,
  unsubscribed INTEGER NOT NULL DEFAULT 0,
  spam_reported INTEGER NOT NULL DEFAULT 0,
  first_event_at INTEGER,
  PRIMARY KEY (source, campaign_id)
) WITHOUT ROWID;

INSERT INTO email_campaign_recipients (source, campaign_id, email, sent, delivered, human_opens,
  machine_opens, clicks, bounces, unsubscribes, spam_reports)
SELECT source, campaign_id, email, sum(type = 'sent'), sum(type = 'delivered'),
  sum(type = 'open' AND machine = 0), sum(type = 'open' AND machine <> 0), sum(type = 'click'),
  sum(type = 'bounce'), sum(type = 'unsubscribe'), sum(type = 'spam')
FROM email_events
WHERE deleted_at IS NULL AND campaign_id IS NOT NULL AND email IS NOT NULL
GROUP BY source, campaign_id, email;

INSERT INTO email_campaign_stats (source, campaign_id, sent, delivered, opened, machine_opened,
  clicked, bounced, unsubscribed, spam_reported, first_event_at)
SELECT r.source, r.campaign_id, sum(r.sent > 0), sum(r.delivered > 0), sum(r.human_opens > 0),
  sum(r.machine_opens > 0), sum(r.clicks > 0), sum(r.bounces > 0), sum(r.unsubscribes > 0),
  sum(r.spam_reports > 0),
  (SELECT min(e.occurred_at) FROM email_events e WHERE e.source = r.source
     AND e.campaign_id = r.campaign_id AND e.email IS NOT NULL AND e.deleted_at IS NULL)
FROM email_campaign_recipients r
GROUP BY r.source, r.campaign_id;

CREATE TRIGGER email_campaign_recipients_counted AFTER INSERT ON email_campaign_recipients
BEGIN
  UPDATE email_campaign_stats SET
    sent = sent + (new.sent > 0), delivered = delivered + (new.delivered > 0),
    opened = opened + (new.human_opens > 0), machine_opened = machine_opened + (new.machine_opens > 0),
    clicked = clicked + (new.clicks > 0), bounced = bounced + (new.bounces > 0),
    unsubscribed = unsubscribed + (new.unsubscribes > 0),
    spam_reported = spam_reported + (new.spam_reports > 0)
  WHERE source = new.source AND campaign_id = new.campaign_id;
END;

CREATE TRIGGER email_campaign_recipients_recounted AFTER UPDATE ON email_campaign_recipients
WHEN (old.sent > 0) <> (new.sent > 0) OR (old.delivered > 0) <> (new.delivered > 0)
  OR (old.human_opens > 0) <> (new.human_opens > 0)
  OR (old.machine_opens > 0) <> (new.machine_opens > 0) OR (old.clicks > 0) <> (new.clicks > 0)
  OR (old.bounces > 0) <> (new.bounces > 0) OR (old.unsubscribes > 0) <> (new.unsubscribes > 0)
  OR (old.spam_reports > 0) <> (new.spam_reports > 0)
BEGIN
  UPDATE email_campaign_stats SET
    sent = sent + (new.sent > 0) - (old.sent > 0),
    delivered = delivered + (new.delivered > 0) - (old.delivered > 0),
    opened = opened + (new.human_opens > 0) - (old.human_opens > 0),
    machine_opened = machine_opened + (new.machine_opens > 0) - (old.machine_opens > 0),
    clicked = clicked + (new.clicks > 0) - (old.clicks > 0),
    bounced = bounced + (new.bounces > 0) - (old.bounces > 0),
    unsubscribed = unsubscribed + (new.unsubscribes > 0) - (old.unsubscribes > 0),
    spam_reported = spam_reported + (new.spam_reports > 0) - (old.spam_reports > 0)
  WHERE source = new.source AND campaign_id = new.campaign_id;
END;

DROP VIEW v_email_events;
CREATE VIEW v_email_events AS SELECT
  source, id, campaign_id, email, type,
  strftime('%Y-%m-%dT%H:%M:%fZ', occurred_at / 1000.0, 'unixepoch') AS occurred_at,
  url, machine,
  strftime('%Y-%m-%dT%H:%M:%fZ', deleted_at / 1000.0, 'unixepoch') AS deleted_at
FROM email_events;
)sql";

// Version 4: what each snapshot was computed from, so a snapshot can be
// traced to a configuration and to the data the syncs had committed.
constexpr const char* kSchemaV4 = R"sql(
ALTER TABLE audit_snapshots ADD COLUMN config_hash TEXT;
ALTER TABLE audit_snapshots ADD COLUMN cursors TEXT;
)sql";

// Version 5: an email tool's audience apart from the CRM's contacts (so its
// subscribers never enter the funnel as leads), the totals the email tools
// report for each campaign next to the ones derived from events, HubSpot
// event ids that sort by time, and new events counted per page by the
// store's write path rather than per event by a trigger (email_bench: 4 us
// per event less at 1M events; see the version 3 comment).
constexpr const char* kSchemaV5 = R"sql(
CREATE TABLE email_members (
  source TEXT NOT NULL CHECK (source <> ''),
  id TEXT NOT NULL CHECK (id <> ''),
  email TEXT,
  first_name TEXT,
  last_name TEXT,
  status TEXT,
  opted_in_at INTEGER,
  updated_at INTEGER,
  deleted_at INTEGER,
  PRIMARY KEY (source, id)
) WITHOUT ROWID;

CREATE VIEW v_email_members AS SELECT
  source, id, email, first_name, last_name, status,
  strftime('%Y-%m-%dT%H:%M:%fZ', opted_in_at / 1000.0, 'unixepoch') AS opted_in_at,
  strftime('%Y-%m-%dT%H:%M:%fZ', updated_at / 1000.0, 'unixepoch') AS updated_at,
  strftime('%Y-%m-%dT%H:%M:%fZ', deleted_at / 1000.0, 'unixepoch') AS deleted_at
FROM email_members;

ALTER TABLE email_campaigns ADD COLUMN reported_sent INTEGER;
ALTER TABLE email_campaigns ADD COLUMN reported_delivered INTEGER;
ALTER TABLE email_campaigns ADD COLUMN reported_opens INTEGER;
ALTER TABLE email_campaigns ADD COLUMN reported_unique_opens INTEGER;
ALTER TABLE email_campaigns ADD COLUMN reported_clicks INTEGER;
ALTER TABLE email_campaigns ADD COLUMN reported_unique_clicks INTEGER;
ALTER TABLE email_campaigns ADD COLUMN reported_bounces INTEGER;
ALTER TABLE email_campaigns ADD COLUMN reported_unsubscribes INTEGER;
ALTER TABLE email_campaigns ADD COLUMN reported_spam_reports INTEGER;

-- email_events_campaign served only the triggers' recount of a campaign's
-- first_event_at, which runs when the event holding that time is moved or
-- deleted (no connector does either today: re-synced events are identical).
-- Keeping it cost 10-20% of the client CPU of an events sync (email_bench,
-- 1M events); without it that rare recount reads the whole table.
DROP INDEX IF EXISTS email_events_campaign;

-- A click the source marks as a machine's (a link scanner) is no click, as a
-- machine open is no open: it is kept apart in machine_clicks. Stores
-- migrated to 3 or 4 counted them as clicks: move them (the recipients'
-- trigger corrects the campaign totals), then (re)create the event triggers
-- for updates and deletions (an insert is counted by the store's write
-- path, so the insert trigger of earlier versions goes) and the clicks
-- index, which version 3 leaves to this one.
DROP TRIGGER IF EXISTS email_events_counted;
DROP TRIGGER IF EXISTS email_events_recounted;
DROP TRIGGER IF EXISTS email_events_uncounted;
DROP INDEX IF EXISTS email_events_clicks;
ALTER TABLE email_campaign_recipients ADD COLUMN machine_clicks INTEGER NOT NULL DEFAULT 0;
UPDATE email_campaign_recipients
SET clicks = clicks - flagged.n, machine_clicks = flagged.n
FROM (SELECT source, campaign_id, email, count(*) AS n FROM email_events
      WHERE type = 'click' AND machine <> 0 AND deleted_at IS NULL
        AND campaign_id IS NOT NULL AND email IS NOT NULL
      GROUP BY source, campaign_id, email) AS flagged
WHERE email_campaign_recipients.source = flagged.source
  AND email_campaign_recipients.campaign_id = flagged.campaign_id
  AND email_campaign_recipients.email = flagged.email;

-- HubSpot event ids were "<id>:<created>"; they are now
-- "<created, 13 digits zero-padded>:<id>", so a sync appends to the primary
-- key in arrival order instead of writing all over it. Rewrite the stored
-- ones: exactly one ':' and an all-digit suffix (Mailchimp's ids have three
-- colons and stay).
UPDATE email_events
SET id = printf('%013d', CAST(substr(id, instr(id, ':') + 1) AS INTEGER)) || ':' ||
  substr(id, 1, instr(id, ':') - 1)
WHERE id GLOB '*:*' AND id NOT GLOB '*:*:*' AND id NOT GLOB '*:'
  AND substr(id, instr(id, ':') + 1) NOT GLOB '*[^0-9]*';

CREATE TRIGGER email_events_recounted AFTER UPDATE ON email_events
WHEN old.campaign_id IS NOT new.campaign_id OR old.email IS NOT new.email
  OR old.type IS NOT new.type OR old.machine IS NOT new.machine
  OR old.occurred_at IS NOT new.occurred_at OR (old.deleted_at IS NULL) <> (new.deleted_at IS NULL)
BEGIN
  UPDATE email_campaign_recipients SET
    sent = sent - (old.type = 'sent'), delivered = delivered - (old.type = 'delivered'),
    human_opens = human_opens - (old.type = 'open' AND old.machine = 0),
    machine_opens = machine_opens - (old.type = 'open' AND old.machine <> 0),
    clicks = clicks - (old.type = 'click' AND old.machine = 0),
    machine_clicks = machine_clicks - (old.type = 'click' AND old.machine <> 0),
    bounces = bounces - (old.type = 'bounce'),
    unsubscribes = unsubscribes - (old.type = 'unsubscribe'),
    spam_reports = spam_reports - (old.type = 'spam')
  WHERE old.deleted_at IS NULL AND source = old.source AND campaign_id = old.campaign_id
    AND email = old.email;
  UPDATE email_campaign_stats SET first_event_at =
    (SELECT min(e.occurred_at) FROM email_events e WHERE e.source = old.source
       AND e.campaign_id = old.campaign_id AND e.email IS NOT NULL AND e.deleted_at IS NULL)
  WHERE old.deleted_at IS NULL AND source = old.source AND campaign_id = old.campaign_id
    AND first_event_at = old.occurred_at;
  INSERT INTO email_campaign_stats (source, campaign_id, first_event_at)
  SELECT new.source, new.campaign_id, new.occurred_at
  WHERE new.deleted_at IS NULL AND new.campaign_id IS NOT NULL AND new.email IS NOT NULL
  ON CONFLICT (source, campaign_id) DO UPDATE SET first_event_at = excluded.first_event_at
  WHERE excluded.first_event_at < email_campaign_stats.first_event_at
    OR email_campaign_stats.first_event_at IS NULL;
  INSERT INTO email_campaign_recipients (source, campaign_id, email, sent, delivered, human_opens,
    machine_opens, clicks, machine_clicks, bounces, unsubscribes, spam_reports)
  SELECT new.source, new.campaign_id, new.email, new.type = 'sent', new.type = 'delivered',
    new.type = 'open' AND new.machine = 0, new.type = 'open' AND new.machine <> 0,
    new.type = 'click' AND new.machine = 0, new.type = 'click' AND new.machine <> 0,
    new.type = 'bounce', new.type = 'unsubscribe',
    new.type = 'spam'
  WHERE new.deleted_at IS NULL AND new.campaign_id IS NOT NULL AND new.email IS NOT NULL
  ON CONFLICT (source, campaign_id, email) DO UPDATE SET
    sent = sent + excluded.sent, delivered = delivered + excluded.delivered,
    human_opens = human_opens + excluded.human_opens,
    machine_opens = machine_opens + excluded.machine_opens, clicks = clicks + excluded.clicks,
    machine_clicks = machine_clicks + excluded.machine_clicks,
    bounces = bounces + excluded.bounces, unsubscribes = unsubscribes + excluded.unsubscribes,
    spam_reports = spam_reports + excluded.spam_reports;
END;

CREATE TRIGGER email_events_uncounted AFTER DELETE ON email_events
WHEN old.deleted_at IS NULL AND old.campaign_id IS NOT NULL AND old.email IS NOT NULL
BEGIN
  UPDATE email_campaign_recipients SET
    sent = sent - (old.type = 'sent'), delivered = delivered - (old.type = 'delivered'),
    human_opens = human_opens - (old.type = 'open' AND old.machine = 0),
    machine_opens = machine_opens - (old.type = 'open' AND old.machine <> 0),
    clicks = clicks - (old.type = 'click' AND old.machine = 0),
    machine_clicks = machine_clicks - (old.type = 'click' AND old.machine <> 0),
    bounces = bounces - (old.type = 'bounce'),
    unsubscribes = unsubscribes - (old.type = 'unsubscribe'),
    spam_reports = spam_reports - (old.type = 'spam')
  WHERE source = old.source AND campaign_id = old.campaign_id AND email = old.email;
  UPDATE email_campaign_stats SET first_event_at =
    (SELECT min(e.occurred_at) FROM email_events e WHERE e.source = old.source
       AND e.campaign_id = old.campaign_id AND e.email IS NOT NULL AND e.deleted_at IS NULL)
  WHERE source = old.source AND campaign_id = old.campaign_id
    AND first_event_at = old.occurred_at;
END;

CREATE INDEX email_events_clicks
  ON email_events (source, campaign_id, email, occurred_at, type, deleted_at, machine)
  WHERE type = 'click' AND deleted_at IS NULL AND machine = 0;
)sql";

// Version 6: what the alerts keep so a restart or a reload neither forgets
// an alert nor sends a notification twice: each rule's state, what each
// (receiver, group) was last told, the outbox of notifications (written in
// the same transaction as the state that queued them, removed from the
// queue only once delivered or dropped), and silences.
constexpr const char* kSchemaV6 = R"sql(
CREATE TABLE alert_states (
  rule TEXT NOT NULL PRIMARY KEY CHECK (rule <> ''),
  phase TEXT NOT NULL CHECK (phase IN ('inactive', 'pending', 'firing')),
  active_since INTEGER,
  fired_at INTEGER,
  last_held_at INTEGER,
  resolved_at INTEGER,
  value REAL,
  labels TEXT NOT NULL DEFAULT '{}',
  annotations TEXT NOT NULL DEFAULT '{}'
) WITHOUT ROWID;

CREATE TABLE alert_groups (
  group_id TEXT NOT NULL PRIMARY KEY,
  last_sent_at INTEGER,
  firing TEXT NOT NULL DEFAULT '[]'
) WITHOUT ROWID;

CREATE TABLE notification_outbox (
  id INTEGER PRIMARY KEY,
  idempotency_key TEXT NOT NULL UNIQUE,
  receiver TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  payload TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL,
  last_error TEXT,
  delivered_at INTEGER,
  dropped_at INTEGER
);
CREATE INDEX notification_outbox_due ON notification_outbox (next_attempt_at)
  WHERE delivered_at IS NULL AND dropped_at IS NULL;

CREATE TABLE silences (
  id INTEGER PRIMARY KEY,
  matchers TEXT NOT NULL,
  starts_at INTEGER NOT NULL,
  ends_at INTEGER NOT NULL,
  created_by TEXT,
  comment TEXT
);
)sql";

// Version 7: built-in alert checks. A rule may raise one alert per
// connector, so an alert state is keyed by (rule, instance), instance being
// the connector ('' for a rule on the snapshot). sync_state counts the
// failed runs of each stream since its last success.
constexpr const char* kSchemaV7 = R"sql(
CREATE TABLE alert_states_v7 (
  rule TEXT NOT NULL CHECK (rule <> ''),
  instance TEXT NOT NULL DEFAULT '',
  phase TEXT NOT NULL CHECK (phase IN ('inactive', 'pending', 'firing')),
  active_since INTEGER,
  fired_at INTEGER,
  last_held_at INTEGER,
  resolved_at INTEGER,
  value REAL,
  labels TEXT NOT NULL DEFAULT '{}',
  annotations TEXT NOT NULL DEFAULT '{}',
  PRIMARY KEY (rule, instance)
) WITHOUT ROWID;
INSERT INTO alert_states_v7 (rule, instance, phase, active_since, fired_at, last_held_at,
                             resolved_at, value, labels, annotations)
  SELECT rule, '', phase, active_since, fired_at, last_held_at, resolved_at, value, labels,
         annotations FROM alert_states;
DROP TABLE alert_states;
ALTER TABLE alert_states_v7 RENAME TO alert_states;

ALTER TABLE sync_state ADD COLUMN failures_in_a_row INTEGER NOT NULL DEFAULT 0;
UPDATE sync_state SET failures_in_a_row = 1
  WHERE last_error_at IS NOT NULL
    AND (last_success_at IS NULL OR last_error_at > last_success_at);
)sql";

// Version 8: when a notification's last delivery attempt started. The
// attempt is committed before it is made, so one cut short by a crash is
// still counted (and dated) after the restart.
constexpr const char* kSchemaV8 = R"sql(
ALTER TABLE notification_outbox ADD COLUMN last_attempt_at INTEGER;
)sql";

// Version 9: values from sources that were repaired or dropped before
// storing (core/page_check.h), counted per connector, stream and property
// for the audit's data_quality.values_rejected.
constexpr const char* kSchemaV9 = R"sql(
CREATE TABLE value_issues (
  connector TEXT NOT NULL,
  stream TEXT NOT NULL,
  property TEXT NOT NULL,
  count INTEGER NOT NULL,
  last_record_id TEXT,
  last_problem TEXT NOT NULL,
  last_seen_at INTEGER NOT NULL,
  PRIMARY KEY (connector, stream, property)
) WITHOUT ROWID;
)sql";

// Version 10: what each snapshot was for (SnapshotPurpose). Snapshots from
// before it cannot tell and count as live, as the daemon's were.
constexpr const char* kSchemaV10 = R"sql(
ALTER TABLE audit_snapshots ADD COLUMN purpose TEXT NOT NULL DEFAULT 'live'
  CHECK (purpose IN ('live', 'one_off'));
CREATE INDEX audit_snapshots_purpose ON audit_snapshots (purpose, computed_at);
)sql";

constexpr Migration kMigrations[] = {
    {1, kSchemaV1}, {2, kSchemaV2}, {3, kSchemaV3}, {4, kSchemaV4}, {5, kSchemaV5},
    {6, kSchemaV6}, {7, kSchemaV7}, {8, kSchemaV8}, {9, kSchemaV9}, {10, kSchemaV10},
};
static_assert(kMigrations[std::size(kMigrations) - 1].version == Store::kSchemaVersion,
              "Store::kSchemaVersion must name the last migration");

// The documented tables CountRows accepts, with the column that holds the
// source (sync_state calls it connector; audit_snapshots has none) and
// whether rows can be marked deleted.
struct CountableTable {
  std::string_view name;
  const char* source_column;  // nullptr: not per source
  bool has_deleted_at;
};
constexpr CountableTable kCountableTables[] = {
    {"contacts", "source", true},
    {"deals", "source", true},
    {"deal_contacts", "source", false},
    {"owners", "source", false},
    {"email_campaigns", "source", true},
    {"email_events", "source", true},
    {"sync_state", "connector", false},
    {"audit_snapshots", nullptr, false},
    {"email_campaign_recipients", "source", false},
    {"email_campaign_stats", "source", false},
    {"email_members", "source", true},
};
constexpr size_t kCountableTableCount = std::size(kCountableTables);

StatusCode CodeForSqlite(int rc) {
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_CANTOPEN:
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_READONLY:
    case SQLITE_PROTOCOL:
      return StatusCode::kUnavailable;
    case SQLITE_CONSTRAINT:
    case SQLITE_MISMATCH:
    case SQLITE_TOOBIG:
    case SQLITE_CORRUPT:
      return StatusCode::kDataLoss;
    case SQLITE_NOTADB:
      return StatusCode::kInvalidArgument;
    default:
      return StatusCode::kInternal;
  }
}

Status MakeStatus(StatusCode code, std::string message) {
  switch (code) {
    case StatusCode::kUnavailable:
      return Status::Unavailable(std::move(message));
    case StatusCode::kDataLoss:
      return Status::DataLoss(std::move(message));
    case StatusCode::kInvalidArgument:
      return Status::InvalidArgument(std::move(message));
    default:
      return Status::Internal(std::move(message));
  }
}

// An owned prepared statement, finalized with its owner.
class Statement {
 public:
  Statement() = default;
  ~Statement() { sqlite3_finalize(stmt_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  sqlite3_stmt* get() const { return stmt_; }
  sqlite3_stmt** out() { return &stmt_; }

 private:
  sqlite3_stmt* stmt_ = nullptr;
};

// Resets a statement when a scope ends, however it ends, so no statement
// keeps a read transaction open (which would stop WAL checkpoints).
class ResetOnExit {
 public:
  explicit ResetOnExit(sqlite3_stmt* stmt) : stmt_(stmt) {}
  ~ResetOnExit() { sqlite3_reset(stmt_); }
  ResetOnExit(const ResetOnExit&) = delete;
  ResetOnExit& operator=(const ResetOnExit&) = delete;

 private:
  sqlite3_stmt* stmt_;
};

// Binders: the bound text points into the caller's strings (SQLITE_STATIC), so
// nothing is copied per row; the statement is stepped before they go away.
// An empty string is unknown and stored as NULL.
void BindText(sqlite3_stmt* s, int i, std::string_view v) {
  if (v.empty()) {
    sqlite3_bind_null(s, i);
  } else {
    sqlite3_bind_text(s, i, v.data(), static_cast<int>(v.size()), SQLITE_STATIC);
  }
}

void BindTime(sqlite3_stmt* s, int i, const TimeMs& v) {
  if (v) {
    sqlite3_bind_int64(s, i, *v);
  } else {
    sqlite3_bind_null(s, i);
  }
}

void BindReal(sqlite3_stmt* s, int i, const std::optional<double>& v) {
  if (v) {
    sqlite3_bind_double(s, i, *v);
  } else {
    sqlite3_bind_null(s, i);
  }
}

void BindBool(sqlite3_stmt* s, int i, bool v) { sqlite3_bind_int(s, i, v ? 1 : 0); }

void ReadText(sqlite3_stmt* s, int i, std::string* out) {
  const unsigned char* text = sqlite3_column_text(s, i);
  if (text == nullptr) {
    out->clear();
  } else {
    out->assign(reinterpret_cast<const char*>(text),
                static_cast<size_t>(sqlite3_column_bytes(s, i)));
  }
}

TimeMs ReadTime(sqlite3_stmt* s, int i) {
  if (sqlite3_column_type(s, i) == SQLITE_NULL) return std::nullopt;
  return sqlite3_column_int64(s, i);
}

// True when NormalizeEmail(email) == email, so the common case binds the
// record's own string instead of a normalized copy.
bool IsNormalizedEmail(std::string_view email) {
  if (email.empty()) return true;
  if (static_cast<unsigned char>(email.front()) <= ' ') return false;
  if (static_cast<unsigned char>(email.back()) <= ' ') return false;
  for (char c : email) {
    if (c >= 'A' && c <= 'Z') return false;
  }
  return true;
}

// `contact "123"`: how errors name a record.
std::string Label(const char* kind, const std::string& id) {
  return std::string(kind) + " \"" + id + "\"";
}

// The counter columns of email_campaign_recipients, in the order
// count_recipient_events binds them.
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

struct DbCloser {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};

// The kinds of salesaudit_store_errors_total: what made an operation fail.
constexpr const char* kFaultKinds[] = {"full",    "io",       "readonly", "corrupt",
                                       "removed", "replaced", "busy"};

CounterFamily& StoreErrors() {
  static CounterFamily& family = GlobalMetrics().Counter(
      "salesaudit_store_errors_total",
      "Store operations that failed, by kind: full (disk or file system), io, readonly, corrupt, "
      "removed or replaced (the file under the open store), busy (locked by another process).",
      {"kind"});
  return family;
}

// The fault kind of a failed SQLite call; nullptr for failures that say
// nothing about the file (bad data, bugs).
const char* FaultKind(int rc) {
  switch (rc & 0xff) {
    case SQLITE_FULL:
      return "full";
    case SQLITE_IOERR:
    case SQLITE_CANTOPEN:
      return "io";
    case SQLITE_READONLY:
      return "readonly";
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return "corrupt";
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return "busy";
    default:
      return nullptr;
  }
}

constexpr char kRecoveryHint[] = "see README \"Recovering a damaged store\"";

}  // namespace

struct Store::Impl {
  std::string path;
  // Declared first so it is destroyed after every statement is finalized.
  std::unique_ptr<sqlite3, DbCloser> db;
  // Serialises every use of db and of the statements below.
  std::mutex mu;

  std::vector<std::string> warnings;  // from Open
  StoreOpenCheck open_check;
  // The file opened; unset for ":memory:".
  std::optional<FileIdentity> identity;
  // Guards the faults below. Taken under mu or alone, never the reverse, so
  // Health() never waits for a store operation.
  std::mutex health_mu;
  StoreHealth lasting_fault;  // removed, replaced or corrupt: until the process ends
  // The last fault of the file an operation met, until the public method
  // that met it files it in failing_writes.
  std::optional<StoreHealth> last_fault;
  // Writes that failed for a fault of the file, by what they write ("page
  // crm/contacts", "snapshot"), until that write next commits, or until
  // other writes commit while it has not been tried for kUnretriedFaultExpiry
  // (a stream a reload removed, or one with nothing to write, may never
  // commit again). Each keeps the time it last failed.
  struct FailingWrite {
    StoreHealth health;
    std::chrono::steady_clock::time_point failed_at;
  };
  static constexpr std::chrono::hours kUnretriedFaultExpiry{1};
  std::map<std::string, FailingWrite> failing_writes;
  bool integrity_checked_after_error = false;  // under mu

  Statement begin_immediate, commit, rollback, user_version;
  Statement upsert_contact, upsert_deal, upsert_owner, upsert_campaign;
  Statement insert_event, update_event, count_campaign_events, count_recipient_events;
  Statement upsert_member, delete_member, each_member, each_recipient;
  Statement clear_deal_contacts, insert_deal_contact, move_deal_links, drop_deal_links;
  Statement delete_contact, delete_deal, deactivate_owner, delete_campaign, delete_event;
  Statement write_cursor, get_cursor, reset_cursor, record_success, record_error, list_states;
  Statement each_contact, each_deal, each_owner, each_campaign, each_event, deal_contacts;
  Statement each_campaign_stats, each_click;
  Statement save_snapshot, latest_snapshot, replace_live_snapshots, prune_old_snapshots,
      prune_surplus_snapshots;
  // Prepared on first use: [table][include_deleted].
  std::array<std::array<Statement, 2>, kCountableTableCount> count_rows;

  // Holds a normalized email while it is bound; reused to avoid a per-row
  // allocation.
  std::string email_scratch;

  // An event the current page inserted, not yet added to
  // email_campaign_recipients and email_campaign_stats. The views point into
  // the page's events (or into normalized_emails) and live while the page is
  // written.
  struct UncountedEvent {
    std::string_view campaign_id;
    std::string_view email;  // normalised
    TimeMs occurred_at;
    int counter;  // the recipients' counter column (RecipientCounterColumn), -1 for none
  };
  std::vector<UncountedEvent> uncounted_events;
  // Normalised copies of the emails uncounted_events names when the event's
  // own email was not normalised (a deque never moves its elements).
  std::deque<std::string> normalized_emails;

  sqlite3* handle() const { return db.get(); }

  // "<context>: <sqlite message>" with a code that tells retryable failures
  // (busy, I/O) from bad data and bugs. Call before resetting the statement
  // that failed, while the message is still the connection's.
  Status Error(int rc, std::string_view context) {
    return Failure(rc, context, sqlite3_errmsg(handle()));
  }

  Status Exec(const char* sql, std::string_view context) {
    char* err = nullptr;
    int rc = sqlite3_exec(handle(), sql, nullptr, nullptr, &err);
    if (rc == SQLITE_OK) return Status::Ok();
    Status status = Failure(rc, context, err != nullptr ? err : sqlite3_errstr(rc));
    sqlite3_free(err);
    return status;
  }

  // Every failure of a SQLite call on the connection comes here: it counts
  // and notes the fault of the file, if any, for Health().
  Status Failure(int rc, std::string_view context, const char* sqlite_message) {
    std::string message(context);
    message += ": ";
    if (rc == SQLITE_CONSTRAINT_COMMITHOOK) {
      // OnCommit refused the commit: the file is no longer there.
      std::lock_guard<std::mutex> lock(health_mu);
      StoreErrors().WithLabels({lasting_fault.kind}).Increment();
      return Status::Unavailable(message + lasting_fault.problem);
    }
    message += sqlite_message;
    if (const char* kind = FaultKind(rc)) {
      StoreErrors().WithLabels({kind}).Increment();
      if (std::string_view(kind) == "corrupt") {
        NoteDamage(message);
      } else if (std::string_view(kind) != "busy") {
        std::lock_guard<std::mutex> lock(health_mu);
        last_fault = StoreHealth{.ok = false, .kind = kind, .problem = message};
      }
    }
    return MakeStatus(CodeForSqlite(rc), std::move(message));
  }

  // SQLite met damage: the store is unhealthy for good, and a full
  // integrity check (once, within the open check's budget, since every store
  // call waits for it) says how far it goes.
  void NoteDamage(const std::string& message) {
    std::string problem = "store " + path + " is damaged: " + message;
    if (!integrity_checked_after_error) {
      integrity_checked_after_error = true;
      auto findings = CheckIntegrity(handle(), "store " + path, true, Store::kOpenCheckBudget);
      if (findings.ok() && !findings->problems.empty()) {
        problem += "; integrity check: " + findings->problems.front();
        if (findings->problems.size() > 1) {
          problem += " (and " + std::to_string(findings->problems.size() - 1) + " more)";
        }
      }
    }
    problem += "; ";
    problem += kRecoveryHint;
    std::lock_guard<std::mutex> lock(health_mu);
    if (lasting_fault.ok)
      lasting_fault = StoreHealth{.ok = false, .kind = "corrupt", .problem = problem};
  }

  // True while the path still names the file opened; otherwise notes it
  // removed or replaced. A path that cannot be looked at (EACCES) passes.
  bool FileStillThere() {
    if (!identity) return true;
    Result<FileIdentity> now = IdentityOf(path);
    const bool removed = now.status().code() == StatusCode::kNotFound;
    if (!removed && (!now.ok() || *now == *identity)) return true;
    std::lock_guard<std::mutex> lock(health_mu);
    if (lasting_fault.ok || lasting_fault.kind == "corrupt") {
      lasting_fault = StoreHealth{
          .ok = false,
          .kind = removed ? "removed" : "replaced",
          .problem = "store file " + path + " was " +
                     (removed ? "removed" : "replaced by another file") +
                     " while salesaudit had it open: nothing more is committed (restart to open "
                     "the file at the path; " +
                     kRecoveryHint + ")"};
    }
    return false;
  }

  // sqlite3_commit_hook: a commit into a file no longer at the path would
  // be lost at exit, so it is turned into a rollback (SQLITE_CONSTRAINT_COMMITHOOK).
  static int OnCommit(void* impl) { return static_cast<Impl*>(impl)->FileStillThere() ? 0 : 1; }

  // What a public write method did: `what` fails until it commits again.
  void WriteOutcome(const std::string& what, const Status& status) {
    std::lock_guard<std::mutex> lock(health_mu);
    const auto now = std::chrono::steady_clock::now();
    if (status.ok()) {
      failing_writes.erase(what);
      std::erase_if(failing_writes, [&](const auto& entry) {
        return now - entry.second.failed_at >= kUnretriedFaultExpiry;
      });
    } else if (last_fault) {
      FailingWrite& fault = failing_writes[what];
      fault.health = *last_fault;
      fault.health.problem = "cannot commit " + what + ": " + status.message();
      fault.failed_at = now;
    }
    last_fault.reset();
  }

  Status Prepare(Statement* stmt, const char* sql) {
    int rc = sqlite3_prepare_v3(handle(), sql, -1, SQLITE_PREPARE_PERSISTENT, stmt->out(), nullptr);
    if (rc != SQLITE_OK) return Error(rc, std::string("store ") + path + ": prepare");
    return Status::Ok();
  }

  // Steps a statement that returns no rows and resets it. Returns the SQLite
  // code (SQLITE_OK on success) so the hot path builds no Status; the caller
  // turns a failure into one with Error() right away.
  static int Run(sqlite3_stmt* s) {
    int rc = sqlite3_step(s);
    if (rc == SQLITE_DONE) {
      sqlite3_reset(s);
      return SQLITE_OK;
    }
    return rc;  // the caller reads the message, then resets
  }

  Status RunOrError(sqlite3_stmt* s, std::string_view context) {
    int rc = Run(s);
    if (rc == SQLITE_OK) return Status::Ok();
    Status status = Error(rc, context);
    sqlite3_reset(s);
    return status;
  }

  // Calls fn(stmt) for each row, then resets the statement.
  template <typename RowFn>
  Status ForEachRow(sqlite3_stmt* s, std::string_view context, RowFn&& fn) {
    ResetOnExit reset(s);
    while (true) {
      int rc = sqlite3_step(s);
      if (rc == SQLITE_ROW) {
        fn(s);
      } else if (rc == SQLITE_DONE) {
        return Status::Ok();
      } else {
        return Error(rc, context);
      }
    }
  }

  Result<int> ReadUserVersion() {
    int version = 0;
    Status s = ForEachRow(user_version.get(), "store " + path + ": read user_version",
                          [&](sqlite3_stmt* row) { version = sqlite3_column_int(row, 0); });
    if (!s.ok()) return s;
    return version;
  }

  void RollbackIfOpen() {
    // SQLite rolls back by itself after some errors (SQLITE_FULL, ...); a
    // second ROLLBACK would fail, so only roll back a transaction still open.
    if (sqlite3_get_autocommit(handle()) == 0) {
      sqlite3_step(rollback.get());
      sqlite3_reset(rollback.get());
    }
  }

  // Runs `sql` prepared for this call only (alerts and silences change a
  // few rows now and then: no statement kept for them), binding with `bind`
  // and calling `row` for each result row.
  Status RunOnce(const char* sql, std::string_view context,
                 const std::function<void(sqlite3_stmt*)>& bind,
                 const std::function<void(sqlite3_stmt*)>& row = nullptr) {
    Statement st;
    int rc = sqlite3_prepare_v2(handle(), sql, -1, st.out(), nullptr);
    if (rc != SQLITE_OK) return Error(rc, context);
    if (bind) bind(st.get());
    return ForEachRow(st.get(), context, [&](sqlite3_stmt* r) {
      if (row) row(r);
    });
  }

  Status Configure();
  Status Migrate();
  Status PrepareAll();

  std::string_view Email(const std::string& raw) {
    if (IsNormalizedEmail(raw)) return raw;
    email_scratch = NormalizeEmail(raw);
    return email_scratch;
  }

  Status WritePage(const std::string& source, const Page& page);
  Status WriteContact(const std::string& source, const Contact& c);
  Status WriteDeal(const std::string& source, const Deal& d);
  Status WriteOwner(const std::string& source, const Owner& o);
  Status WriteCampaign(const std::string& source, const EmailCampaign& c);
  Status WriteEvent(const std::string& source, const EmailEvent& e);
  Status FlushEventCounts(const std::string& source);
  Status WriteMember(const std::string& source, const EmailMember& m);
  Status WriteDeletion(const std::string& source, const Deletion& d);
  Status WriteValueIssues(const std::string& source, const Page& page);

  // The failure of one record, labelled with its kind and id so the operator
  // can find it in the source system. The label is only built on failure, so
  // the hot path allocates nothing for it.
  Status RecordFailure(int rc, sqlite3_stmt* s, const std::string& label) {
    Status status = Error(rc, label);
    sqlite3_reset(s);
    return status;
  }
};

Status Store::Impl::Configure() {
  std::string context = "store " + path;
  // WAL lets readers (status, BI tools) run beside the one writer; NORMAL
  // sync is durable across application crashes in WAL mode and costs no
  // fsync per commit. The schema has no foreign keys: rows of one source
  // arrive in any order (a deal before its contacts).
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v2(handle(), "PRAGMA journal_mode=WAL", -1, &stmt, nullptr);
  if (rc != SQLITE_OK) return Error(rc, context + ": enable WAL");
  std::string mode;
  rc = sqlite3_step(stmt);
  if (rc == SQLITE_ROW) ReadText(stmt, 0, &mode);
  Status status =
      (rc == SQLITE_ROW || rc == SQLITE_DONE) ? Status::Ok() : Error(rc, context + ": enable WAL");
  sqlite3_finalize(stmt);
  if (!status.ok()) return status;
  // An in-memory database (":memory:") cannot use WAL and reports "memory".
  if (mode != "wal" && mode != "memory") {
    return Status::Unavailable(context + ": cannot enable WAL (journal_mode is " + mode + ")");
  }
  return Exec("PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=OFF;", context + ": configure");
}

Status Store::Impl::Migrate() {
  Result<int> known = ReadUserVersion();
  if (!known.ok()) return known.status();
  for (const Migration& m : kMigrations) {
    // A file already at this version needs no write lock at all, so opening
    // an up-to-date store never waits for the daemon's writes.
    if (m.version <= *known) continue;
    std::string context =
        "store " + path + ": migrate to schema version " + std::to_string(m.version);
    Status status = RunOrError(begin_immediate.get(), context);
    if (!status.ok()) return status;
    // Read again under the write lock: another process may have migrated the
    // file since we looked.
    Result<int> current = ReadUserVersion();
    status = current.status();
    if (status.ok() && *current < m.version) {
      status = Exec(m.sql, context);
      if (status.ok()) {
        std::string bump = "PRAGMA user_version = " + std::to_string(m.version);
        status = Exec(bump.c_str(), context);
      }
    }
    if (status.ok()) status = RunOrError(commit.get(), context);
    if (!status.ok()) {
      RollbackIfOpen();
      return status;
    }
  }
  return Status::Ok();
}

Status Store::Impl::PrepareAll() {
  struct Entry {
    Statement* stmt;
    const char* sql;
  };
  const Entry entries[] = {
      {&upsert_contact,
       "INSERT INTO contacts (source, id, email, first_name, last_name, owner_id, channel, "
       "lifecycle_stage, lead_status, created_at, mql_at, contacted_at, sql_at, customer_at, "
       "updated_at, deleted_at) "
       "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, NULL) "
       "ON CONFLICT (source, id) DO UPDATE SET email = excluded.email, "
       "first_name = excluded.first_name, last_name = excluded.last_name, "
       "owner_id = excluded.owner_id, channel = excluded.channel, "
       "lifecycle_stage = excluded.lifecycle_stage, lead_status = excluded.lead_status, "
       "created_at = excluded.created_at, mql_at = excluded.mql_at, "
       "contacted_at = excluded.contacted_at, sql_at = excluded.sql_at, "
       "customer_at = excluded.customer_at, updated_at = excluded.updated_at, "
       "deleted_at = NULL "
       "WHERE excluded.updated_at IS NULL OR contacts.updated_at IS NULL "
       "OR excluded.updated_at >= contacts.updated_at"},
      {&upsert_deal,
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
      {&upsert_owner,
       "INSERT INTO owners (source, id, email, name, active) VALUES (?1, ?2, ?3, ?4, ?5) "
       "ON CONFLICT (source, id) DO UPDATE SET email = excluded.email, name = excluded.name, "
       "active = excluded.active"},
      {&upsert_campaign,
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
      {&upsert_member,
       "INSERT INTO email_members (source, id, email, first_name, last_name, status, "
       "opted_in_at, updated_at, deleted_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, NULL) "
       "ON CONFLICT (source, id) DO UPDATE SET email = excluded.email, "
       "first_name = excluded.first_name, last_name = excluded.last_name, "
       "status = excluded.status, opted_in_at = excluded.opted_in_at, "
       "updated_at = excluded.updated_at, deleted_at = NULL "
       "WHERE excluded.updated_at IS NULL OR email_members.updated_at IS NULL "
       "OR excluded.updated_at >= email_members.updated_at"},
      {&delete_member,
       "UPDATE email_members SET deleted_at = COALESCE(deleted_at, ?1) "
       "WHERE source = ?2 AND id = ?3"},
      // A new event is inserted and counted by WriteEvent; a stored one is
      // updated, and email_events_recounted moves its counts.
      {&insert_event,
       "INSERT INTO email_events (source, id, campaign_id, email, type, occurred_at, url, "
       "machine, deleted_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, NULL) "
       "ON CONFLICT (source, id) DO NOTHING"},
      {&update_event,
       "UPDATE email_events SET campaign_id = ?3, email = ?4, type = ?5, occurred_at = ?6, "
       "url = ?7, machine = ?8, deleted_at = NULL WHERE source = ?1 AND id = ?2"},
      {&count_campaign_events,
       "INSERT INTO email_campaign_stats (source, campaign_id, first_event_at) "
       "VALUES (?1, ?2, ?3) "
       "ON CONFLICT (source, campaign_id) DO UPDATE SET first_event_at = excluded.first_event_at "
       "WHERE excluded.first_event_at < email_campaign_stats.first_event_at "
       "OR email_campaign_stats.first_event_at IS NULL"},
      // Parameters ?4.. follow RecipientCounterColumn.
      {&count_recipient_events,
       "INSERT INTO email_campaign_recipients (source, campaign_id, email, sent, delivered, "
       "human_opens, machine_opens, clicks, machine_clicks, bounces, unsubscribes, "
       "spam_reports) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12) "
       "ON CONFLICT (source, campaign_id, email) DO UPDATE SET "
       "sent = sent + excluded.sent, delivered = delivered + excluded.delivered, "
       "human_opens = human_opens + excluded.human_opens, "
       "machine_opens = machine_opens + excluded.machine_opens, "
       "clicks = clicks + excluded.clicks, machine_clicks = machine_clicks + "
       "excluded.machine_clicks, "
       "bounces = bounces + excluded.bounces, unsubscribes = unsubscribes + excluded.unsubscribes, "
       "spam_reports = spam_reports + excluded.spam_reports"},
      {&clear_deal_contacts, "DELETE FROM deal_contacts WHERE source = ?1 AND deal_id = ?2"},
      // DO NOTHING only for a repeated id in the list; a bad id still fails
      // its CHECK (INSERT OR IGNORE would silently drop it).
      {&insert_deal_contact,
       "INSERT INTO deal_contacts (source, deal_id, contact_id) VALUES (?1, ?2, ?3) "
       "ON CONFLICT (source, deal_id, contact_id) DO NOTHING"},
      {&delete_contact,
       "UPDATE contacts SET deleted_at = COALESCE(deleted_at, ?1) WHERE source = ?2 AND id = ?3"},
      {&delete_deal,
       "UPDATE deals SET deleted_at = COALESCE(deleted_at, ?1) WHERE source = ?2 AND id = ?3"},
      // Same parameter numbers as its siblings; ?1 (deleted_at) is bound and
      // unused, which SQLite allows for numbered parameters.
      {&deactivate_owner, "UPDATE owners SET active = 0 WHERE source = ?2 AND id = ?3"},
      {&delete_campaign,
       "UPDATE email_campaigns SET deleted_at = COALESCE(deleted_at, ?1) "
       "WHERE source = ?2 AND id = ?3"},
      // A merged-away contact's deal links move to the survivor; links the
      // survivor already had stay single (OR IGNORE), the rest are dropped.
      {&move_deal_links,
       "UPDATE OR IGNORE deal_contacts SET contact_id = ?3 WHERE source = ?1 AND contact_id = ?2"},
      {&drop_deal_links, "DELETE FROM deal_contacts WHERE source = ?1 AND contact_id = ?2"},
      {&delete_event,
       "UPDATE email_events SET deleted_at = COALESCE(deleted_at, ?1) WHERE source = ?2 AND id = "
       "?3"},
      {&write_cursor,
       "INSERT INTO sync_state (connector, stream, cursor) VALUES (?1, ?2, ?3) "
       "ON CONFLICT (connector, stream) DO UPDATE SET cursor = excluded.cursor"},
      {&get_cursor, "SELECT cursor FROM sync_state WHERE connector = ?1 AND stream = ?2"},
      {&reset_cursor, "UPDATE sync_state SET cursor = NULL WHERE connector = ?1 AND stream = ?2"},
      {&record_success,
       "INSERT INTO sync_state (connector, stream, last_success_at) VALUES (?1, ?2, ?3) "
       "ON CONFLICT (connector, stream) DO UPDATE SET "
       "last_success_at = excluded.last_success_at, last_error = NULL, last_error_at = NULL, "
       "failures_in_a_row = 0"},
      {&record_error,
       "INSERT INTO sync_state (connector, stream, last_error, last_error_at, failures_in_a_row) "
       "VALUES (?1, ?2, ?3, ?4, 1) "
       "ON CONFLICT (connector, stream) DO UPDATE SET last_error = excluded.last_error, "
       "last_error_at = excluded.last_error_at, failures_in_a_row = failures_in_a_row + 1"},
      {&list_states,
       "SELECT connector, stream, cursor, last_success_at, last_error, last_error_at, "
       "failures_in_a_row FROM sync_state ORDER BY connector, stream"},
      {&each_contact,
       "SELECT source, id, email, first_name, last_name, owner_id, channel, lifecycle_stage, "
       "lead_status, created_at, mql_at, contacted_at, sql_at, customer_at, updated_at, "
       "deleted_at FROM contacts ORDER BY source, id"},
      {&each_deal,
       "SELECT source, id, name, owner_id, pipeline, stage, amount, currency, created_at, "
       "closed_at, is_closed, is_won, updated_at, deleted_at FROM deals ORDER BY source, id"},
      {&each_owner, "SELECT source, id, email, name, active FROM owners ORDER BY source, id"},
      {&each_campaign,
       "SELECT source, id, name, subject, kind, sent_at, deleted_at, reported_sent, "
       "reported_delivered, reported_opens, reported_unique_opens, reported_clicks, "
       "reported_unique_clicks, reported_bounces, reported_unsubscribes, reported_spam_reports "
       "FROM email_campaigns ORDER BY source, id"},
      {&each_member,
       "SELECT source, id, email, first_name, last_name, status, opted_in_at, updated_at, "
       "deleted_at FROM email_members ORDER BY source, id"},
      {&each_recipient,
       "SELECT source, campaign_id, email, sent + delivered + human_opens + machine_opens + "
       "clicks + machine_clicks + bounces + unsubscribes + spam_reports "
       "FROM email_campaign_recipients "
       "ORDER BY source, campaign_id, email"},
      {&each_event,
       "SELECT source, id, campaign_id, email, type, occurred_at, url, deleted_at, machine "
       "FROM email_events ORDER BY source, id"},
      {&each_campaign_stats,
       "SELECT source, campaign_id, sent, delivered, opened, machine_opened, clicked, bounced, "
       "unsubscribed, spam_reported, first_event_at FROM email_campaign_stats "
       "ORDER BY source, campaign_id"},
      // The WHERE repeats email_events_clicks' condition so the partial
      // index answers the query by itself.
      {&each_click,
       "SELECT source, campaign_id, email, occurred_at FROM email_events "
       "WHERE type = 'click' AND deleted_at IS NULL AND machine = 0 AND campaign_id IS NOT NULL "
       "AND email IS NOT NULL AND occurred_at IS NOT NULL "
       "ORDER BY source, campaign_id, email, occurred_at"},
      {&deal_contacts,
       "SELECT deal_id, contact_id FROM deal_contacts WHERE source = ?1 "
       "ORDER BY deal_id, contact_id"},
      {&save_snapshot,
       "INSERT INTO audit_snapshots (computed_at, window_from, window_to, json, config_hash, "
       "cursors, purpose) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"},
      {&latest_snapshot,
       "SELECT id, computed_at, window_from, window_to, json, config_hash, cursors, purpose "
       "FROM audit_snapshots WHERE purpose = ?1 ORDER BY computed_at DESC, id DESC LIMIT 1"},
      // The live snapshots of one interval [?1, ...): the newest replaces them.
      {&replace_live_snapshots,
       "DELETE FROM audit_snapshots WHERE purpose = 'live' AND computed_at >= ?1"},
      {&prune_old_snapshots, "DELETE FROM audit_snapshots WHERE computed_at < ?1"},
      {&prune_surplus_snapshots,
       "DELETE FROM audit_snapshots WHERE purpose = ?1 AND id NOT IN (SELECT id FROM "
       "audit_snapshots WHERE purpose = ?1 ORDER BY computed_at DESC, id DESC LIMIT ?2)"},
  };
  for (const Entry& e : entries) {
    Status s = Prepare(e.stmt, e.sql);
    if (!s.ok()) return s;
  }
  return Status::Ok();
}

Status Store::Impl::WriteContact(const std::string& source, const Contact& c) {
  sqlite3_stmt* s = upsert_contact.get();
  BindText(s, 1, source);
  BindText(s, 2, c.id);
  BindText(s, 3, Email(c.email));
  BindText(s, 4, c.first_name);
  BindText(s, 5, c.last_name);
  BindText(s, 6, c.owner_id);
  BindText(s, 7, c.channel);
  BindText(s, 8, c.lifecycle_stage);
  BindText(s, 9, c.lead_status);
  BindTime(s, 10, c.created_at);
  BindTime(s, 11, c.mql_at);
  BindTime(s, 12, c.contacted_at);
  BindTime(s, 13, c.sql_at);
  BindTime(s, 14, c.customer_at);
  BindTime(s, 15, c.updated_at);
  int rc = Run(s);
  return rc == SQLITE_OK ? Status::Ok() : RecordFailure(rc, s, Label("contact", c.id));
}

Status Store::Impl::WriteDeal(const std::string& source, const Deal& d) {
  sqlite3_stmt* s = upsert_deal.get();
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
  int rc = Run(s);
  if (rc != SQLITE_OK) return RecordFailure(rc, s, Label("deal", d.id));
  if (!d.contact_ids) return Status::Ok();

  s = clear_deal_contacts.get();
  BindText(s, 1, source);
  BindText(s, 2, d.id);
  rc = Run(s);
  if (rc != SQLITE_OK) return RecordFailure(rc, s, Label("deal", d.id));
  s = insert_deal_contact.get();
  for (const std::string& contact_id : *d.contact_ids) {
    BindText(s, 1, source);
    BindText(s, 2, d.id);
    BindText(s, 3, contact_id);
    rc = Run(s);
    if (rc != SQLITE_OK) {
      return RecordFailure(rc, s, Label("deal", d.id) + " " + Label("contact", contact_id));
    }
  }
  return Status::Ok();
}

Status Store::Impl::WriteOwner(const std::string& source, const Owner& o) {
  sqlite3_stmt* s = upsert_owner.get();
  BindText(s, 1, source);
  BindText(s, 2, o.id);
  BindText(s, 3, Email(o.email));
  BindText(s, 4, o.name);
  BindBool(s, 5, o.active);
  int rc = Run(s);
  return rc == SQLITE_OK ? Status::Ok() : RecordFailure(rc, s, Label("owner", o.id));
}

Status Store::Impl::WriteCampaign(const std::string& source, const EmailCampaign& c) {
  sqlite3_stmt* s = upsert_campaign.get();
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
  int rc = Run(s);
  return rc == SQLITE_OK ? Status::Ok() : RecordFailure(rc, s, Label("email campaign", c.id));
}

Status Store::Impl::WriteMember(const std::string& source, const EmailMember& m) {
  sqlite3_stmt* s = upsert_member.get();
  BindText(s, 1, source);
  BindText(s, 2, m.id);
  BindText(s, 3, Email(m.email));
  BindText(s, 4, m.first_name);
  BindText(s, 5, m.last_name);
  BindText(s, 6, m.status);
  BindTime(s, 7, m.opted_in_at);
  BindTime(s, 8, m.updated_at);
  int rc = Run(s);
  return rc == SQLITE_OK ? Status::Ok() : RecordFailure(rc, s, Label("email member", m.id));
}

// Inserting a new event costs one row; its counts are added to
// email_campaign_recipients and email_campaign_stats per page, one upsert
// per recipient and per campaign (FlushEventCounts), instead of two per
// event in a trigger. A stored event (a window overlap, a changed one) is
// updated instead, and the email_events_recounted trigger moves its counts;
// the counts pending from this page are added first, so that trigger finds
// the rows it takes an event out of.
Status Store::Impl::WriteEvent(const std::string& source, const EmailEvent& e) {
  const std::string_view email = Email(e.email);
  auto bind = [&](sqlite3_stmt* s) {
    BindText(s, 1, source);
    BindText(s, 2, e.id);
    BindText(s, 3, e.campaign_id);
    BindText(s, 4, email);
    BindText(s, 5, e.type);
    BindTime(s, 6, e.occurred_at);
    BindText(s, 7, e.url);
    BindBool(s, 8, e.machine);
  };
  sqlite3_stmt* s = insert_event.get();
  bind(s);
  int rc = Run(s);
  if (rc != SQLITE_OK) return RecordFailure(rc, s, Label("email event", e.id));
  if (sqlite3_changes(handle()) == 1) {
    // Counted only with a campaign and an email, as stored (empty is NULL).
    if (!e.campaign_id.empty() && !email.empty()) {
      std::string_view kept = email;
      if (email.data() == email_scratch.data()) kept = normalized_emails.emplace_back(email);
      uncounted_events.push_back(
          UncountedEvent{e.campaign_id, kept, e.occurred_at, RecipientCounter(e.type, e.machine)});
    }
    return Status::Ok();
  }
  if (Status flushed = FlushEventCounts(source); !flushed.ok()) return flushed;
  s = update_event.get();
  bind(s);
  rc = Run(s);
  return rc == SQLITE_OK ? Status::Ok() : RecordFailure(rc, s, Label("email event", e.id));
}

// Adds the counts of uncounted_events: first each campaign's stats row
// (created if missing, first_event_at lowered to the earliest new event),
// then each recipient's counters, whose triggers update that stats row.
Status Store::Impl::FlushEventCounts(const std::string& source) {
  if (uncounted_events.empty()) return Status::Ok();
  std::sort(uncounted_events.begin(), uncounted_events.end(),
            [](const UncountedEvent& a, const UncountedEvent& b) {
              if (int c = a.campaign_id.compare(b.campaign_id); c != 0) return c < 0;
              return a.email < b.email;
            });
  const auto end = uncounted_events.end();
  sqlite3_stmt* s = count_campaign_events.get();
  for (auto first = uncounted_events.begin(); first != end;) {
    TimeMs earliest;
    auto it = first;
    for (; it != end && it->campaign_id == first->campaign_id; ++it) {
      if (it->occurred_at && (!earliest || *it->occurred_at < *earliest)) {
        earliest = it->occurred_at;
      }
    }
    BindText(s, 1, source);
    BindText(s, 2, first->campaign_id);
    BindTime(s, 3, earliest);
    if (int rc = Run(s); rc != SQLITE_OK) {
      return RecordFailure(rc, s,
                           "counts of email campaign \"" + std::string(first->campaign_id) + "\"");
    }
    first = it;
  }
  s = count_recipient_events.get();
  for (auto first = uncounted_events.begin(); first != end;) {
    std::array<int64_t, kRecipientCounterCount> counts{};
    auto it = first;
    for (; it != end && it->campaign_id == first->campaign_id && it->email == first->email; ++it) {
      if (it->counter >= 0) ++counts[static_cast<size_t>(it->counter)];
    }
    BindText(s, 1, source);
    BindText(s, 2, first->campaign_id);
    BindText(s, 3, first->email);
    for (size_t i = 0; i < counts.size(); ++i) {
      sqlite3_bind_int64(s, static_cast<int>(4 + i), counts[i]);
    }
    if (int rc = Run(s); rc != SQLITE_OK) {
      return RecordFailure(rc, s,
                           "counts of email campaign \"" + std::string(first->campaign_id) + "\"");
    }
    first = it;
  }
  uncounted_events.clear();
  normalized_emails.clear();
  return Status::Ok();
}

Status Store::Impl::WriteDeletion(const std::string& source, const Deletion& d) {
  Statement* stmt = nullptr;
  switch (d.kind) {
    case RecordKind::kContact:
      stmt = &delete_contact;
      break;
    case RecordKind::kDeal:
      stmt = &delete_deal;
      break;
    // owners have no deleted_at: a removed owner is an inactive one.
    case RecordKind::kOwner:
      stmt = &deactivate_owner;
      break;
    case RecordKind::kEmailCampaign:
      stmt = &delete_campaign;
      break;
    case RecordKind::kEmailEvent:
      stmt = &delete_event;
      break;
    case RecordKind::kEmailMember:
      stmt = &delete_member;
      break;
  }
  if (stmt == nullptr) {
    return Status::InvalidArgument("deletion of " + Label("record", d.id) + ": unknown kind");
  }
  sqlite3_stmt* s = stmt->get();
  sqlite3_bind_int64(s, 1, d.deleted_at);
  BindText(s, 2, source);
  BindText(s, 3, d.id);
  int rc = Run(s);
  if (rc != SQLITE_OK)
    return RecordFailure(rc, s, "deletion of " + Label(RecordKindName(d.kind), d.id));
  if (d.kind != RecordKind::kContact || d.merged_into.empty()) return Status::Ok();
  for (Statement* links : {&move_deal_links, &drop_deal_links}) {
    s = links->get();
    BindText(s, 1, source);
    BindText(s, 2, d.id);
    if (links == &move_deal_links) BindText(s, 3, d.merged_into);
    rc = Run(s);
    if (rc != SQLITE_OK) {
      return RecordFailure(rc, s, "merge of " + Label("contact", d.id) + " into " + d.merged_into);
    }
  }
  return Status::Ok();
}

// Few pages have issues: one statement per property of the page, prepared
// when needed, the last issue of each property kept as its example.
Status Store::Impl::WriteValueIssues(const std::string& source, const Page& page) {
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
    Status s = RunOnce(
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

Status Store::Impl::WritePage(const std::string& source, const Page& page) {
  // Left over only from a page that failed (and was rolled back).
  uncounted_events.clear();
  normalized_emails.clear();
  for (const Contact& c : page.contacts) {
    if (Status s = WriteContact(source, c); !s.ok()) return s;
  }
  for (const Deal& d : page.deals) {
    if (Status s = WriteDeal(source, d); !s.ok()) return s;
  }
  for (const Owner& o : page.owners) {
    if (Status s = WriteOwner(source, o); !s.ok()) return s;
  }
  for (const EmailCampaign& c : page.campaigns) {
    if (Status s = WriteCampaign(source, c); !s.ok()) return s;
  }
  for (const EmailEvent& e : page.events) {
    if (Status s = WriteEvent(source, e); !s.ok()) return s;
  }
  // Before the deletions, whose trigger takes events out of these counts.
  if (Status s = FlushEventCounts(source); !s.ok()) return s;
  for (const EmailMember& m : page.members) {
    if (Status s = WriteMember(source, m); !s.ok()) return s;
  }
  for (const Deletion& d : page.deletions) {
    if (Status s = WriteDeletion(source, d); !s.ok()) return s;
  }
  if (Status s = WriteValueIssues(source, page); !s.ok()) return s;
  sqlite3_stmt* s = write_cursor.get();
  BindText(s, 1, source);
  BindText(s, 2, page.stream);
  BindText(s, 3, page.cursor);
  return RunOrError(s, "cursor");
}

Store::Store(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Store::~Store() = default;

Result<std::unique_ptr<Store>> Store::Open(const std::string& path,
                                           std::chrono::milliseconds check_budget) {
  auto impl = std::make_unique<Impl>();
  impl->path = path;
  const std::string context = "store " + path;
  // Every kind from the first open on, so that a rate over it exists
  // before the first error.
  for (const char* kind : kFaultKinds) StoreErrors().WithLabels({kind});
  const bool in_memory = path.empty() || path == ":memory:";
  if (!in_memory) {
    if (Status s = PrepareStoreFile(path, &impl->warnings); !s.ok()) return s;
  }
  sqlite3* raw = nullptr;
  // NOMUTEX: Impl::mu already serialises every use of the connection.
  int rc =
      sqlite3_open_v2(path.c_str(), &raw,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  impl->db.reset(raw);
  if (rc != SQLITE_OK) {
    return Status::Unavailable(
        context + ": cannot open: " + (raw != nullptr ? sqlite3_errmsg(raw) : sqlite3_errstr(rc)));
  }
  sqlite3_extended_result_codes(raw, 1);
  sqlite3_busy_timeout(raw, kBusyTimeoutMs);
  if (!in_memory) {
    auto identity = IdentityOf(path);
    if (!identity.ok()) return identity.status().WithContext(context);
    impl->identity = *identity;
  }
  sqlite3_commit_hook(raw, &Impl::OnCommit, impl.get());

  // Not a database at all (SQLITE_NOTADB) shows at the first read.
  Status status = impl->Prepare(&impl->user_version, "PRAGMA user_version");
  Result<int> version = status.ok() ? impl->ReadUserVersion() : Result<int>(status);
  if (!version.ok()) {
    if (version.status().code() != StatusCode::kInvalidArgument) return version.status();
    return Status::InvalidArgument(version.status().message() + "; " + kRecoveryHint);
  }
  // Refuse a newer file before touching it (not even switching it to WAL):
  // an older binary must not write to a schema it does not know.
  if (*version > kSchemaVersion) {
    return Status::InvalidArgument(context + ": schema version " + std::to_string(*version) +
                                   " is newer than this salesaudit supports (" +
                                   std::to_string(kSchemaVersion) + "); upgrade salesaudit");
  }
  // Nothing is written to a damaged file (a migration or a sync would build
  // on what is broken).
  auto findings = CheckIntegrity(raw, context, false, check_budget);
  if (!findings.ok()) return findings.status();
  if (!findings->problems.empty()) {
    std::string message =
        context + ": damaged (integrity check at open: " + findings->problems.front();
    if (findings->problems.size() > 1) {
      message += ", and " + std::to_string(findings->problems.size() - 1) + " more";
    }
    return Status::DataLoss(message + "); run `salesaudit store check`; " + kRecoveryHint);
  }
  impl->open_check = {.complete = findings->complete, .took = findings->took};
  if (status = impl->Configure(); !status.ok()) return status;
  for (auto [stmt, sql] :
       {std::pair{&impl->begin_immediate, "BEGIN IMMEDIATE"}, std::pair{&impl->commit, "COMMIT"},
        std::pair{&impl->rollback, "ROLLBACK"}}) {
    if (status = impl->Prepare(stmt, sql); !status.ok()) return status;
  }
  if (status = impl->Migrate(); !status.ok()) return status;
  if (status = impl->PrepareAll(); !status.ok()) return status;
  return std::unique_ptr<Store>(new Store(std::move(impl)));
}

Status Store::CommitPage(const std::string& source, const Page& page) {
  if (source.empty() || page.stream.empty()) {
    return Status::InvalidArgument("commit page: source and stream must be set (source \"" +
                                   source + "\", stream \"" + page.stream + "\")");
  }
  std::lock_guard<std::mutex> lock(impl_->mu);
  // IMMEDIATE takes the write lock up front, so a busy file fails here
  // (after the busy timeout) rather than half-way through the page.
  Status status = impl_->RunOrError(impl_->begin_immediate.get(), "begin");
  if (status.ok()) status = impl_->WritePage(source, page);
  if (status.ok()) status = impl_->RunOrError(impl_->commit.get(), "commit");
  if (!status.ok()) {
    impl_->RollbackIfOpen();
    status = status.WithContext("store " + impl_->path + ": " + source + "/" + page.stream);
  }
  impl_->WriteOutcome("page " + source + "/" + page.stream, status);
  return status;
}

Result<std::string> Store::GetCursor(const std::string& connector, const std::string& stream) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  sqlite3_stmt* s = impl_->get_cursor.get();
  BindText(s, 1, connector);
  BindText(s, 2, stream);
  std::string cursor;
  Status status = impl_->ForEachRow(
      s, "store " + impl_->path + ": " + connector + "/" + stream + ": read cursor",
      [&](sqlite3_stmt* row) { ReadText(row, 0, &cursor); });
  if (!status.ok()) return status;
  return cursor;
}

Status Store::ResetCursor(const std::string& connector, const std::string& stream) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  sqlite3_stmt* s = impl_->reset_cursor.get();
  BindText(s, 1, connector);
  BindText(s, 2, stream);
  return impl_->RunOrError(
      s, "store " + impl_->path + ": " + connector + "/" + stream + ": reset cursor");
}

Status Store::RecordSuccess(const std::string& connector, const std::string& stream,
                            int64_t at_ms) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  sqlite3_stmt* s = impl_->record_success.get();
  BindText(s, 1, connector);
  BindText(s, 2, stream);
  sqlite3_bind_int64(s, 3, at_ms);
  return impl_->RunOrError(
      s, "store " + impl_->path + ": " + connector + "/" + stream + ": record success");
}

Status Store::RecordError(const std::string& connector, const std::string& stream,
                          const std::string& message, int64_t at_ms) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  sqlite3_stmt* s = impl_->record_error.get();
  BindText(s, 1, connector);
  BindText(s, 2, stream);
  BindText(s, 3, message);
  sqlite3_bind_int64(s, 4, at_ms);
  return impl_->RunOrError(
      s, "store " + impl_->path + ": " + connector + "/" + stream + ": record error");
}

Result<std::vector<StreamState>> Store::ListStreamStates() {
  std::lock_guard<std::mutex> lock(impl_->mu);
  std::vector<StreamState> states;
  Status status =
      impl_->ForEachRow(impl_->list_states.get(), "store " + impl_->path + ": list stream states",
                        [&](sqlite3_stmt* row) {
                          StreamState& st = states.emplace_back();
                          ReadText(row, 0, &st.connector);
                          ReadText(row, 1, &st.stream);
                          ReadText(row, 2, &st.cursor);
                          st.last_success_at = ReadTime(row, 3);
                          ReadText(row, 4, &st.last_error);
                          st.last_error_at = ReadTime(row, 5);
                          st.failures_in_a_row = sqlite3_column_int64(row, 6);
                        });
  if (!status.ok()) return status;
  return states;
}

Result<TimeMs> Store::NewestChangeAt(RecordKind kind, const std::string& source) {
  const char* sql = nullptr;
  switch (kind) {
    case RecordKind::kContact:
      sql = "SELECT max(updated_at) FROM contacts WHERE source = ?1";
      break;
    case RecordKind::kDeal:
      sql = "SELECT max(updated_at) FROM deals WHERE source = ?1";
      break;
    case RecordKind::kEmailMember:
      sql = "SELECT max(updated_at) FROM email_members WHERE source = ?1";
      break;
    case RecordKind::kEmailEvent:
      sql = "SELECT max(occurred_at) FROM email_events WHERE source = ?1";
      break;
    case RecordKind::kEmailCampaign:
      sql = "SELECT max(sent_at) FROM email_campaigns WHERE source = ?1";
      break;
    case RecordKind::kOwner:
      return TimeMs();
  }
  std::lock_guard<std::mutex> lock(impl_->mu);
  TimeMs newest;
  Status s = impl_->RunOnce(
      sql, "store " + impl_->path + ": " + source + ": newest change",
      [&](sqlite3_stmt* st) { BindText(st, 1, source); },
      [&](sqlite3_stmt* r) { newest = ReadTime(r, 0); });
  if (!s.ok()) return s;
  return newest;
}

Result<int64_t> Store::CountRows(const std::string& table, const std::string& source,
                                 bool include_deleted) {
  size_t index = 0;
  while (index < kCountableTableCount && kCountableTables[index].name != table) ++index;
  if (index == kCountableTableCount) {
    std::string known;
    for (const CountableTable& t : kCountableTables) {
      if (!known.empty()) known += ", ";
      known += t.name;
    }
    return Status::InvalidArgument("count rows: unknown table \"" + table + "\" (one of " + known +
                                   ")");
  }
  const CountableTable& info = kCountableTables[index];
  // Tables without deleted_at have nothing to exclude.
  const bool exclude_deleted = info.has_deleted_at && !include_deleted;

  std::lock_guard<std::mutex> lock(impl_->mu);
  Statement& stmt = impl_->count_rows[index][exclude_deleted ? 0 : 1];
  if (stmt.get() == nullptr) {
    std::string sql = "SELECT count(*) FROM " + std::string(info.name);
    const char* joiner = " WHERE ";
    if (info.source_column != nullptr) {
      sql += joiner;
      sql += info.source_column;
      sql += " = ?1";
      joiner = " AND ";
    }
    if (exclude_deleted) {
      sql += joiner;
      sql += "deleted_at IS NULL";
    }
    if (Status s = impl_->Prepare(&stmt, sql.c_str()); !s.ok()) return s;
  }
  sqlite3_stmt* s = stmt.get();
  if (info.source_column != nullptr) BindText(s, 1, source);
  int64_t count = 0;
  Status status =
      impl_->ForEachRow(s, "store " + impl_->path + ": count " + table,
                        [&](sqlite3_stmt* row) { count = sqlite3_column_int64(row, 0); });
  if (!status.ok()) return status;
  return count;
}

Status Store::ForEachContact(const std::function<void(const StoredContact&)>& fn) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  // One row object reused for every row: its strings keep their capacity.
  StoredContact sc;
  return impl_->ForEachRow(impl_->each_contact.get(), "store " + impl_->path + ": read contacts",
                           [&](sqlite3_stmt* row) {
                             Contact& c = sc.contact;
                             ReadText(row, 0, &sc.source);
                             ReadText(row, 1, &c.id);
                             ReadText(row, 2, &c.email);
                             ReadText(row, 3, &c.first_name);
                             ReadText(row, 4, &c.last_name);
                             ReadText(row, 5, &c.owner_id);
                             ReadText(row, 6, &c.channel);
                             ReadText(row, 7, &c.lifecycle_stage);
                             ReadText(row, 8, &c.lead_status);
                             c.created_at = ReadTime(row, 9);
                             c.mql_at = ReadTime(row, 10);
                             c.contacted_at = ReadTime(row, 11);
                             c.sql_at = ReadTime(row, 12);
                             c.customer_at = ReadTime(row, 13);
                             c.updated_at = ReadTime(row, 14);
                             sc.deleted_at = ReadTime(row, 15);
                             fn(sc);
                           });
}

Status Store::ForEachDeal(const std::function<void(const StoredDeal&)>& fn) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  StoredDeal sd;
  return impl_->ForEachRow(impl_->each_deal.get(), "store " + impl_->path + ": read deals",
                           [&](sqlite3_stmt* row) {
                             Deal& d = sd.deal;
                             ReadText(row, 0, &sd.source);
                             ReadText(row, 1, &d.id);
                             ReadText(row, 2, &d.name);
                             ReadText(row, 3, &d.owner_id);
                             ReadText(row, 4, &d.pipeline);
                             ReadText(row, 5, &d.stage);
                             d.amount = sqlite3_column_type(row, 6) == SQLITE_NULL
                                            ? std::nullopt
                                            : std::optional<double>(sqlite3_column_double(row, 6));
                             ReadText(row, 7, &d.currency);
                             d.created_at = ReadTime(row, 8);
                             d.closed_at = ReadTime(row, 9);
                             d.is_closed = sqlite3_column_int(row, 10) != 0;
                             d.is_won = sqlite3_column_int(row, 11) != 0;
                             d.updated_at = ReadTime(row, 12);
                             sd.deleted_at = ReadTime(row, 13);
                             fn(sd);
                           });
}

Status Store::ForEachOwner(const std::function<void(const StoredOwner&)>& fn) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  StoredOwner so;
  return impl_->ForEachRow(impl_->each_owner.get(), "store " + impl_->path + ": read owners",
                           [&](sqlite3_stmt* row) {
                             ReadText(row, 0, &so.source);
                             ReadText(row, 1, &so.owner.id);
                             ReadText(row, 2, &so.owner.email);
                             ReadText(row, 3, &so.owner.name);
                             so.owner.active = sqlite3_column_int(row, 4) != 0;
                             fn(so);
                           });
}

Status Store::ForEachEmailCampaign(const std::function<void(const StoredEmailCampaign&)>& fn) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  StoredEmailCampaign sc;
  return impl_->ForEachRow(
      impl_->each_campaign.get(), "store " + impl_->path + ": read email_campaigns",
      [&](sqlite3_stmt* row) {
        EmailCampaign& c = sc.campaign;
        ReadText(row, 0, &sc.source);
        ReadText(row, 1, &c.id);
        ReadText(row, 2, &c.name);
        ReadText(row, 3, &c.subject);
        ReadText(row, 4, &c.kind);
        c.sent_at = ReadTime(row, 5);
        sc.deleted_at = ReadTime(row, 6);
        EmailCampaignCounters& r = c.reported;
        int column = 7;
        for (std::optional<int64_t>* counter :
             {&r.sent, &r.delivered, &r.opens, &r.unique_opens, &r.clicks, &r.unique_clicks,
              &r.bounces, &r.unsubscribes, &r.spam_reports}) {
          *counter = ReadTime(row, column++);
        }
        fn(sc);
      });
}

Status Store::ForEachEmailMember(const std::function<void(const StoredEmailMember&)>& fn) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  StoredEmailMember sm;
  return impl_->ForEachRow(impl_->each_member.get(),
                           "store " + impl_->path + ": read email_members", [&](sqlite3_stmt* row) {
                             EmailMember& m = sm.member;
                             ReadText(row, 0, &sm.source);
                             ReadText(row, 1, &m.id);
                             ReadText(row, 2, &m.email);
                             ReadText(row, 3, &m.first_name);
                             ReadText(row, 4, &m.last_name);
                             ReadText(row, 5, &m.status);
                             m.opted_in_at = ReadTime(row, 6);
                             m.updated_at = ReadTime(row, 7);
                             sm.deleted_at = ReadTime(row, 8);
                             fn(sm);
                           });
}

Status Store::ForEachEmailRecipient(const std::function<void(const EmailRecipient&)>& fn) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  EmailRecipient r;
  return impl_->ForEachRow(impl_->each_recipient.get(),
                           "store " + impl_->path + ": read email_campaign_recipients",
                           [&](sqlite3_stmt* row) {
                             ReadText(row, 0, &r.source);
                             ReadText(row, 1, &r.campaign_id);
                             ReadText(row, 2, &r.email);
                             r.events = sqlite3_column_int64(row, 3);
                             fn(r);
                           });
}

Status Store::ForEachEmailEvent(const std::function<void(const StoredEmailEvent&)>& fn) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  StoredEmailEvent se;
  return impl_->ForEachRow(impl_->each_event.get(), "store " + impl_->path + ": read email_events",
                           [&](sqlite3_stmt* row) {
                             EmailEvent& e = se.event;
                             ReadText(row, 0, &se.source);
                             ReadText(row, 1, &e.id);
                             ReadText(row, 2, &e.campaign_id);
                             ReadText(row, 3, &e.email);
                             ReadText(row, 4, &e.type);
                             e.occurred_at = ReadTime(row, 5);
                             ReadText(row, 6, &e.url);
                             se.deleted_at = ReadTime(row, 7);
                             e.machine = sqlite3_column_int(row, 8) != 0;
                             fn(se);
                           });
}

Status Store::ForEachEmailCampaignTotals(
    const std::function<void(const EmailCampaignTotals&)>& fn) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  EmailCampaignTotals t;
  return impl_->ForEachRow(impl_->each_campaign_stats.get(),
                           "store " + impl_->path + ": read email_campaign_stats",
                           [&](sqlite3_stmt* row) {
                             ReadText(row, 0, &t.source);
                             ReadText(row, 1, &t.campaign_id);
                             t.sent = sqlite3_column_int64(row, 2);
                             t.delivered = sqlite3_column_int64(row, 3);
                             t.opened = sqlite3_column_int64(row, 4);
                             t.machine_opened = sqlite3_column_int64(row, 5);
                             t.clicked = sqlite3_column_int64(row, 6);
                             t.bounced = sqlite3_column_int64(row, 7);
                             t.unsubscribed = sqlite3_column_int64(row, 8);
                             t.spam_reported = sqlite3_column_int64(row, 9);
                             t.first_event_at = ReadTime(row, 10);
                             fn(t);
                           });
}

Status Store::ForEachEmailClick(const std::function<void(const EmailClick&)>& fn) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  EmailClick c;
  return impl_->ForEachRow(impl_->each_click.get(), "store " + impl_->path + ": read email clicks",
                           [&](sqlite3_stmt* row) {
                             ReadText(row, 0, &c.source);
                             ReadText(row, 1, &c.campaign_id);
                             ReadText(row, 2, &c.email);
                             c.occurred_at = sqlite3_column_int64(row, 3);
                             fn(c);
                           });
}

Result<std::vector<std::pair<std::string, std::string>>> Store::DealContacts(
    const std::string& source) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  sqlite3_stmt* s = impl_->deal_contacts.get();
  BindText(s, 1, source);
  std::vector<std::pair<std::string, std::string>> pairs;
  Status status = impl_->ForEachRow(s, "store " + impl_->path + ": read deal_contacts of " + source,
                                    [&](sqlite3_stmt* row) {
                                      auto& p = pairs.emplace_back();
                                      ReadText(row, 0, &p.first);
                                      ReadText(row, 1, &p.second);
                                    });
  if (!status.ok()) return status;
  return pairs;
}

Result<std::vector<ValueIssueCount>> Store::ValueIssueCounts() {
  std::lock_guard<std::mutex> lock(impl_->mu);
  std::vector<ValueIssueCount> out;
  Status s = impl_->RunOnce(
      "SELECT connector, stream, property, count, last_record_id, last_problem, last_seen_at "
      "FROM value_issues ORDER BY connector, stream, property",
      "store " + impl_->path + ": read value issues", nullptr, [&](sqlite3_stmt* row) {
        ValueIssueCount& v = out.emplace_back();
        ReadText(row, 0, &v.connector);
        ReadText(row, 1, &v.stream);
        ReadText(row, 2, &v.property);
        v.count = sqlite3_column_int64(row, 3);
        ReadText(row, 4, &v.last_record_id);
        ReadText(row, 5, &v.last_problem);
        v.last_seen_at = sqlite3_column_int64(row, 6);
      });
  if (!s.ok()) return s;
  return out;
}

const char* SnapshotPurposeName(SnapshotPurpose purpose) {
  return purpose == SnapshotPurpose::kLive ? "live" : "one_off";
}

Result<int64_t> Store::SaveSnapshot(const SnapshotRow& row, const SnapshotRetention& retention) {
  if (retention.live_interval_ms <= 0 || retention.max_live < 1 || retention.max_one_off < 1) {
    return Status::InvalidArgument("save snapshot: retention out of range");
  }
  std::lock_guard<std::mutex> lock(impl_->mu);
  const std::string context = "store " + impl_->path + ": save snapshot";
  Status status = impl_->RunOrError(impl_->begin_immediate.get(), context);
  if (status.ok() && row.purpose == SnapshotPurpose::kLive) {
    // Floor division, so an interval starts at or before computed_at even
    // for a (nonsensical) time before the epoch.
    const int64_t r = row.computed_at % retention.live_interval_ms;
    const int64_t interval_start = row.computed_at - (r < 0 ? r + retention.live_interval_ms : r);
    sqlite3_stmt* s = impl_->replace_live_snapshots.get();
    sqlite3_bind_int64(s, 1, interval_start);
    status = impl_->RunOrError(s, context);
  }
  int64_t id = 0;
  if (status.ok()) {
    sqlite3_stmt* s = impl_->save_snapshot.get();
    sqlite3_bind_int64(s, 1, row.computed_at);
    BindTime(s, 2, row.window_from);
    BindTime(s, 3, row.window_to);
    // json is NOT NULL: bind even an empty document as text, not as NULL.
    sqlite3_bind_text(s, 4, row.json.data(), static_cast<int>(row.json.size()), SQLITE_STATIC);
    BindText(s, 5, row.config_hash);
    BindText(s, 6, row.cursors);
    sqlite3_bind_text(s, 7, SnapshotPurposeName(row.purpose), -1, SQLITE_STATIC);
    status = impl_->RunOrError(s, context);
    id = static_cast<int64_t>(sqlite3_last_insert_rowid(impl_->handle()));
  }
  if (status.ok()) {
    sqlite3_stmt* s = impl_->prune_old_snapshots.get();
    sqlite3_bind_int64(s, 1, retention.keep_after_ms);
    status = impl_->RunOrError(s, context + ": prune");
  }
  for (auto [purpose, keep] : {std::pair{SnapshotPurpose::kLive, retention.max_live},
                               std::pair{SnapshotPurpose::kOneOff, retention.max_one_off}}) {
    if (!status.ok()) break;
    sqlite3_stmt* s = impl_->prune_surplus_snapshots.get();
    sqlite3_bind_text(s, 1, SnapshotPurposeName(purpose), -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 2, keep);
    status = impl_->RunOrError(s, context + ": prune");
  }
  if (status.ok()) status = impl_->RunOrError(impl_->commit.get(), context);
  if (!status.ok()) impl_->RollbackIfOpen();
  impl_->WriteOutcome("snapshot", status);
  if (!status.ok()) return status;
  return id;
}

Result<std::optional<SnapshotRow>> Store::LatestSnapshot(SnapshotPurpose purpose) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  std::optional<SnapshotRow> latest;
  sqlite3_stmt* s = impl_->latest_snapshot.get();
  sqlite3_bind_text(s, 1, SnapshotPurposeName(purpose), -1, SQLITE_STATIC);
  Status status = impl_->ForEachRow(s, "store " + impl_->path + ": read latest snapshot",
                                    [&](sqlite3_stmt* row) {
                                      SnapshotRow& r = latest.emplace();
                                      r.id = sqlite3_column_int64(row, 0);
                                      r.computed_at = sqlite3_column_int64(row, 1);
                                      r.window_from = ReadTime(row, 2);
                                      r.window_to = ReadTime(row, 3);
                                      ReadText(row, 4, &r.json);
                                      ReadText(row, 5, &r.config_hash);
                                      ReadText(row, 6, &r.cursors);
                                      r.purpose = purpose;
                                    });
  if (!status.ok()) return status;
  return latest;
}

namespace {

constexpr char kOutboxColumns[] =
    "SELECT id, idempotency_key, receiver, created_at, payload, attempts, next_attempt_at, "
    "last_error, delivered_at, dropped_at, last_attempt_at FROM notification_outbox ";

OutboxRow ReadOutboxRow(sqlite3_stmt* r) {
  OutboxRow o;
  o.id = sqlite3_column_int64(r, 0);
  ReadText(r, 1, &o.idempotency_key);
  ReadText(r, 2, &o.receiver);
  o.created_at = sqlite3_column_int64(r, 3);
  ReadText(r, 4, &o.payload);
  o.attempts = sqlite3_column_int64(r, 5);
  o.next_attempt_at = sqlite3_column_int64(r, 6);
  ReadText(r, 7, &o.last_error);
  o.delivered_at = ReadTime(r, 8);
  o.dropped_at = ReadTime(r, 9);
  o.last_attempt_at = ReadTime(r, 10);
  return o;
}

// For NOT NULL text columns (JSON, keys): an empty value is bound as written, not as NULL.
void BindRequiredText(sqlite3_stmt* s, int i, const std::string& v) {
  sqlite3_bind_text(s, i, v.data(), static_cast<int>(v.size()), SQLITE_STATIC);
}

}  // namespace

Status Store::SaveAlertRound(const std::vector<AlertStateRow>& states,
                             const std::vector<AlertKey>& removed,
                             const std::vector<AlertGroupRow>& groups,
                             const std::vector<OutboxRow>& queued) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  const std::string context = "store " + impl_->path + ": save alert round";
  Status status = impl_->RunOrError(impl_->begin_immediate.get(), context);
  for (const AlertStateRow& a : states) {
    if (!status.ok()) break;
    status = impl_->RunOnce(
        "INSERT OR REPLACE INTO alert_states (rule, instance, phase, active_since, fired_at, "
        "last_held_at, resolved_at, value, labels, annotations) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        context + ": rule \"" + a.rule + "\"", [&](sqlite3_stmt* s) {
          BindText(s, 1, a.rule);
          BindRequiredText(s, 2, a.instance);
          BindText(s, 3, a.phase);
          BindTime(s, 4, a.active_since);
          BindTime(s, 5, a.fired_at);
          BindTime(s, 6, a.last_held_at);
          BindTime(s, 7, a.resolved_at);
          BindReal(s, 8, a.value);
          BindRequiredText(s, 9, a.labels_json);
          BindRequiredText(s, 10, a.annotations_json);
        });
  }
  for (const AlertKey& k : removed) {
    if (!status.ok()) break;
    status = impl_->RunOnce("DELETE FROM alert_states WHERE rule = ?1 AND instance = ?2",
                            context + ": remove rule \"" + k.rule + "\"", [&](sqlite3_stmt* s) {
                              BindText(s, 1, k.rule);
                              BindRequiredText(s, 2, k.instance);
                            });
  }
  for (const AlertGroupRow& g : groups) {
    if (!status.ok()) break;
    status = impl_->RunOnce(
        "INSERT OR REPLACE INTO alert_groups (group_id, last_sent_at, firing) VALUES (?1, ?2, ?3)",
        context + ": group", [&](sqlite3_stmt* s) {
          BindRequiredText(s, 1, g.group_id);
          BindTime(s, 2, g.last_sent_at);
          BindRequiredText(s, 3, g.firing_json);
        });
  }
  for (const OutboxRow& o : queued) {
    if (!status.ok()) break;
    status = impl_->RunOnce(
        "INSERT INTO notification_outbox (idempotency_key, receiver, created_at, payload, "
        "next_attempt_at) VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (idempotency_key) DO NOTHING",
        context + ": notification " + o.idempotency_key, [&](sqlite3_stmt* s) {
          BindText(s, 1, o.idempotency_key);
          BindText(s, 2, o.receiver);
          sqlite3_bind_int64(s, 3, o.created_at);
          BindRequiredText(s, 4, o.payload);
          sqlite3_bind_int64(s, 5, o.next_attempt_at);
        });
  }
  if (status.ok()) status = impl_->RunOrError(impl_->commit.get(), context);
  if (!status.ok()) impl_->RollbackIfOpen();
  impl_->WriteOutcome("alert round", status);
  return status;
}

Result<std::vector<AlertStateRow>> Store::AlertStates() {
  std::lock_guard<std::mutex> lock(impl_->mu);
  std::vector<AlertStateRow> out;
  Status s = impl_->RunOnce(
      "SELECT rule, instance, phase, active_since, fired_at, last_held_at, resolved_at, value, "
      "labels, annotations FROM alert_states ORDER BY rule, instance",
      "store " + impl_->path + ": read alert states", nullptr, [&](sqlite3_stmt* r) {
        AlertStateRow& a = out.emplace_back();
        ReadText(r, 0, &a.rule);
        ReadText(r, 1, &a.instance);
        ReadText(r, 2, &a.phase);
        a.active_since = ReadTime(r, 3);
        a.fired_at = ReadTime(r, 4);
        a.last_held_at = ReadTime(r, 5);
        a.resolved_at = ReadTime(r, 6);
        if (sqlite3_column_type(r, 7) != SQLITE_NULL) a.value = sqlite3_column_double(r, 7);
        ReadText(r, 8, &a.labels_json);
        ReadText(r, 9, &a.annotations_json);
      });
  if (!s.ok()) return s;
  return out;
}

Result<std::vector<AlertGroupRow>> Store::AlertGroups() {
  std::lock_guard<std::mutex> lock(impl_->mu);
  std::vector<AlertGroupRow> out;
  Status s =
      impl_->RunOnce("SELECT group_id, last_sent_at, firing FROM alert_groups ORDER BY group_id",
                     "store " + impl_->path + ": read alert groups", nullptr, [&](sqlite3_stmt* r) {
                       AlertGroupRow& g = out.emplace_back();
                       ReadText(r, 0, &g.group_id);
                       g.last_sent_at = ReadTime(r, 1);
                       ReadText(r, 2, &g.firing_json);
                     });
  if (!s.ok()) return s;
  return out;
}

Result<std::vector<OutboxRow>> Store::DueNotifications(int64_t now_ms, int limit) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  std::vector<OutboxRow> out;
  const std::string sql = std::string(kOutboxColumns) +
                          "WHERE delivered_at IS NULL AND dropped_at IS NULL "
                          "AND next_attempt_at <= ?1 ORDER BY next_attempt_at, id LIMIT ?2";
  Status s = impl_->RunOnce(
      sql.c_str(), "store " + impl_->path + ": read due notifications",
      [&](sqlite3_stmt* st) {
        sqlite3_bind_int64(st, 1, now_ms);
        sqlite3_bind_int(st, 2, limit);
      },
      [&](sqlite3_stmt* r) { out.push_back(ReadOutboxRow(r)); });
  if (!s.ok()) return s;
  return out;
}

Result<std::vector<OutboxRow>> Store::RecentNotifications(int limit, bool finished_only) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  std::vector<OutboxRow> out;
  const std::string sql =
      std::string(kOutboxColumns) +
      (finished_only ? "WHERE delivered_at IS NOT NULL OR dropped_at IS NOT NULL " : "") +
      "ORDER BY id DESC LIMIT ?1";
  Status s = impl_->RunOnce(
      sql.c_str(), "store " + impl_->path + ": read notifications",
      [&](sqlite3_stmt* st) { sqlite3_bind_int(st, 1, limit); },
      [&](sqlite3_stmt* r) { out.push_back(ReadOutboxRow(r)); });
  if (!s.ok()) return s;
  return out;
}

Result<OutboxBacklog> Store::WaitingNotifications() {
  std::lock_guard<std::mutex> lock(impl_->mu);
  OutboxBacklog backlog;
  Status s = impl_->RunOnce(
      "SELECT count(*), min(created_at), min(next_attempt_at) FROM notification_outbox "
      "WHERE delivered_at IS NULL AND dropped_at IS NULL",
      "store " + impl_->path + ": count waiting notifications", nullptr, [&](sqlite3_stmt* r) {
        backlog.waiting = sqlite3_column_int64(r, 0);
        backlog.oldest_created_at = ReadTime(r, 1);
        backlog.next_attempt_at = ReadTime(r, 2);
      });
  if (!s.ok()) return s;
  return backlog;
}

Status Store::RecordNotificationAttempt(int64_t id, int64_t at_ms) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->RunOnce(
      "UPDATE notification_outbox SET attempts = attempts + 1, last_attempt_at = ?2 WHERE id = ?1",
      "store " + impl_->path + ": notification " + std::to_string(id), [&](sqlite3_stmt* s) {
        sqlite3_bind_int64(s, 1, id);
        sqlite3_bind_int64(s, 2, at_ms);
      });
}

Status Store::MarkNotificationDelivered(int64_t id, int64_t at_ms) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->RunOnce(
      "UPDATE notification_outbox SET delivered_at = ?2, last_error = NULL WHERE id = ?1",
      "store " + impl_->path + ": notification " + std::to_string(id), [&](sqlite3_stmt* s) {
        sqlite3_bind_int64(s, 1, id);
        sqlite3_bind_int64(s, 2, at_ms);
      });
}

Status Store::MarkNotificationFailed(int64_t id, const std::string& error,
                                     int64_t next_attempt_at_ms) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->RunOnce(
      "UPDATE notification_outbox SET last_error = ?2, next_attempt_at = ?3 WHERE id = ?1",
      "store " + impl_->path + ": notification " + std::to_string(id), [&](sqlite3_stmt* s) {
        sqlite3_bind_int64(s, 1, id);
        BindText(s, 2, error);
        sqlite3_bind_int64(s, 3, next_attempt_at_ms);
      });
}

Status Store::MarkNotificationDropped(int64_t id, const std::string& error, int64_t at_ms) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->RunOnce(
      "UPDATE notification_outbox SET dropped_at = ?3, last_error = ?2 WHERE id = ?1",
      "store " + impl_->path + ": notification " + std::to_string(id), [&](sqlite3_stmt* s) {
        sqlite3_bind_int64(s, 1, id);
        BindText(s, 2, error);
        sqlite3_bind_int64(s, 3, at_ms);
      });
}

Result<int64_t> Store::AddSilence(const SilenceRow& silence) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  Status s = impl_->RunOnce(
      "INSERT INTO silences (matchers, starts_at, ends_at, created_by, comment) "
      "VALUES (?1, ?2, ?3, ?4, ?5)",
      "store " + impl_->path + ": add silence", [&](sqlite3_stmt* st) {
        BindRequiredText(st, 1, silence.matchers_json);
        sqlite3_bind_int64(st, 2, silence.starts_at);
        sqlite3_bind_int64(st, 3, silence.ends_at);
        BindText(st, 4, silence.created_by);
        BindText(st, 5, silence.comment);
      });
  if (!s.ok()) return s;
  return static_cast<int64_t>(sqlite3_last_insert_rowid(impl_->handle()));
}

Result<std::vector<SilenceRow>> Store::Silences() {
  std::lock_guard<std::mutex> lock(impl_->mu);
  std::vector<SilenceRow> out;
  Status s = impl_->RunOnce(
      "SELECT id, matchers, starts_at, ends_at, created_by, comment FROM silences ORDER BY id",
      "store " + impl_->path + ": read silences", nullptr, [&](sqlite3_stmt* r) {
        SilenceRow& row = out.emplace_back();
        row.id = sqlite3_column_int64(r, 0);
        ReadText(r, 1, &row.matchers_json);
        row.starts_at = sqlite3_column_int64(r, 2);
        row.ends_at = sqlite3_column_int64(r, 3);
        ReadText(r, 4, &row.created_by);
        ReadText(r, 5, &row.comment);
      });
  if (!s.ok()) return s;
  return out;
}

Status Store::ExpireSilence(int64_t id, int64_t at_ms) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  const std::string context = "store " + impl_->path + ": silence " + std::to_string(id);
  bool found = false;
  Status s = impl_->RunOnce(
      "SELECT 1 FROM silences WHERE id = ?1", context,
      [&](sqlite3_stmt* st) { sqlite3_bind_int64(st, 1, id); },
      [&](sqlite3_stmt*) { found = true; });
  if (!s.ok()) return s;
  if (!found) return Status::NotFound(context + ": no such silence");
  return impl_->RunOnce("UPDATE silences SET ends_at = min(ends_at, ?2) WHERE id = ?1", context,
                        [&](sqlite3_stmt* st) {
                          sqlite3_bind_int64(st, 1, id);
                          sqlite3_bind_int64(st, 2, at_ms);
                        });
}

Result<int> Store::SchemaVersion() {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->ReadUserVersion();
}

const std::vector<std::string>& Store::warnings() const { return impl_->warnings; }

const StoreOpenCheck& Store::open_check() const { return impl_->open_check; }

StoreHealth Store::Health() {
  impl_->FileStillThere();
  std::lock_guard<std::mutex> lock(impl_->health_mu);
  if (!impl_->lasting_fault.ok) return impl_->lasting_fault;
  if (!impl_->failing_writes.empty()) return impl_->failing_writes.begin()->second.health;
  return StoreHealth{};
}

}  // namespace salesaudit
