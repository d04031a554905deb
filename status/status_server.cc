// The own header first: it includes <utility>, which GCC 12 in C++20 mode
// needs before asio's headers.
#include "status/status_server.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cctype>
#include <exception>
#include <future>
#include <map>
#include <mutex>
#include <optional>
#include <string_view>
#include <thread>
#include <unordered_set>

namespace salesaudit {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;
using Request = http::request<http::string_body>;

// After an error response or a `Connection: close` one, the connection is
// read (and the data dropped) for up to this long before it is closed:
// closing a socket with unread data sends a reset, which can destroy the
// response before the client reads it (RFC 9112 section 9.6).
constexpr std::chrono::seconds kLingerTime(2);
constexpr size_t kLingerMaxBytes = 64 * 1024;

class Session;

// All of the server but its public face; StatusServer::Impl holds one.
// Threading: Handle and port from any thread; the rest of the state lives on
// the io thread (one thread runs io_, so handlers never run concurrently and
// need no strand).
class Server {
 public:
  explicit Server(StatusServerOptions options) : options_(std::move(options)) {}
  ~Server() { Stop(); }

  void Handle(const std::string& path, StatusServer::Handler handler) {
    std::lock_guard<std::mutex> lock(routes_mu_);
    routes_[path] = std::move(handler);
  }
  Status Start();
  uint16_t port() const { return port_.load(); }
  void Stop();

  // For sessions, on the io thread.
  const StatusServerOptions& options() const { return options_; }
  bool stopping() const { return stopping_; }
  void Add(Session* session) { sessions_.insert(session); }
  void Remove(Session* session) { sessions_.erase(session); }
  HttpReply Answer(const Request& request);

 private:
  void Accept();
  void OnAccept(beast::error_code ec, tcp::socket socket);
  void EvictLongestWaiting();
  void Shutdown();
  bool Authorized(const Request& request) const;

  const StatusServerOptions options_;
  std::mutex routes_mu_;
  std::map<std::string, StatusServer::Handler> routes_;
  // Declared before io_: sessions still queued in io_ remove themselves
  // from it when io_ is destroyed.
  std::unordered_set<Session*> sessions_;
  bool stopping_ = false;
  net::io_context io_{1};
  tcp::acceptor acceptor_{io_};
  net::steady_timer accept_retry_{io_};
  std::atomic<uint16_t> port_{0};
  std::thread thread_;
  std::future<void> run_finished_;
};

// One connection: read a request, answer it, repeat while keep-alive, then
// close. Owned by the handlers of its pending operation (shared_from_this);
// the server only holds a raw pointer to close it on Stop.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket&& socket, Server* server)
      : stream_(std::move(socket)),
        server_(server),
        // Room for one request (and what a client pipelined behind it)
        // beyond which the parser's limits answer 431/413.
        buffer_(server->options().max_header_bytes + server->options().max_body_bytes + 4096) {}
  ~Session() { server_->Remove(this); }

  void Start() {
    waiting_since_ = std::chrono::steady_clock::now();
    server_->Add(this);
    // A new connection gets request_timeout for its first request too: an
    // idle one holds a connection slot.
    stream_.expires_after(server_->options().request_timeout);
    ReadRequest();
  }

  // Cancels whatever is pending; the handlers then end the session.
  void Close() { stream_.close(); }

  // Since when the session has been waiting on its client: for (the rest
  // of) a request, or to take a response; the earliest possible once it is
  // closing anyway.
  std::chrono::steady_clock::time_point waiting_since() const { return waiting_since_; }

