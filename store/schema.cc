// The migrations, version by version, each with why it is as it is.
#include "store/schema.h"

#include <algorithm>
#include <array>
#include <iterator>
#include <string>

#include "store/database.h"
#include "store/store.h"

namespace salesaudit {
namespace {

// One step of the schema. Steps are applied in order, each in its own
// transaction together with the bump of PRAGMA user_version, so a crash
// leaves the file at a whole version. Released steps are never edited: a
// change to the schema is a new step.
struct Migration {
  int version;
  const char* sql;
};

// `parts` joined, at compile time: a migration that restates part of its
// own text holds it once.
template <size_t... N>
constexpr std::array<char, (N + ...) - sizeof...(N) + 1> JoinSql(const char (&... parts)[N]) {
  std::array<char, (N + ...) - sizeof...(N) + 1> joined{};
  size_t at = 0;
  ((std::copy_n(parts, N - 1, joined.begin() + at), at += N - 1), ...);
  return joined;
}

// Version 1: the tables README.md documents for BI tools ("The store").
// Every table keyed by (source, id) is WITHOUT ROWID: the primary key is the
// only lookup the sync path makes, and a clustered key saves the separate
// rowid-to-key index on every upsert. email_campaigns and email_events carry deleted_at too, so
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
// the stats' recipient counts (until version 16, which moves that to the
// write path and the email_events triggers). The stats row is always written
// before the recipient row, so the recipient triggers always find it. The triggers on
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

// Version 11: stage dates from any evidence (docs/contracts.md). HubSpot dates each
// lifecycle stage on the contact; other CRMs date a stage elsewhere (a lead's
// status history, a done activity). stage_events keeps that dated evidence,
// written by the stream that carries it (origin) in its page's transaction
// and deleted with its contact or its origin record. A linked live deal is
// evidence too, without a row: sql from its created_at, won from a won
// deal's closed_at. v_contact_funnel (created by v14; stores made before it
// had it from this version) gives each contact's effective dates,
// each the earliest of its own column, its stage events and its linked
// deals, with ISO-8601 text times like the other views; the audit computes
// the same rule in its own passes (audit/stage_evidence.h) rather than
// reading this view, whose per-contact subqueries a whole-store scan would
// pay a million times. stage_events' primary key serves the view's lookups
// and the deletion of a contact's evidence; the origin index serves the
// deletion of an origin record's.
constexpr const char* kSchemaV11 = R"sql(
CREATE TABLE stage_events (
  source TEXT NOT NULL CHECK (source <> ''),
  contact_id TEXT NOT NULL CHECK (contact_id <> ''),
  stage TEXT NOT NULL CHECK (stage IN ('mql', 'contacted', 'sql', 'won')),
  at INTEGER NOT NULL,
  origin TEXT NOT NULL CHECK (origin <> ''),
  origin_id TEXT NOT NULL CHECK (origin_id <> ''),
  PRIMARY KEY (source, contact_id, stage, origin, origin_id)
) WITHOUT ROWID;
CREATE INDEX stage_events_origin ON stage_events (source, origin, origin_id);
)sql";

// Version 12: links stated as records of their own, and one person kept
// twice (docs/contracts.md "Links and aliases"). A Salesforce
// OpportunityContactRole links a deal to a contact with an id of its own and
// is deleted on its own; deal_links keeps one row per such link, and
// deal_contacts holds a (deal, contact) pair while a live link states it.
// deal_links_pair serves the question "does another live link state this
// pair" and a deal's links when the deal is deleted; it carries deleted_at
// so that it answers both alone (without it, SQLite 3.40 reads every link of
// the source instead: the table's own key looks cheaper to it than an index
// that needs a lookup per row). deal_links_contact moves a contact's links
// when it is merged into another. contact_aliases maps a
// contact id of a source to the person it means (a Contact that a Lead
// converted into means the lead): the first alias of an id is kept, and
// contact_aliases_contact re-points the aliases of a contact that becomes an
// alias itself, so an alias always names a contact that is none. Neither
// table has a v_ view: like deal_contacts and stage_events, they are
// relations, not records a BI tool lists.
constexpr const char* kSchemaV12 = R"sql(
CREATE TABLE deal_links (
  source TEXT NOT NULL CHECK (source <> ''),
  id TEXT NOT NULL CHECK (id <> ''),
  deal_id TEXT NOT NULL CHECK (deal_id <> ''),
  contact_id TEXT NOT NULL CHECK (contact_id <> ''),
  deleted_at INTEGER,
  PRIMARY KEY (source, id)
) WITHOUT ROWID;
CREATE INDEX deal_links_pair ON deal_links (source, deal_id, contact_id, deleted_at);
CREATE INDEX deal_links_contact ON deal_links (source, contact_id);

CREATE TABLE contact_aliases (
  source TEXT NOT NULL CHECK (source <> ''),
  alias_id TEXT NOT NULL CHECK (alias_id <> ''),
  contact_id TEXT NOT NULL CHECK (contact_id <> '' AND contact_id <> alias_id),
  at INTEGER NOT NULL,
  PRIMARY KEY (source, alias_id)
) WITHOUT ROWID;
CREATE INDEX contact_aliases_contact ON contact_aliases (source, contact_id);
)sql";

