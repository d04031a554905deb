// Email flows and content (docs/audit.md "Email and content"):
// per campaign and per flow (campaign kind) delivery, distinct
// human opens and clicks, rates over delivered, bounces, unsubscribes, spam
// reports and the leads a click brought; and for each campaign, whether the
// MQLs (SQLs) who clicked it before the next stage reached that stage more
// often than those who did not. Pure functions over the store's read side;
// thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "audit/funnel.h"
#include "audit/stage_evidence.h"
#include "config/audit_defaults.h"
#include "core/json_writer.h"
#include "core/status.h"
#include "store/store.h"

namespace salesaudit {

struct EmailAuditOptions {
  // A contact created within this long after a recipient's first click on a
  // campaign is a lead of that campaign.
  int64_t attribution_window_ms = audit_defaults::kAttributionWindow.count();
  // A campaign whose open (click) rate is below the floor underperforms; 0
  // disables the floor.
  double open_rate_floor = 0;
  double click_rate_floor = 0;
  // Content groups smaller than this make no claim (insufficient_sample).
  int64_t min_content_sample = audit_defaults::kMinSample;
};

// Delivery and engagement counts of one campaign or one flow. Recipients are
// distinct normalised addresses; `opened` counts human opens only.
struct EmailCounts {
  int64_t sent = 0;
  int64_t delivered = 0;
  int64_t opened = 0;
  int64_t clicked = 0;
  int64_t bounced = 0;
  int64_t unsubscribed = 0;
  int64_t spam_reports = 0;
  int64_t leads = 0;
  std::optional<double> open_rate;   // opened / delivered
  std::optional<double> click_rate;  // clicked / delivered
};

struct EmailCampaignStats {
  std::string source;
  std::string id;
  std::string name;
  std::string kind;
  TimeMs sent_at;
  EmailCounts counts;
  // What the source itself reports; a reported unique count above the
  // synced one says events are missing (older than email_history, say).
  EmailCampaignCounters reported;
  // counts.sent and counts.delivered come from `reported`: the source's
  // events carry no sends (Mailchimp's activity), so rates use its counts.
  bool send_counts_reported = false;
  // Credibly below the other campaigns, or below a configured floor.
  bool underperforming = false;
  // Each a fixed token: "open_rate_below_median" (the upper bound of the
  // rate's 95% Wilson interval is below the median rate of the other
  // campaigns with kMedianMinDelivered+ delivered; judged from
  // kMinJudgedDelivered delivered), "click_rate_below_median",
  // "open_rate_below_floor", "click_rate_below_floor" (the rate is below the
  // configured floor).
  std::vector<std::string> underperforming_reasons;
  // Why, for a reader: one sentence per reason, in the same order.
  std::vector<std::string> underperforming_why;
};

// A flow: every campaign of one `kind` ("" when the source gives none).
struct EmailFlowStats {
  std::string kind;
  int64_t campaigns = 0;
  EmailCounts counts;  // sums over the campaigns; rates recomputed from sums
};

// Contacts of one group and how many of them reached the next stage.
struct ContentGroup {
  int64_t contacts = 0;
  int64_t converted = 0;
  std::optional<double> rate;  // converted / contacts
};

// Clickers against non-clickers for one stage transition of one campaign.
struct ContentEffect {
  ContentGroup clicked;
  ContentGroup not_clicked;
  // clicked.rate - not_clicked.rate (a difference of fractions); nullopt when
  // either group is below min_content_sample or has no rate.
  std::optional<double> lift;
  bool insufficient_sample = true;
};

struct CampaignContent {
  std::string source;
  std::string id;
  std::string name;
  // Cohort contacts with mql_at: "clicked" = a click on the campaign at or
  // after mql_at and before contacted_at (or at any time after mql_at when
  // never contacted); converted = reached contacted (contacted_at or later).
  ContentEffect mql_to_contacted;
  // Cohort contacts with sql_at: clicked between sql_at and customer_at;
  // converted = won (customer_at set).
  ContentEffect sql_to_won;
};

// How the email data meets the CRM: addresses that match no live CRM contact
// of any source (emails are compared normalised).
struct EmailMatching {
  // Events of the window's campaigns to such addresses, and the addresses.
  int64_t events_unmatched = 0;
  int64_t recipients_unmatched = 0;
  std::vector<std::string> recipients_unmatched_examples;  // the first few, in address order
  // Live audience members (distinct addresses) and those not in the CRM: the
  // people the email tool reaches who are no lead.
  int64_t members = 0;
  int64_t members_not_in_crm = 0;
  std::vector<std::string> members_not_in_crm_examples;
};

struct EmailAudit {
  AuditWindow window;
  EmailAuditOptions options;
  // Medians of the campaigns with at least kMedianMinDelivered delivered;
  // nullopt when there are none.
  std::optional<double> median_open_rate;
  std::optional<double> median_click_rate;
  std::vector<EmailCampaignStats> campaigns;  // by source, then id
  std::vector<EmailFlowStats> flows;          // by kind
  std::vector<CampaignContent> content;       // same order as campaigns
  EmailMatching matching;
};

// Campaigns with fewer deliveries than this do not set the median that the
// others are judged against (their rates are noise).
inline constexpr int64_t kMedianMinDelivered = 50;
// Campaigns with fewer deliveries than this are not judged against the
// others at all (too few to be credibly anything); floors still apply.
inline constexpr int64_t kMinJudgedDelivered = 20;

// The email and content audit over the campaigns sent in `window` (those
// without sent_at: with any event in `window`) and the contact cohort created
// in `window`. Deleted campaigns, events and contacts are left out. The
// contacts' stage dates are their effective ones (audit/stage_evidence.h):
// read from the store, or `evidence` already read by the caller.
Result<EmailAudit> ComputeEmailAudit(Store& store, const AuditWindow& window,
                                     const EmailAuditOptions& options);
Result<EmailAudit> ComputeEmailAudit(Store& store, StageEvidence& evidence,
                                     const AuditWindow& window, const EmailAuditOptions& options);

// ComputeEmailAudit in three steps, for a caller that reads the contacts for
// its own figures too (the snapshot), so they are read once: Start reads the
// campaigns of `bound` and their clicks and starts matching their recipients
// and the audience members to the contacts' addresses on a thread of its
// own, AddContact takes each live contact with its effective stage dates,
// and Finish waits for the matching and judges the campaigns of `window`. `window` may be
// narrower than `bound` (the snapshot learns its start from the contacts) as
// long as it holds every contact of the cohort counted by `bound`; else
// Finish fails with kInternal. Each campaign's figures are its own, so those
// `window` leaves out change nothing.
class EmailAuditPasses {
 public:
  static Result<EmailAuditPasses> Start(Store& store, const AuditWindow& bound,
                                        const EmailAuditOptions& options);
  EmailAuditPasses(EmailAuditPasses&&) noexcept;
  EmailAuditPasses& operator=(EmailAuditPasses&&) noexcept;
  ~EmailAuditPasses();

  // One live contact, with its effective stage dates.
  void AddContact(const Contact& contact);
  // Once, after the last AddContact.
  Result<EmailAudit> Finish(const AuditWindow& window);

 private:
  struct State;
  explicit EmailAuditPasses(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

// Writes the members "email" and "content" (key + value each) into the JSON
// object `w` is inside.
void WriteEmailAuditJson(const EmailAudit& audit, JsonWriter& w);

// Aligned tables for a terminal.
std::string FormatEmailAuditText(const EmailAudit& audit);

}  // namespace salesaudit
