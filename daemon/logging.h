// Process-wide logging on spdlog: one stderr sink that redacts every known
// secret value from each line before it is written. Called from main() and
// the daemon's reload; the sink itself is thread-safe.
#pragma once

#include <string>
#include <vector>

namespace salesaudit {

// Installs the redacting stderr logger as spdlog's default. Under journald
// (JOURNAL_STREAM set) lines carry no timestamp, journald adds its own.
void SetupLogging(const std::string& level);

// Replaces the secret values redacted from log lines (empty strings ignored).
void SetLogSecrets(const std::vector<std::string>& secrets);

// "trace" "debug" "info" "warn" "error"; unknown levels keep the current one.
void SetLogLevel(const std::string& level);

// Replaces each occurrence of a secret in `text` with "[redacted]".
std::string RedactSecrets(std::string text, const std::vector<std::string>& secrets);

}  // namespace salesaudit