// SQLite 3.40's integrity check (PRAGMA integrity_check and quick_check)
// reports "NULL value in stage_events.at" for every row of a WITHOUT ROWID
// table whose NOT NULL column stands before a primary-key column, though no
// value is NULL; the store's check at open then calls a sound store damaged.
// The same rule as a CHECK constraint is checked right. The stage's CHECK is
// written with OR: an IN list makes SQLite build a temporary table for every
// row it writes (EXPLAIN shows OpenEphemeral). The table is copied
// through a temporary one rather than renamed, which would make SQLite
// re-check v_contact_funnel while its table is missing.
constexpr const char* kSchemaV13 = R"sql(
CREATE TEMP TABLE stage_events_v12 AS SELECT * FROM stage_events;
DROP TABLE stage_events;
CREATE TABLE stage_events (
  source TEXT NOT NULL CHECK (source <> ''),
  contact_id TEXT NOT NULL CHECK (contact_id <> ''),
  stage TEXT NOT NULL
    CHECK (stage = 'mql' OR stage = 'contacted' OR stage = 'sql' OR stage = 'won'),
  at INTEGER CHECK (at IS NOT NULL),
  origin TEXT NOT NULL CHECK (origin <> ''),
  origin_id TEXT NOT NULL CHECK (origin_id <> ''),
  PRIMARY KEY (source, contact_id, stage, origin, origin_id)
) WITHOUT ROWID;
CREATE INDEX stage_events_origin ON stage_events (source, origin, origin_id);
INSERT INTO stage_events SELECT * FROM temp.stage_events_v12;
DROP TABLE temp.stage_events_v12;
)sql";

