// The request handling of MailchimpSim::Impl: its connections' coroutine,
// the connection limit, injected faults, HTTP Basic auth, paging and the
// routing of a request to its endpoint family (sim_campaigns.cc,
// sim_lists.cc).
// clang-format off
// Before any Boost header: with GCC 12 in C++20, asio/awaitable.hpp misses it.
#include <utility>
// clang-format on

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <cstdint>
#include <string_view>

#include "core/encoding.h"
#include "core/time_util.h"
#include "tests/sim/common/sim_text.h"
#include "tests/sim/mailchimp/sim_impl.h"

namespace salesaudit::sim {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

constexpr auto kIdleTimeout = std::chrono::seconds(60);
constexpr int kMaxCount = 1000;

}  // namespace

auto MailchimpSim::Impl::Problem(int status, const std::string& title, const std::string& detail)
    -> Response {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  w.StartObject();
  w.Key("type");
  w.String("https://mailchimp.com/developer/marketing/docs/errors/");
  w.Key("title");
  w.String(title.c_str());
  w.Key("status");
  w.Int(status);
  w.Key("detail");
  w.String(detail.c_str());
  w.Key("instance");
  w.String("995c5cb0-3280-4a6e-808b-3b096d0bb219");
  w.EndObject();
  return Response{status, "application/problem+json; charset=utf-8", buf.GetString()};
}

void MailchimpSim::Impl::Str(Writer& w, const char* key, const std::string& value) {
  w.Key(key);
  w.String(value.c_str(), static_cast<rapidjson::SizeType>(value.size()));
}

void MailchimpSim::Impl::Links(Writer& w) {
  w.Key("_links");
  w.StartArray();
  w.EndArray();
}

auto MailchimpSim::Impl::Collection(const char* key, int total, int offset, int count,
                                    const std::function<void(Writer&, int)>& write_row,
                                    const char* parent_key, const std::string& parent_id)
    -> Response {
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartObject();
  w.Key(key);
  w.StartArray();
  for (int i = offset; i < std::min(offset + count, total); ++i) {
    w.StartObject();
    write_row(w, i);
    Links(w);
    w.EndObject();
  }
  w.EndArray();
  if (parent_key != nullptr) Str(w, parent_key, parent_id);
  w.Key("total_items");
  w.Int(total);
  Links(w);
  w.EndObject();
  return Response{200, "application/json; charset=utf-8", buf.GetString()};
}

auto MailchimpSim::Impl::Paging(const Query& q, int* count, int* offset)
    -> std::optional<Response> {
  *count = 10;
  *offset = 0;
  try {
    if (q.count("count")) *count = std::stoi(q.at("count"));
    if (q.count("offset")) *offset = std::stoi(q.at("offset"));
  } catch (const std::exception&) {
    return Problem(400, "Invalid Resource", "count and offset must be integers.");
  }
  if (*count < 1 || *count > kMaxCount || *offset < 0) {
    return Problem(400, "Invalid Resource",
                   "count must be between 1 and 1000 and offset must not be negative.");
  }
  *count = std::min(*count, options.max_page);
  return std::nullopt;
}

std::optional<int64_t> MailchimpSim::Impl::QueryTime(const Query& q, const std::string& key) {
  auto it = q.find(key);
  if (it == q.end()) return std::nullopt;
  return ParseTimestampMs(it->second);
}

auto MailchimpSim::Impl::Route(const std::string& method, const std::string& path, const Query& q)
    -> Response {
  if (method != "GET") return Problem(405, "Method Not Allowed", "Only GET is simulated.");
  const std::vector<std::string> parts = Split(path, '/');
  // Split skips empty segments; a path with one ("//", a trailing '/')
  // names no resource.
  if (parts.empty() || parts[0] != "3.0" || path.find("//") != std::string::npos ||
      path.back() == '/') {
    return Problem(404, "Resource Not Found", "The requested resource could not be found.");
  }
  if (parts.size() == 2 && parts[1] == "campaigns") return ListCampaigns(q);
  if (parts.size() == 4 && parts[1] == "reports" && parts[3] == "email-activity") {
    return EmailActivity(parts[2], q);
  }
  if (parts.size() == 4 && parts[1] == "lists" && parts[3] == "members") {
    return ListMembers(parts[2], q);
  }
  return Problem(404, "Resource Not Found", "The requested resource could not be found.");
}

