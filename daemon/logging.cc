#include "daemon/logging.h"

#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <mutex>

namespace salesaudit {
namespace {

// Formats each record, removes secrets, writes the line to stderr.
class RedactingStderrSink : public spdlog::sinks::base_sink<std::mutex> {
 public:
  void SetSecrets(std::vector<std::string> secrets) {
    std::lock_guard<std::mutex> lock(mutex_);
    secrets_ = std::move(secrets);
  }

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    spdlog::memory_buf_t formatted;
    formatter_->format(msg, formatted);
    std::string line = RedactSecrets(std::string(formatted.data(), formatted.size()), secrets_);
    fwrite(line.data(), 1, line.size(), stderr);
  }
  void flush_() override { fflush(stderr); }

 private:
  std::vector<std::string> secrets_;
};

std::shared_ptr<RedactingStderrSink>& Sink() {
  static auto sink = std::make_shared<RedactingStderrSink>();
  return sink;
}

}  // namespace

std::string RedactSecrets(std::string text, const std::vector<std::string>& secrets) {
  for (const auto& secret : secrets) {
    if (secret.empty()) continue;
    for (size_t pos = text.find(secret); pos != std::string::npos;
         pos = text.find(secret, pos)) {
      text.replace(pos, secret.size(), "[redacted]");
    }
  }
  return text;
}

void SetupLogging(const std::string& level) {
  auto logger = std::make_shared<spdlog::logger>("salesaudit", Sink());
  const bool journald = std::getenv("JOURNAL_STREAM") != nullptr;
  logger->set_pattern(journald ? "[%l] %v" : "%Y-%m-%dT%H:%M:%S.%e%z [%l] %v");
  logger->flush_on(spdlog::level::trace);
  spdlog::set_default_logger(logger);
  SetLogLevel(level);
}

void SetLogSecrets(const std::vector<std::string>& secrets) { Sink()->SetSecrets(secrets); }

void SetLogLevel(const std::string& level) {
  auto parsed = spdlog::level::from_str(level);
  if (parsed == spdlog::level::off && level != "off") return;
  spdlog::set_level(parsed);
}

}  // namespace salesaudit