// Version 14: evidence names a channel (a Pipedrive lead's source); a
// contact without a channel of its own has that of its earliest evidence
// naming one, in v_contact_funnel as in the audit (audit/stage_evidence.h).
// The column goes last, after the key columns (see v13). The view is made
// here only, so its text is written once.
constexpr const char* kSchemaV14 = R"sql(
ALTER TABLE stage_events ADD COLUMN channel TEXT;
DROP VIEW IF EXISTS v_contact_funnel;
CREATE VIEW v_contact_funnel AS SELECT
  c.source, c.id,
  COALESCE(c.channel, (SELECT e.channel FROM stage_events e
    WHERE e.source = c.source AND e.contact_id = c.id AND e.channel IS NOT NULL
    ORDER BY e.at, e.channel LIMIT 1)) AS channel,
  c.owner_id,
  strftime('%Y-%m-%dT%H:%M:%fZ', c.created_at / 1000.0, 'unixepoch') AS created_at,
  strftime('%Y-%m-%dT%H:%M:%fZ', (SELECT min(t) FROM (
    SELECT c.mql_at AS t
    UNION ALL SELECT e.at FROM stage_events e
      WHERE e.source = c.source AND e.contact_id = c.id AND e.stage = 'mql'
  )) / 1000.0, 'unixepoch') AS mql_at,
  strftime('%Y-%m-%dT%H:%M:%fZ', (SELECT min(t) FROM (
    SELECT c.contacted_at AS t
    UNION ALL SELECT e.at FROM stage_events e
      WHERE e.source = c.source AND e.contact_id = c.id AND e.stage = 'contacted'
  )) / 1000.0, 'unixepoch') AS contacted_at,
  strftime('%Y-%m-%dT%H:%M:%fZ', (SELECT min(t) FROM (
    SELECT c.sql_at AS t
    UNION ALL SELECT e.at FROM stage_events e
      WHERE e.source = c.source AND e.contact_id = c.id AND e.stage = 'sql'
    UNION ALL SELECT d.created_at FROM deal_contacts l
      JOIN deals d ON d.source = l.source AND d.id = l.deal_id
      WHERE l.source = c.source AND l.contact_id = c.id AND d.deleted_at IS NULL
  )) / 1000.0, 'unixepoch') AS sql_at,
  strftime('%Y-%m-%dT%H:%M:%fZ', (SELECT min(t) FROM (
    SELECT c.customer_at AS t
    UNION ALL SELECT e.at FROM stage_events e
      WHERE e.source = c.source AND e.contact_id = c.id AND e.stage = 'won'
    UNION ALL SELECT d.closed_at FROM deal_contacts l
      JOIN deals d ON d.source = l.source AND d.id = l.deal_id
      WHERE l.source = c.source AND l.contact_id = c.id AND d.deleted_at IS NULL AND d.is_won = 1
  )) / 1000.0, 'unixepoch') AS won_at,
  strftime('%Y-%m-%dT%H:%M:%fZ', c.deleted_at / 1000.0, 'unixepoch') AS deleted_at
FROM contacts c;
)sql";

// Version 15: the names of deal pipelines and stages (Pipedrive deals carry
// ids only), kept per source; v_deals gives each deal's names after its
// other columns, so queries reading the columns by position still work.
constexpr const char* kSchemaV15 = R"sql(
CREATE TABLE deal_stages (
  source TEXT NOT NULL CHECK (source <> ''),
  pipeline_id TEXT NOT NULL CHECK (pipeline_id <> ''),
  stage_id TEXT NOT NULL CHECK (stage_id <> ''),
  pipeline_name TEXT,
  stage_name TEXT,
  stage_order INTEGER,
  PRIMARY KEY (source, pipeline_id, stage_id)
) WITHOUT ROWID;
DROP VIEW IF EXISTS v_deals;
CREATE VIEW v_deals AS SELECT
  d.source, d.id, d.name, d.owner_id, d.pipeline, d.stage, d.amount, d.currency,
  strftime('%Y-%m-%dT%H:%M:%fZ', d.created_at / 1000.0, 'unixepoch') AS created_at,
  strftime('%Y-%m-%dT%H:%M:%fZ', d.closed_at / 1000.0, 'unixepoch') AS closed_at,
  d.is_closed, d.is_won,
  strftime('%Y-%m-%dT%H:%M:%fZ', d.updated_at / 1000.0, 'unixepoch') AS updated_at,
  strftime('%Y-%m-%dT%H:%M:%fZ', d.deleted_at / 1000.0, 'unixepoch') AS deleted_at,
  s.pipeline_name, s.stage_name
FROM deals d LEFT JOIN deal_stages s
  ON s.source = d.source AND s.pipeline_id = d.pipeline AND s.stage_id = d.stage;
)sql";

