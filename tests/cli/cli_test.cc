// The salesaudit binary as users and systemd run it: exit codes, output,
// signals, crash recovery and secrecy. Real processes, a real simulator on
// loopback, a real SQLite file.
#include <rapidjson/document.h>
#include <signal.h>
#include <sys/stat.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>
#include <map>
#include <regex>
#include <string>
#include <thread>

#include "alerts/notification.h"
#include "tests/cli/cli_fixture.h"
#include "tests/support/test_http_server.h"
#include "tests/support/test_smtp_server.h"

namespace salesaudit::testing {
namespace {

TEST_CASE("check reports each config problem as FILE:LINE:COL and exits 2", "[cli]") {
  TempDir dir;
  const std::string path = dir.File("bad.yaml");
  WriteFile(path,
            "store:\n"
            "  path: /tmp/x.db\n"
            "connectors:\n"
            "  - name: crm\n"
            "    type: hubspot\n"
            "    poll_intervall: 5m\n"
            "    auth:\n"
            "      token: abc\n");
  auto r = RunProcess({kBinary, "--config", path, "check"});
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.err, Catch::Contains(path + ":6:5:"));
  CHECK_THAT(r.err, Catch::Contains("poll_intervall"));
}

TEST_CASE("check accepts a valid config and exits 0", "[cli]") {
  CliFixture f(100);
  auto r = f.Cli({"check"});
  INFO(r.err);
  CHECK(r.exit_code == 0);
}

TEST_CASE("check warns of a rule whose selector picks no channel of the latest snapshot", "[cli]") {
  CliFixture f(300);
  REQUIRE(f.Cli({"sync"}).exit_code == 0);
  REQUIRE(f.Cli({"audit", "--format", "json"}).exit_code == 0);
  WriteFile(f.config_path, f.ConfigYaml() +
                               "alerts:\n"
                               "  rules:\n"
                               "    - name: social-leads\n"
                               "      when: channels[channel=PAID_SOCAIL].leads < 1\n"
                               "    - name: search-leads\n"
                               "      when: channels[channel=PAID_SEARCH].leads < 1\n");
  auto r = f.Cli({"check"});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 0);  // a warning: the channel may still appear
  CHECK_THAT(r.err, Catch::Contains("warning: " + f.config_path + ":") &&
                        Catch::Contains("alerts.rules[0] (social-leads): when: in the latest "
                                        "snapshot (#") &&
                        Catch::Contains("channels[channel=PAID_SOCAIL]: no element has channel "
                                        "'PAID_SOCAIL' (values: ") &&
                        Catch::Contains("did you mean 'PAID_SOCIAL'?"));
  CHECK_THAT(r.err, !Catch::Contains("search-leads"));
}

TEST_CASE("check refuses a Mailchimp api_key without its data-center suffix unless base_url is set",
          "[cli]") {
  TempDir dir;
  const std::string path = dir.File("mailchimp.yaml");
  const std::string head =
      "store:\n"
      "  path: " +
      dir.File("x.db") +
      "\n"
      "connectors:\n"
      "  - name: news\n"
      "    type: mailchimp\n";
  WriteFile(path, head + "    auth:\n      api_key: 0123456789abcdef\n");
  auto r = RunProcess({kBinary, "--config", path, "check"});
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.err, Catch::StartsWith(path + ":4:5: mailchimp[news]: auth.api_key has no "
                                             "data-center suffix"));
  CHECK_THAT(r.err, !Catch::Contains("0123456789abcdef"));
  WriteFile(
      path,
      head + "    base_url: http://127.0.0.1:1\n    auth:\n      api_key: 0123456789abcdef\n");
  r = RunProcess({kBinary, "--config", path, "check"});
  INFO(r.err);
  CHECK(r.exit_code == 0);
  WriteFile(path, head + "    auth:\n      api_key: 0123456789abcdef-us19\n");
  CHECK(RunProcess({kBinary, "--config", path, "check"}).exit_code == 0);
}

TEST_CASE(
    "check --online reads one page of each connector and says which answered, storing nothing",
    "[cli]") {
  CliFixture f;
  const RunResult ok = f.Cli({"check", "--online"});
  INFO(ok.out << ok.err);
  CHECK(ok.exit_code == 0);
  CHECK_THAT(ok.out, Catch::Contains("connector crm (hubspot): ok, answered"));
  // One request: the first page of the first stream (owners).
  CHECK(f.sim.Stats().requests == 1);
  CHECK(f.store->CountRows(RecordKind::kOwner, "crm", true).value() == 0);
  // A wrong token: the vendor's refusal, exit 1, and not the token.
  f.env["TEST_HUBSPOT_TOKEN"] = "pat-na1-wrong-token-0000";
  const RunResult wrong = f.Cli({"check", "--online"});
  INFO(wrong.out << wrong.err);
  CHECK(wrong.exit_code == 1);
  CHECK_THAT(wrong.out,
             Catch::Contains("connector crm (hubspot): FAILED: ") && Catch::Contains("HTTP 401"));
  CHECK(wrong.out.find("pat-na1-wrong-token-0000") == std::string::npos);
  CHECK(wrong.err.find("pat-na1-wrong-token-0000") == std::string::npos);
  // Without --online nothing is contacted.
  const int64_t before = f.sim.Stats().requests;
  CHECK(f.Cli({"check"}).exit_code == 0);
  CHECK(f.sim.Stats().requests == before);
}