auto MailchimpSim::Impl::Handle(const std::string& method, const std::string& target,
                                const std::string& authorization) -> Response {
  std::lock_guard<std::mutex> lock(mu);
  const size_t qpos = target.find('?');
  const std::string path = target.substr(0, qpos);
  ++stats.requests;
  ++stats.by_path[path];
  Response out = HandleLocked(
      method, path, qpos == std::string::npos ? "" : target.substr(qpos + 1), authorization);
  ++stats.by_status[out.status];
  return out;
}

auto MailchimpSim::Impl::HandleLocked(const std::string& method, const std::string& path,
                                      const std::string& query, const std::string& authorization)
    -> Response {
  if (in_flight > options.max_connections) {
    return Problem(429, "Too Many Requests",
                   "You have exceeded the limit of 10 simultaneous connections.");
  }
  for (auto it = faults.begin(); it != faults.end(); ++it) {
    if (path.rfind(it->prefix, 0) != 0) continue;
    if (it->skip > 0) {
      --it->skip;
      break;  // this request is served; later faults wait their turn
    }
    const MailchimpFaultKind kind = it->kind;
    if (--it->count <= 0) faults.erase(it);
    switch (kind) {
      case MailchimpFaultKind::kTooManyRequests:
        return Problem(429, "Too Many Requests",
                       "You have exceeded the limit of 10 simultaneous connections.");
      case MailchimpFaultKind::kBlocked403:
        return Response{403, "text/html",
                        "<html><head><title>Request Blocked</title></head><body>"
                        "Request Blocked</body></html>"};
      case MailchimpFaultKind::kServerError:
        return Response{503, "text/html", "<html><body>Service Unavailable</body></html>"};
      case MailchimpFaultKind::kForbidden:
        return Problem(403, "Forbidden", "You don't have permission to access this resource.");
    }
  }
  const std::string scheme = "Basic ";
  std::string password;
  if (authorization.rfind(scheme, 0) == 0) {
    const std::string decoded = Base64Decode(authorization.substr(scheme.size())).value_or("");
    const size_t colon = decoded.find(':');
    if (colon != std::string::npos) password = decoded.substr(colon + 1);
  }
  if (password.empty() || password != options.api_key) {
    return Problem(401, "API Key Invalid",
                   "Your API key may be invalid, or you've attempted to access the wrong "
                   "datacenter.");
  }
  return Route(method, path, ParseForm(query));
}

asio::awaitable<void> MailchimpSim::Impl::ServeConnection(tcp::socket socket, Impl& impl) {
  beast::tcp_stream stream(std::move(socket));
  beast::flat_buffer buffer;
  beast::error_code ec;
  for (;;) {
    http::request<http::string_body> req;
    stream.expires_after(kIdleTimeout);
    co_await http::async_read(stream, buffer, req, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) break;
    int delay_ms = 0;
    {
      std::lock_guard<std::mutex> lock(impl.mu);
      impl.stats.max_in_flight = std::max(impl.stats.max_in_flight, ++impl.in_flight);
      delay_ms = impl.options.response_delay_ms;
    }
    auto out = impl.Handle(std::string(req.method_string()), std::string(req.target()),
                           std::string(req[http::field::authorization]));
    if (delay_ms > 0) {
      asio::steady_timer timer(co_await asio::this_coro::executor);
      timer.expires_after(std::chrono::milliseconds(delay_ms));
      co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
    {
      std::lock_guard<std::mutex> lock(impl.mu);
      --impl.in_flight;
    }
    http::response<http::string_body> res{static_cast<http::status>(out.status), req.version()};
    res.set(http::field::server, "salesaudit-mailchimp-sim");
    res.set(http::field::content_type, out.content_type);
    if (out.content_type.rfind("application/problem+json", 0) == 0) {
      res.set(http::field::link,
              "<https://us19.api.mailchimp.com/schema/3.0/ProblemDetailDocument.json>; "
              "rel=\"describedBy\"");
    }
    res.keep_alive(req.keep_alive());
    res.body() = std::move(out.body);
    res.prepare_payload();
    stream.expires_after(kIdleTimeout);
    co_await http::async_write(stream, res, asio::redirect_error(asio::use_awaitable, ec));
    if (ec || !res.keep_alive()) break;
  }
  stream.socket().shutdown(tcp::socket::shutdown_both, ec);
  stream.socket().close(ec);
}

}  // namespace salesaudit::sim
