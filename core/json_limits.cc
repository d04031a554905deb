#include "core/json_limits.h"

#include <cstring>
#include <string>

namespace salesaudit {
namespace {

// The offset of the quote that ends the string whose first byte is at
// `begin`, or text.size() when it never ends. Strings are most of a vendor
// page: memchr finds each quote, and a quote after an odd run of
// backslashes is escaped.
size_t StringEnd(std::string_view text, size_t begin) {
  size_t at = begin;
  while (at < text.size()) {
    const void* quote = std::memchr(text.data() + at, '"', text.size() - at);
    if (quote == nullptr) return text.size();
    const size_t q = static_cast<size_t>(static_cast<const char*>(quote) - text.data());
    size_t backslashes = 0;
    while (q - backslashes > begin && text[q - backslashes - 1] == '\\') ++backslashes;
    if (backslashes % 2 == 0) return q;
    at = q + 1;
  }
  return text.size();
}

}  // namespace

Status CheckJsonNesting(std::string_view text) {
  size_t depth = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    switch (text[i]) {
      case '"':
        i = StringEnd(text, i + 1);
        break;
      case '[':
      case '{':
        if (++depth > kMaxJsonDepth) {
          return Status::DataLoss("JSON nested deeper than " + std::to_string(kMaxJsonDepth) +
                                  " levels at offset " + std::to_string(i));
        }
        break;
      case ']':
      case '}':
        // Unbalanced closers are a syntax error the parser reports.
        if (depth > 0) --depth;
        break;
      default:
        break;
    }
  }
  return Status::Ok();
}

}  // namespace salesaudit