TEST_CASE(
    "check --online logs in to SMTP receivers and connects to webhooks, sending neither anything",
    "[cli]") {
  CliFixture f(50);
  const std::string password = "smtp-pass-4417";
  const std::string wrong_password = "wrong-pass-8821";
  TestSmtpServer smtp("bot", password);
  REQUIRE_FALSE(smtp.url().empty());
  // Offers no AUTH on a connection without TLS (aiosmtpd's default).
  TestSmtpServer no_login;
  REQUIRE_FALSE(no_login.url().empty());
  TestHttpServer hook;
  std::string closed;
  {
    TestHttpServer gone;  // bound, then closed: nothing listens there
    closed = "127.0.0.1:" + std::to_string(gone.port());
  }
  auto email = [](const std::string& name, const std::string& url, const std::string& pass) {
    return "    - {name: " + name + ", type: email, smtp_url: '" + url +
           "', from: sa@example.com, to: [ops@example.com], username: bot, password: '" + pass +
           "'}\n";
  };
  WriteFile(f.config_path, f.ConfigYaml() + "alerts:\n  receivers:\n" +
                               email("mail", smtp.url(), password) +
                               email("wrong", smtp.url(), wrong_password) +
                               email("down", "smtp://" + closed, password) +
                               email("nologin", no_login.url(), password) +
                               "    - {name: hook, type: webhook, url: '" + hook.base_url() +
                               "/hooks/T1'}\n"
                               "    - {name: gone, type: webhook, url: 'http://" +
                               closed + "/hooks/T2'}\n");
  const RunResult r = f.Cli({"check", "--online"});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 1);
  const std::string nothing_sent =
      ", nothing sent (`salesaudit alerts test` sends a test notification)\n";
  CHECK_THAT(r.out, Catch::Contains("connector crm (hubspot): ok, answered\n"));
  CHECK_THAT(r.out, Catch::Contains("receiver mail (smtp): ok, login accepted" + nothing_sent));
  CHECK_THAT(r.out, Catch::Contains("receiver wrong (smtp): FAILED: smtp 127.0.0.1:") &&
                        Catch::Contains(": Login denied (last reply 535)"));
  CHECK_THAT(r.out, Catch::Contains("receiver down (smtp): FAILED: smtp " + closed));
  // libcurl skips a login the server does not offer; check says so rather
  // than claim the credentials were accepted.
  CHECK_THAT(r.out, Catch::Contains("receiver nologin (smtp): ok, connected, but the server "
                                    "offers no login (no AUTH in its EHLO reply), so username "
                                    "and password are not used" +
                                    nothing_sent));
  CHECK_THAT(r.out, Catch::Contains("receiver hook (webhook): ok, reachable" + nothing_sent));
  CHECK_THAT(r.out, Catch::Contains("receiver gone (webhook): FAILED: connect: "));
  for (const std::string& secret : {password, wrong_password}) {
    CHECK(r.out.find(secret) == std::string::npos);
    CHECK(r.err.find(secret) == std::string::npos);
  }
  // Reached, and sent nothing: no mail taken, no request made.
  CHECK(smtp.Mails().empty());
  CHECK(no_login.Mails().empty());
  CHECK(hook.connections() >= 1);
  CHECK(hook.requests().empty());
}

TEST_CASE("A connector type nobody registered is a config error with its position", "[cli]") {
  TempDir dir;
  const std::string path = dir.File("c.yaml");
  WriteFile(path,
            "connectors:\n"
            "  - name: crm\n"
            "    type: hubspott\n"
            "    auth: {token: abc}\n");
  auto r = RunProcess({kBinary, "--config", path, "check"});
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.err, Catch::Contains(path + ":3:11:"));
  CHECK_THAT(r.err, Catch::Contains("hubspot"));
}

TEST_CASE("Bad command-line input is a one-line error naming the argument, exit 2", "[cli]") {
  CliFixture f(50);
  auto r = f.Cli({"audit", "--from", "yesterday"});
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.err, Catch::Contains("--from"));
  r = f.Cli({"sync", "--connector", "nope"});
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.err, Catch::Contains("nope"));
  r = f.Cli({"frobnicate"});
  CHECK(r.exit_code == 2);
  r = f.Cli({"store", "repair"});
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.err, Catch::Contains("store check") && Catch::Contains("store backup"));
  r = f.Cli({"store", "backup"});
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.err, Catch::Contains("PATH"));
  r = f.Cli({"store", "check", "a.db", "b.db"});
  CHECK(r.exit_code == 2);
}

