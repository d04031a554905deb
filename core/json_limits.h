// Limits on JSON text that comes from outside the process (vendor pages,
// error bodies, token responses, cursors and snapshots read back from the
// store), checked before any parser sees it. RapidJSON's default parser,
// Writer, Accept and CopyFrom all recurse once per nesting level, so a page
// nested 150,000 deep would overflow the stack; ParseJson (core/json_reader.h),
// the one way such text is parsed, calls CheckJsonNesting first and parses
// iteratively.
//
// Pure functions; thread-safe; no JSON library involved.
#pragma once

#include <cstddef>
#include <string_view>

#include "core/status.h"

namespace salesaudit {

// The deepest nesting of arrays and objects accepted. Vendor responses and
// our own snapshots are under 10 levels deep; 128 leaves room for any real
// document and keeps every recursive walk over a parsed value shallow.
inline constexpr size_t kMaxJsonDepth = 128;

// Ok when no array or object in `text` is nested deeper than kMaxJsonDepth
// (brackets inside strings do not count). Otherwise kDataLoss "JSON nested
// deeper than 128 levels at offset N". It does not validate the rest of the
// syntax: that is the parser's job. One pass over the bytes, no allocation.
Status CheckJsonNesting(std::string_view text);

}  // namespace salesaudit
