#include "core/secret_registry.h"

#include <algorithm>
#include <cctype>

#include "core/text_util.h"

namespace salesaudit {
namespace {

bool IsWordCharacter(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; }

// `secret` as a JSON string's content; with `escape_slash`, '/' as "\/"
// (PHP's json_encode, and so some vendors, write it so).
std::string JsonEscaped(std::string_view secret, bool escape_slash) {
  std::string out;
  for (char c : secret) {
    if (c == '"' || c == '\\' || (escape_slash && c == '/')) out += '\\';
    out += c;
  }
  return out;
}

}  // namespace

void SecretRegistry::Add(std::string_view secret) {
  if (secret.empty()) return;
  std::lock_guard<std::mutex> lock(mu_);
  if (std::find(added_.begin(), added_.end(), secret) != added_.end()) return;
  added_.emplace_back(secret);
  Rebuild();
}

void SecretRegistry::Replace(const std::string& slot, std::string_view secret) {
  std::lock_guard<std::mutex> lock(mu_);
  auto [it, inserted] = slots_.try_emplace(slot, secret);
  if (!inserted) {
    if (it->second == secret) return;
    it->second = secret;
  }
  Rebuild();
}

void SecretRegistry::Rebuild() {
  auto patterns = std::make_shared<Patterns>();
  auto add_forms = [&](const std::string& secret) {
    if (secret.empty()) return;
    const bool whole_word = secret.size() < kMinAnywhereLength;
    for (std::string form :
         {secret, UrlEncode(secret), JsonEscaped(secret, false), JsonEscaped(secret, true)}) {
      const bool known = std::any_of(patterns->begin(), patterns->end(),
                                     [&](const Pattern& p) { return p.text == form; });
      if (!known) patterns->push_back(Pattern{std::move(form), whole_word});
    }
  };
  for (const std::string& secret : added_) add_forms(secret);
  for (const auto& [slot, secret] : slots_) add_forms(secret);
  std::stable_sort(patterns->begin(), patterns->end(), [](const Pattern& a, const Pattern& b) {
    return a.text.size() > b.text.size();
  });
  patterns_ = std::move(patterns);
}

std::string SecretRegistry::Redact(std::string_view text) const {
  std::shared_ptr<const Patterns> patterns;
  {
    std::lock_guard<std::mutex> lock(mu_);
    patterns = patterns_;
  }
  std::string out(text);
  for (const Pattern& pattern : *patterns) {
    for (size_t at = out.find(pattern.text); at != std::string::npos;) {
      const size_t end = at + pattern.text.size();
      if (pattern.whole_word && ((at > 0 && IsWordCharacter(out[at - 1])) ||
                                 (end < out.size() && IsWordCharacter(out[end])))) {
        at = out.find(pattern.text, at + 1);
        continue;
      }
      out.replace(at, pattern.text.size(), kMarker);
      // Resume after the marker: a secret that occurs in the marker itself
      // would otherwise be found and replaced again forever.
      at = out.find(pattern.text, at + kMarker.size());
    }
  }
  return out;
}

SecretRegistry& ProcessSecrets() {
  static SecretRegistry* registry = new SecretRegistry();  // used by logging until exit
  return *registry;
}

}  // namespace salesaudit