TEST_CASE("Global options are accepted after the command, its subcommand and its options",
          "[cli]") {
  CliFixture f(50);
  auto r =
      RunProcess({kBinary, "check", "--config", f.config_path}, std::chrono::seconds(60), f.env);
  CHECK(r.exit_code == 0);
  CHECK_THAT(r.out, Catch::StartsWith(f.config_path + ": valid"));
  r = RunProcess({kBinary, "sync", "--stream", "owners", "--config", f.config_path},
                 std::chrono::seconds(60), f.env);
  INFO(r.err);
  CHECK(r.exit_code == 0);
  CHECK_THAT(r.out, Catch::Contains("owners"));
  // The value of a command's own option is never taken for a global option.
  r = RunProcess({kBinary, "silence", "add", "team=sales", "--for", "1h", "--comment", "--config",
                  "--config", f.config_path},
                 std::chrono::seconds(60), f.env);
  CHECK(r.exit_code == 0);
  r = RunProcess({kBinary, "silence", "list", "--config=" + f.config_path, "--format", "json"},
                 std::chrono::seconds(60), f.env);
  CHECK(r.exit_code == 0);
  CHECK_THAT(r.out, Catch::Contains("\"comment\":\"--config\""));
}

TEST_CASE("A connector or stream that is not there is named with what exists and the near miss",
          "[cli]") {
  CliFixture f(50);
  auto r = f.Cli({"sync", "--connector", "crn"});
  CHECK(r.exit_code == 2);
  CHECK(r.err == "salesaudit sync: --connector 'crn' is not in " + f.config_path +
                     " (connectors: crm; did you mean 'crm'?)\n");
  r = f.Cli({"sync", "--stream", "contact"});
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.err, Catch::StartsWith("salesaudit sync: --stream 'contact' is not a stream of any "
                                      "connector in " +
                                      f.config_path + " (streams: ") &&
                        Catch::Contains("contacts, ") && Catch::Contains("owners") &&
                        Catch::EndsWith("; did you mean 'contacts'?)\n"));
  r = f.Cli({"sync", "--connector", "crm", "--stream", "members"});
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.err, Catch::Contains("is not a stream of connector 'crm' (streams: "));
  CHECK(f.ContactRows() == 0);
}

TEST_CASE("sync --stream without --connector syncs the one connector that offers the stream",
          "[cli]") {
  CliFixture f(50);
  // A Mailchimp connector listed first, whose host nobody serves: it has no
  // owners stream, so it is neither synced nor an error.
  const std::string mailchimp =
      "  - name: news\n"
      "    type: mailchimp\n"
      "    base_url: http://127.0.0.1:1\n"
      "    auth:\n"
      "      api_key: 0123456789abcdef-us19\n";
  std::string yaml = f.ConfigYaml();
  yaml.insert(yaml.find("connectors:\n") + 12, mailchimp);
  WriteFile(f.config_path, yaml);
  auto r = f.Cli({"sync", "--stream", "owners"});
  INFO(r.err);
  CHECK(r.exit_code == 0);
  CHECK_THAT(r.out, Catch::Contains("crm") && !Catch::Contains("news"));

  // Two connectors offering it: the error names both.
  yaml = f.ConfigYaml();
  const std::string crm = yaml.substr(yaml.find("  - name: crm\n"));
  std::string second = crm;
  second.replace(second.find("name: crm"), 9, "name: crm2");
  WriteFile(f.config_path, yaml + second);
  r = f.Cli({"sync", "--stream", "owners"});
  CHECK(r.exit_code == 2);
  CHECK(r.err ==
        "salesaudit sync: --stream 'owners' is a stream of connectors crm, crm2: name one with "
        "--connector\n");
}

TEST_CASE(
    "sync on a terminal shows a long stream's progress while it runs and each stream's result "
    "when it ends",
    "[cli]") {
  CliFixture f(6000);  // 60 pages of contacts
  // Slow pages, so that the contacts take a few seconds.
  f.sim.InjectFault({.kind = sim::FaultKind::kSlow,
                     .path_prefix = "/crm/v3/objects/contacts",
                     .count = 60,
                     .delay_ms = 50});
  // script(1) gives the command a terminal, as an operator's shell does.
  std::string command;
  for (const std::string& arg : f.Argv({"sync", "--stream", "contacts"})) command += arg + " ";
  const RunResult r = RunProcess({"/usr/bin/script", "-qec", command, "/dev/null"},
                                 std::chrono::seconds(120), f.env);
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  // A line rewritten in place with the running count, then the result.
  CHECK(r.out.find("\r\033[Kcrm contacts: ") != std::string::npos);
  CHECK_THAT(r.out, Catch::Matches("[\\s\\S]*crm contacts: [0-9]+ records, [0-9]+ pages in "
                                   "[0-9.]+s \\([0-9]+ records/s\\)[\\s\\S]*"));
  CHECK_THAT(r.out, Catch::Contains("crm contacts: ok, 6000 records"));
  // Not a terminal (a pipe, a log): the result alone for a run under 10 s.
  const RunResult piped = f.Cli({"sync", "--stream", "contacts", "--full"});
  INFO(piped.err);
  CHECK(piped.exit_code == 0);
  CHECK(piped.err.find("\033[K") == std::string::npos);
  CHECK_THAT(piped.out, Catch::StartsWith("crm contacts: ok, 6000 records"));
}

