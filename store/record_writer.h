// Writes the records, deletions and value issues of a page into the store's
// tables, inside a transaction its caller holds (Store::CommitPage). Internal
// to store/ (store.h is the interface).
//
// Every email is stored in NormalizeEmail's form (core/records.h), whatever
// the record holds: the store is where all records pass, from any connector.
//
// Ownership: one per open Store, with the Database it writes through.
// Threading: call with the database's lock held.
#pragma once

#include <array>
#include <deque>
#include <string>
#include <string_view>
#include <unordered_set>
#include <utility>
#include <vector>

#include "core/records.h"
#include "core/status.h"
#include "store/database.h"
#include "store/statement.h"
#include "store/store.h"

namespace salesaudit {

class RecordWriter {
 public:
  explicit RecordWriter(Database& db) : db_(db) {}
  RecordWriter(const RecordWriter&) = delete;
  RecordWriter& operator=(const RecordWriter&) = delete;

  // Prepares the statements, once, after the schema is current.
  Status Prepare();

  // Writes `page` under `source`, as Store::CommitPage describes, in this
  // order: the contact aliases first (so every later record of the page that
  // names an alias, a contact included, means its person), then contacts,
  // deals, owners, campaigns, email events, members, deal links (after the
  // deals, so a deal's contact_ids of the same page cannot clear the pairs
  // its links state), stage events, and the deletions last (a record
  // written and deleted in one page ends deleted), then the value issues.
  // Counts in `notes` what the page said that was not stored as said. On
  // failure part of it may be written: the caller rolls the transaction back.
  Status WritePage(const std::string& source, const Page& page, PageCommitNotes& notes);

 private:
  // An event the current page inserted, not yet added to
  // email_campaign_recipients and email_campaign_stats. The views point into
  // the page's events (or into normalized_emails_) and live while the page
  // is written.
  struct UncountedEvent {
    std::string_view campaign_id;
    std::string_view email;  // normalised
    TimeMs occurred_at;
    int counter;  // the recipients' counter column (RecipientCounterColumn), -1 for none
  };
  // The counter columns of email_campaign_recipients.
  static constexpr size_t kRecipientCounters = 9;
  // A recipient of the uncounted events: what they add to each of its
  // counters, and its campaign (an index into page_campaigns_).
  struct PageRecipient {
    std::string_view campaign_id;
    std::string_view email;
    std::array<int64_t, kRecipientCounters> added;
    size_t campaign;
  };
  // A campaign of the uncounted events: the earliest, and how many of its
  // recipients start counting for each counter (theirs was 0).
  struct PageCampaign {
    std::string_view campaign_id;
    TimeMs earliest;
    std::array<int64_t, kRecipientCounters> started;
  };

  // `email` in NormalizeEmail's form: itself when it is already (nearly
  // always), so the hot path copies nothing; otherwise a copy in
  // email_scratch_, valid until the next call.
  std::string_view Email(const std::string& email);
  // The person `id` means in `source`: the contact its alias names, or `id`
  // itself (through source_has_aliases_, without a lookup for a source that
  // has none, nor for an id in the range ReadAliasesInRange read or already
  // found to be none in this page). Points into `id`, range_aliases_ or
  // person_scratch_, valid until the next call.
  Status PersonOf(const std::string& source, const std::string& id, std::string_view& person);
  // Reads, once the page's aliases are written, the aliases whose ids lie
  // between the least and the greatest id of the page's contacts, so that
  // PersonOf answers for the ids in that range without a lookup each (a
  // full sync's page, read in key order, has a narrow range). A range
  // holding more aliases than the page has contacts is not read.
  Status ReadAliasesInRange(const std::string& source, const Page& page);
  Status WriteAlias(const std::string& source, const ContactAlias& a);
  // `id` merged into `survivor` at `at`: its row deleted, its deal_contacts
  // pairs, deal_links rows and stage events moved to the survivor (a merge
  // deletion, and an alias whose contact row exists).
  Status MergeContact(const std::string& source, const std::string& id, std::string_view survivor,
                      int64_t at);
  // Binds `c` to parameters first+1 to first+15 of `s`, with `email`.
  static void BindContact(sqlite3_stmt* s, int first, const std::string& source, const Contact& c,
                          std::string_view email);
  Status WriteContact(const std::string& source, const Contact& c);
  Status WriteContacts(const std::string& source, const Page& page, PageCommitNotes& notes);
  // Writes `count` rows, kRowsPerStatement to a statement of `many` (row r's
  // parameters after r * `parameters`, bound by bind(s, first, i) for row i)
  // and the rest one by one by write_one(i). A statement that fails writes
  // none of its rows (SQLite undoes the statement); while the page's
  // transaction stands they are written again one by one, so that the
  // failure names its row; label(i) names row i otherwise.
  template <typename Bind, typename WriteOne, typename Label>
  Status WriteInStatements(Statement& many, size_t parameters, size_t count, const Bind& bind,
                           const WriteOne& write_one, const Label& label);
  // The same, calling written(first) after each statement that wrote its
  // rows, `first` being the first of them.
  template <typename Bind, typename WriteOne, typename Label, typename Written>
  Status WriteInStatements(Statement& many, size_t parameters, size_t count, const Bind& bind,
                           const WriteOne& write_one, const Label& label, const Written& written);
  Status WriteDeal(const std::string& source, const Deal& d);
  // Makes the deal's pairs in deal_contacts the persons of its contact_ids.
  Status WriteDealContacts(const std::string& source, const Deal& d);
  Status WriteDealLink(const std::string& source, const DealLink& l);
  Status WriteDealStage(const std::string& source, const DealStage& stage);
  // Removes from deal_contacts the pair that link `id` states while live,
  // unless another live link states it too or (deal_id, contact_id) is
  // still the pair (unset for a link going away).
  Status ReleaseLinkPair(const std::string& source, const std::string& id, std::string_view deal_id,
                         std::string_view contact_id);
  Status WriteOwner(const std::string& source, const Owner& o);
  Status WriteCampaign(const std::string& source, const EmailCampaign& c);
  // Binds `e` to parameters first+1 to first+8 of `s`, with `email`.
  static void BindEvent(sqlite3_stmt* s, int first, const std::string& source, const EmailEvent& e,
                        std::string_view email);
  // Adds `e`, just inserted, to uncounted_events_.
  void CountNewEvent(const EmailEvent& e);
  Status WriteEvent(const std::string& source, const EmailEvent& e);
  Status WriteEvents(const std::string& source, const Page& page);
  Status FlushEventCounts(const std::string& source);
  Status WriteMember(const std::string& source, const EmailMember& m);
  // Binds `e` to parameters first+1 to first+7 of `s`, `person` as its contact.
  static void BindStageEvent(sqlite3_stmt* s, int first, const std::string& source,
                             std::string_view person, const std::string& stream,
                             const StageEvent& e);
  Status WriteStageEvent(const std::string& source, const std::string& stream, const StageEvent& e);
  Status WriteStageEvents(const std::string& source, const Page& page);
  Status WriteDeletion(const std::string& source, const std::string& stream, const Deletion& d);
  // A deleted deal's live links are deleted with it, as Salesforce deletes
  // an opportunity's contact roles with it (docs/vendors/salesforce.md).
  Status DeleteDealLinks(const std::string& source, const Deletion& d);
  Status DropStageEvents(const std::string& source, const std::string& stream, const Deletion& d);
  Status WriteValueIssues(const std::string& source, const Page& page);

