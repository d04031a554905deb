// Byte encodings and digests, all through OpenSSL (linked anyway for TLS and
// signatures), so the project has one of each. Pure functions; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace salesaudit {

// RFC 4648 base64 with padding, on one line.
std::string Base64Encode(std::string_view bytes);

// The bytes of RFC 4648 base64 text (padded); line breaks and spaces inside
// are skipped, as MIME bodies have them. nullopt when any other character is
// not of the alphabet or the padding is wrong.
std::optional<std::string> Base64Decode(std::string_view text);

// Two lower-case hex digits per byte.
std::string HexEncode(std::string_view bytes);

// Hex of the SHA-256 digest of `bytes` (64 characters).
std::string Sha256Hex(std::string_view bytes);

// Hex of the HMAC-SHA256 of `data` under `key` (64 characters).
std::string HmacSha256Hex(std::string_view key, std::string_view data);

}  // namespace salesaudit
