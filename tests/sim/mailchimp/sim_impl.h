// MailchimpSim::Impl: the simulator's account, options, faults and stats
// behind one mutex, its endpoint handlers and its SimServer. Its members are
// defined by concern: mailchimp_sim.cc (construction), sim_account.cc (the
// generated account), sim_service.cc (connections, limits, faults, auth,
// paging, fields and routing), sim_campaigns.cc and sim_lists.cc (the
// endpoint families).
//
// Owned by MailchimpSim. Threading: `mu` guards everything above `server`;
// the non-static member functions but Handle (which takes it) expect it held.
// Private to the simulator's sources.
#pragma once

// clang-format off
// Before any Boost header: with GCC 12 in C++20, asio/awaitable.hpp misses it.
#include <utility>
// clang-format on

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "core/clock.h"
#include "tests/sim/common/sim_server.h"
#include "tests/sim/common/sim_text.h"
#include "tests/sim/mailchimp/mailchimp_sim.h"

namespace salesaudit::sim {

struct MailchimpSim::Impl {
  Impl(MailchimpSimOptions o, const Clock& c);

  const Clock& clock;  // "now" for generated and added data
  // --- account (guarded by mu) ---
  mutable std::mutex mu;
  MailchimpSimOptions options;
  std::mt19937_64 rng{1};
  std::vector<MailchimpList> lists;
  std::vector<MailchimpMember> members;
  std::vector<MailchimpCampaign> campaigns;
  std::vector<MailchimpActivity> activity;
  struct PendingFault {
    MailchimpFaultKind kind;
    int count;
    std::string prefix;
    int skip;
  };
  std::deque<PendingFault> faults;
  MailchimpSimStats stats;
  int in_flight = 0;
  int next_campaign = 1;

  // Last: its connections use everything above, so it stops first.
  SimServer server;

  // --- the account (sim_account.cc) ---

  int64_t Below(int64_t n);
  bool Chance(double p);
  template <typename T>
  const T& Pick(const std::vector<T>& v);
  std::string NewCampaignId();
  // Generated activity ends a minute before `now_ms`, so activity added
  // later at "now" is always new.
  void AddRecipientActivity(const MailchimpCampaign& c, const MailchimpMember& m, int64_t now_ms);
  void Generate(const MailchimpSpec& spec, int64_t now_ms);
  std::vector<MailchimpActivity> AddActivity(int count, const std::string& campaign_id,
                                             int64_t at_ms);
  // A campaign sent to the first list at `now_ms`; returns its id.
  std::string SendCampaign(int64_t now_ms);

  // --- request handling (sim_service.cc) ---

  struct Response {
    int status = 200;
    std::string content_type = "application/json; charset=utf-8";
    std::string body;
  };
  using Query = FormFields;
  using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

  // A problem+json error, as the API answers every refusal.
  static Response Problem(int status, const std::string& title, const std::string& detail);
  static Response NotFound();
  // The 429 beyond the limit of simultaneous connections.
  Response TooManyRequests() const;
  // The 400 that refuses query parameter `key`.
  static Response BadParam(const std::string& key, const std::string& why);
  static void Str(Writer& w, const char* key, const std::string& value);
  static void Num(Writer& w, const char* key, int64_t value);
  static void Real(Writer& w, const char* key, double value);
  static void Flag(Writer& w, const char* key, bool value);
  static void Links(Writer& w);
  // One resource: an object `write` fills before its `_links`.
  static Response Object(const std::function<void(Writer&)>& write);
  // The envelope of every collection the API pages: rows [offset,
  // offset + count) of `total` under `key`, each an object `write_row(w, i)`
  // fills before its `_links`, then `parent_key` (when given) and
  // `total_items`.
  static Response Collection(const char* key, int total, int offset, int count,
                             const std::function<void(Writer&, int)>& write_row,
                             const char* parent_key = nullptr, const std::string& parent_id = "");
  // count/offset, or the 400 that refuses them.
  std::optional<Response> Paging(const Query& q, int* count, int* offset);
  // Query datetime `key` ("...+00:00", "Z" or other tolerated forms) into
  // `*at` (unset when absent), or the 400 that refuses it.
  static std::optional<Response> QueryTime(const Query& q, const std::string& key,
                                           std::optional<int64_t>* at);
  // Query parameter `key` into `*value` ("" when absent) when it is one of
  // `allowed`, or the 400 that refuses it.
  static std::optional<Response> QueryEnum(const Query& q, const std::string& key,
                                           const std::vector<std::string>& allowed,
                                           std::string* value);
  // sort_dir: true for DESC, false for ASC or none; or the 400.
  static std::optional<Response> SortDescending(const Query& q, bool* descending);
  // The answer trimmed to `fields` / cleared of `exclude_fields`
  // (comma-separated dotted paths from the document's root, through arrays).
  static void ApplyFields(const Query& q, Response* out);
  // The part of the API key after its last '-': the account's data center.
  std::string DataCenter() const;
  // `host` (lower-case, no port) is one of Mailchimp's data centers'.
  static bool IsMailchimpHost(const std::string& host);
  // The 401 for a missing or wrong credential or data center, or nullopt.
  std::optional<Response> Authenticate(const std::string& host,
                                       const std::string& authorization) const;
  Response Route(const std::string& method, const std::string& path, const Query& q);
  // Counts the request and answers it; takes `mu`.
  Response Handle(const std::string& method, const std::string& target, const std::string& host,
                  const std::string& authorization);
  Response HandleLocked(const std::string& method, const std::string& path,
                        const std::string& query, const std::string& host,
                        const std::string& authorization);
  // Serves one connection's requests until it closes or idles out.
  static boost::asio::awaitable<void> ServeConnection(boost::asio::ip::tcp::socket socket,
                                                      Impl& impl);

  // --- the endpoint families (sim_campaigns.cc, sim_lists.cc) ---

  struct CampaignReport {
    int64_t emails_sent = 0;
    int64_t opens = 0;
    int64_t unique_opens = 0;
    int64_t clicks = 0;
    int64_t subscriber_clicks = 0;
    int64_t unique_clicks = 0;  // distinct (recipient, link)
    int64_t hard_bounces = 0;
    int64_t soft_bounces = 0;
    std::string last_open;  // wire form, "" when none
    std::string last_click;
  };
  // What Mailchimp reports for a campaign, from the simulated account: a
  // sent campaign went to every member of its list not cleaned (the
  // recipients activity is generated for).
  CampaignReport ReportOf(const MailchimpCampaign& c) const;
  const MailchimpCampaign* FindCampaign(const std::string& id) const;
  const MailchimpList* FindList(const std::string& id) const;
  // The account's root resource: who owns the key, and its totals.
  Response Root() const;
  // login.mailchimp.com's /oauth2/metadata: the data center and API endpoint
  // of an OAuth token's account, for `Authorization: OAuth <token>`.
  Response OAuthMetadata(const std::string& host, const std::string& authorization) const;
  void WriteCampaign(Writer& w, const MailchimpCampaign& c) const;
  void WriteReport(Writer& w, const MailchimpCampaign& c) const;
  Response ListCampaigns(const Query& q);
  Response ListReports(const Query& q);
  Response EmailActivity(const std::string& campaign_id, const Query& q);
  void WriteList(Writer& w, const MailchimpList& l) const;
  void WriteMember(Writer& w, const MailchimpMember& m) const;
  Response ListLists(const Query& q);
  Response ListMembers(const std::string& list_id, const Query& q);
  // A member by its id (the MD5 of its address) or its address.
  Response GetMember(const std::string& list_id, const std::string& subscriber_hash);
};

}  // namespace salesaudit::sim
