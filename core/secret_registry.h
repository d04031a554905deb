// SecretRegistry: the secret values a process holds (configured credentials,
// tokens obtained at run time, the form values sent to token endpoints) and
// Redact, which replaces each of them in a text with "[redacted]". Text that
// leaves the process or reaches the store passes through Redact at a few
// choke points: the log sink, vendor error text (ClassifyHttpResponse), the
// sync engine's summaries and stored errors, the notifier's stored delivery
// errors and the status report.
//
// A secret is matched in the forms a vendor may echo it in: as sent, URL
// (form) encoded, and JSON-escaped (with and without "\/" for '/'). A secret
// of kMinAnywhereLength characters or more is redacted wherever it occurs; a
// shorter one only where it stands as a whole word (no letter or digit
// either side), so that a four-letter password does not shred every word it
// occurs in.
//
// Ownership: ProcessSecrets() is the process-wide instance; tests may make
// their own. Threading: every method is safe from any thread; Redact works on
// an immutable snapshot and never waits for Add or Replace beyond copying
// one pointer.
//
//   ProcessSecrets().Add(config.auth.at("client_secret"));
//   ProcessSecrets().Replace("hubspot[crm]: access token", token);
//   spdlog::error("{}", ProcessSecrets().Redact(message));
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace salesaudit {

class SecretRegistry {
 public:
  static constexpr size_t kMinAnywhereLength = 8;
  static constexpr std::string_view kMarker = "[redacted]";

  // Redacts `secret` from now on, for the life of the process. Empty values
  // are ignored; adding one twice is a no-op.
  void Add(std::string_view secret);

  // Redacts `secret` under `slot` (e.g. one connector's access token) in
  // place of the value the slot held: a token refreshed every 30 minutes
  // keeps one entry, not one per refresh.
  void Replace(const std::string& slot, std::string_view secret);

  // `text` with every occurrence of every secret (in each of its forms)
  // replaced by kMarker; longer secrets first, so a secret is redacted whole
  // before any secret it contains.
  std::string Redact(std::string_view text) const;

 private:
  // One form of one secret, as searched for.
  struct Pattern {
    std::string text;
    bool whole_word;
  };
  using Patterns = std::vector<Pattern>;
  void Rebuild();  // REQUIRES: mu_ held

  mutable std::mutex mu_;
  std::vector<std::string> added_;             // guarded by mu_
  std::map<std::string, std::string> slots_;   // guarded by mu_
  std::shared_ptr<const Patterns> patterns_ =  // guarded by mu_ (the pointer)
      std::make_shared<const Patterns>();
};

// The process-wide registry.
SecretRegistry& ProcessSecrets();

}  // namespace salesaudit