  // The failure of one record, labelled with its kind and id so the operator
  // can find it in the source system. The label is only built on failure, so
  // the hot path allocates nothing for it.
  Status RecordFailure(int rc, sqlite3_stmt* s, const std::string& label);

  Database& db_;
  Statement upsert_contact_, upsert_contacts_, upsert_deal_, upsert_owner_, upsert_campaign_,
      upsert_member_;
  Statement upsert_deal_stage_;
  Statement insert_event_, insert_events_, update_event_, count_campaign_events_,
      count_recipient_events_, count_recipients_events_;
  Statement stored_deal_contacts_, delete_deal_contact_, insert_deal_contact_, move_deal_contacts_,
      drop_deal_contacts_;
  Statement upsert_link_, live_link_pair_, release_link_pair_, delete_link_, move_link_rows_,
      release_deal_pairs_, delete_deal_links_;
  Statement insert_alias_, repoint_aliases_, alias_target_, any_alias_, has_merge_rows_,
      aliases_in_range_;
  Statement upsert_stage_event_, upsert_stage_events_, move_stage_events_, drop_stage_events_,
      drop_origin_stage_events_;
  Statement delete_contact_, delete_deal_, deactivate_owner_, delete_campaign_, delete_event_,
      delete_member_;
  std::string email_scratch_;
  std::string person_scratch_;
  // Copies of what email_scratch_ and person_scratch_ held for the rows bound
  // to one statement (a deque never moves its elements).
  std::deque<std::string> bound_copies_;
  // WriteDealContacts' working sets, kept for their capacity: the deal's
  // persons sorted by person (`contact_id` names its record in errors), the
  // copies of those PersonOf gave in person_scratch_, and the persons stored.
  struct DealPerson {
    std::string_view person;
    const std::string* contact_id;
  };
  std::vector<DealPerson> deal_persons_;
  std::deque<std::string> person_copies_;
  std::vector<std::string> stored_persons_;
  // The contacts of the page that are no alias.
  std::vector<const Contact*> contacts_to_write_;
  // Whether the source of the page being written has contact aliases.
  bool source_has_aliases_ = false;
  // Once the page's aliases are written, no later record of it changes what
  // an id means; the ids PersonOf found to be no alias are kept here (views
  // into the page's records), so a lead's stage events and links do not
  // look up again what its contact record did.
  bool aliases_written_ = false;
  std::unordered_set<std::string_view> unaliased_ids_;
  // What ReadAliasesInRange read: whether it did, the range (views into the
  // page's contacts) and its aliases as (alias id, person), by alias id.
  bool range_read_ = false;
  std::string_view range_first_, range_last_;
  std::vector<std::pair<std::string, std::string>> range_aliases_;
  std::vector<UncountedEvent> uncounted_events_;
  // FlushEventCounts' work, kept to reuse their memory.
  std::vector<PageRecipient> page_recipients_;
  std::vector<PageCampaign> page_campaigns_;
  // Normalised copies of the emails uncounted_events_ names when the event's
  // own email was not normalised (a deque never moves its elements).
  std::deque<std::string> normalized_emails_;
};

}  // namespace salesaudit
