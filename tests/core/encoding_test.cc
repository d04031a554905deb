#include "core/encoding.h"

#include <catch2/catch.hpp>
#include <string>

namespace salesaudit {
namespace {

TEST_CASE("Base64Encode gives RFC 4648's test vectors, padded, on one line") {
  CHECK(Base64Encode("") == "");
  CHECK(Base64Encode("f") == "Zg==");
  CHECK(Base64Encode("fo") == "Zm8=");
  CHECK(Base64Encode("foo") == "Zm9v");
  CHECK(Base64Encode("foob") == "Zm9vYg==");
  CHECK(Base64Encode("fooba") == "Zm9vYmE=");
  CHECK(Base64Encode("foobar") == "Zm9vYmFy");
  CHECK(Base64Encode(std::string(100, '\xff')).find('\n') == std::string::npos);
  CHECK(Base64Encode(std::string("\0\x01", 2)) == "AAE=");
}

TEST_CASE("Base64Decode reverses Base64Encode, skips MIME line breaks and refuses other text") {
  for (const std::string& bytes :
       {std::string(), std::string("f"), std::string("fo"), std::string("foo"),
        std::string("foobar"), std::string("\0\x01\xff", 3), std::string(1000, '\xfe')}) {
    CHECK(Base64Decode(Base64Encode(bytes)) == bytes);
  }
  CHECK(Base64Decode("Zm9v\r\nYmFy\r\n") == "foobar");
  CHECK(Base64Decode("Zm9vYg==") == "foob");
  CHECK_FALSE(Base64Decode("Zm9v!mFy").has_value());
  CHECK_FALSE(Base64Decode("Zm9vYg==Zm9v").has_value());  // data after the padding
}

TEST_CASE("HexEncode writes two lower-case digits per byte") {
  CHECK(HexEncode("") == "");
  CHECK(HexEncode(std::string("\x00\x0f\xab\xff", 4)) == "000fabff");
}

TEST_CASE("Sha256Hex and HmacSha256Hex give the published test vectors") {
  // FIPS 180-2 "abc"; RFC 4231 test case 2.
  CHECK(Sha256Hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(HmacSha256Hex("Jefe", "what do ya want for nothing?") ==
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

}  // namespace
}  // namespace salesaudit
