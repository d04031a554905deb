// The simulator's HTTP front: a SimServer whose connections are served by
// ServeConnection below, each a coroutine on its own strand, so a slow fault
// (a timer wait) or a long keep-alive session never holds up another
// connection; all API behaviour lives in SimService.
#include "tests/sim/hubspot/hubspot_sim.h"

// clang-format off
// Before any Boost header: with GCC 12 in C++20, asio/awaitable.hpp misses it.
#include <utility>
// clang-format on

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "tests/sim/common/sim_server.h"
#include "tests/sim/hubspot/sim_service.h"

namespace salesaudit::sim {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

constexpr auto kIdleTimeout = std::chrono::seconds(60);
constexpr size_t kMaxRequestBody = 8 * 1024 * 1024;

// Sends the status line and headers of `out` with a Content-Length larger
// than the body, then half the body: the client sees a connection closed
// mid-body, as when a proxy drops a response.
asio::awaitable<void> WriteTruncated(beast::tcp_stream& stream, const ApiResponse& out) {
  std::string raw = "HTTP/1.1 " + std::to_string(out.status) + " " +
                    std::string(http::obsolete_reason(static_cast<http::status>(out.status))) +
                    "\r\nContent-Type: " + out.content_type +
                    "\r\nContent-Length: " + std::to_string(out.body.size() + 1024) + "\r\n";
  for (const auto& [name, value] : out.headers) raw += name + ": " + value + "\r\n";
  raw += "\r\n";
  raw.append(out.body, 0, out.body.size() / 2);
  beast::error_code ec;
  co_await asio::async_write(stream, asio::buffer(raw),
                             asio::redirect_error(asio::use_awaitable, ec));
}

asio::awaitable<void> ServeConnection(tcp::socket socket, SimService& service) {
  beast::tcp_stream stream(std::move(socket));
  beast::flat_buffer buffer;
  beast::error_code ec;
  for (;;) {
    http::request_parser<http::string_body> parser;
    parser.body_limit(kMaxRequestBody);
    stream.expires_after(kIdleTimeout);
    co_await http::async_read(stream, buffer, parser,
                              asio::redirect_error(asio::use_awaitable, ec));
    if (ec) break;
    http::request<http::string_body>& req = parser.get();
    ApiRequest request{std::string(req.method_string()), std::string(req.target()),
                       std::string(req[http::field::authorization]), std::move(req.body())};
    ApiResponse out = service.Handle(request);
    stream.expires_never();
    if (out.delay.count() > 0) {
      asio::steady_timer timer(co_await asio::this_coro::executor);
      timer.expires_after(out.delay);
      co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
    if (out.truncate) {
      co_await WriteTruncated(stream, out);
      break;
    }
    http::response<http::string_body> res{static_cast<http::status>(out.status), req.version()};
    res.set(http::field::server, "salesaudit-crm-sim");
    res.set(http::field::content_type, out.content_type);
    for (const auto& [name, value] : out.headers) res.set(name, value);
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

}  // namespace

struct HubSpotSim::Impl {
  Impl(SimOptions options, const Clock& c)
      : clock(c),
        service(std::move(options), c),
        server([this](tcp::socket socket) -> asio::awaitable<void> {
          // A coroutine itself, not a forwarder: GCC 12 reports a false
          // mismatched-new-delete when the frame allocation is inlined here.
          co_await ServeConnection(std::move(socket), service);
        }) {}

  // The portal's clock now: ours shifted by the configured offset.
  PortalClock PortalNow(const SimOptions& options) const {
    return PortalClock{clock.NowMs() + options.clock_offset_ms, options.index_lag_ms};
  }

  const Clock& clock;
  SimService service;
  SimServer server;  // after service: its connections use it, so it stops first
};

HubSpotSim::HubSpotSim(SimOptions options, const Clock& clock)
    : impl_(std::make_unique<Impl>(std::move(options), clock)) {}

HubSpotSim::~HubSpotSim() { Stop(); }

uint16_t HubSpotSim::Start(uint16_t port) { return impl_->server.Start(port); }

void HubSpotSim::Stop() { impl_->server.Stop(); }

std::string HubSpotSim::base_url() const { return impl_->server.base_url(); }

void HubSpotSim::Generate(const PortalSpec& spec) {
  impl_->service.WithPortal([&](Portal& portal, const SimOptions& options) {
    portal.Generate(spec, impl_->PortalNow(options));
  });
}

std::vector<std::string> HubSpotSim::UpdateContacts(int count, int64_t at_ms) {
  return impl_->service.WithPortal([&](Portal& portal, const SimOptions& options) {
    const PortalClock clock = impl_->PortalNow(options);
    return portal.UpdateContacts(count, at_ms != 0 ? at_ms : clock.now_ms, clock);
  });
}

std::vector<std::string> HubSpotSim::BulkUpdateContacts(int count, int distinct_timestamps) {
  return impl_->service.WithPortal([&](Portal& portal, const SimOptions& options) {
    return portal.BulkUpdateContacts(count, distinct_timestamps, impl_->PortalNow(options));
  });
}

std::vector<std::string> HubSpotSim::AddContacts(int count) {
  return impl_->service.WithPortal([&](Portal& portal, const SimOptions& options) {
    return portal.AddContacts(count, impl_->PortalNow(options));
  });
}

std::vector<std::string> HubSpotSim::ArchiveContacts(int count) {
  return impl_->service.WithPortal([&](Portal& portal, const SimOptions& options) {
    return portal.Archive(ObjectType::kContacts, count, impl_->PortalNow(options).now_ms);
  });
}

std::vector<std::string> HubSpotSim::MergeContacts(int count) {
  return impl_->service.WithPortal([&](Portal& portal, const SimOptions& options) {
    return portal.MergeContacts(count, impl_->PortalNow(options));
  });
}

std::vector<std::string> HubSpotSim::UpdateDeals(int count) {
  return impl_->service.WithPortal([&](Portal& portal, const SimOptions& options) {
    return portal.UpdateDeals(count, impl_->PortalNow(options));
  });
}

std::vector<std::string> HubSpotSim::AddDeals(int count) {
  return impl_->service.WithPortal([&](Portal& portal, const SimOptions& options) {
    return portal.AddDeals(count, impl_->PortalNow(options));
  });
}

std::vector<std::string> HubSpotSim::ArchiveDeals(int count) {
  return impl_->service.WithPortal([&](Portal& portal, const SimOptions& options) {
    return portal.Archive(ObjectType::kDeals, count, impl_->PortalNow(options).now_ms);
  });
}

std::vector<std::string> HubSpotSim::AssociateContacts(const std::string& deal_id, int count) {
  return impl_->service.WithPortal([&](Portal& portal, const SimOptions& options) {
    return portal.AssociateContacts(deal_id, count, impl_->PortalNow(options),
                                    options.association_changes_touch_deal);
  });
}

void HubSpotSim::SetContactProperty(const std::string& id, const std::string& name,
                                    std::optional<std::string> value, int64_t at_ms) {
  impl_->service.WithPortal([&](Portal& portal, const SimOptions& options) {
    const PortalClock clock = impl_->PortalNow(options);
    portal.SetContactProperty(id, name, value, at_ms != 0 ? at_ms : clock.now_ms, clock);
  });
}

std::vector<std::string> HubSpotSim::AddEmailEvents(int count, int64_t at_ms) {
  return impl_->service.WithPortal([&](Portal& portal, const SimOptions& options) {
    return portal.email().AddEvents(count, at_ms != 0 ? at_ms : impl_->PortalNow(options).now_ms);
  });
}

void HubSpotSim::InjectFault(const Fault& fault) { impl_->service.InjectFault(fault); }
void HubSpotSim::ClearFaults() { impl_->service.ClearFaults(); }
void HubSpotSim::SetToken(const std::string& token) { impl_->service.SetToken(token); }

void HubSpotSim::RevokeAccessTokens() { impl_->service.RevokeAccessTokens(); }
void HubSpotSim::SetOptions(const SimOptions& options) { impl_->service.SetOptions(options); }

std::vector<SimObject> HubSpotSim::Contacts() const {
  return impl_->service.WithPortal([](Portal& portal, const SimOptions&) {
    return portal.table(ObjectType::kContacts).records;
  });
}

std::vector<SimObject> HubSpotSim::Deals() const {
  return impl_->service.WithPortal(
      [](Portal& portal, const SimOptions&) { return portal.table(ObjectType::kDeals).records; });
}

std::vector<SimOwner> HubSpotSim::Owners() const {
  return impl_->service.WithPortal([](Portal& portal, const SimOptions&) {
    std::vector<SimOwner> out;
    for (const auto& [id, owner] : portal.owners()) out.push_back(owner);
    return out;
  });
}

std::map<std::string, std::vector<std::string>> HubSpotSim::DealContactIds() const {
  return impl_->service.WithPortal(
      [](Portal& portal, const SimOptions&) { return portal.deal_contacts(); });
}

std::vector<SimEmailCampaign> HubSpotSim::EmailCampaigns() const {
  return impl_->service.WithPortal(
      [](Portal& portal, const SimOptions&) { return portal.email().campaigns(); });
}

std::vector<SimEmailEvent> HubSpotSim::EmailEvents() const {
  return impl_->service.WithPortal(
      [](Portal& portal, const SimOptions&) { return portal.email().events(); });
}

SimStats HubSpotSim::Stats() const { return impl_->service.Stats(); }
void HubSpotSim::ResetStats() { impl_->service.ResetStats(); }

}  // namespace salesaudit::sim
