// An unmodified open-source Mailchimp client, the official Node one
// (@mailchimp/mailchimp_marketing, fetched from npm into the build
// directory), run against the Mailchimp simulator with its defaults, the
// connection limit included: with an API key and with an OAuth token it must
// ping, read the account root, and read every audience, every member of one
// audience, every campaign and each sent campaign's email activity, page by
// page, exactly as the account holds them. mailchimp_read_account.js drives
// the client.
#include <rapidjson/document.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdint>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "tests/clients/node_client.h"
#include "tests/sim/mailchimp/mailchimp_sim.h"

namespace salesaudit {
namespace {

std::string Text(const rapidjson::Value& v, const char* key) { return v[key].GetString(); }

using Event = std::tuple<std::string, std::string, std::string, std::string>;

// Checks that `got` (the script's output) is exactly what `mailchimp` holds.
void CheckReadsAccount(const rapidjson::Document& got, const sim::MailchimpSim& mailchimp) {
  CHECK(Text(got, "health_status") == "Everything's Chimpy!");
  CHECK(Text(got, "account_name") == "Acme");

  const std::vector<sim::MailchimpMember> all_members = mailchimp.Members();
  auto subscribed = [&](const std::string& list_id) {
    return std::count_if(all_members.begin(), all_members.end(), [&](const auto& m) {
      return (list_id.empty() || m.list_id == list_id) && m.status == "subscribed";
    });
  };
  CHECK(got["total_subscribers"].GetInt64() == subscribed(""));

  const std::vector<sim::MailchimpList> lists = mailchimp.Lists();
  const auto& read_lists = got["lists"].GetArray();
  REQUIRE(read_lists.Size() == lists.size());
  for (rapidjson::SizeType i = 0; i < read_lists.Size(); ++i) {
    CHECK(Text(read_lists[i], "id") == lists[i].id);
    CHECK(Text(read_lists[i], "name") == lists[i].name);
    CHECK(read_lists[i]["member_count"].GetInt64() == subscribed(lists[i].id));
  }

  std::vector<sim::MailchimpMember> members;
  for (const auto& m : all_members) {
    if (m.list_id == lists[0].id) members.push_back(m);
  }
  const auto& read_members = got["members"].GetArray();
  REQUIRE(read_members.Size() == members.size());
  for (rapidjson::SizeType i = 0; i < read_members.Size(); ++i) {
    const rapidjson::Value& m = read_members[i];
    INFO("member " << members[i].id);
    CHECK(Text(m, "id") == members[i].id);
    CHECK(Text(m, "email_address") == members[i].email_address);
    CHECK(Text(m, "status") == members[i].status);
    CHECK(Text(m, "first_name") == members[i].first_name);
    CHECK(Text(m, "last_name") == members[i].last_name);
    CHECK(Text(m, "last_changed") == members[i].last_changed);
  }

  const std::vector<sim::MailchimpCampaign> campaigns = mailchimp.Campaigns();
  const auto& read_campaigns = got["campaigns"].GetArray();
  REQUIRE(read_campaigns.Size() == campaigns.size());
  for (rapidjson::SizeType i = 0; i < read_campaigns.Size(); ++i) {
    const rapidjson::Value& c = read_campaigns[i];
    CHECK(Text(c, "id") == campaigns[i].id);
    CHECK(Text(c, "status") == campaigns[i].status);
    CHECK(Text(c, "send_time") == campaigns[i].send_time);
    CHECK(Text(c, "list_id") == campaigns[i].list_id);
  }

  // Every open, click and bounce once: the same events in any order.
  std::vector<Event> held, read;
  for (const auto& a : mailchimp.Activity()) {
    held.emplace_back(a.campaign_id, a.email_id, a.action, a.timestamp);
  }
  for (const auto& a : got["activity"].GetArray()) {
    read.emplace_back(Text(a, "campaign_id"), Text(a, "email_id"), Text(a, "action"),
                      Text(a, "timestamp"));
  }
  std::sort(held.begin(), held.end());
  std::sort(read.begin(), read.end());
  REQUIRE(!held.empty());
  CHECK(read == held);
}

TEST_CASE(
    "The official Mailchimp Node client reads every audience, member, campaign and email "
    "activity as the account holds them") {
  sim::MailchimpSim mailchimp;  // Mailchimp's defaults: the connection limit on
  sim::MailchimpSpec spec;
  spec.lists = 2;
  spec.members_per_list = 230;  // three pages of 100
  spec.sent_campaigns = 7;      // with the drafts, two pages of 5
  mailchimp.Generate(spec);
  REQUIRE(mailchimp.Start() != 0);
  const sim::MailchimpSimOptions options;
  for (const auto& credential : std::vector<std::map<std::string, std::string>>{
           {{"MAILCHIMP_API_KEY", options.api_key}},
           {{"MAILCHIMP_ACCESS_TOKEN", options.oauth_token}}}) {
    INFO("with " << credential.begin()->first);
    std::map<std::string, std::string> env = credential;
    env["MAILCHIMP_BASE_URL"] = mailchimp.base_url();
    CheckReadsAccount(testing::RunNodeClient(READ_ACCOUNT_SCRIPT, env), mailchimp);
  }
}

}  // namespace
}  // namespace salesaudit
