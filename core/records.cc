#include "core/records.h"

namespace salesaudit {

std::string NormalizeEmail(std::string_view email) {
  size_t begin = 0, end = email.size();
  while (begin < end && static_cast<unsigned char>(email[begin]) <= ' ') ++begin;
  while (end > begin && static_cast<unsigned char>(email[end - 1]) <= ' ') --end;
  std::string out(email.substr(begin, end - begin));
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

}  // namespace salesaudit