 private:
  void ReadRequest() {
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(server_->options().max_header_bytes));
    parser_->body_limit(server_->options().max_body_bytes);
    // The deadline set before covers every read of the request, so a client
    // trickling bytes cannot hold the connection past it.
    http::async_read(stream_, buffer_, *parser_,
                     beast::bind_front_handler(&Session::OnRead, shared_from_this()));
  }

  void OnRead(beast::error_code ec, size_t /*bytes*/) {
    if (ec == http::error::end_of_stream) return LingeringClose();
    if (ec == http::error::header_limit || ec == http::error::buffer_overflow) {
      return SendError(431, "request header too large\n");
    }
    if (ec == http::error::body_limit) return SendError(413, "request body too large\n");
    if (ec && ec.category() == http::make_error_code(http::error::bad_target).category()) {
      return SendError(400, "bad request\n");
    }
    if (ec == beast::error::timeout) {
      spdlog::debug("status server: closed a connection whose request took over {} ms",
                    server_->options().request_timeout.count());
      return;
    }
    if (ec) return;  // the client went away, or Stop
    Request request = parser_->release();
    waiting_since_ = std::chrono::steady_clock::now();
    const bool head = request.method() == http::verb::head;
    const bool keep_alive = request.keep_alive() && !server_->stopping();
    HttpReply reply = server_->Answer(request);
    if (head) {
      auto response = std::make_shared<http::response<http::empty_body>>();
      SetHeaders(reply, request.version(), keep_alive, response.get());
      response->content_length(reply.body.size());
      Write(response, !keep_alive);
    } else {
      auto response = std::make_shared<http::response<http::string_body>>();
      SetHeaders(reply, request.version(), keep_alive, response.get());
      response->body() = std::move(reply.body);
      response->prepare_payload();
      Write(response, !keep_alive);
    }
  }

  template <typename Message>
  static void SetHeaders(const HttpReply& reply, unsigned version, bool keep_alive,
                         Message* message) {
    message->version(version);
    // Beast throws on codes above 999; a handler's odd code is a 500.
    const bool valid = reply.status >= 100 && reply.status <= 599;
    message->result(valid ? static_cast<unsigned>(reply.status) : 500u);
    message->set(http::field::server, "salesaudit");
    message->set(http::field::content_type, reply.content_type);
    for (const auto& [name, value] : reply.headers) message->set(name, value);
    message->keep_alive(keep_alive);
  }

  // For requests that cannot be answered normally; the connection closes
  // after, since the rest of the stream cannot be trusted to start a request.
  void SendError(int status, std::string body) {
    auto response = std::make_shared<http::response<http::string_body>>();
    SetHeaders(HttpReply{.status = status}, 11, false, response.get());
    response->body() = std::move(body);
    response->prepare_payload();
    Write(response, true);
  }

  template <typename Message>
  void Write(std::shared_ptr<Message> message, bool close) {
    stream_.expires_after(server_->options().write_timeout);
    http::async_write(stream_, *message,
                      [self = shared_from_this(), message, close](beast::error_code ec, size_t) {
                        self->OnWrite(close, ec);
                      });
  }

  void OnWrite(bool close, beast::error_code ec) {
    if (ec) return;  // too slow to read its response, gone, or Stop
    if (close) return LingeringClose();
    waiting_since_ = std::chrono::steady_clock::now();
    if (buffer_.size() > 0) {  // pipelined: the next request is (partly) here
      stream_.expires_after(server_->options().request_timeout);
      return ReadRequest();
    }
    // Waiting for the first byte of the next request is idling; from then on
    // the request_timeout applies.
    stream_.expires_after(server_->options().idle_timeout);
    stream_.async_read_some(buffer_.prepare(1024),
                            beast::bind_front_handler(&Session::OnNextRequest, shared_from_this()));
  }

  void OnNextRequest(beast::error_code ec, size_t bytes) {
    if (ec) return;  // idle too long, closed by the client, or Stop
    buffer_.commit(bytes);
    stream_.expires_after(server_->options().request_timeout);
    ReadRequest();
  }

  void LingeringClose() {
    waiting_since_ = std::chrono::steady_clock::time_point::min();
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    if (ec) return;
    stream_.expires_after(kLingerTime);
    Drain();
  }

  void Drain() {
    stream_.async_read_some(net::buffer(drain_),
                            [self = shared_from_this()](beast::error_code ec, size_t bytes) {
                              self->drained_ += bytes;
                              if (!ec && self->drained_ < kLingerMaxBytes) self->Drain();
                            });
  }

  beast::tcp_stream stream_;
  Server* server_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::array<char, 4096> drain_{};
  size_t drained_ = 0;
  std::chrono::steady_clock::time_point waiting_since_;
};

