// The request handling of MailchimpSim::Impl: its connections' coroutine,
// the connection limit, injected faults, authentication and the data
// center, paging, query validation, `fields`/`exclude_fields`, and the
// routing of a request to its endpoint family (sim_campaigns.cc,
// sim_lists.cc).
// clang-format off
// Before any Boost header: with GCC 12 in C++20, asio/awaitable.hpp misses it.
#include <utility>
// clang-format on

#include <rapidjson/document.h>
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

auto MailchimpSim::Impl::NotFound() -> Response {
  return Problem(404, "Resource Not Found", "The requested resource could not be found.");
}

auto MailchimpSim::Impl::TooManyRequests() const -> Response {
  return Problem(429, "Too Many Requests",
                 "You have exceeded the limit of " + std::to_string(options.max_connections) +
                     " simultaneous connections.");
}

auto MailchimpSim::Impl::BadParam(const std::string& key, const std::string& why) -> Response {
  return Problem(400, "Invalid Resource", "The value of " + key + " " + why + ".");
}

void MailchimpSim::Impl::Str(Writer& w, const char* key, const std::string& value) {
  w.Key(key);
  w.String(value.c_str(), static_cast<rapidjson::SizeType>(value.size()));
}

void MailchimpSim::Impl::Num(Writer& w, const char* key, int64_t value) {
  w.Key(key);
  w.Int64(value);
}

void MailchimpSim::Impl::Real(Writer& w, const char* key, double value) {
  w.Key(key);
  w.Double(value);
}

void MailchimpSim::Impl::Flag(Writer& w, const char* key, bool value) {
  w.Key(key);
  w.Bool(value);
}

void MailchimpSim::Impl::Links(Writer& w) {
  w.Key("_links");
  w.StartArray();
  w.EndArray();
}

