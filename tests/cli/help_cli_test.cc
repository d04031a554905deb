// The binary's help: `--help` / `-h` / `help COMMAND` for every command and
// subcommand, unknown options pointing at that help, and the man page and
// bash completion the build renders from the same command table. The real
// binary, man (man-db), groff and bash.
#include <algorithm>
#include <catch2/catch.hpp>
#include <map>
#include <string>
#include <vector>

#include "tests/support/subprocess.h"

namespace salesaudit::testing {
namespace {

const std::string kBinary = SALESAUDIT_BINARY;
const std::string kManPage = SALESAUDIT_MAN_PAGE;
const std::string kCompletion = SALESAUDIT_BASH_COMPLETION;

// Every command and subcommand of the CLI contract (docs/contracts.md) with
// the options it takes, written out here rather than read from the table so
// that a command or option the table drops fails.
const std::map<std::string, std::vector<std::string>> kCommands = {
    {"check", {"--online"}},
    {"sync", {"--connector", "--stream", "--full", "--dry-run"}},
    {"audit", {"--from", "--to", "--format", "--out"}},
    {"forecast", {"--leads", "--channel", "--spend", "--from", "--to", "--format"}},
    {"status", {"--format"}},
    {"alerts", {"--format"}},
    {"alerts test", {"--format"}},
    {"silence add", {"--for", "--until", "--comment", "--author"}},
    {"silence list", {"--all", "--format"}},
    {"silence expire", {}},
    {"store check", {}},
    {"store backup", {}},
    {"connectors", {"--format"}},
    {"run", {}},
    {"help", {}}};

std::vector<std::string> Words(const std::string& text) {
  std::vector<std::string> words;
  size_t start = 0;
  while (start <= text.size()) {
    const size_t end = std::min(text.find(' ', start), text.size());
    if (end > start) words.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return words;
}

// `salesaudit WORDS... --config /nonexistent`: help never reads the config.
RunResult Salesaudit(std::vector<std::string> words) {
  words.insert(words.begin(), kBinary);
  words.insert(words.end(), {"--config", "/nonexistent/config.yaml"});
  return RunProcess(words, std::chrono::seconds(30));
}

TEST_CASE("Every command answers --help and -h on stdout with its usage, options and exit status",
          "[cli][help]") {
  for (const auto& [command, options] : kCommands) {
    INFO(command);
    std::vector<std::string> words = Words(command);
    words.push_back("--help");
    const RunResult help = Salesaudit(words);
    CHECK(help.exit_code == 0);
    CHECK(help.err.empty());
    CHECK_THAT(help.out, Catch::StartsWith("usage: salesaudit ") && Catch::Contains(command) &&
                             Catch::Contains("\noptions:\n") && Catch::Contains("-h, --help") &&
                             Catch::Contains("\nexit status: 0 "));
    for (const std::string& option : options) {
      INFO(option);
      CHECK_THAT(help.out, Catch::Contains("\n  " + option + " "));
    }
    words.back() = "-h";
    CHECK(Salesaudit(words).out == help.out);
    words.pop_back();
    words.insert(words.begin(), "help");
    const RunResult help_command = Salesaudit(words);
    CHECK(help_command.exit_code == 0);
    CHECK(help_command.out == help.out);
  }
}

TEST_CASE("Help names each option's default and the commands' own exit codes", "[cli][help]") {
  const RunResult sync = Salesaudit({"sync", "--help"});
  CHECK_THAT(sync.out, Catch::Contains("(default: every connector)") &&
                           Catch::Contains("exit status: 0 every stream synced, 1 any failed"));
  const RunResult audit = Salesaudit({"help", "audit"});
  CHECK_THAT(audit.out,
             Catch::Contains("--format text|json|html") && Catch::Contains("(default: text)"));
  CHECK_THAT(Salesaudit({"check", "-h"}).out,
             Catch::Contains("exit status: 0 valid (and, --online, all answered), 1 a connector "
                             "or receiver\n  failed online, 2 invalid"));
  CHECK_THAT(Salesaudit({"sync", "--help"}).out,
             Catch::Contains("--config FILE") &&
                 Catch::Contains("(default: /etc/salesaudit/config.yaml)"));
}

TEST_CASE("A command with subcommands lists them in its help", "[cli][help]") {
  for (const auto& [group, subcommands] :
       std::map<std::string, std::vector<std::string>>{{"silence", {"add", "list", "expire"}},
                                                       {"store", {"check", "backup"}},
                                                       {"alerts", {"test"}}}) {
    INFO(group);
    const RunResult help = Salesaudit({group, "--help"});
    CHECK(help.exit_code == 0);
    for (const std::string& sub : subcommands) {
      CHECK_THAT(help.out, Catch::Contains("\n  " + group + " " + sub));
    }
    CHECK(Salesaudit({"help", group}).out == help.out);
  }
}

TEST_CASE("salesaudit --help lists every command and the global options, exit 0", "[cli][help]") {
  const RunResult help = RunProcess({kBinary, "--help"});
  CHECK(help.exit_code == 0);
  for (const auto& [command, options] : kCommands) {
    CHECK_THAT(help.out, Catch::Contains("\n  " + command));
  }
  CHECK_THAT(help.out, Catch::Contains("--config FILE") && Catch::Contains("--version"));
  CHECK(RunProcess({kBinary, "help"}).out == help.out);
  CHECK(RunProcess({kBinary, "-h"}).out == help.out);
  // Without a command the same text goes to stderr, with exit 2.
  const RunResult bare = RunProcess({kBinary});
  CHECK(bare.exit_code == 2);
  CHECK(bare.err == help.out);
}

TEST_CASE(
    "An unknown option or subcommand fails with exit 2, naming the command and pointing at its "
    "help",
    "[cli][help]") {
  RunResult r = Salesaudit({"sync", "--ful"});
  CHECK(r.exit_code == 2);
  CHECK(r.out.empty());
  CHECK(r.err ==
        "salesaudit sync: unknown argument '--ful'; did you mean '--full'? (see salesaudit sync "
        "--help)\n");
  r = Salesaudit({"silence", "list", "--flavour", "x"});
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.err, Catch::StartsWith("salesaudit silence list: unknown argument '--flavour'") &&
                        Catch::Contains("(see salesaudit silence list --help)"));
  r = Salesaudit({"check", "extra"});
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.err, Catch::Contains("'extra'") && Catch::Contains("salesaudit check --help"));
  r = Salesaudit({"snyc"});
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.err, Catch::Contains("'snyc'") && Catch::Contains("did you mean 'sync'?"));
  r = Salesaudit({"silence"});
  CHECK(r.exit_code == 2);
  CHECK(r.err ==
        "salesaudit silence: needs a subcommand (expected `silence add MATCHER...`, `silence "
        "list` or `silence expire ID`; see salesaudit silence --help)\n");
  r = Salesaudit({"help", "frobnicate"});
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.err, Catch::Contains("'frobnicate'"));
}

