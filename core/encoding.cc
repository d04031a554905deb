#include "core/encoding.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cctype>
#include <climits>
#include <memory>
#include <vector>

namespace salesaudit {
namespace {

std::string_view Bytes(const unsigned char* data, unsigned int length) {
  return std::string_view(reinterpret_cast<const char*>(data), length);
}

}  // namespace

std::string Base64Encode(std::string_view bytes) {
  // 4 characters per 3 bytes, rounded up, and the terminating NUL.
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  const int written = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                      reinterpret_cast<const unsigned char*>(bytes.data()),
                                      static_cast<int>(bytes.size()));
  out.resize(written > 0 ? static_cast<size_t>(written) : 0);
  return out;
}

std::optional<std::string> Base64Decode(std::string_view text) {
  std::unique_ptr<EVP_ENCODE_CTX, decltype(&EVP_ENCODE_CTX_free)> ctx(EVP_ENCODE_CTX_new(),
                                                                      EVP_ENCODE_CTX_free);
  if (ctx == nullptr || text.size() > static_cast<size_t>(INT_MAX)) return std::nullopt;
  EVP_DecodeInit(ctx.get());
  // At most 3 bytes per 4 characters, and the final block.
  std::string out(text.size() / 4 * 3 + 3, '\0');
  int length = 0;
  if (EVP_DecodeUpdate(ctx.get(), reinterpret_cast<unsigned char*>(out.data()), &length,
                       reinterpret_cast<const unsigned char*>(text.data()),
                       static_cast<int>(text.size())) < 0) {
    return std::nullopt;
  }
  int tail = 0;
  if (EVP_DecodeFinal(ctx.get(), reinterpret_cast<unsigned char*>(out.data()) + length, &tail) !=
      1) {
    return std::nullopt;
  }
  out.resize(static_cast<size_t>(length + tail));
  return out;
}

std::string HexEncode(std::string_view bytes) {
  if (bytes.empty()) return "";
  std::string out(bytes.size() * 2 + 1, '\0');
  size_t length = 0;
  if (OPENSSL_buf2hexstr_ex(out.data(), out.size(), &length,
                            reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(),
                            '\0') != 1) {
    return "";
  }
  out.resize(length > 0 ? length - 1 : 0);  // without its NUL
  // OpenSSL writes upper case; digests and signatures are read in lower case.
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string Sha256Hex(std::string_view bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_Digest(bytes.data(), bytes.size(), digest, &length, EVP_sha256(), nullptr) != 1) {
    return "";
  }
  return HexEncode(Bytes(digest, length));
}

std::string HmacSha256Hex(std::string_view key, std::string_view data) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
           reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac,
           &length) == nullptr) {
    return "";
  }
  return HexEncode(Bytes(mac, length));
}

}  // namespace salesaudit
