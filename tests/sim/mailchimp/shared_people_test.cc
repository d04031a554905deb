// The demo's hand-off between the simulator binaries: crm-sim --emails-out
// writes the portal's contact emails and mailchimp-sim --emails-file makes
// them its members, so both sources share people. Checked against what each
// process serves over HTTP.
#include <curl/curl.h>
#include <rapidjson/document.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cctype>
#include <csignal>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "tests/support/subprocess.h"

namespace salesaudit::sim {
namespace {

constexpr char kCrmToken[] = "pat-na1-shared-people";
constexpr char kMailchimpKey[] = "0123456789abcdef0123456789abcdef-us19";
constexpr int kContacts = 300;

size_t CollectBody(char* data, size_t size, size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
  return size * n;
}

// One GET; `bearer` or else `basic_password` authenticates. Returns the body,
// or "" unless the answer is a 200.
std::string Get(const std::string& url, const std::string& bearer,
                const std::string& basic_password = "") {
  std::string body;
  CURL* curl = curl_easy_init();
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_slist* headers = nullptr;
  if (!bearer.empty())
    headers = curl_slist_append(headers, ("Authorization: Bearer " + bearer).c_str());
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  const std::string userpwd = "anystring:" + basic_password;
  if (!basic_password.empty()) curl_easy_setopt(curl, CURLOPT_USERPWD, userpwd.c_str());
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, CollectBody);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &body);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT, 20L);
  long status = 0;
  if (curl_easy_perform(curl) == CURLE_OK) curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  curl_slist_free_all(headers);
  curl_easy_cleanup(curl);
  return status == 200 ? body : "";
}

rapidjson::Document Json(const std::string& body) {
  rapidjson::Document doc;
  doc.Parse(body.c_str());
  return doc;
}

// How Mailchimp and the audit match people: trimmed, lower-cased.
std::string Normalized(const std::string& email) {
  const size_t first = email.find_first_not_of(' ');
  if (first == std::string::npos) return "";
  std::string s = email.substr(first, email.find_last_not_of(' ') - first + 1);
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// A simulator binary started with `argv`; base_url() is the URL its
// "listening on" line announced ("" if none came).
struct RunningSim {
  RunningSim(const std::vector<std::string>& argv, const std::string& dir) : child(argv, dir) {
    const std::string prefix = "listening on ";
    if (!testing::WaitFor([&] { return child.Stdout().find('\n') != std::string::npos; },
                          std::chrono::seconds(20))) {
      return;
    }
    const std::string out = child.Stdout();
    if (out.rfind(prefix, 0) == 0) url = out.substr(prefix.size(), out.find('\n') - prefix.size());
  }
  ~RunningSim() {
    child.Signal(SIGTERM);
    child.Wait(std::chrono::seconds(20));
  }
  testing::ChildProcess child;
  std::string url;
};

// The crm-sim that the tests share people from, writing its emails to
// `emails_path`.
std::vector<std::string> CrmSimArgs(const std::string& emails_path) {
  return {CRM_SIM_BINARY, "--seed",       "7",        "--contacts", std::to_string(kContacts),
          "--deals",      "10",           "--owners", "3",          "--token",
          kCrmToken,      "--emails-out", emails_path};
}

TEST_CASE("crm-sim --emails-out holds every contact email the portal serves, in id order") {
  testing::TempDir dir;
  RunningSim crm(CrmSimArgs(dir.File("emails.txt")), dir.path());
  REQUIRE(!crm.url.empty());
  // Written before "listening on", so it is whole now.
  const std::vector<std::string> lines = Lines(testing::ReadFile(dir.File("emails.txt")));

  std::vector<std::string> served;
  int contacts = 0;
  int without_email = 0;
  std::string after;
  for (;;) {
    rapidjson::Document page =
        Json(Get(crm.url + "/crm/v3/objects/contacts?limit=100&properties=email" +
                     (after.empty() ? "" : "&after=" + after),
                 kCrmToken));
    REQUIRE(page.IsObject());
    for (const auto& contact : page["results"].GetArray()) {
      ++contacts;
      const auto& email = contact["properties"]["email"];
      if (email.IsString() && email.GetStringLength() > 0) {
        served.push_back(email.GetString());
      } else {
        ++without_email;
      }
    }
    if (!page.HasMember("paging")) break;
    after = page["paging"]["next"]["after"].GetString();
  }

  CHECK(contacts == kContacts);
  CHECK(without_email > 0);  // the portal leaves some contacts without one
  CHECK(lines.size() == static_cast<size_t>(kContacts - without_email));
  CHECK(lines == served);  // as the CRM holds them: case and stray spaces kept
  // Matched case-insensitively the addresses are unique, except for the
  // duplicate contacts the portal generates on purpose (about 2%).
  std::set<std::string> distinct;
  for (const std::string& line : lines) {
    CHECK(!Normalized(line).empty());
    distinct.insert(Normalized(line));
  }
  CHECK(distinct.size() < lines.size());
  CHECK(distinct.size() >= lines.size() * 95 / 100);
}

TEST_CASE("mailchimp-sim given crm-sim's emails makes every CRM address a member, once") {
  testing::TempDir dir;
  RunningSim crm(CrmSimArgs(dir.File("emails.txt")), dir.path());
  REQUIRE(!crm.url.empty());
  std::set<std::string> crm_people;
  for (const std::string& line : Lines(testing::ReadFile(dir.File("emails.txt")))) {
    crm_people.insert(Normalized(line));
  }

  // One list with room for everyone from the CRM and some people besides.
  testing::TempDir mailchimp_dir;
  RunningSim mailchimp(
      {MAILCHIMP_SIM_BINARY, "--lists", "1", "--members", std::to_string(kContacts + 100),
       "--api-key", kMailchimpKey, "--emails-file", dir.File("emails.txt")},
      mailchimp_dir.path());
  REQUIRE(!mailchimp.url.empty());
  // The simulator has no /lists: a sent campaign names the one list.
  rapidjson::Document campaigns =
      Json(Get(mailchimp.url + "/campaigns?count=1&status=sent", "", kMailchimpKey));
  REQUIRE(campaigns.IsObject());
  REQUIRE(campaigns["campaigns"].Size() == 1);
  const std::string list_id = campaigns["campaigns"][0]["recipients"]["list_id"].GetString();
  rapidjson::Document members =
      Json(Get(mailchimp.url + "/lists/" + list_id + "/members?count=1000", "", kMailchimpKey));
  REQUIRE(members.IsObject());

  std::set<std::string> member_people;
  int from_crm = 0;
  for (const auto& m : members["members"].GetArray()) {
    const std::string email = Normalized(m["email_address"].GetString());
    CHECK(member_people.insert(email).second);  // a person is a list member once
    from_crm += crm_people.count(email) != 0 ? 1 : 0;
  }
  CHECK(from_crm == static_cast<int>(crm_people.size()));
  CHECK(member_people.size() > crm_people.size());  // and some only Mailchimp knows
}

}  // namespace
}  // namespace salesaudit::sim
