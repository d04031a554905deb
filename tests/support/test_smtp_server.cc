#include "tests/support/test_smtp_server.h"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string_view>

#include "core/encoding.h"

namespace salesaudit::testing {

TestSmtpServer::TestSmtpServer(const std::string& username, const std::string& password) {
  // Debian's interpreter, where python3-aiosmtpd is installed (a python3
  // earlier on PATH, e.g. pyenv's, may lack it).
  std::vector<std::string> argv = {
      "/usr/bin/python3", std::string(SALESAUDIT_SOURCE_DIR) + "/tests/support/smtp_server.py",
      dir_.File("mail"), dir_.File("port")};
  if (!username.empty()) {
    argv.push_back("--auth");
    argv.push_back(username + ":" + password);
  }
  process_ = std::make_unique<ChildProcess>(argv, dir_.path());
  if (WaitFor([&] { return std::filesystem::exists(dir_.File("port")); },
              std::chrono::seconds(20))) {
    url_ = "smtp://127.0.0.1:" + ReadFile(dir_.File("port"));
  }
}

TestSmtpServer::~TestSmtpServer() = default;

std::string MailPart(const std::string& mail, const std::string& type) {
  const size_t part = mail.find("Content-Type: " + type);
  const size_t body = mail.find("\r\n\r\n", part);
  const size_t end = mail.find("\r\n--", body);
  if (part == std::string::npos || body == std::string::npos || end == std::string::npos) {
    return "";
  }
  return Base64Decode(std::string_view(mail).substr(body + 4, end - body - 4)).value_or("");
}

std::vector<std::string> TestSmtpServer::Mails() const {
  std::vector<std::string> names;
  if (std::filesystem::exists(dir_.File("mail"))) {
    for (const auto& e : std::filesystem::directory_iterator(dir_.File("mail"))) {
      if (e.path().extension() == ".eml") names.push_back(e.path().string());
    }
  }
  std::sort(names.begin(), names.end());  // 000001.eml, 000002.eml, ...
  std::vector<std::string> mails;
  for (const std::string& name : names) mails.push_back(ReadFile(name));
  return mails;
}

}  // namespace salesaudit::testing
