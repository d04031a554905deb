// Process-wide logging on spdlog: one stderr sink that redacts every secret
// the process holds (ProcessSecrets) from each record, then writes it as one
// text line or one JSON object per line (log.format). Called from main() and the daemon's reload;
// the sink itself is thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/secret_registry.h"

namespace salesaudit {

enum class LogFormat { kText, kJson };

enum class LogLevel { kTrace, kDebug, kInfo, kWarning, kError, kCritical };

// Installs the redacting stderr logger as spdlog's default, in text format.
// When stderr is the journald stream (IsJournalStream), lines carry a syslog
// priority prefix and text lines no timestamp: journald adds its own.
void SetupLogging(const std::string& level);

// "trace" "debug" "info" "warn" "error"; unknown levels keep the current one.
void SetLogLevel(const std::string& level);

// "text" or "json"; unknown formats keep the current one.
void SetLogFormat(const std::string& format);

// One record exactly as the sink writes it, '\n' included. Secrets are
// removed from `message` first, so escaping cannot hide one from redaction.
// Text lines show control characters escaped (EscapeControlCharacters): a
// vendor's "\x1b[2J" in an error cannot clear the terminal or split a line.
//   text:     2024-01-10T10:15:30.234+01:00 [info] message   (local time)
//   json:     {"time":"2024-01-10T09:15:30.234Z","level":"info","message":"..."}
// With `journald` both start with the sd-daemon(3) priority ("<6>"), which
// journald strips and records, and text lines drop the timestamp. JSON
// strings escape quotes, backslashes and control characters (\u00XX); valid
// UTF-8 passes through and each invalid byte becomes \ufffd, so every line
// parses as JSON whatever a vendor sent.
std::string FormatLogLine(LogFormat format, bool journald, LogLevel level, int64_t time_ms,
                          std::string_view message, const SecretRegistry& secrets);

// True when `fd` is the stream JOURNAL_STREAM ("DEVICE:INODE", systemd.exec(5))
// names. Comparing with fstat rather than trusting the variable alone keeps a
// child that inherited it but writes to a file or pipe in the plain format.
bool IsJournalStream(int fd);

}  // namespace salesaudit