TEST_CASE("sync, audit and status work from the command line", "[cli]") {
  CliFixture f;
  auto r = f.Cli({"sync"});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.out, Catch::Contains("crm contacts: ok"));
  CHECK_THAT(r.out, Catch::Contains("crm deals: ok"));
  CHECK_THAT(r.out, Catch::Contains("crm owners: ok"));
  CHECK(f.DifferencesFromPortal().empty());

  r = f.Cli({"audit", "--format", "text"});
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.out, Catch::Contains("lead") && Catch::Contains("mql") &&
                        Catch::Contains("contacted") && Catch::Contains("won"));

  r = f.Cli({"status", "--format", "json"});
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.out,
             Catch::Contains("\"name\":\"crm\"") && Catch::Contains("\"stream\":\"contacts\""));
  CHECK_THAT(r.out, Catch::Contains("\"snapshot\":null,\"one_off_snapshot\":{\"id\":1"));
  // Each stream counts the live rows of the table it fills.
  rapidjson::Document status;
  status.Parse(r.out.c_str());
  REQUIRE_FALSE(status.HasParseError());
  std::map<std::string, int64_t> rows;
  for (const auto& connector : status["connectors"].GetArray()) {
    for (const auto& stream : connector["streams"].GetArray()) {
      rows[stream["stream"].GetString()] = stream["rows"].GetInt64();
    }
  }
  for (auto [stream, kind] :
       {std::pair{"contacts", RecordKind::kContact}, std::pair{"deals", RecordKind::kDeal},
        std::pair{"owners", RecordKind::kOwner}}) {
    INFO(stream);
    auto n = f.store->CountRows(kind, "crm", false);
    REQUIRE(n.ok());
    CHECK(*n > 0);
    CHECK(rows[stream] == *n);
  }
}

TEST_CASE("audit prints the snapshot JSON with every contract key and stores where it came from",
          "[cli][audit]") {
  CliFixture f(800);
  REQUIRE(f.Cli({"sync"}).exit_code == 0);
  auto r = f.Cli({"audit", "--format", "json"});
  rapidjson::Document doc = JsonOf(r);
  for (const char* key :
       {"schema_version", "generated_at", "window", "funnel", "lead_volume", "cycle_time_days",
        "channels", "email", "content", "capacity", "reps", "data_quality", "customers"}) {
    INFO(key);
    CHECK(doc.HasMember(key));
  }
  // The funnel counts the synced live contacts that have a created date.
  int64_t with_created = 0;
  for (const auto& c : f.sim.Contacts()) {
    auto it = c.properties.find("createdate");
    with_created += !c.archived && it != c.properties.end() && !it->second.empty();
  }
  CHECK(doc["funnel"]["leads"].GetInt64() == with_created);

  auto latest = f.store->LatestSnapshot(SnapshotPurpose::kOneOff);
  REQUIRE(latest.ok());
  REQUIRE(latest->has_value());
  CHECK((*latest)->json + "\n" == r.out);
  CHECK((*latest)->config_hash.size() == 64);
  CHECK_THAT((*latest)->cursors, Catch::Contains("\"crm/contacts\""));

  const std::string html = f.dir.File("report.html");
  r = f.Cli({"audit", "--format", "html", "--out", html});
  REQUIRE(r.exit_code == 0);
  const std::string page = ReadFile(html);
  CHECK_THAT(page, Catch::Contains("<html") && Catch::Contains("</html>"));
  CHECK_THAT(page, Catch::Contains("data-metric=\"funnel.leads\""));

  r = f.Cli({"audit", "--from", "2026-02-01", "--to", "2026-01-01"});
  CHECK(r.exit_code == 2);
}

TEST_CASE("With the HubSpot portal_id, data-quality examples link to the records in HubSpot",
          "[cli][audit]") {
  CliFixture f(400);
  std::string yaml = f.ConfigYaml();
  const size_t type = yaml.find("type: hubspot\n");
  REQUIRE(type != std::string::npos);
  yaml.insert(type + std::string_view("type: hubspot\n").size(), "    portal_id: 2412345\n");
  WriteFile(f.config_path, yaml);
  REQUIRE(f.Cli({"sync"}).exit_code == 0);
  rapidjson::Document doc = JsonOf(f.Cli({"audit", "--format", "json"}));
  // Every contact example of the checks that name contacts has its page.
  const auto& missing_owner = doc["data_quality"]["contacts_without_owner"];
  REQUIRE(missing_owner["examples"].Size() > 0);
  for (const auto& e : missing_owner["examples"].GetArray()) {
    const std::string example = e.GetString();
    INFO(example);
    REQUIRE(example.rfind("crm:", 0) == 0);
    REQUIRE(missing_owner["example_urls"].HasMember(e));
    CHECK(missing_owner["example_urls"][e].GetString() ==
          "https://app.hubspot.com/contacts/2412345/record/0-1/" + example.substr(4));
  }
  const std::string html = f.dir.File("report.html");
  REQUIRE(f.Cli({"audit", "--format", "html", "--out", html}).exit_code == 0);
  CHECK_THAT(ReadFile(html),
             Catch::Contains("<a href=\"https://app.hubspot.com/contacts/2412345/record/0-1/"));
}