// Version 16: the recipient counts of email_campaign_stats kept without
// triggers on email_campaign_recipients. Those updated the campaign's stats
// row once for every recipient row written, most of the cost of counting a
// page's new events (email_bench). The store's write path now adds a page's
// new events to each campaign's row once per page, from each recipient's
// counters before and after its upsert (RecordWriter::FlushEventCounts).
// The triggers on email_events, which take a changed or deleted event out
// and put its new version in, update the stats row themselves, each right
// after the recipient's counter moved: an event moves one counter of one
// recipient by one, so the recipient stops counting for the campaign when
// that counter reaches 0 and starts when it reaches 1.
//
// kTakeOldEventOut: the old version of an event taken out of its recipient's counters and,
// where a counter reaches 0, the recipient out of its campaign's stats: the
// same in the update and the delete trigger of version 16.
constexpr char kTakeOldEventOut[] = R"sql(
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
  UPDATE email_campaign_stats SET
    sent = email_campaign_stats.sent
      - (old.type = 'sent' AND r.sent = 0),
    delivered = email_campaign_stats.delivered
      - (old.type = 'delivered' AND r.delivered = 0),
    opened = email_campaign_stats.opened
      - (old.type = 'open' AND old.machine = 0 AND r.human_opens = 0),
    machine_opened = email_campaign_stats.machine_opened
      - (old.type = 'open' AND old.machine <> 0 AND r.machine_opens = 0),
    clicked = email_campaign_stats.clicked
      - (old.type = 'click' AND old.machine = 0 AND r.clicks = 0),
    bounced = email_campaign_stats.bounced
      - (old.type = 'bounce' AND r.bounces = 0),
    unsubscribed = email_campaign_stats.unsubscribed
      - (old.type = 'unsubscribe' AND r.unsubscribes = 0),
    spam_reported = email_campaign_stats.spam_reported
      - (old.type = 'spam' AND r.spam_reports = 0),
    first_event_at = CASE WHEN email_campaign_stats.first_event_at = old.occurred_at THEN
      (SELECT min(e.occurred_at) FROM email_events e WHERE e.source = old.source
         AND e.campaign_id = old.campaign_id AND e.email IS NOT NULL AND e.deleted_at IS NULL)
      ELSE email_campaign_stats.first_event_at END
  FROM email_campaign_recipients AS r
  WHERE old.deleted_at IS NULL AND email_campaign_stats.source = old.source
    AND email_campaign_stats.campaign_id = old.campaign_id AND r.source = old.source
    AND r.campaign_id = old.campaign_id AND r.email = old.email;
)sql";