auto MailchimpSim::Impl::Object(const std::function<void(Writer&)>& write) -> Response {
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartObject();
  write(w);
  Links(w);
  w.EndObject();
  return Response{200, "application/json; charset=utf-8", buf.GetString()};
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

auto MailchimpSim::Impl::QueryTime(const Query& q, const std::string& key,
                                   std::optional<int64_t>* at) -> std::optional<Response> {
  at->reset();
  auto it = q.find(key);
  if (it == q.end()) return std::nullopt;
  *at = ParseTimestampMs(it->second);
  if (!*at) return BadParam(key, "is not an ISO 8601 date and time");
  return std::nullopt;
}

auto MailchimpSim::Impl::QueryEnum(const Query& q, const std::string& key,
                                   const std::vector<std::string>& allowed, std::string* value)
    -> std::optional<Response> {
  auto it = q.find(key);
  *value = it == q.end() ? "" : it->second;
  if (it == q.end() || std::find(allowed.begin(), allowed.end(), *value) != allowed.end()) {
    return std::nullopt;
  }
  std::string list;
  for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
  return BadParam(key, "must be one of: " + list);
}

auto MailchimpSim::Impl::SortDescending(const Query& q, bool* descending)
    -> std::optional<Response> {
  std::string dir;
  if (auto bad = QueryEnum(q, "sort_dir", {"ASC", "DESC"}, &dir)) return bad;
  *descending = dir == "DESC";
  return std::nullopt;
}

namespace {

using Paths = std::vector<std::string_view>;

// The rest of each of `paths` that starts with member `name` (a path that
// is `name` itself leaves "").
Paths PathsUnder(const Paths& paths, std::string_view name, bool* whole) {
  Paths rest;
  *whole = false;
  for (std::string_view p : paths) {
    if (p == name) {
      *whole = true;
    } else if (p.size() > name.size() && p.substr(0, name.size()) == name &&
               p[name.size()] == '.') {
      rest.push_back(p.substr(name.size() + 1));
    }
  }
  return rest;
}

// Keeps (or, `exclude`, drops) the members `paths` name in `v`, through
// arrays to their elements.
void Trim(rapidjson::Value& v, const Paths& paths, bool exclude) {
  if (v.IsArray()) {
    for (auto& e : v.GetArray()) Trim(e, paths, exclude);
    return;
  }
  if (!v.IsObject()) return;
  for (auto m = v.MemberBegin(); m != v.MemberEnd();) {
    bool whole = false;
    const Paths rest =
        PathsUnder(paths, std::string_view(m->name.GetString(), m->name.GetStringLength()), &whole);
    if (exclude ? whole : !whole && rest.empty()) {
      m = v.EraseMember(m);
      continue;
    }
    if (!whole && !rest.empty()) Trim(m->value, rest, exclude);
    ++m;
  }
}

}  // namespace

void MailchimpSim::Impl::ApplyFields(const Query& q, Response* out) {
  auto fields = q.find("fields");
  auto excluded = q.find("exclude_fields");
  if (out->status != 200 || (fields == q.end() && excluded == q.end())) return;
  rapidjson::Document doc;
  doc.Parse(out->body.c_str(), out->body.size());
  if (doc.HasParseError()) return;
  // `fields` first, then `exclude_fields` from what is left.
  const std::vector<std::string> kept =
      fields == q.end() ? std::vector<std::string>{} : Split(fields->second, ',');
  if (!kept.empty()) Trim(doc, Paths(kept.begin(), kept.end()), /*exclude=*/false);
  const std::vector<std::string> dropped =
      excluded == q.end() ? std::vector<std::string>{} : Split(excluded->second, ',');
  if (!dropped.empty()) Trim(doc, Paths(dropped.begin(), dropped.end()), /*exclude=*/true);
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  doc.Accept(w);
  out->body = buf.GetString();
}

bool MailchimpSim::Impl::IsMailchimpHost(const std::string& host) {
  const std::string suffix = ".api.mailchimp.com";
  return host.size() > suffix.size() &&
         host.compare(host.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string MailchimpSim::Impl::DataCenter() const {
  const size_t dash = options.api_key.rfind('-');
  return dash == std::string::npos ? "" : options.api_key.substr(dash + 1);
}

auto MailchimpSim::Impl::Authenticate(const std::string& host,
                                      const std::string& authorization) const
    -> std::optional<Response> {
  const Response invalid =
      Problem(401, "API Key Invalid",
              "Your API key may be invalid, or you've attempted to access the wrong datacenter.");
  // Only a Mailchimp host names a data center; loopback is this account's.
  const std::string name = Lower(host.substr(0, host.find(':')));
  if (IsMailchimpHost(name) && name.substr(0, name.find('.')) != DataCenter()) return invalid;
  const size_t space = authorization.find(' ');
  const std::string scheme = Lower(authorization.substr(0, space));
  const std::string credential = space == std::string::npos ? "" : authorization.substr(space + 1);
  if (credential.empty()) {
    return Problem(401, "API Key Missing", "Your request did not include an API key.");
  }
  if (scheme == "basic") {
    // Any user name; the key is the password.
    const std::string decoded = Base64Decode(credential).value_or("");
    const size_t colon = decoded.find(':');
    if (colon != std::string::npos && decoded.substr(colon + 1) == options.api_key) {
      return std::nullopt;
    }
    return invalid;
  }
  if ((scheme == "bearer" || scheme == "oauth") && !options.oauth_token.empty() &&
      credential == options.oauth_token) {
    return std::nullopt;
  }
  return invalid;
}

auto MailchimpSim::Impl::Route(const std::string& method, const std::string& path, const Query& q)
    -> Response {
  if (method != "GET") return Problem(405, "Method Not Allowed", "Only GET is simulated.");
  // The API root is "/3.0/" as the clients ask for it, or "/3.0".
  if (path == "/3.0" || path == "/3.0/") return Root();
  const std::vector<std::string> parts = Split(path, '/');
  // Split skips empty segments; a path with one ("//", a trailing '/')
  // names no resource.
  if (parts.empty() || parts[0] != "3.0" || path.find("//") != std::string::npos ||
      path.back() == '/') {
    return NotFound();
  }
  const size_t n = parts.size();
  const std::string& family = parts[1];
  if (n == 2 && family == "ping") {
    // The API's health only: no account data, no links.
    return Response{200, "application/json; charset=utf-8",
                    R"({"health_status":"Everything's Chimpy!"})"};
  }
  if (family == "campaigns" || family == "reports") {
    if (n == 2) return family == "campaigns" ? ListCampaigns(q) : ListReports(q);
    const MailchimpCampaign* c = FindCampaign(parts[2]);
    if (c == nullptr) return NotFound();
    if (n == 3 && family == "campaigns") return Object([&](Writer& w) { WriteCampaign(w, *c); });
    // A report exists once the campaign is sent.
    if (c->status != "sent") return NotFound();
    if (n == 3) return Object([&](Writer& w) { WriteReport(w, *c); });
    if (n == 4 && parts[3] == "email-activity") return EmailActivity(parts[2], q);
    return NotFound();
  }
  if (family == "lists") {
    if (n == 2) return ListLists(q);
    const MailchimpList* l = FindList(parts[2]);
    if (l == nullptr || (n > 3 && parts[3] != "members") || n > 5) return NotFound();
    if (n == 3) return Object([&](Writer& w) { WriteList(w, *l); });
    if (n == 4) return ListMembers(l->id, q);
    return GetMember(l->id, parts[4]);
  }
  return NotFound();
}

auto MailchimpSim::Impl::Handle(const std::string& method, const std::string& target,
                                const std::string& host, const std::string& authorization)
    -> Response {
  std::lock_guard<std::mutex> lock(mu);
  const size_t qpos = target.find('?');
  const std::string path = target.substr(0, qpos);
  ++stats.requests;
  ++stats.by_path[path];
  Response out = HandleLocked(
      method, path, qpos == std::string::npos ? "" : target.substr(qpos + 1), host, authorization);
  ++stats.by_status[out.status];
  return out;
}

auto MailchimpSim::Impl::HandleLocked(const std::string& method, const std::string& path,
                                      const std::string& query, const std::string& host,
                                      const std::string& authorization) -> Response {
  if (options.rate_limits && in_flight > options.max_connections) return TooManyRequests();
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
        return TooManyRequests();
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
  if (path == "/oauth2/metadata") return OAuthMetadata(host, authorization);
  if (auto refused = Authenticate(host, authorization)) return *refused;
  const Query q = ParseForm(query);
  Response out = Route(method, path, q);
  ApplyFields(q, &out);
  return out;
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
                           std::string(req[http::field::host]),
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
      std::string dc;
      {
        std::lock_guard<std::mutex> lock(impl.mu);
        dc = impl.DataCenter();
      }
      res.set(http::field::link,
              "<https://" + dc +
                  ".api.mailchimp.com/schema/3.0/Definitions/ProblemDetailDocument.json>; "
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