TEST_CASE("The daemon recomputes the audit after a sync that changed data", "[daemon][audit]") {
  CliFixture f(600);
  WriteFile(f.config_path, f.ConfigYaml() + "audit:\n  every: 1h\n  min_interval: 0s\n");
  ChildProcess daemon(f.Argv({"run"}), f.dir.path(), f.env);
  auto leads_in_latest = [&]() -> int64_t {
    auto latest = f.store->LatestSnapshot();
    if (!latest.ok() || !latest->has_value()) return -1;
    rapidjson::Document doc;
    doc.Parse((*latest)->json.c_str());
    if (doc.HasParseError() || !doc.HasMember("funnel")) return -1;
    return doc["funnel"]["leads"].GetInt64();
  };
  REQUIRE(WaitFor([&] { return leads_in_latest() > 500; }, std::chrono::seconds(30)));
  daemon.Signal(SIGTERM);
  CHECK(daemon.Wait(std::chrono::seconds(10)) == 0);
}

TEST_CASE("check refuses a currency rate that is not above zero, naming FILE:LINE:COL",
          "[cli][currency]") {
  TempDir dir;
  const std::string config_path = dir.File("config.yaml");
  WriteFile(config_path, "store:\n  path: " + dir.File("store.db") +
                             "\naudit:\n  currency: {report_in: EUR, rates: {USD: -1}}\n");
  auto r = RunProcess({kBinary, "--config", config_path, "check"});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.err, Catch::Contains(config_path +
                                    ":4:43: audit.currency.rates.USD: must be greater than zero"));
}

TEST_CASE("check accepts alert rules on one currency's revenue, in any currency",
          "[cli][alerts][currency]") {
  // The snapshot `check` computes for rule paths holds one USD deal; a rule
  // may watch EUR revenue, which a mixed store states only by currency.
  TempDir dir;
  const std::string config_path = dir.File("config.yaml");
  const std::string config = "store:\n  path: " + dir.File("store.db") +
                             "\n"
                             "alerts:\n"
                             "  rules:\n"
                             "    - name: eur\n"
                             "      when: revenue.total_by_currency.EUR < 10000\n"
                             "    - name: paid\n"
                             "      when: channels[channel=PAID_SEARCH].revenue > 0\n";
  WriteFile(config_path, config);
  auto r = RunProcess({kBinary, "--config", config_path, "check"});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 0);

  WriteFile(config_path,
            config + "    - name: typo\n      when: revenue.total_by_curency.EUR < 10000\n");
  r = RunProcess({kBinary, "--config", config_path, "check"});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.err, Catch::Contains("(typo): when: revenue.total_by_curency: no key "
                                    "'total_by_curency'"));
}

TEST_CASE("check refuses alert rules whose path no snapshot has or whose template is unknown",
          "[cli][alerts]") {
  CliFixture f(10);
  const std::string rules =
      "alerts:\n"
      "  rules:\n"
      "    - name: lead-shortfall\n"
      "      when: capacity.shortfall_per_period > 0\n"
      "      summary: \"Lead shortfall: {{ value }} leads per period\"\n"
      "    - name: paid-social-ros\n"
      "      when: channels[channel=PAID_SOCIAL].return_on_spend < 2\n"
      "    - name: typo\n"
      "      when: capacity.shortfall > 0\n"
      "    - name: bad-selector\n"
      "      when: channels[chanel=X].leads > 1\n"
      "    - name: unreadable\n"
      "      when: funnel.rates.sql_to_won <\n"
      "    - name: bad-template\n"
      "      when: funnel.leads > 0\n"
      "      summary: \"{{ valeu }}\"\n"
      "    - name: stale-template\n"
      "      connector_stale: 1h\n"
      "      description: \"{{ labels.team }}\"\n";
  const std::string config = f.ConfigYaml();
  // FILE:LINE:COL of line `n` of `rules` (1-based) at `column`.
  const auto at = [&](int n, int column) {
    const auto lines = std::count(config.begin(), config.end(), '\n');
    return f.config_path + ":" + std::to_string(lines + n) + ":" + std::to_string(column) + ": ";
  };
  WriteFile(f.config_path, config + rules);
  auto r = f.Cli({"check"});
  INFO(r.err);
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.err, !Catch::Contains("(lead-shortfall)") && !Catch::Contains("(paid-social-ros)"));
  // A `when` problem is placed at the condition itself (column 13, after
  // "      when: "); the parser's column counts within the condition.
  CHECK_THAT(r.err,
             Catch::Contains(at(9, 13) + "alerts.rules[2] (typo): when: capacity.shortfall: no key "
                                         "'shortfall' (keys: "));
  CHECK_THAT(r.err,
             Catch::Contains(at(11, 13) + "alerts.rules[3] (bad-selector): when: "
                                          "channels[chanel=X]: the elements of 'channels' have no "
                                          "field 'chanel'"));
  CHECK_THAT(r.err, Catch::Contains(at(13, 13) +
                                    "alerts.rules[4] (unreadable): when: column 26: expected a "
                                    "number"));
  // Template problems are placed at the rule, for built-in checks too.
  CHECK_THAT(r.err, Catch::Contains(at(14, 7) + "alerts.rules[5] (bad-template): summary: unknown "
                                                "placeholder"));
  CHECK_THAT(r.err, Catch::Contains(at(17, 7) +
                                    "alerts.rules[6] (stale-template): description: placeholder "
                                    "{{ labels.team }}: the rule has no label 'team'"));

  WriteFile(f.config_path, config + rules.substr(0, rules.find("    - name: typo")));
  r = f.Cli({"check"});
  CHECK(r.exit_code == 0);
}