// "HOST:PORT" or "[V6]:PORT" as an endpoint; a host name is resolved.
Result<tcp::endpoint> ParseListen(const std::string& listen) {
  const size_t colon = listen.rfind(':');
  auto invalid = [&](const std::string& why) {
    return Status::InvalidArgument("status server: listen address \"" + listen + "\": " + why);
  };
  if (colon == std::string::npos || colon == 0) return invalid("expected HOST:PORT");
  std::string host = listen.substr(0, colon);
  const std::string port_text = listen.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  if (port_text.empty() || port_text.size() > 5 ||
      !std::all_of(port_text.begin(), port_text.end(),
                   [](char c) { return std::isdigit(static_cast<unsigned char>(c)); }) ||
      std::stoi(port_text) > 65535) {
    return invalid("the port must be a number from 0 to 65535");
  }
  const auto port = static_cast<uint16_t>(std::stoi(port_text));
  beast::error_code ec;
  const net::ip::address address = net::ip::make_address(host, ec);
  if (!ec) return tcp::endpoint(address, port);
  net::io_context io;
  tcp::resolver resolver(io);
  const tcp::resolver::results_type results = resolver.resolve(host, port_text, ec);
  if (ec || results.empty()) return invalid("cannot resolve \"" + host + "\": " + ec.message());
  return results.begin()->endpoint();
}

Status Server::Start() {
  if (thread_.joinable() || stopping_) return Status::Internal("status server: started twice");
  Result<tcp::endpoint> endpoint = ParseListen(options_.listen);
  if (!endpoint.ok()) return endpoint.status();
  beast::error_code ec;
  auto failed = [&](const char* step) {
    beast::error_code ignored;
    acceptor_.close(ignored);
    return Status::Unavailable("status server: " + std::string(step) + " " + options_.listen +
                               ": " + ec.message());
  };
  if (acceptor_.open(endpoint->protocol(), ec); ec) return failed("cannot open");
  // Lets a restarted daemon bind while old connections sit in TIME_WAIT.
  if (acceptor_.set_option(net::socket_base::reuse_address(true), ec); ec) {
    return failed("cannot set options on");
  }
  if (acceptor_.bind(*endpoint, ec); ec) return failed("cannot bind");
  if (acceptor_.listen(net::socket_base::max_listen_connections, ec); ec) {
    return failed("cannot listen on");
  }
  const tcp::endpoint bound = acceptor_.local_endpoint(ec);
  if (ec) return failed("cannot read the address of");
  port_ = bound.port();
  Accept();
  std::promise<void> finished;
  run_finished_ = finished.get_future();
  thread_ = std::thread([this, finished = std::move(finished)]() mutable {
    try {
      io_.run();
    } catch (const std::exception& e) {
      // Handlers catch what they call; this is std::bad_alloc and the like.
      spdlog::error("status server: stopped by an error: {}", e.what());
    }
    finished.set_value();
  });
  spdlog::info("status server listening on {}:{}", bound.address().to_string(), bound.port());
  return Status::Ok();
}

void Server::Stop() {
  if (!thread_.joinable()) return;
  net::post(io_, [this] { Shutdown(); });
  if (run_finished_.wait_for(options_.stop_timeout) != std::future_status::ready) {
    spdlog::warn("status server: still busy {} ms after stop; stopping its loop",
                 options_.stop_timeout.count());
    io_.stop();
  }
  thread_.join();
}

void Server::Shutdown() {
  stopping_ = true;
  beast::error_code ec;
  acceptor_.close(ec);
  accept_retry_.cancel();
  // Close() only cancels; sessions leave the set later, from their handlers.
  const std::vector<Session*> open(sessions_.begin(), sessions_.end());
  for (Session* session : open) session->Close();
}

void Server::Accept() {
  acceptor_.async_accept(beast::bind_front_handler(&Server::OnAccept, this));
}

void Server::OnAccept(beast::error_code ec, tcp::socket socket) {
  if (stopping_ || ec == net::error::operation_aborted) return;
  if (ec) {
    // Out of file descriptors and the like: retry soon instead of spinning.
    spdlog::warn("status server: accept: {}", ec.message());
    accept_retry_.expires_after(std::chrono::milliseconds(100));
    accept_retry_.async_wait([this](beast::error_code wait_ec) {
      if (!wait_ec && !stopping_) Accept();
    });
    return;
  }
  if (sessions_.size() >= static_cast<size_t>(options_.max_connections)) EvictLongestWaiting();
  std::make_shared<Session>(std::move(socket), this)->Start();
  Accept();
}

