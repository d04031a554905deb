// Small text helpers shared by the parts that render or read text. Pure
// functions; thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace salesaudit {

// `parts` with `separator` between each two.
std::string Join(const std::vector<std::string>& parts, std::string_view separator);

// `s` without leading and trailing ASCII whitespace.
std::string_view TrimSpace(std::string_view s);

// `s` safe inside HTML text and attribute values: & < > " ' escaped.
std::string HtmlEscape(std::string_view s);

// `value` percent-encoded for a URL query or a form body: every byte but the
// RFC 3986 unreserved characters as %XX (upper-case hex).
std::string UrlEncode(std::string_view value);

// Length of the well-formed UTF-8 sequence starting at text[i] (RFC 3629:
// no overlong forms, no surrogates, nothing above U+10FFFF), or 0.
// REQUIRES: i < text.size().
size_t Utf8SequenceLength(std::string_view text, size_t i);

// `s` safe to print on a terminal: C0 controls (newline and tab included)
// and DEL as "\xNN" (ESC is "\x1b"), C1 controls (U+0080..U+009F) as
// "\u00NN", and bytes that are not well-formed UTF-8 as "\xNN", so vendor
// text can neither move the cursor, clear the screen, retitle the window nor
// break a line; other text, valid UTF-8 included, is unchanged.
std::string EscapeControlCharacters(std::string_view s);

// `s` as a whole number when it is 1 to `max_digits` decimal digits and
// nothing else (no sign, no spaces); nullopt otherwise.
std::optional<int64_t> ParseDigits(std::string_view s, size_t max_digits);

// An email address as a person writes it: "name@example.com", or with a
// display name, "Sales audit <name@example.com>" (quotes around the name are
// dropped). nullopt for anything else: no '@' or more than one, empty local
// part or domain, spaces, control characters, or <>(),;:"[]\ inside the
// address; control characters, <>" or \ in the name.
struct Mailbox {
  std::string display_name;  // empty when none was given
  std::string address;       // the addr-spec the SMTP envelope carries
};
std::optional<Mailbox> ParseMailbox(std::string_view text);

// Edit distance counting an adjacent transposition as one edit, so that
// "tokne" is as close to "token" as a single typo.
size_t EditDistance(std::string_view a, std::string_view b);

// The candidate `word` is most likely a typo of: the nearest within one edit
// for words of up to 4 characters, two for longer ones; nullopt when none is
// that near (the "did you mean" of config and command-line errors).
template <typename Names>
std::optional<std::string> LikelyTypoOf(std::string_view word, const Names& candidates) {
  const size_t limit = word.size() <= 4 ? 1 : 2;
  std::optional<std::string> best;
  size_t best_distance = limit + 1;
  for (std::string_view candidate : candidates) {
    const size_t distance = EditDistance(word, candidate);
    if (distance < best_distance) {
      best_distance = distance;
      best = std::string(candidate);
    }
  }
  return best;
}

}  // namespace salesaudit