TEST_CASE("check accepts the built-in checks, which need no snapshot path", "[cli][alerts]") {
  CliFixture f(10);
  WriteFile(f.config_path, f.ConfigYaml() +
                               "alerts:\n"
                               "  evaluate_every: 30s\n"
                               "  rules:\n"
                               "    - name: connector-stale\n"
                               "      connector_stale: 2h\n"
                               "      severity: warning\n"
                               "      summary: \"{{ labels.connector }} has not synced for "
                               "{{ value }}s\"\n"
                               "    - name: connector-failing\n"
                               "      connector_failing: 3\n"
                               "      labels: {team: ops}\n"
                               "      description: \"{{ labels.connector }} failed {{ value }} "
                               "runs in a row; ask {{ labels.team }}\"\n"
                               "    - name: snapshot-stale\n"
                               "      snapshot_stale: 3h\n"
                               "      for: 5m\n"
                               "      summary: \"The latest snapshot is {{ value }}s old\"\n");
  auto r = f.Cli({"check"});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 0);
  CHECK(r.err.empty());
}

TEST_CASE("The shipped example config, with the lead-shortfall rule, passes check") {
  const std::string example =
      std::string(SALESAUDIT_SOURCE_DIR) + "/config/salesaudit.example.yaml";
  REQUIRE_THAT(ReadFile(example), Catch::Contains("name: lead-shortfall"));
  auto r = RunProcess({kBinary, "--config", example, "check"}, std::chrono::seconds(60),
                      {{"HUBSPOT_TOKEN", "pat-na1-example"},
                       {"MAILCHIMP_API_KEY", "0123456789abcdef0123456789abcdef-us19"},
                       {"WEBHOOK_SECRET", "whsec-example"}});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 0);
}

// Each example in config/examples, with the credentials and variables it
// names supplied, passes check: the README points users at them.
TEST_CASE("Every example config in config/examples passes check with its secrets supplied") {
  const std::string dir = std::string(SALESAUDIT_SOURCE_DIR) + "/config/examples";
  size_t examples = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    const std::string text = ReadFile(entry.path().string());
    INFO(entry.path().string());
    ++examples;
    TempDir credentials;
    std::map<std::string, std::string> env = {{"CREDENTIALS_DIRECTORY", credentials.path()}};
    // "${CREDENTIALS_DIRECTORY:-...}/NAME" is a credential file; "${NAME}" a variable.
    const std::regex credential(R"(\$\{CREDENTIALS_DIRECTORY:-[^}]*\}/([A-Za-z0-9_.-]+))");
    const std::regex variable(R"(\$\{([A-Z_][A-Z0-9_]*)\})");
    for (std::sregex_iterator m(text.begin(), text.end(), credential), end; m != end; ++m) {
      // A Mailchimp key's suffix names its data center; other secrets take any text.
      WriteFile(credentials.File((*m)[1]), "0123456789abcdef0123456789abcdef-us19\n");
    }
    for (std::sregex_iterator m(text.begin(), text.end(), variable), end; m != end; ++m) {
      env[(*m)[1]] = "example-value";
    }
    auto r = RunProcess({kBinary, "--config", entry.path().string(), "check"},
                        std::chrono::seconds(60), env);
    INFO(r.out << r.err);
    CHECK(r.exit_code == 0);
  }
  CHECK(examples >= 3);
}

