// The store used from several threads at once, as the daemon uses it: the
// read side on a connection of its own, so an audit's scan and a sync's
// commit never wait for each other, and reads cancelled for a stop.
#include <catch2/catch.hpp>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

#include "store/store.h"
#include "tests/store/store_fixtures.h"
#include "tests/support/subprocess.h"

namespace salesaudit {
namespace {

using testing::MakeContact;
using testing::OpenOrDie;
using testing::TempDir;

Page ContactPage(const std::string& id, const std::string& cursor) {
  Page page;
  page.stream = "contacts";
  page.contacts.push_back(MakeContact(id, id + "@example.com"));
  page.cursor = cursor;
  return page;
}

TEST_CASE("A page commits from another thread while a contact scan's callback is still running",
          "[store][threads]") {
  TempDir dir;
  auto store = OpenOrDie(dir.File("s.db"));
  REQUIRE(store->CommitPage("crm", ContactPage("c1", "1")).ok());

  std::mutex mu;
  std::condition_variable changed;
  bool in_callback = false;
  bool committed = false;
  Status commit;
  std::thread writer([&] {
    {
      std::unique_lock<std::mutex> lock(mu);
      changed.wait(lock, [&] { return in_callback; });
    }
    Status s = store->CommitPage("crm", ContactPage("c2", "2"));
    std::lock_guard<std::mutex> lock(mu);
    commit = s;
    committed = true;
    changed.notify_all();
  });
  bool committed_during_scan = false;
  std::vector<std::string> seen;
  const Status scan = store->ForEachContact([&](const StoredContact& row) {
    seen.push_back(row.contact.id);
    std::unique_lock<std::mutex> lock(mu);
    in_callback = true;
    changed.notify_all();
    // Far longer than a commit takes: only a commit that waits for the
    // scan to end misses it.
    committed_during_scan =
        changed.wait_for(lock, std::chrono::seconds(30), [&] { return committed; });
  });
  writer.join();
  CHECK(scan.ok());
  CHECK(commit.ok());
  CHECK(committed_during_scan);
  // The scan saw the store as it was when it began.
  CHECK(seen == std::vector<std::string>{"c1"});
  CHECK(testing::AllContacts(*store).size() == 2);
}

TEST_CASE("A read from another thread completes while a contact scan's callback is still running",
          "[store][threads]") {
  TempDir dir;
  auto store = OpenOrDie(dir.File("s.db"));
  REQUIRE(store->CommitPage("crm", ContactPage("c1", "1")).ok());
  bool counted_during_scan = false;
  Result<int64_t> count = Status::Internal("not counted");
  const Status scan = store->ForEachContact([&](const StoredContact&) {
    std::thread reader([&] { count = store->CountRows(RecordKind::kContact, "crm", false); });
    // Joined inside the callback: a read that waits for the scan's
    // connection would never end, so the test would time out.
    reader.join();
    counted_during_scan = true;
  });
  CHECK(scan.ok());
  CHECK(counted_during_scan);
  REQUIRE(count.ok());
  CHECK(*count == 1);
}

TEST_CASE("Reads cancelled for a stop fail on every read connection, the busy and the free",
          "[store][threads]") {
  TempDir dir;
  auto store = OpenOrDie(dir.File("s.db"));
  REQUIRE(store->CommitPage("crm", ContactPage("c1", "1")).ok());
  REQUIRE(store->CommitPage("crm", ContactPage("c2", "2")).ok());
  Result<int64_t> count = 0;
  int rows = 0;
  const Status scan = store->ForEachContact([&](const StoredContact&) {
    if (++rows > 1) return;
    std::thread stopper([&] {
      store->CancelReads();
      count = store->CountRows(RecordKind::kContact, "crm", false);
    });
    stopper.join();
  });
  CHECK(scan.code() == StatusCode::kCancelled);
  CHECK(rows == 1);
  CHECK(count.status().code() == StatusCode::kCancelled);
}

TEST_CASE("Reads cancelled for a stop fail with kCancelled while writes go on",
          "[store][threads]") {
  TempDir dir;
  auto store = OpenOrDie(dir.File("s.db"));
  REQUIRE(store->CommitPage("crm", ContactPage("c1", "1")).ok());
  store->CancelReads();
  const Status scan = store->ForEachContact([](const StoredContact&) {});
  CHECK(scan.code() == StatusCode::kCancelled);
  CHECK(store->CountRows(RecordKind::kContact, "crm", false).status().code() ==
        StatusCode::kCancelled);
  CHECK(store->CommitPage("crm", ContactPage("c2", "2")).ok());
  CHECK(store->Health().ok);
}

}  // namespace
}  // namespace salesaudit
