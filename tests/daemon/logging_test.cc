// Log line formats: text for people, JSON for log shippers, both with the
// journald priority prefix when stderr is the journal, and secrets redacted
// before any escaping. FormatLogLine is pure; the sink tests write through
// spdlog to a file standing in for stderr.
#include "daemon/logging.h"

#include <fcntl.h>
#include <rapidjson/document.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <optional>
#include <regex>

#include "tests/support/scoped_env.h"
#include "tests/support/subprocess.h"

namespace salesaudit::testing {
namespace {

// 2024-01-10T09:15:30.234Z
constexpr int64_t kTime = 1704878130234;
const std::string kJsonTime = "{\"time\":\"2024-01-10T09:15:30.234Z\",";

std::string Json(LogLevel level, std::string_view message, const SecretRegistry& secrets = {}) {
  return FormatLogLine(LogFormat::kJson, false, level, kTime, message, secrets);
}

TEST_CASE("JSON log lines escape quotes, backslashes and control characters", "[logging]") {
  struct Case {
    std::string message;
    std::string expected;  // the "message" value as written
  };
  const std::vector<Case> cases = {
      {"hello", R"("hello")"},
      {"", R"("")"},
      {R"(say "hi")", R"("say \"hi\"")"},
      {R"(C:\dir\file)", R"("C:\\dir\\file")"},
      {"a\nb", R"("a\u000ab")"},
      {"tab\there\r\n", R"("tab\u0009here\u000d\u000a")"},
      {"\x1b[31mred\x1b[0m", R"("\u001b[31mred\u001b[0m")"},
      {std::string("nul\0byte", 8), R"("nul\u0000byte")"},
      {"del\x7f", R"("del\u007f")"},
      {"\"\\\"", R"("\"\\\"")"},
  };
  for (const auto& c : cases) {
    INFO(c.message);
    CHECK(Json(LogLevel::kInfo, c.message) ==
          kJsonTime + R"("level":"info","message":)" + c.expected + "}\n");
  }
}

TEST_CASE("JSON log lines pass valid UTF-8 through and replace each invalid byte", "[logging]") {
  struct Case {
    std::string message;
    std::string expected;
  };
  const std::vector<Case> cases = {
      {"M\xc3\xbcller", "\"M\xc3\xbcller\""},                 // 2-byte
      {"\xe2\x82\xac 5", "\"\xe2\x82\xac 5\""},               // 3-byte
      {"\xf0\x9f\x98\x80", "\"\xf0\x9f\x98\x80\""},           // 4-byte
      {"\xe2\x80\xa8", "\"\xe2\x80\xa8\""},                   // U+2028 is legal JSON
      {"a\xff z", R"("a\ufffd z")"},                          // never a lead byte
      {"cut \xc3", R"("cut \ufffd")"},                        // truncated at the end
      {"\xe2\x82x", R"("\ufffd\ufffdx")"},                    // truncated in the middle
      {"\xc0\xaf", R"("\ufffd\ufffd")"},                      // overlong '/'
      {"\xed\xa0\x80", R"("\ufffd\ufffd\ufffd")"},            // UTF-16 surrogate
      {"\xf4\x90\x80\x80", R"("\ufffd\ufffd\ufffd\ufffd")"},  // above U+10FFFF
      {"\x80 lone continuation", R"("\ufffd lone continuation")"},
  };
  for (const auto& c : cases) {
    INFO(c.message);
    CHECK(Json(LogLevel::kInfo, c.message) ==
          kJsonTime + R"("level":"info","message":)" + c.expected + "}\n");
  }
}

TEST_CASE("Every JSON log line is one line that a strict parser reads back to the message",
          "[logging]") {
  std::string all_bytes;
  for (int b = 0; b < 256; ++b) all_bytes += static_cast<char>(b);
  const std::vector<std::string> messages = {
      "plain",
      "multi\nline\nbody: <html>\r\n<title>502 Bad Gateway</title>",
      R"({"status":"error","message":"You have reached your ten_secondly_rolling limit."})",
      "M\xc3\xbcller \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x98\x80",
      all_bytes,
  };
  for (const auto& message : messages) {
    const std::string line = Json(LogLevel::kWarning, message);
    INFO(line);
    REQUIRE(line.back() == '\n');
    CHECK(line.find('\n') == line.size() - 1);
    rapidjson::Document doc;
    doc.Parse<rapidjson::kParseValidateEncodingFlag>(line.c_str(), line.size() - 1);
    REQUIRE_FALSE(doc.HasParseError());
    REQUIRE(doc.IsObject());
    CHECK(doc.MemberCount() == 3);
    CHECK(std::string(doc["time"].GetString()) == "2024-01-10T09:15:30.234Z");
    CHECK(std::string(doc["level"].GetString()) == "warning");
    const std::string parsed(doc["message"].GetString(), doc["message"].GetStringLength());
    if (message != all_bytes) CHECK(parsed == message);
  }
}

TEST_CASE("Secrets are redacted before escaping, in both formats", "[logging]") {
  // A secret with characters JSON escapes: searched for after escaping it
  // would no longer match.
  SecretRegistry secrets;
  for (const char* secret : {"pat-na1-abc\"d\\ef", "", "s3cr3t"}) secrets.Add(secret);
  const std::string message = "GET /x?key=s3cr3t failed; token pat-na1-abc\"d\\ef rejected";
  CHECK(
      Json(LogLevel::kError, message, secrets) ==
      kJsonTime +
          R"("level":"error","message":"GET /x?key=[redacted] failed; token [redacted] rejected"})" +
          "\n");
  CHECK(FormatLogLine(LogFormat::kText, true, LogLevel::kError, kTime, message, secrets) ==
        "<3>[error] GET /x?key=[redacted] failed; token [redacted] rejected\n");
  const std::string text =
      FormatLogLine(LogFormat::kText, false, LogLevel::kError, kTime, message, secrets);
  CHECK_THAT(text, !Catch::Contains("s3cr3t") && !Catch::Contains("pat-na1"));
}

TEST_CASE("Text log lines show control characters escaped, one record per line", "[logging]") {
  // A vendor's error text must not clear the terminal, retitle it or forge
  // a second log line.
  const std::string message = "HTTP 500: \x1b[2J\x1b]0;owned\x07 next\n[error] forged \xc2\x9b";
  CHECK(FormatLogLine(LogFormat::kText, true, LogLevel::kError, kTime, message, {}) ==
        "<3>[error] HTTP 500: \\x1b[2J\\x1b]0;owned\\x07 next\\x0a[error] forged \\u009b\n");
}

TEST_CASE("Under journald each line starts with the sd-daemon priority of its level", "[logging]") {
  struct Case {
    LogLevel level;
    std::string text;
    std::string json_level;
  };
  const std::vector<Case> cases = {
      {LogLevel::kTrace, "<7>[trace] m\n", "trace"},
      {LogLevel::kDebug, "<7>[debug] m\n", "debug"},
      {LogLevel::kInfo, "<6>[info] m\n", "info"},
      {LogLevel::kWarning, "<4>[warning] m\n", "warning"},
      {LogLevel::kError, "<3>[error] m\n", "error"},
      {LogLevel::kCritical, "<2>[critical] m\n", "critical"},
  };
  for (const auto& c : cases) {
    INFO(c.text);
    // Text: no timestamp, journald records its own.
    CHECK(FormatLogLine(LogFormat::kText, true, c.level, kTime, "m", {}) == c.text);
    // JSON keeps its time field; journald strips the prefix and stores the object.
    CHECK(FormatLogLine(LogFormat::kJson, true, c.level, kTime, "m", {}) ==
          c.text.substr(0, 3) + kJsonTime + "\"level\":\"" + c.json_level +
              "\",\"message\":\"m\"}\n");
    // Outside journald there is no prefix.
    CHECK(FormatLogLine(LogFormat::kJson, false, c.level, kTime, "m", {}).front() == '{');
  }
}

TEST_CASE("Text log lines carry the local time with its UTC offset and the level", "[logging]") {
  struct Case {
    std::string tz;
    std::string expected;
  };
  const std::vector<Case> cases = {
      {"UTC0", "2024-01-10T09:15:30.234+00:00 [info] hello\n"},
      {"IST-05:30", "2024-01-10T14:45:30.234+05:30 [info] hello\n"},
      {"NST03:30", "2024-01-10T05:45:30.234-03:30 [info] hello\n"},
  };
  for (const auto& c : cases) {
    INFO(c.tz);
    ScopedEnv tz("TZ", c.tz);
    CHECK(FormatLogLine(LogFormat::kText, false, LogLevel::kInfo, kTime, "hello", {}) ==
          c.expected);
  }
  // Milliseconds of a time before 1970 count forward from the earlier second.
  ScopedEnv tz("TZ", "UTC0");
  CHECK(FormatLogLine(LogFormat::kText, false, LogLevel::kWarning, -1, "x", {}) ==
        "1969-12-31T23:59:59.999+00:00 [warning] x\n");
}

TEST_CASE("Only the stream JOURNAL_STREAM names counts as the journal", "[logging]") {
  TempDir dir;
  const std::string path = dir.File("stream");
  WriteFile(path, "");
  const int fd = open(path.c_str(), O_WRONLY);
  REQUIRE(fd >= 0);
  struct stat st {};
  REQUIRE(fstat(fd, &st) == 0);
  const std::string matching = std::to_string(static_cast<unsigned long long>(st.st_dev)) + ":" +
                               std::to_string(static_cast<unsigned long long>(st.st_ino));
  {
    ScopedEnv env("JOURNAL_STREAM", matching);
    CHECK(IsJournalStream(fd));
  }
  for (const std::string& other :
       {std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino + 1), std::string("8:"),
        std::string("garbage"), matching + "x", std::string("")}) {
    INFO(other);
    ScopedEnv env("JOURNAL_STREAM", other);
    CHECK_FALSE(IsJournalStream(fd));
  }
  ScopedEnv unset("JOURNAL_STREAM", std::nullopt);
  CHECK_FALSE(IsJournalStream(fd));
  close(fd);
}

// Points this process's stderr at a file for one scope.
class CapturedStderr {
 public:
  explicit CapturedStderr(const std::string& path) : path_(path) {
    fflush(stderr);
    saved_ = dup(STDERR_FILENO);
    const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(fd, STDERR_FILENO);
    close(fd);
  }
  ~CapturedStderr() {
    fflush(stderr);
    dup2(saved_, STDERR_FILENO);
    close(saved_);
  }
  CapturedStderr(const CapturedStderr&) = delete;
  CapturedStderr& operator=(const CapturedStderr&) = delete;

 private:
  std::string path_;
  int saved_ = -1;
};

TEST_CASE("SetLogFormat switches the installed logger between text and JSON", "[logging]") {
  TempDir dir;
  const std::string path = dir.File("stderr");
  {
    ScopedEnv journal("JOURNAL_STREAM", std::nullopt);
    CapturedStderr captured(path);
    SetupLogging("info");
    ProcessSecrets().Add("hunter2");
    SetLogFormat("json");
    spdlog::warn("login \"{}\" failed with hunter2", "ann");
    SetLogFormat("yaml");  // unknown: keeps JSON
    spdlog::debug("below the level");
    spdlog::info("second");
    SetLogFormat("text");
    spdlog::error("back to text");
  }
  const std::string out = ReadFile(path);
  const std::regex expected(
      R"(\{"time":"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z","level":"warning","message":"login \\"ann\\" failed with \[redacted\]"\}
\{"time":"[^"]+","level":"info","message":"second"\}
\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d\d:\d\d \[error\] back to text
)");
  INFO(out);
  CHECK(std::regex_match(out, expected));
}

}  // namespace
}  // namespace salesaudit::testing