TEST_CASE("The daemon evaluates alert rules on each snapshot and delivers a signed webhook",
          "[daemon][alerts]") {
  CliFixture f(300);
  TestHttpServer receiver;
  receiver.SetHandler([](const TestHttpRequest&) { return TestHttpResponse{.status = 200}; });
  WriteFile(f.config_path, f.ConfigYaml() + "audit:\n  every: 1h\n  min_interval: 0s\n" +
                               "alerts:\n"
                               "  rules:\n"
                               "    - name: has-leads\n"
                               "      when: funnel.leads > 0\n"
                               "      severity: info\n"
                               "      labels: {team: sales}\n"
                               "      summary: \"{{ value }} leads\"\n"
                               "  receivers:\n"
                               "    - name: hook\n"
                               "      type: webhook\n"
                               "      url: " +
                               receiver.base_url() + "/alerts\n" +
                               "      secret: ${TEST_WEBHOOK_SECRET}\n"
                               "  route:\n"
                               "    receivers: [hook]\n");
  auto env = f.env;
  env["TEST_WEBHOOK_SECRET"] = "whsec-daemon-test-55";
  ChildProcess daemon(f.Argv({"run"}), f.dir.path(), env);
  REQUIRE(WaitFor([&] { return !receiver.requests().empty(); }, std::chrono::seconds(60)));
  daemon.Signal(SIGTERM);
  CHECK(daemon.Wait(std::chrono::seconds(10)) == 0);

  const auto requests = receiver.requests();
  REQUIRE(requests.size() == 1);  // one snapshot, one notification, delivered once
  const TestHttpRequest& r = requests[0];
  CHECK(r.target == "/alerts");
  CHECK(r.Header("x-salesaudit-signature") == SignatureHeader("whsec-daemon-test-55", r.body));
  CHECK_FALSE(r.Header("idempotency-key").empty());
  rapidjson::Document body;
  body.Parse(r.body.c_str());
  REQUIRE_FALSE(body.HasParseError());
  CHECK(std::string(body["status"].GetString()) == "firing");
  CHECK(std::string(body["alerts"][0]["labels"]["alertname"].GetString()) == "has-leads");
  CHECK_THAT(std::string(body["alerts"][0]["annotations"]["summary"].GetString()),
             Catch::EndsWith(" leads"));
  // The secret never reaches the logs.
  CHECK_THAT(daemon.Stderr(), !Catch::Contains("whsec-daemon-test-55"));
  CHECK_THAT(daemon.Stderr(), Catch::Contains("1 notification(s) queued"));
}

TEST_CASE(
    "A kill -9 in the middle of a sync, then a rerun, converges with nothing lost or duplicated",
    "[cli][crash]") {
  CliFixture f(3000);
  // Slow pages so the kill lands mid-stream, after some pages committed.
  f.sim.InjectFault({sim::FaultKind::kSlow, "/crm/v3/objects/contacts", 1000, 40});
  {
    ChildProcess child(f.Argv({"sync"}), f.dir.path(), f.env);
    REQUIRE(WaitFor([&] { return f.ContactRows() >= 300; }, std::chrono::seconds(60)));
    child.Signal(SIGKILL);
    CHECK(child.Wait(std::chrono::seconds(10)) == 128 + SIGKILL);
  }
  const int64_t after_kill = f.ContactRows();
  CHECK(after_kill < 3000);
  f.sim.ClearFaults();
  auto r = f.Cli({"sync"});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  auto diffs = f.DifferencesFromPortal();
  INFO(diffs.size() << " differences, first: " << (diffs.empty() ? "" : diffs[0]));
  REQUIRE(diffs.empty());
  // The rerun resumed from the committed cursor rather than starting over.
  auto stats = f.sim.Stats();
  CHECK(stats.by_path["/crm/v3/objects/contacts"] < 3000 / 100 + 3 + 30);
}

TEST_CASE("The token never appears in output or logs, even on failures and at debug level",
          "[cli][secrets]") {
  CliFixture f(300);
  WriteFile(f.config_path, f.ConfigYaml() + "log:\n  level: debug\n");
  f.sim.InjectFault({sim::FaultKind::kServerError, "", 2});
  f.sim.InjectFault({sim::FaultKind::kRateLimitWithoutRetryAfter, "", 1});
  auto ok = f.Cli({"sync"});
  f.sim.SetToken("pat-na1-another-token");
  auto failed = f.Cli({"sync"});
  auto status = f.Cli({"status", "--format", "json"});
  CHECK(ok.exit_code == 0);
  CHECK(failed.exit_code == 1);
  CHECK_THAT(failed.out + failed.err, Catch::Contains("401"));
  for (const auto* r : {&ok, &failed, &status}) {
    CHECK_THAT(r->out, !Catch::Contains(f.options.token));
    CHECK_THAT(r->err, !Catch::Contains(f.options.token));
  }
}

TEST_CASE("The daemon stops on SIGTERM within a few seconds, even in the middle of a sync",
          "[daemon]") {
  CliFixture f(2000);
  f.sim.InjectFault({sim::FaultKind::kSlow, "/crm/v3/objects/contacts", 1000, 3000});
  ChildProcess daemon(f.Argv({"run"}), f.dir.path(), f.env);
  REQUIRE(WaitFor([&] { return f.sim.Stats().by_path["/crm/v3/objects/contacts"] >= 1; },
                  std::chrono::seconds(30)));
  const int64_t rows_before = f.ContactRows();
  daemon.Signal(SIGTERM);
  const auto started = std::chrono::steady_clock::now();
  int code = daemon.Wait(std::chrono::seconds(10));
  INFO(daemon.Stderr());
  CHECK(code == 0);
  CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(5));
  // Nothing half-committed: rows are whole pages.
  CHECK(f.ContactRows() % 100 == 0);
  CHECK(f.ContactRows() >= rows_before);
}

