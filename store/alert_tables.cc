// The alerts' durable state: each alert's state, what each notification
// group was last told, the outbox of notifications and the silences
// (alert_states, alert_groups, notification_outbox, silences). They change a
// few rows now and then, so their statements are prepared per call.
#include <sqlite3.h>

#include "store/store_impl.h"

namespace salesaudit {
namespace {

constexpr Column<AlertStateRow> kAlertStateColumns[] = {
    ColumnOf<&AlertStateRow::rule>("rule"),
    ColumnOf<&AlertStateRow::instance>("instance"),
    ColumnOf<&AlertStateRow::phase>("phase"),
    ColumnOf<&AlertStateRow::active_since>("active_since"),
    ColumnOf<&AlertStateRow::fired_at>("fired_at"),
    ColumnOf<&AlertStateRow::last_held_at>("last_held_at"),
    ColumnOf<&AlertStateRow::resolved_at>("resolved_at"),
    ColumnOf<&AlertStateRow::value>("value"),
    ColumnOf<&AlertStateRow::labels_json>("labels"),
    ColumnOf<&AlertStateRow::annotations_json>("annotations"),
};

constexpr Column<AlertGroupRow> kAlertGroupColumns[] = {
    ColumnOf<&AlertGroupRow::group_id>("group_id"),
    ColumnOf<&AlertGroupRow::last_sent_at>("last_sent_at"),
    ColumnOf<&AlertGroupRow::firing_json>("firing"),
};

constexpr Column<OutboxRow> kOutboxColumns[] = {
    ColumnOf<&OutboxRow::id>("id"),
    ColumnOf<&OutboxRow::idempotency_key>("idempotency_key"),
    ColumnOf<&OutboxRow::receiver>("receiver"),
    ColumnOf<&OutboxRow::created_at>("created_at"),
    ColumnOf<&OutboxRow::payload>("payload"),
    ColumnOf<&OutboxRow::attempts>("attempts"),
    ColumnOf<&OutboxRow::next_attempt_at>("next_attempt_at"),
    ColumnOf<&OutboxRow::last_error>("last_error"),
    ColumnOf<&OutboxRow::delivered_at>("delivered_at"),
    ColumnOf<&OutboxRow::dropped_at>("dropped_at"),
    ColumnOf<&OutboxRow::last_attempt_at>("last_attempt_at"),
};

constexpr Column<OutboxBacklog> kBacklogColumns[] = {
    ColumnOf<&OutboxBacklog::waiting>("count(*)"),
    ColumnOf<&OutboxBacklog::oldest_created_at>("min(created_at)"),
    ColumnOf<&OutboxBacklog::next_attempt_at>("min(next_attempt_at)"),
};

constexpr Column<SilenceRow> kSilenceColumns[] = {
    ColumnOf<&SilenceRow::id>("id"),
    ColumnOf<&SilenceRow::matchers_json>("matchers"),
    ColumnOf<&SilenceRow::starts_at>("starts_at"),
    ColumnOf<&SilenceRow::ends_at>("ends_at"),
    ColumnOf<&SilenceRow::created_by>("created_by"),
    ColumnOf<&SilenceRow::comment>("comment"),
};

// Every row `columns` and `rest` select, under the store's lock, with
// `bind` binding the parameters `rest` names.
template <typename Row>
Result<std::vector<Row>> ReadAll(Database& db, std::span<const Column<Row>> columns,
                                 const std::string& rest, const char* what,
                                 const std::function<void(sqlite3_stmt*)>& bind = nullptr) {
  auto lock = db.Lock();
  const std::string sql = SelectSql(columns, rest);
  std::vector<Row> rows;
  Status s = db.RunOnce(sql.c_str(), db.Context() + ": " + what, bind,
                        [&](sqlite3_stmt* r) { ReadRow(r, columns, rows.emplace_back()); });
  if (!s.ok()) return s;
  return rows;
}

}  // namespace

Status Store::SaveAlertRound(const std::vector<AlertStateRow>& states,
                             const std::vector<AlertKey>& removed,
                             const std::vector<AlertGroupRow>& groups,
                             const std::vector<OutboxRow>& queued) {
  Database& db = impl_->db;
  auto lock = db.Lock();
  const std::string context = db.Context() + ": save alert round";
  Status status = db.Begin(context);
  for (const AlertStateRow& a : states) {
    if (!status.ok()) break;
    status = db.RunOnce(
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
    status = db.RunOnce("DELETE FROM alert_states WHERE rule = ?1 AND instance = ?2",
                        context + ": remove rule \"" + k.rule + "\"", [&](sqlite3_stmt* s) {
                          BindText(s, 1, k.rule);
                          BindRequiredText(s, 2, k.instance);
                        });
  }
  for (const AlertGroupRow& g : groups) {
    if (!status.ok()) break;
    status = db.RunOnce(
        "INSERT OR REPLACE INTO alert_groups (group_id, last_sent_at, firing) VALUES (?1, ?2, ?3)",
        context + ": group", [&](sqlite3_stmt* s) {
          BindRequiredText(s, 1, g.group_id);
          BindTime(s, 2, g.last_sent_at);
          BindRequiredText(s, 3, g.firing_json);
        });
  }
  for (const OutboxRow& o : queued) {
    if (!status.ok()) break;
    status = db.RunOnce(
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
  if (status.ok()) status = db.Commit(context);
  if (!status.ok()) db.RollbackIfOpen();
  db.WriteOutcome("alert round", status);
  return status;
}

Result<std::vector<AlertStateRow>> Store::AlertStates() {
  return ReadAll<AlertStateRow>(impl_->db, kAlertStateColumns,
                                "FROM alert_states ORDER BY rule, instance", "read alert states");
}

Result<std::vector<AlertGroupRow>> Store::AlertGroups() {
  return ReadAll<AlertGroupRow>(impl_->db, kAlertGroupColumns,
                                "FROM alert_groups ORDER BY group_id", "read alert groups");
}

Result<std::vector<OutboxRow>> Store::DueNotifications(int64_t now_ms, int limit) {
  return ReadAll<OutboxRow>(
      impl_->db, kOutboxColumns,
      "FROM notification_outbox WHERE delivered_at IS NULL AND dropped_at IS NULL "
      "AND next_attempt_at <= ?1 ORDER BY next_attempt_at, id LIMIT ?2",
      "read due notifications", [&](sqlite3_stmt* st) {
        sqlite3_bind_int64(st, 1, now_ms);
        sqlite3_bind_int(st, 2, limit);
      });
}

Result<std::vector<OutboxRow>> Store::RecentNotifications(int limit, bool finished_only) {
  const std::string rest =
      std::string("FROM notification_outbox ") +
      (finished_only ? "WHERE delivered_at IS NOT NULL OR dropped_at IS NOT NULL " : "") +
      "ORDER BY id DESC LIMIT ?1";
  return ReadAll<OutboxRow>(impl_->db, kOutboxColumns, rest, "read notifications",
                            [&](sqlite3_stmt* st) { sqlite3_bind_int(st, 1, limit); });
}

Result<OutboxBacklog> Store::WaitingNotifications() {
  auto rows = ReadAll<OutboxBacklog>(
      impl_->db, kBacklogColumns,
      "FROM notification_outbox WHERE delivered_at IS NULL AND dropped_at IS NULL",
      "count waiting notifications");
  if (!rows.ok()) return rows.status();
  return rows->front();  // an aggregate without GROUP BY: always one row
}

Status Store::RecordNotificationAttempt(int64_t id, int64_t at_ms) {
  Database& db = impl_->db;
  auto lock = db.Lock();
  return db.RunOnce(
      "UPDATE notification_outbox SET attempts = attempts + 1, last_attempt_at = ?2 WHERE id = ?1",
      db.Context() + ": notification " + std::to_string(id), [&](sqlite3_stmt* s) {
        sqlite3_bind_int64(s, 1, id);
        sqlite3_bind_int64(s, 2, at_ms);
      });
}

Status Store::MarkNotificationDelivered(int64_t id, int64_t at_ms) {
  Database& db = impl_->db;
  auto lock = db.Lock();
  return db.RunOnce(
      "UPDATE notification_outbox SET delivered_at = ?2, last_error = NULL WHERE id = ?1",
      db.Context() + ": notification " + std::to_string(id), [&](sqlite3_stmt* s) {
        sqlite3_bind_int64(s, 1, id);
        sqlite3_bind_int64(s, 2, at_ms);
      });
}

Status Store::MarkNotificationFailed(int64_t id, const std::string& error,
                                     int64_t next_attempt_at_ms) {
  Database& db = impl_->db;
  auto lock = db.Lock();
  return db.RunOnce(
      "UPDATE notification_outbox SET last_error = ?2, next_attempt_at = ?3 WHERE id = ?1",
      db.Context() + ": notification " + std::to_string(id), [&](sqlite3_stmt* s) {
        sqlite3_bind_int64(s, 1, id);
        BindText(s, 2, error);
        sqlite3_bind_int64(s, 3, next_attempt_at_ms);
      });
}

Status Store::MarkNotificationDropped(int64_t id, const std::string& error, int64_t at_ms) {
  Database& db = impl_->db;
  auto lock = db.Lock();
  return db.RunOnce("UPDATE notification_outbox SET dropped_at = ?3, last_error = ?2 WHERE id = ?1",
                    db.Context() + ": notification " + std::to_string(id), [&](sqlite3_stmt* s) {
                      sqlite3_bind_int64(s, 1, id);
                      BindText(s, 2, error);
                      sqlite3_bind_int64(s, 3, at_ms);
                    });
}

Result<int64_t> Store::AddSilence(const SilenceRow& silence) {
  Database& db = impl_->db;
  auto lock = db.Lock();
  Status s = db.RunOnce(
      "INSERT INTO silences (matchers, starts_at, ends_at, created_by, comment) "
      "VALUES (?1, ?2, ?3, ?4, ?5)",
      db.Context() + ": add silence", [&](sqlite3_stmt* st) {
        BindRequiredText(st, 1, silence.matchers_json);
        sqlite3_bind_int64(st, 2, silence.starts_at);
        sqlite3_bind_int64(st, 3, silence.ends_at);
        BindText(st, 4, silence.created_by);
        BindText(st, 5, silence.comment);
      });
  if (!s.ok()) return s;
  return static_cast<int64_t>(sqlite3_last_insert_rowid(db.handle()));
}

Result<std::vector<SilenceRow>> Store::Silences() {
  return ReadAll<SilenceRow>(impl_->db, kSilenceColumns, "FROM silences ORDER BY id",
                             "read silences");
}

Status Store::ExpireSilence(int64_t id, int64_t at_ms) {
  Database& db = impl_->db;
  auto lock = db.Lock();
  const std::string context = db.Context() + ": silence " + std::to_string(id);
  bool found = false;
  Status s = db.RunOnce(
      "SELECT 1 FROM silences WHERE id = ?1", context,
      [&](sqlite3_stmt* st) { sqlite3_bind_int64(st, 1, id); },
      [&](sqlite3_stmt*) { found = true; });
  if (!s.ok()) return s;
  if (!found) return Status::NotFound(context + ": no such silence");
  return db.RunOnce("UPDATE silences SET ends_at = min(ends_at, ?2) WHERE id = ?1", context,
                    [&](sqlite3_stmt* st) {
                      sqlite3_bind_int64(st, 1, id);
                      sqlite3_bind_int64(st, 2, at_ms);
                    });
}

}  // namespace salesaudit
