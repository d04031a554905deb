// The simulator's HTTP front: a SimServer whose connections ServeHttpConnection
// serves, each a coroutine on its own strand; Answer enforces the request-size
// limit of Salesforce's front end (414/431) before anything else and leaves
// all API behaviour to SfService.
#include "tests/sim/salesforce/salesforce_sim.h"

// clang-format off
// Before any Boost header: with GCC 12 in C++20, asio/awaitable.hpp misses it.
#include <utility>
// clang-format on

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/http.hpp>

#include "tests/sim/common/sim_http.h"
#include "tests/sim/common/sim_server.h"
#include "tests/sim/salesforce/sf_service.h"

namespace salesaudit::sim {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

// What Beast reads of a request head before giving up; above Salesforce's
// limit, so that the limit is answered as Salesforce answers it.
constexpr uint32_t kParserHeaderLimit = 1024 * 1024;
// Salesforce refuses a request whose URI and headers together pass this
// (docs/vendors/salesforce.md "Request size").
constexpr size_t kMaxUriAndHeaders = 16'384;

// The 414 (the URI alone is over the limit) or 431 (URI and headers are)
// for a request over the size limit, or nullopt.
std::optional<SfResponse> OversizedRequest(const SimHttpRequest& req) {
  size_t header_bytes = 0;
  for (const auto& field : req)
    header_bytes += field.name_string().size() + field.value().size() + 4;
  if (req.target().size() + header_bytes <= kMaxUriAndHeaders) return std::nullopt;
  SfResponse r;
  r.content_type = "text/html";
  r.close = true;
  if (req.target().size() > kMaxUriAndHeaders) {
    r.status = 414;
    r.body = "<html><body><h1>414 URI Too Long</h1></body></html>";
  } else {
    r.status = 431;
    r.body = "<html><body><h1>431 Request Header Fields Too Large</h1></body></html>";
  }
  return r;
}

// Answers one request: the size limit first, as Salesforce's front end
// checks it, then the API.
SfResponse Answer(SimHttpRequest& req, SfService& service, const SimServer& server) {
  if (std::optional<SfResponse> oversized = OversizedRequest(req)) return *oversized;
  SfRequest request{std::string(req.method_string()), std::string(req.target()),
                    std::string(req[http::field::authorization]),
                    std::string(req["Sforce-Query-Options"]), std::move(req.body())};
  return service.Handle(request, server.base_url());
}

}  // namespace

struct SalesforceSim::Impl {
  Impl(const OrgSpec& spec, SalesforceSimOptions options, const Clock& clock)
      : service(spec, std::move(options), clock),
        server([this](tcp::socket socket) -> asio::awaitable<void> {
          // A coroutine itself, not a forwarder: GCC 12 reports a false
          // mismatched-new-delete when the frame allocation is inlined here.
          co_await ServeHttpConnection(
              std::move(socket),
              [this](SimHttpRequest& req) { return Answer(req, service, server); },
              "salesaudit-salesforce-sim", kParserHeaderLimit);
        }) {}

  SfService service;
  SimServer server;  // after service: its connections use it, so it stops first
};

SalesforceSim::SalesforceSim(OrgSpec spec, SalesforceSimOptions options, const Clock& clock)
    : impl_(std::make_unique<Impl>(spec, std::move(options), clock)) {}

SalesforceSim::~SalesforceSim() { Stop(); }

uint16_t SalesforceSim::Start(uint16_t port) { return impl_->server.Start(port); }
void SalesforceSim::Stop() { impl_->server.Stop(); }
std::string SalesforceSim::base_url() const { return impl_->server.base_url(); }

std::string SalesforceSim::org_id() const {
  return impl_->service.WithOrg([](Org& org, int64_t, int64_t) { return org.org_id(); });
}

std::string SalesforceSim::integration_user_id() const {
  return impl_->service.WithOrg(
      [](Org& org, int64_t, int64_t) { return org.integration_user_id(); });
}

std::vector<SfRecord> SalesforceSim::Records(const std::string& object,
                                             bool include_deleted) const {
  return impl_->service.WithOrg(
      [&](Org& org, int64_t, int64_t) { return org.Records(object, include_deleted); });
}

std::optional<SfRecord> SalesforceSim::Find(const std::string& object,
                                            const std::string& id) const {
  return impl_->service.WithOrg([&](Org& org, int64_t, int64_t) { return org.Find(object, id); });
}

std::string SalesforceSim::Create(const std::string& object,
                                  const std::map<std::string, SfValue>& fields) {
  return impl_->service.WithOrg(
      [&](Org& org, int64_t now, int64_t lag) { return org.Create(object, fields, now, lag); });
}

void SalesforceSim::Update(const std::string& object, const std::string& id,
                           const std::map<std::string, SfValue>& fields) {
  impl_->service.WithOrg(
      [&](Org& org, int64_t now, int64_t lag) { org.Update(object, id, fields, now, lag); });
}

SalesforceSim::Conversion SalesforceSim::ConvertLead(const std::string& lead_id,
                                                     const std::string& converted_status,
                                                     bool create_opportunity,
                                                     const std::string& existing_contact_id) {
  return impl_->service.WithOrg([&](Org& org, int64_t now, int64_t lag) {
    return org.ConvertLead(lead_id, converted_status, create_opportunity, existing_contact_id, now,
                           lag);
  });
}

void SalesforceSim::Delete(const std::string& object, const std::string& id) {
  impl_->service.WithOrg(
      [&](Org& org, int64_t now, int64_t lag) { org.Delete(object, id, now, lag); });
}

void SalesforceSim::Undelete(const std::string& object, const std::string& id) {
  impl_->service.WithOrg(
      [&](Org& org, int64_t now, int64_t lag) { org.Undelete(object, id, now, lag); });
}

void SalesforceSim::Merge(const std::string& object, const std::string& master_id,
                          const std::string& loser_id) {
  impl_->service.WithOrg([&](Org& org, int64_t now, int64_t lag) {
    org.Merge(object, master_id, loser_id, now, lag);
  });
}

void SalesforceSim::PurgeRecycleBin(int64_t older_than_ms) {
  impl_->service.WithOrg([&](Org& org, int64_t now, int64_t) { org.Purge(now - older_than_ms); });
}

std::vector<std::string> SalesforceSim::TouchMany(const std::string& object, int n, int64_t at_ms) {
  return impl_->service.WithOrg([&](Org& org, int64_t now, int64_t lag) {
    return org.TouchMany(object, n, at_ms, now, lag);
  });
}

std::string SalesforceSim::InsertLate(const std::string& object,
                                      const std::map<std::string, SfValue>& fields,
                                      int64_t modstamp_ms) {
  return impl_->service.WithOrg(
      [&](Org& org, int64_t, int64_t) { return org.InsertLate(object, fields, modstamp_ms); });
}

void SalesforceSim::ExpireSessions() { impl_->service.ExpireSessions(); }
void SalesforceSim::AddFault(const SfFault& fault) { impl_->service.AddFault(fault); }
void SalesforceSim::ClearFaults() { impl_->service.ClearFaults(); }
SfSimStats SalesforceSim::Stats() const { return impl_->service.Stats(); }
void SalesforceSim::ResetStats() { impl_->service.ResetStats(); }
int64_t SalesforceSim::api_usage() const { return impl_->service.api_usage(); }

}  // namespace salesaudit::sim
