#include "tests/audit/example_store.h"

#include <catch2/catch.hpp>
#include <stdexcept>

#include "tests/support/sql_exec.h"

namespace salesaudit::testing {

void Sql(const std::string& path, const std::string& sql) {
  INFO(sql);
  REQUIRE(testing::ExecSql(path, sql) == "");
}

TimeMs Day(std::optional<double> d) {
  if (!d) return std::nullopt;
  return kJan1 + static_cast<int64_t>(*d * kDay);
}

Contact MakeContact(const C& c) {
  Contact out;
  out.id = c.id;
  out.created_at = Day(c.created);
  out.mql_at = Day(c.mql);
  out.contacted_at = Day(c.contacted);
  out.sql_at = Day(c.sql);
  out.customer_at = Day(c.won);
  out.channel = c.channel;
  out.owner_id = c.owner;
  out.email = c.email;
  out.updated_at = out.created_at;
  return out;
}

Deal MakeDeal(const D& d) {
  Deal out;
  out.id = d.id;
  out.is_won = d.won;
  out.is_closed = d.closed.has_value();
  out.closed_at = Day(d.closed);
  out.amount = d.amount;
  out.contact_ids = d.contacts;
  out.owner_id = d.owner;
  out.currency = "EUR";
  // Opened when closed (or last updated), so its contacts are at sql from
  // then on and, when won, customers from the close (effective dates,
  // audit/stage_evidence.h): c1 by d4 and c4 by d3 before they were created,
  // c3 by d2 without a customer date of its own, c5 at sql by d7.
  out.created_at = d.closed ? Day(d.closed) : Day(d.updated.value_or(0));
  out.updated_at = d.updated ? Day(d.updated) : Day(d.closed.value_or(0));
  return out;
}

Owner MakeOwner(const char* id, const char* name, const char* email, bool active) {
  Owner o;
  o.id = id;
  o.name = name;
  o.email = email;
  o.active = active;
  return o;
}

ExampleStore::ExampleStore() {
  auto opened = Store::Open(dir_.File("audit.db"));
  REQUIRE(opened.ok());
  store_ = std::move(opened).value();
  Page crm;
  crm.stream = "all";
  crm.cursor = "1";
  crm.owners = {
      MakeOwner("o1", "Ann", "ann@x.com", true), MakeOwner("o2", "Bob", "bob@x.com", true),
      MakeOwner("o3", "Cid", "cid@x.com", false), MakeOwner("o4", "Dee", "dee@x.com", true)};
  const C contacts[] = {
      {"c1", 3, 4, 5, 6, 10, "PAID_SEARCH", "o1", "c1@x.com"},
      {"c2", 8, 9, {}, {}, 20, "PAID_SEARCH", "o1", "c2@x.com"},  // skips contacted and sql
      {"c3", 9, 10, 11, {}, {}, "REFERRALS", "o2", "c3@x.com"},
      {"c4", 15, {}, {}, {}, 17, "REFERRALS", "o2", "c4@x.com"},  // straight to customer
      {"c5", 16, {}, {}, {}, {}, "PAID_SEARCH", "o2", "dup@x.com"},
      {"c6", 17, {}, {}, {}, {}, "", "", ""},                          // no owner, channel, email
      {"c7", 18, 19, 18.5, {}, {}, "PAID_SEARCH", "o1", "dup@x.com"},  // contacted before mql
      {"c8", 22, {}, {}, 23, {}, "PAID_SEARCH", "o1", "c8@x.com"},
      {"c9", 1, {}, {}, {}, {}, "PAID_SOCIAL", "", "c9@x.com"},         // before the window
      {"c10", 23.5, 24, {}, {}, {}, "PAID_SEARCH", "o1", "c10@x.com"},  // after it
      {"c11", 10, 11, 12, 13, 14, "PAID_SEARCH", "o1", "c11@x.com"},    // deleted
      {"c12", 12, 13, {}, {}, {}, "PR", "o2", "c12@x.com"},
      {"c13", {}, {}, {}, {}, {}, "PR", "o2", "c13@x.com"},  // no created date
  };
  for (const C& c : contacts) crm.contacts.push_back(MakeContact(c));
  const D deals[] = {
      {"d1", true, 10, 1000, {"c1"}, "o1"},
      {"d2", true, 20, 500, {"c2", "c3"}, "o1"},  // c2 came first: PAID_SEARCH
      {"d3", true, 12, 300, {"c4"}, "o2"},
      {"d4", true, 1, 700, {"c1"}, "o1"},        // before the window: c1 repeats
      {"d5", true, 15, {}, {"c4"}, "o2"},        // no amount; c4 repeats
      {"d6", true, 16, 200, {}, ""},             // no contacts
      {"d7", false, {}, 900, {"c5"}, "o2", 0},   // open, last updated day 0: stale
      {"d8", false, {}, 900, {"c5"}, "o2", 40},  // open, recent
      {"d9", true, {}, 100, {"c8"}, "o1"},       // won without close date
      {"d10", true, 11, 5000, {"c1"}, "o1"},     // deleted
      {"d11", true, 18, 50, {"c9"}, ""},         // the contact predates the window
  };
  for (const D& d : deals) crm.deals.push_back(MakeDeal(d));
  crm.deletions = {Deletion{RecordKind::kContact, "c11", Day(30).value()},
                   Deletion{RecordKind::kDeal, "d10", Day(30).value()}};
  REQUIRE(store_->CommitPage("crm", crm).ok());

  Page crm2;
  crm2.stream = "all";
  crm2.cursor = "1";
  crm2.owners = {MakeOwner("o1", "Ann", " ANN@x.com", true)};  // Ann again: one rep
  crm2.contacts = {MakeContact({"x1", 0, {}, {}, {}, {}, "", "", "c1@x.com"})};
  REQUIRE(store_->CommitPage("crm2", crm2).ok());
}

const AuditWindow kWindow{Day(2), Day(23)};
const int64_t kNow = Day(45).value();

AuditSettings ExampleSettings() {
  AuditSettings s;
  s.leads_per_rep_per_week = 1;
  s.min_sample = 1;
  s.spend = {{"PAID_SEARCH", "2024-01", 500},
             {"PAID_SEARCH", "2023-12", 1000},  // outside the window
             {"REFERRALS", "2024-01", 300},
             {"podcast", "2024-01", 100}};
  return s;
}

Snapshot Compute(Store& store, const AuditSettings& settings, const AuditWindow& window,
                 int64_t now) {
  auto snapshot = ComputeSnapshot(store, settings, window, now);
  REQUIRE(snapshot.ok());
  return std::move(snapshot).value();
}

const ChannelRow& Channel(const Snapshot& s, const std::string& name) {
  for (const ChannelRow& row : s.channels) {
    if (row.channel == name) return row;
  }
  FAIL("no channel " << name);
  throw std::logic_error("unreachable");
}

}  // namespace salesaudit::testing
