#include "core/json_limits.h"

#include <string>

namespace salesaudit {

Status CheckJsonNesting(std::string_view text) {
  size_t depth = 0;
  bool in_string = false;
  bool escaped = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    switch (c) {
      case '"':
        in_string = true;
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