// At the limit a new connection takes the place of the one that has waited
// longest on its client, rather than being refused: otherwise any local user
// holding max_connections idle or trickling connections would turn /healthz
// into a 503 and get the service restarted by its liveness probe. A client
// with a request to make sends it at once, so it is never the one waiting
// longest; a client that only holds a connection loses it (HTTP lets a
// server close an idle connection at any time, RFC 9112 section 9.6, and a
// keep-alive client reconnects). Handlers run on this thread, so no session
// is inside one now: each waits on its client or is closing.
void Server::EvictLongestWaiting() {
  auto longest = std::min_element(sessions_.begin(), sessions_.end(), [](Session* a, Session* b) {
    return a->waiting_since() < b->waiting_since();
  });
  if (longest == sessions_.end()) return;
  spdlog::debug("status server: {} connections open; closing the one waiting longest",
                sessions_.size());
  Session* evicted = *longest;
  // Out of the count now: its handlers end it later.
  sessions_.erase(longest);
  evicted->Close();
}

bool Server::Authorized(const Request& request) const {
  const auto header = request.find(http::field::authorization);
  if (header == request.end()) return false;
  std::string_view value(header->value().data(), header->value().size());
  // RFC 9110 section 11.1: the scheme is case-insensitive.
  constexpr std::string_view kScheme = "bearer ";
  if (value.size() <= kScheme.size()) return false;
  for (size_t i = 0; i < kScheme.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(value[i])) != kScheme[i]) return false;
  }
  value.remove_prefix(kScheme.size());
  while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
  return ConstantTimeEquals(std::string(value), options_.token);
}

HttpReply Server::Answer(const Request& request) {
  const std::string_view target(request.target().data(), request.target().size());
  const size_t question = target.find('?');
  HttpRequestInfo info{
      .method = std::string(request.method_string()),
      .path = std::string(target.substr(0, question)),
      .query = question == std::string_view::npos ? "" : std::string(target.substr(question + 1))};
  const bool open = std::find(options_.open_paths.begin(), options_.open_paths.end(), info.path) !=
                    options_.open_paths.end();
  if (!options_.token.empty() && !open && !Authorized(request)) {
    return HttpReply{.status = 401,
                     .body = "unauthorized: send Authorization: Bearer <token>\n",
                     .headers = {{"WWW-Authenticate", "Bearer realm=\"salesaudit\""}}};
  }
  StatusServer::Handler handler;
  {
    std::lock_guard<std::mutex> lock(routes_mu_);
    if (auto it = routes_.find(info.path); it != routes_.end()) handler = it->second;
  }
  if (!handler) return HttpReply{.status = 404, .body = "not found\n"};
  if (request.method() != http::verb::get && request.method() != http::verb::head) {
    return HttpReply{
        .status = 405, .body = "method not allowed\n", .headers = {{"Allow", "GET, HEAD"}}};
  }
  try {
    return handler(info);
  } catch (const std::exception& e) {
    spdlog::error("status server: {} {}: {}", info.method, info.path, e.what());
    return HttpReply{.status = 500, .body = "internal error\n"};
  }
}

}  // namespace

struct StatusServer::Impl {
  explicit Impl(StatusServerOptions options) : server(std::move(options)) {}
  Server server;
};

StatusServerOptions StatusServerOptions::FromConfig(const StatusConfig& config) {
  StatusServerOptions options;
  options.listen = config.listen;
  options.token = config.token;
  options.max_connections = config.max_connections;
  options.request_timeout = config.request_timeout;
  options.write_timeout = config.request_timeout;
  return options;
}

StatusServer::StatusServer(StatusServerOptions options)
    : impl_(std::make_unique<Impl>(std::move(options))) {}

StatusServer::~StatusServer() { Stop(); }

void StatusServer::Handle(const std::string& path, Handler handler) {
  impl_->server.Handle(path, std::move(handler));
}

Status StatusServer::Start() { return impl_->server.Start(); }

uint16_t StatusServer::port() const { return impl_->server.port(); }

void StatusServer::Stop() { impl_->server.Stop(); }

bool ConstantTimeEquals(const std::string& given, const std::string& expected) {
  unsigned difference = given.size() == expected.size() ? 0 : 1;
  for (size_t i = 0; i < expected.size(); ++i) {
    const unsigned char g = i < given.size() ? static_cast<unsigned char>(given[i]) : 0;
    difference |= g ^ static_cast<unsigned char>(expected[i]);
  }
  return difference == 0;
}

}  // namespace salesaudit