TEST_CASE("SIGHUP reloads the config and an invalid one is logged while the old one is kept",
          "[daemon]") {
  CliFixture f(400);
  ChildProcess daemon(f.Argv({"run"}), f.dir.path(), f.env);
  auto rows_of = [&](const std::string& source) {
    auto n = f.store->CountRows(RecordKind::kContact, source, true);
    return n.ok() ? *n : 0;
  };
  REQUIRE(WaitFor([&] { return rows_of("crm") == 400; }, std::chrono::seconds(60)));

  // A second connector appears after a reload.
  std::string second = f.ConfigYaml() +
                       "  - name: crm2\n"
                       "    type: hubspot\n"
                       "    base_url: " +
                       f.sim.base_url() +
                       "\n"
                       "    auth: {token: \"${TEST_HUBSPOT_TOKEN}\"}\n"
                       "    rate_limit: off\n";
  WriteFile(f.config_path, second);
  daemon.Signal(SIGHUP);
  REQUIRE(WaitFor([&] { return rows_of("crm2") == 400; }, std::chrono::seconds(60)));

  // An invalid config is refused whole; the daemon keeps running.
  WriteFile(f.config_path, second + "    bogus_key: 1\n");
  daemon.Signal(SIGHUP);
  REQUIRE(WaitFor([&] { return daemon.Stderr().find("reload failed") != std::string::npos; },
                  std::chrono::seconds(10)));
  CHECK_THAT(daemon.Stderr(), Catch::Contains(f.config_path + ":"));
  CHECK(daemon.running());

  // A rule `check` refuses (a path no snapshot has) is refused by a reload too.
  WriteFile(f.config_path, second +
                               "alerts:\n"
                               "  rules:\n"
                               "    - name: typo\n"
                               "      when: funnel.leeds > 0\n");
  daemon.Signal(SIGHUP);
  REQUIRE(WaitFor([&] { return daemon.Stderr().find("(typo): when:") != std::string::npos; },
                  std::chrono::seconds(10)));
  CHECK_THAT(daemon.Stderr(), Catch::Contains("reload: " + f.config_path + ":"));
  CHECK(daemon.running());
  daemon.Signal(SIGTERM);
  CHECK(daemon.Wait(std::chrono::seconds(10)) == 0);
}

TEST_CASE("check refuses a token_file that is a FIFO at once instead of waiting for a writer",
          "[cli]") {
  TempDir dir;
  REQUIRE(mkfifo(dir.File("token").c_str(), 0600) == 0);
  const std::string config = dir.File("config.yaml");
  WriteFile(config,
            "store:\n  path: " + dir.File("s.db") +
                "\nconnectors:\n  - name: crm\n    type: hubspot\n    auth:\n      token_file: "
                "token\n");
  // A regression blocks in open(2): the timeout ends it and the check fails.
  const auto began = std::chrono::steady_clock::now();
  RunResult r = RunProcess({kBinary, "--config", config, "check"}, std::chrono::seconds(20));
  CHECK(std::chrono::steady_clock::now() - began < std::chrono::seconds(10));
  CHECK(r.exit_code == 2);
  CHECK(r.err == config + ":7:19: connectors[0].auth.token_file: cannot read '" +
                     dir.File("token") + "': it is a FIFO; give a regular file\n");
}

TEST_CASE(
    "audit refuses a --from before 1980 or a window over 1000 weeks, open-ended or not, with exit "
    "2",
    "[cli]") {
  TempDir dir;
  const std::string config = dir.File("config.yaml");
  WriteFile(config, "store:\n  path: " + dir.File("s.db") + "\n");
  RunResult ancient = RunProcess(
      {kBinary, "--config", config, "audit", "--from", "0001-01-01", "--format", "json"});
  CHECK(ancient.exit_code == 2);
  CHECK_THAT(ancient.err,
             Catch::Contains("the window start 0001-01-01T00:00:00.000Z lies outside"));
  CHECK(ancient.out.empty());
  RunResult long_window = RunProcess({kBinary, "--config", config, "audit", "--from", "1990-01-01",
                                      "--to", "2026-01-01", "--format", "json"});
  CHECK(long_window.exit_code == 2);
  CHECK_THAT(long_window.err, Catch::Contains("the window spans 1879 weeks; an audit covers at "
                                              "most 1000: choose a later start or audit.period: "
                                              "month"));
  // Without --to the window ends now, and the start is checked against that.
  RunResult open_end = RunProcess(
      {kBinary, "--config", config, "audit", "--from", "1990-01-01", "--format", "json"});
  CHECK(open_end.exit_code == 2);
  CHECK_THAT(open_end.err, Catch::Contains("an audit covers at most 1000"));
}

}  // namespace
}  // namespace salesaudit::testing
