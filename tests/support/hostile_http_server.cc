// The own header comes first and includes <utility>, which GCC 12 in C++20
// mode needs before asio's headers.
#include "tests/support/hostile_http_server.h"

#include <zlib.h>

#include <atomic>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <cctype>
#include <stdexcept>

namespace salesaudit {

namespace asio = boost::asio;
namespace http = boost::beast::http;

namespace {

std::string PathOf(const std::string& target) { return target.substr(0, target.find('?')); }

// Headers that describe one hop, not the message: the test server sets its own.
bool IsHopByHop(std::string name) {
  for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return name == "content-length" || name == "transfer-encoding" || name == "connection" ||
         name == "host";
}

// Sends `request` to the upstream on a fresh connection and returns its
// answer; a 502 when the upstream cannot be reached.
TestHttpResponse ForwardTo(const std::string& upstream, const TestHttpRequest& request) {
  // The request's target already holds any base path ("/3.0/..."): only the
  // upstream's host and port are used.
  std::string authority = upstream.substr(upstream.find("://") + 3);
  authority = authority.substr(0, authority.find('/'));
  const size_t colon = authority.rfind(':');
  try {
    asio::io_context io;
    asio::ip::tcp::socket socket(io);
    asio::ip::tcp::resolver resolver(io);
    asio::connect(socket,
                  resolver.resolve(authority.substr(0, colon), authority.substr(colon + 1)));
    http::request<http::string_body> req{http::string_to_verb(request.method), request.target, 11};
    for (const auto& [name, value] : request.headers) {
      if (!IsHopByHop(name)) req.set(name, value);
    }
    req.set(http::field::host, authority);
    req.keep_alive(false);
    req.body() = request.body;
    req.prepare_payload();
    http::write(socket, req);
    boost::beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.body_limit(boost::none);
    http::read(socket, buffer, parser);
    const auto& res = parser.get();
    TestHttpResponse out{.status = static_cast<int>(res.result_int()), .body = res.body()};
    for (const auto& field : res) {
      if (!IsHopByHop(std::string(field.name_string()))) {
        out.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
      }
    }
    return out;
  } catch (const std::exception& e) {
    return TestHttpResponse{.status = 502, .body = std::string("upstream failed: ") + e.what()};
  }
}

// {"results":[] + spaces + } as gzip. Compressing a gigabyte takes half a
// minute, so one MiB of spaces is compressed once after a full flush (which
// resets the dictionary, making its output the same wherever it stands) and
// that output repeated; the trailer's CRC-32 is combined arithmetically.
std::string GzipOfPaddedObject(size_t decoded_bytes) {
  const std::string head = R"({"results":[])";
  const std::string tail = "}";
  if (decoded_bytes < head.size() + tail.size()) throw std::invalid_argument("bomb too small");
  z_stream zs{};
  // Raw deflate (windowBits -15): the gzip header and trailer are written here.
  if (deflateInit2(&zs, Z_BEST_COMPRESSION, Z_DEFLATED, -15, 9, Z_DEFAULT_STRATEGY) != Z_OK) {
    throw std::runtime_error("deflateInit2 failed");
  }
  auto deflate_part = [&zs](std::string_view data, int flush) {
    std::string out;
    char buffer[1 << 16];
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
    zs.avail_in = static_cast<uInt>(data.size());
    do {
      zs.next_out = reinterpret_cast<Bytef*>(buffer);
      zs.avail_out = sizeof buffer;
      deflate(&zs, flush);
      out.append(buffer, sizeof buffer - zs.avail_out);
    } while (zs.avail_out == 0);
    return out;
  };
  auto crc_of = [](std::string_view data) {
    return crc32(0, reinterpret_cast<const Bytef*>(data.data()), static_cast<uInt>(data.size()));
  };
  const std::string chunk(1 << 20, ' ');
  const size_t padding = decoded_bytes - head.size() - tail.size();
  const std::string rest(padding % chunk.size(), ' ');

  std::string out("\x1f\x8b\x08\0\0\0\0\0\x02\x03", 10);  // gzip, deflate, max compression
  out += deflate_part(head, Z_FULL_FLUSH);
  uLong crc = crc_of(head);
  const std::string chunk_deflated = deflate_part(chunk, Z_FULL_FLUSH);
  const uLong chunk_crc = crc_of(chunk);
  for (size_t i = 0; i < padding / chunk.size(); ++i) {
    out += chunk_deflated;
    crc = crc32_combine(crc, chunk_crc, static_cast<z_off_t>(chunk.size()));
  }
  out += deflate_part(rest, Z_FULL_FLUSH);
  crc = crc32_combine(crc, crc_of(rest), static_cast<z_off_t>(rest.size()));
  out += deflate_part(tail, Z_FINISH);
  crc = crc32_combine(crc, crc_of(tail), static_cast<z_off_t>(tail.size()));
  deflateEnd(&zs);
  for (uint32_t word : {static_cast<uint32_t>(crc), static_cast<uint32_t>(decoded_bytes)}) {
    for (int i = 0; i < 4; ++i) out += static_cast<char>((word >> (8 * i)) & 0xff);
  }
  return out;
}

}  // namespace

namespace hostile {

std::string NestedJson(size_t depth) {
  return R"({"nested":)" + std::string(depth, '[') + std::string(depth, ']') + "}";
}

Behavior Json(int status, std::string body,
              std::vector<std::pair<std::string, std::string>> headers) {
  headers.emplace_back("Content-Type", "application/json");
  return [status, body = std::move(body), headers = std::move(headers)](const TestHttpRequest&) {
    return TestHttpResponse{.status = status, .headers = headers, .body = body};
  };
}

Behavior DeeplyNested(size_t depth, int status) { return Json(status, NestedJson(depth)); }

Behavior GzipBomb(size_t decoded_bytes) {
  static std::mutex mu;
  static std::map<size_t, std::shared_ptr<const std::string>> built;
  std::shared_ptr<const std::string> body;
  {
    std::lock_guard<std::mutex> lock(mu);
    auto& slot = built[decoded_bytes];
    if (!slot) slot = std::make_shared<const std::string>(GzipOfPaddedObject(decoded_bytes));
    body = slot;
  }
  return [body](const TestHttpRequest&) {
    return TestHttpResponse{
        .headers = {{"Content-Type", "application/json"}, {"Content-Encoding", "gzip"}},
        .body = *body};
  };
}

Behavior SlowDrip(std::string body, size_t bytes, std::chrono::milliseconds every) {
  return [body = std::move(body), bytes, every](const TestHttpRequest&) {
    return TestHttpResponse{.headers = {{"Content-Type", "application/json"}},
                            .body = body,
                            .drip_every = every,
                            .drip_bytes = bytes};
  };
}

Behavior CyclingTokens(std::vector<std::string> tokens, PageWithToken page) {
  auto served = std::make_shared<std::atomic<size_t>>(0);
  return [tokens = std::move(tokens), page = std::move(page), served](const TestHttpRequest&) {
    const std::string& next = tokens[served->fetch_add(1) % tokens.size()];
    return TestHttpResponse{.headers = {{"Content-Type", "application/json"}}, .body = page(next)};
  };
}

Behavior OversizedToken(size_t bytes, PageWithToken page) {
  return CyclingTokens({std::string(bytes, 'x')}, std::move(page));
}

Behavior EchoError(int status, Echo what) {
  return [status, what](const TestHttpRequest& request) {
    std::string echoed =
        what == Echo::kAuthorization ? request.Header("authorization") : request.body;
    // Kept a valid JSON string: the echo is what must be tested, not escaping.
    std::string escaped;
    for (char c : echoed) {
      if (c == '"' || c == '\\') escaped += '\\';
      escaped += c;
    }
    return TestHttpResponse{
        .status = status,
        .headers = {{"Content-Type", "application/json"}},
        .body = R"({"status":"error","message":"rejected: )" + escaped + R"("})"};
  };
}

}  // namespace hostile

HostileHttpServer::HostileHttpServer(std::string upstream_base_url)
    : upstream_(std::move(upstream_base_url)) {
  server_.SetHandler([this](const TestHttpRequest& request) { return Answer(request); });
}

HostileHttpServer::~HostileHttpServer() = default;

void HostileHttpServer::Serve(const std::string& path, hostile::Behavior behavior) {
  std::lock_guard<std::mutex> lock(mu_);
  behaviors_[path] = std::move(behavior);
}

void HostileHttpServer::Forward(const std::string& path) {
  std::lock_guard<std::mutex> lock(mu_);
  behaviors_.erase(path);
}

int HostileHttpServer::RequestsTo(const std::string& path) const {
  int n = 0;
  for (const TestHttpRequest& r : server_.requests()) n += PathOf(r.target) == path ? 1 : 0;
  return n;
}

TestHttpResponse HostileHttpServer::Answer(const TestHttpRequest& request) {
  const std::string path = PathOf(request.target);
  hostile::Behavior behavior;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = behaviors_.find(path);
    if (it == behaviors_.end()) {
      for (const auto& [pattern, b] : behaviors_) {
        if (!pattern.empty() && pattern.back() == '*' &&
            path.compare(0, pattern.size() - 1, pattern, 0, pattern.size() - 1) == 0) {
          behavior = b;
          break;
        }
      }
    } else {
      behavior = it->second;
    }
  }
  return behavior ? behavior(request) : Upstream(request);
}

TestHttpResponse HostileHttpServer::Upstream(const TestHttpRequest& request) const {
  if (upstream_.empty()) return TestHttpResponse{.status = 404, .body = R"({"message":"none"})"};
  return ForwardTo(upstream_, request);
}

}  // namespace salesaudit
