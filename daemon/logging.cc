#include "daemon/logging.h"

#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <memory>
#include <mutex>

#include "core/secret_registry.h"
#include "core/text_util.h"
#include "core/time_util.h"

namespace salesaudit {
namespace {

LogLevel FromSpdlogLevel(spdlog::level::level_enum level) {
  switch (level) {
    case spdlog::level::trace:
      return LogLevel::kTrace;
    case spdlog::level::debug:
      return LogLevel::kDebug;
    case spdlog::level::info:
      return LogLevel::kInfo;
    case spdlog::level::warn:
      return LogLevel::kWarning;
    case spdlog::level::err:
      return LogLevel::kError;
    default:
      return LogLevel::kCritical;
  }
}

// spdlog's own level names, so text lines read as they always have.
const char* LevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kTrace:
      return "trace";
    case LogLevel::kDebug:
      return "debug";
    case LogLevel::kInfo:
      return "info";
    case LogLevel::kWarning:
      return "warning";
    case LogLevel::kError:
      return "error";
    case LogLevel::kCritical:
      return "critical";
  }
  return "info";
}

// sd-daemon(3): LOG_CRIT, LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG.
const char* JournalPriority(LogLevel level) {
  switch (level) {
    case LogLevel::kTrace:
    case LogLevel::kDebug:
      return "<7>";
    case LogLevel::kInfo:
      return "<6>";
    case LogLevel::kWarning:
      return "<4>";
    case LogLevel::kError:
      return "<3>";
    case LogLevel::kCritical:
      return "<2>";
  }
  return "<6>";
}

// "2024-01-10T10:15:30.234+01:00": what the spdlog pattern
// "%Y-%m-%dT%H:%M:%S.%e%z" wrote before the sink formatted lines itself.
std::string LocalIsoMs(int64_t time_ms) {
  int64_t ms = time_ms % 1000;
  int64_t seconds = time_ms / 1000;
  if (ms < 0) {
    ms += 1000;
    --seconds;
  }
  const time_t t = static_cast<time_t>(seconds);
  tm local{};
  localtime_r(&t, &local);
  char date[32];
  strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S", &local);
  const long offset_minutes = local.tm_gmtoff / 60;
  const long magnitude = offset_minutes < 0 ? -offset_minutes : offset_minutes;
  char out[64];
  snprintf(out, sizeof out, "%s.%03lld%c%02ld:%02ld", date, static_cast<long long>(ms),
           offset_minutes < 0 ? '-' : '+', magnitude / 60, magnitude % 60);
  return out;
}

void AppendJsonString(std::string& out, std::string_view text) {
  out += '"';
  for (size_t i = 0; i < text.size();) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
      ++i;
    } else if (c < 0x20 || c == 0x7F) {
      // DEL is legal JSON, but escaping it keeps terminal controls out of
      // anyone's `tail -f`, like the C0 characters JSON requires escaping.
      char escaped[8];
      snprintf(escaped, sizeof escaped, "\\u%04x", c);
      out += escaped;
      ++i;
    } else if (size_t length = Utf8SequenceLength(text, i); length > 0) {
      out.append(text.substr(i, length));
      i += length;
    } else {
      out += "\\ufffd";
      ++i;
    }
  }
  out += '"';
}

// Writes each record with FormatLogLine; spdlog's pattern formatter is unused.
class RedactingStderrSink : public spdlog::sinks::base_sink<std::mutex> {
 public:
  void SetFormat(LogFormat format) {
    std::lock_guard<std::mutex> lock(mutex_);
    format_ = format;
  }
  void SetJournald(bool journald) {
    std::lock_guard<std::mutex> lock(mutex_);
    journald_ = journald;
  }

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    const int64_t time_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(msg.time.time_since_epoch()).count();
    const std::string line =
        FormatLogLine(format_, journald_, FromSpdlogLevel(msg.level), time_ms,
                      std::string_view(msg.payload.data(), msg.payload.size()), ProcessSecrets());
    fwrite(line.data(), 1, line.size(), stderr);
  }
  void flush_() override { fflush(stderr); }

 private:
  // Guarded by base_sink's mutex_, which spdlog holds around sink_it_.
  LogFormat format_ = LogFormat::kText;
  bool journald_ = false;
};

std::shared_ptr<RedactingStderrSink>& Sink() {
  static auto sink = std::make_shared<RedactingStderrSink>();
  return sink;
}

}  // namespace

std::string FormatLogLine(LogFormat format, bool journald, LogLevel level, int64_t time_ms,
                          std::string_view message, const SecretRegistry& secrets) {
  const std::string redacted = secrets.Redact(message);
  std::string line = journald ? JournalPriority(level) : "";
  if (format == LogFormat::kJson) {
    line += "{\"time\":\"" + FormatIsoMs(time_ms) + "\",\"level\":\"" + LevelName(level) +
            "\",\"message\":";
    AppendJsonString(line, redacted);
    line += "}\n";
    return line;
  }
  if (!journald) line += LocalIsoMs(time_ms) + " ";
  line += std::string("[") + LevelName(level) + "] " + EscapeControlCharacters(redacted) + "\n";
  return line;
}

bool IsJournalStream(int fd) {
  const char* value = std::getenv("JOURNAL_STREAM");
  if (value == nullptr) return false;
  unsigned long long device = 0;
  unsigned long long inode = 0;
  char rest = 0;
  if (sscanf(value, "%llu:%llu%c", &device, &inode, &rest) != 2) return false;
  struct stat st {};
  if (fstat(fd, &st) != 0) return false;
  return static_cast<unsigned long long>(st.st_dev) == device &&
         static_cast<unsigned long long>(st.st_ino) == inode;
}

void SetupLogging(const std::string& level) {
  Sink()->SetJournald(IsJournalStream(STDERR_FILENO));
  Sink()->SetFormat(LogFormat::kText);
  auto logger = std::make_shared<spdlog::logger>("salesaudit", Sink());
  logger->flush_on(spdlog::level::trace);
  spdlog::set_default_logger(logger);
  SetLogLevel(level);
}

void SetLogLevel(const std::string& level) {
  auto parsed = spdlog::level::from_str(level);
  if (parsed == spdlog::level::off && level != "off") return;
  spdlog::set_level(parsed);
}

void SetLogFormat(const std::string& format) {
  if (format == "text") {
    Sink()->SetFormat(LogFormat::kText);
  } else if (format == "json") {
    Sink()->SetFormat(LogFormat::kJson);
  }
}

}  // namespace salesaudit
