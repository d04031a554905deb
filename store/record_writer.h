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

#include <deque>
#include <string>
#include <string_view>
#include <vector>

#include "core/records.h"
#include "core/status.h"
#include "store/database.h"
#include "store/statement.h"

namespace salesaudit {

class RecordWriter {
 public:
  explicit RecordWriter(Database& db) : db_(db) {}
  RecordWriter(const RecordWriter&) = delete;
  RecordWriter& operator=(const RecordWriter&) = delete;

  // Prepares the statements, once, after the schema is current.
  Status Prepare();

  // Upserts every record of `page` under `source`, replaces the contact
  // links of each deal whose contact_ids is set, upserts the stage events
  // (origin: the page's stream), applies the deletions (with the stage
  // events of each deleted contact and origin record) and
  // adds the page's value issues, as Store::CommitPage describes. On failure
  // part of it may be written: the caller rolls the transaction back.
  Status WritePage(const std::string& source, const Page& page);

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

  // `email` in NormalizeEmail's form: itself when it is already (nearly
  // always), so the hot path copies nothing; otherwise a copy in
  // email_scratch_, valid until the next call.
  std::string_view Email(const std::string& email);
  Status WriteContact(const std::string& source, const Contact& c);
  Status WriteDeal(const std::string& source, const Deal& d);
  Status WriteOwner(const std::string& source, const Owner& o);
  Status WriteCampaign(const std::string& source, const EmailCampaign& c);
  Status WriteEvent(const std::string& source, const EmailEvent& e);
  Status FlushEventCounts(const std::string& source);
  Status WriteMember(const std::string& source, const EmailMember& m);
  Status WriteStageEvent(const std::string& source, const std::string& stream, const StageEvent& e);
  Status WriteDeletion(const std::string& source, const Deletion& d);
  Status DropStageEvents(const std::string& source, const std::string& stream, const Deletion& d);
  Status WriteValueIssues(const std::string& source, const Page& page);

  // The failure of one record, labelled with its kind and id so the operator
  // can find it in the source system. The label is only built on failure, so
  // the hot path allocates nothing for it.
  Status RecordFailure(int rc, sqlite3_stmt* s, const std::string& label);

  Database& db_;
  Statement upsert_contact_, upsert_deal_, upsert_owner_, upsert_campaign_, upsert_member_;
  Statement insert_event_, update_event_, count_campaign_events_, count_recipient_events_;
  Statement clear_deal_contacts_, insert_deal_contact_, move_deal_links_, drop_deal_links_;
  Statement upsert_stage_event_, move_stage_events_, drop_stage_events_, drop_origin_stage_events_;
  Statement delete_contact_, delete_deal_, deactivate_owner_, delete_campaign_, delete_event_,
      delete_member_;
  std::string email_scratch_;
  std::vector<UncountedEvent> uncounted_events_;
  // Normalised copies of the emails uncounted_events_ names when the event's
  // own email was not normalised (a deque never moves its elements).
  std::deque<std::string> normalized_emails_;
};

}  // namespace salesaudit
