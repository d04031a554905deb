// The alert tables of a store on real SQLite files: alert rounds, states,
// group memories, queued notifications and silences.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "store/store.h"
#include "tests/store/store_fixtures.h"
#include "tests/support/subprocess.h"

namespace salesaudit {
namespace {

using testing::OpenOrDie;
using testing::TempDir;

TEST_CASE("An alert round keeps states, group memories and queued notifications together",
          "[store][alerts]") {
  TempDir dir;
  auto store = OpenOrDie(dir.File("s.db"));
  AlertStateRow firing{.rule = "lead-shortfall",
                       .phase = "firing",
                       .active_since = 1000,
                       .fired_at = 2000,
                       .last_held_at = 3000,
                       .value = 12.5,
                       .labels_json = R"({"team":"sales"})"};
  AlertGroupRow group{
      .group_id = "hook\n{}:{team=\"sales\"}", .last_sent_at = 3000, .firing_json = R"(["a1b2"])"};
  OutboxRow note{.idempotency_key = "n-1",
                 .receiver = "hook",
                 .created_at = 3000,
                 .payload = R"({"status":"firing"})",
                 .next_attempt_at = 3000};
  REQUIRE(store->SaveAlertRound({firing}, {}, {group}, {note}).ok());
  // Queuing the same key again (a crash between delivery and the round's
  // end, then the round redone) keeps one notification.
  OutboxRow again = note;
  again.payload = "changed";
  firing.last_held_at = 4000;
  REQUIRE(store->SaveAlertRound({firing}, {}, {}, {again}).ok());

  auto states = store->AlertStates();
  REQUIRE(states.ok());
  REQUIRE(states->size() == 1);
  CHECK((*states)[0].phase == "firing");
  CHECK((*states)[0].last_held_at == 4000);
  CHECK((*states)[0].value == 12.5);
  CHECK((*states)[0].labels_json == R"({"team":"sales"})");
  CHECK_FALSE((*states)[0].resolved_at.has_value());
  auto groups = store->AlertGroups();
  REQUIRE(groups.ok());
  REQUIRE(groups->size() == 1);
  CHECK((*groups)[0].firing_json == R"(["a1b2"])");

  auto due = store->DueNotifications(3000, 10);
  REQUIRE(due.ok());
  REQUIRE(due->size() == 1);
  CHECK((*due)[0].payload == R"({"status":"firing"})");
  CHECK(store->DueNotifications(2999, 10)->empty());

  // An attempt counts when it starts; a failed one waits for its next try;
  // a delivered one is done.
  const int64_t id = (*due)[0].id;
  CHECK((*due)[0].attempts == 0);
  CHECK_FALSE((*due)[0].last_attempt_at.has_value());
  REQUIRE(store->RecordNotificationAttempt(id, 3000).ok());
  REQUIRE(store->MarkNotificationFailed(id, "HTTP 503", 5000).ok());
  CHECK(store->DueNotifications(4999, 10)->empty());
  due = store->DueNotifications(5000, 10);
  REQUIRE(due->size() == 1);
  CHECK((*due)[0].attempts == 1);
  CHECK((*due)[0].last_attempt_at == 3000);
  CHECK((*due)[0].last_error == "HTTP 503");
  REQUIRE(store->RecordNotificationAttempt(id, 5000).ok());
  REQUIRE(store->MarkNotificationDelivered(id, 5100).ok());
  CHECK(store->DueNotifications(10000, 10)->empty());
  auto recent = store->RecentNotifications(10);
  REQUIRE(recent.ok());
  REQUIRE(recent->size() == 1);
  CHECK((*recent)[0].delivered_at == 5100);
  CHECK((*recent)[0].attempts == 2);
  CHECK((*recent)[0].last_attempt_at == 5000);
  CHECK((*recent)[0].last_error.empty());

  OutboxRow bad = note;
  bad.idempotency_key = "n-2";
  REQUIRE(store->SaveAlertRound({}, {}, {}, {bad}).ok());
  const int64_t bad_id = (*store->DueNotifications(10000, 10))[0].id;
  REQUIRE(store->MarkNotificationDropped(bad_id, "HTTP 404: permanent", 6000).ok());
  CHECK(store->DueNotifications(10000, 10)->empty());
}

TEST_CASE("Alert states are kept per rule and connector, and removed by key", "[store][alerts]") {
  TempDir dir;
  auto store = OpenOrDie(dir.File("s.db"));
  const AlertStateRow crm{.rule = "stale", .instance = "crm", .phase = "firing"};
  const AlertStateRow mail{.rule = "stale", .instance = "mail", .phase = "pending"};
  const AlertStateRow plain{.rule = "shortfall", .phase = "inactive"};
  REQUIRE(store->SaveAlertRound({crm, mail, plain}, {}, {}, {}).ok());
  auto states = store->AlertStates();
  REQUIRE(states.ok());
  REQUIRE(states->size() == 3);
  CHECK((*states)[0].rule == "shortfall");
  CHECK((*states)[1].instance == "crm");
  CHECK((*states)[2].instance == "mail");
  CHECK((*states)[2].phase == "pending");

  REQUIRE(store->SaveAlertRound({}, {AlertKey{"stale", "crm"}}, {}, {}).ok());
  states = store->AlertStates();
  REQUIRE(states.ok());
  REQUIRE(states->size() == 2);
  CHECK((*states)[1].instance == "mail");
}

TEST_CASE("A failed alert round leaves nothing of itself", "[store][alerts]") {
  TempDir dir;
  auto store = OpenOrDie(dir.File("s.db"));
  AlertStateRow ok{.rule = "a", .phase = "firing"};
  AlertStateRow bad{.rule = "b", .phase = "exploded"};  // fails its CHECK
  OutboxRow note{.idempotency_key = "n", .receiver = "r", .payload = "{}"};
  CHECK_FALSE(store->SaveAlertRound({ok, bad}, {}, {}, {note}).ok());
  CHECK(store->AlertStates()->empty());
  CHECK(store->DueNotifications(1LL << 60, 10)->empty());
}

TEST_CASE("Silences are kept until they end, and expiring one ends it now", "[store][alerts]") {
  TempDir dir;
  auto store = OpenOrDie(dir.File("s.db"));
  auto id = store->AddSilence({.matchers_json = R"(["alertname=lead-shortfall"])",
                               .starts_at = 1000,
                               .ends_at = 9000,
                               .created_by = "ops",
                               .comment = "hiring"});
  REQUIRE(id.ok());
  REQUIRE(store->ExpireSilence(*id, 5000).ok());
  REQUIRE(store->ExpireSilence(*id, 7000).ok());  // ends at the earlier time
  auto silences = store->Silences();
  REQUIRE(silences.ok());
  REQUIRE(silences->size() == 1);
  CHECK((*silences)[0].ends_at == 5000);
  CHECK((*silences)[0].created_by == "ops");
  CHECK(store->ExpireSilence(*id + 1, 5000).code() == StatusCode::kNotFound);
}

}  // namespace
}  // namespace salesaudit
