// The simulator's HTTP front: a SimServer whose connections ServeHttpConnection
// serves, each a coroutine on its own strand, so a slow fault (a timer wait)
// or a long keep-alive session never holds up another connection; all API
// behaviour lives in SimService.
#include "tests/sim/hubspot/hubspot_sim.h"

// clang-format off
// Before any Boost header: with GCC 12 in C++20, asio/awaitable.hpp misses it.
#include <utility>
// clang-format on

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/http.hpp>

#include "tests/sim/common/sim_http.h"
#include "tests/sim/common/sim_server.h"
#include "tests/sim/hubspot/sim_service.h"

namespace salesaudit::sim {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

SimHttpResponse Answer(SimHttpRequest& req, SimService& service) {
  return service.Handle(ApiRequest{std::string(req.method_string()), std::string(req.target()),
                                   std::string(req[http::field::authorization]),
                                   std::move(req.body())});
}

}  // namespace

struct HubSpotSim::Impl {
  Impl(SimOptions options, const Clock& c)
      : clock(c),
        service(std::move(options), c),
        server([this](tcp::socket socket) -> asio::awaitable<void> {
          // A coroutine itself, not a forwarder: GCC 12 reports a false
          // mismatched-new-delete when the frame allocation is inlined here.
          co_await ServeHttpConnection(
              std::move(socket), [this](SimHttpRequest& req) { return Answer(req, service); },
              "salesaudit-crm-sim");
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
