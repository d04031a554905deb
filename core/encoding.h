// Byte encodings and digests, all through OpenSSL (linked anyway for TLS and
// signatures), so the project has one of each. Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace salesaudit {

// RFC 4648 base64 with padding, on one line.
std::string Base64Encode(std::string_view bytes);

// Two lower-case hex digits per byte.
std::string HexEncode(std::string_view bytes);

// Hex of the SHA-256 digest of `bytes` (64 characters).
std::string Sha256Hex(std::string_view bytes);

// Hex of the HMAC-SHA256 of `data` under `key` (64 characters).
std::string HmacSha256Hex(std::string_view key, std::string_view data);

}  // namespace salesaudit