constexpr auto kSchemaV16 = JoinSql(R"sql(
DROP TRIGGER IF EXISTS email_campaign_recipients_counted;
DROP TRIGGER IF EXISTS email_campaign_recipients_recounted;
DROP TRIGGER IF EXISTS email_events_recounted;
DROP TRIGGER IF EXISTS email_events_uncounted;

CREATE TRIGGER email_events_recounted AFTER UPDATE ON email_events
WHEN old.campaign_id IS NOT new.campaign_id OR old.email IS NOT new.email
  OR old.type IS NOT new.type OR old.machine IS NOT new.machine
  OR old.occurred_at IS NOT new.occurred_at OR (old.deleted_at IS NULL) <> (new.deleted_at IS NULL)
BEGIN
)sql",
                                    kTakeOldEventOut, R"sql(
  INSERT INTO email_campaign_recipients (source, campaign_id, email, sent, delivered, human_opens,
    machine_opens, clicks, machine_clicks, bounces, unsubscribes, spam_reports)
  SELECT new.source, new.campaign_id, new.email, new.type = 'sent', new.type = 'delivered',
    new.type = 'open' AND new.machine = 0, new.type = 'open' AND new.machine <> 0,
    new.type = 'click' AND new.machine = 0, new.type = 'click' AND new.machine <> 0,
    new.type = 'bounce', new.type = 'unsubscribe', new.type = 'spam'
  WHERE new.deleted_at IS NULL AND new.campaign_id IS NOT NULL AND new.email IS NOT NULL
  ON CONFLICT (source, campaign_id, email) DO UPDATE SET
    sent = sent + excluded.sent, delivered = delivered + excluded.delivered,
    human_opens = human_opens + excluded.human_opens,
    machine_opens = machine_opens + excluded.machine_opens, clicks = clicks + excluded.clicks,
    machine_clicks = machine_clicks + excluded.machine_clicks,
    bounces = bounces + excluded.bounces, unsubscribes = unsubscribes + excluded.unsubscribes,
    spam_reports = spam_reports + excluded.spam_reports;
  INSERT INTO email_campaign_stats (source, campaign_id, sent, delivered, opened, machine_opened,
    clicked, bounced, unsubscribed, spam_reported, first_event_at)
  SELECT new.source, new.campaign_id, new.type = 'sent' AND r.sent = 1,
    new.type = 'delivered' AND r.delivered = 1,
    new.type = 'open' AND new.machine = 0 AND r.human_opens = 1,
    new.type = 'open' AND new.machine <> 0 AND r.machine_opens = 1,
    new.type = 'click' AND new.machine = 0 AND r.clicks = 1,
    new.type = 'bounce' AND r.bounces = 1, new.type = 'unsubscribe' AND r.unsubscribes = 1,
    new.type = 'spam' AND r.spam_reports = 1, new.occurred_at
  FROM email_campaign_recipients AS r
  WHERE new.deleted_at IS NULL AND r.source = new.source AND r.campaign_id = new.campaign_id
    AND r.email = new.email
  ON CONFLICT (source, campaign_id) DO UPDATE SET
    sent = sent + excluded.sent, delivered = delivered + excluded.delivered,
    opened = opened + excluded.opened, machine_opened = machine_opened + excluded.machine_opened,
    clicked = clicked + excluded.clicked, bounced = bounced + excluded.bounced,
    unsubscribed = unsubscribed + excluded.unsubscribed,
    spam_reported = spam_reported + excluded.spam_reported,
    first_event_at = CASE WHEN email_campaign_stats.first_event_at IS NULL
      OR excluded.first_event_at < email_campaign_stats.first_event_at
      THEN excluded.first_event_at ELSE email_campaign_stats.first_event_at END;
END;

CREATE TRIGGER email_events_uncounted AFTER DELETE ON email_events
WHEN old.deleted_at IS NULL AND old.campaign_id IS NOT NULL AND old.email IS NOT NULL
BEGIN
)sql",
                                    kTakeOldEventOut, "END;\n");

constexpr Migration kMigrations[] = {
    {1, kSchemaV1},   {2, kSchemaV2},   {3, kSchemaV3},   {4, kSchemaV4},   {5, kSchemaV5},
    {6, kSchemaV6},   {7, kSchemaV7},   {8, kSchemaV8},   {9, kSchemaV9},   {10, kSchemaV10},
    {11, kSchemaV11}, {12, kSchemaV12}, {13, kSchemaV13}, {14, kSchemaV14}, {15, kSchemaV15},
    {16, kSchemaV16.data()},
};
static_assert(kMigrations[std::size(kMigrations) - 1].version == Store::kSchemaVersion,
              "Store::kSchemaVersion must name the last migration");

}  // namespace

Status MigrateSchema(Database& db) {
  Result<int> known = db.ReadUserVersion();
  if (!known.ok()) return known.status();
  for (const Migration& m : kMigrations) {
    // A file already at this version needs no write lock at all, so opening
    // an up-to-date store never waits for the daemon's writes.
    if (m.version <= *known) continue;
    std::string context = db.Context() + ": migrate to schema version " + std::to_string(m.version);
    Status status = db.Begin(context);
    if (!status.ok()) return status;
    // Read again under the write lock: another process may have migrated the
    // file since we looked.
    Result<int> current = db.ReadUserVersion();
    status = current.status();
    if (status.ok() && *current < m.version) {
      status = db.Exec(m.sql, context);
      if (status.ok()) {
        std::string bump = "PRAGMA user_version = " + std::to_string(m.version);
        status = db.Exec(bump.c_str(), context);
      }
    }
    if (status.ok()) status = db.Commit(context);
    if (!status.ok()) {
      db.RollbackIfOpen();
      return status;
    }
  }
  return Status::Ok();
}

}  // namespace salesaudit