TEST_CASE("silence add refuses a matcher whose operator is mistyped before anything is stored",
          "[cli][alerts]") {
  for (const std::string matcher : {"alertname==lead-shortfall", "team!==sales", "team=!sales"}) {
    INFO(matcher);
    const RunResult r = Salesaudit({"silence", "add", matcher, "--for", "1h"});
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err, Catch::StartsWith("salesaudit silence add: matcher '" + matcher + "'") &&
                          Catch::Contains("mistyped operator"));
  }
}

TEST_CASE("The man page has every command and option and man reads it without a warning",
          "[cli][help]") {
  const RunResult man = RunProcess({"/usr/bin/man", "--warnings", "-l", kManPage + ".gz"},
                                   std::chrono::seconds(30), {{"MANWIDTH", "80"}, {"LC_ALL", "C"}});
  INFO(man.err);
  CHECK(man.exit_code == 0);
  CHECK(man.err.empty());
  CHECK_THAT(man.out, Catch::Contains("SALESAUDIT(1)") && Catch::Contains("EXIT STATUS"));
  for (const auto& [command, options] : kCommands) {
    INFO(command);
    CHECK_THAT(man.out, Catch::Contains("salesaudit [--config FILE] " + command) ||
                            Catch::Contains("salesaudit " + command));
    for (const std::string& option : options) CHECK_THAT(man.out, Catch::Contains(option));
  }
  // The page says what the help says: the sync option's meaning word for word.
  CHECK_THAT(man.out, Catch::Contains("sync only this connector (default: every connector)"));
}

// What the completion offers for `line` (the words typed, the last one
// being completed), run in bash as bash-completion would.
std::string Completions(const std::string& line) {
  const std::string script = "source '" + kCompletion + "' && COMP_WORDS=(" + line +
                             ") && COMP_CWORD=$((${#COMP_WORDS[@]} - 1)) && _salesaudit && "
                             "printf '%s\\n' \"${COMPREPLY[@]}\" | sort | tr '\\n' ' '";
  const RunResult r = RunProcess({"/bin/bash", "-c", script}, std::chrono::seconds(30));
  INFO(line << ": " << r.err);
  CHECK(r.exit_code == 0);
  CHECK(r.err.empty());
  return r.out;
}

TEST_CASE("The bash completion is valid bash and completes commands, subcommands and options",
          "[cli][help]") {
  const RunResult syntax = RunProcess({"/bin/bash", "-n", kCompletion});
  INFO(syntax.err);
  CHECK(syntax.exit_code == 0);
  CHECK(Completions("salesaudit sy") == "sync ");
  CHECK(Completions("salesaudit s") == "silence status store sync ");
  CHECK(Completions("salesaudit --config x.yaml silence ''") == "add expire list ");
  CHECK(Completions("salesaudit sync --f") == "--full ");
  CHECK(Completions("salesaudit audit --format ''") == "html json text ");
  CHECK(Completions("salesaudit silence add --") ==
        "--author --comment --config --for --help --until ");
  CHECK(Completions("salesaudit help st") == "status store ");
  CHECK(Completions("salesaudit sync --stream mem") == "members ");
}

TEST_CASE("The bash completion offers the connector names of the config in use", "[cli][help]") {
  TempDir dir;
  const std::string config = dir.File("config.yaml");
  WriteFile(config,
            "store:\n  path: x.db\n"
            "connectors:\n"
            "  - name: crm-eu\n    type: hubspot\n"
            "  - name: \"news\"\n    type: mailchimp\n"
            "team:\n  reps: 2\n");
  CHECK(Completions("salesaudit sync --config " + config + " --connector ''") == "crm-eu news ");
  CHECK(Completions("salesaudit --config " + config + " sync --connector c") == "crm-eu ");
}

}  // namespace
}  // namespace salesaudit::testing
