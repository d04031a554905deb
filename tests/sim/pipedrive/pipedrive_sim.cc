// The simulator's HTTP front: a SimServer whose connections ServeHttpConnection
// serves, each a coroutine on its own strand; every request goes to PdService,
// and the test-facing methods run on the company under its lock.
#include "tests/sim/pipedrive/pipedrive_sim.h"

// clang-format off
// Before any Boost header: with GCC 12 in C++20, asio/awaitable.hpp misses it.
#include <utility>
// clang-format on

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/http.hpp>

#include "tests/sim/common/sim_http.h"
#include "tests/sim/common/sim_server.h"
#include "tests/sim/pipedrive/pd_service.h"

namespace salesaudit::sim {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

template <typename T>
std::vector<T> Live(const std::vector<T>& records, bool include_deleted) {
  std::vector<T> out;
  for (const T& r : records) {
    if (include_deleted || !r.is_deleted) out.push_back(r);
  }
  return out;
}

}  // namespace

struct PipedriveSim::Impl {
  Impl(const PdCompanySpec& spec, PipedriveSimOptions options, const Clock& clock)
      : service(spec, std::move(options), clock),
        server([this](tcp::socket socket) -> asio::awaitable<void> {
          // A coroutine itself, not a forwarder: GCC 12 reports a false
          // mismatched-new-delete when the frame allocation is inlined here.
          co_await ServeHttpConnection(
              std::move(socket),
              [this](SimHttpRequest& req) {
                return service.Handle(PdRequest{std::string(req.method_string()),
                                                std::string(req.target()),
                                                std::string(req["x-api-token"])});
              },
              "salesaudit-pipedrive-sim");
        }) {}

  PdService service;
  SimServer server;  // after service: its connections use it, so it stops first
};

PipedriveSim::PipedriveSim(PdCompanySpec spec, PipedriveSimOptions options, const Clock& clock)
    : impl_(std::make_unique<Impl>(spec, std::move(options), clock)) {}

PipedriveSim::~PipedriveSim() { Stop(); }

uint16_t PipedriveSim::Start(uint16_t port) { return impl_->server.Start(port); }
void PipedriveSim::Stop() { impl_->server.Stop(); }
std::string PipedriveSim::base_url() const { return impl_->server.base_url(); }
const std::string& PipedriveSim::api_token() const { return impl_->service.api_token(); }

std::vector<PdUser> PipedriveSim::Users() const {
  return impl_->service.WithCompany([](Company& c, int64_t) { return c.users(); });
}

std::vector<PdPerson> PipedriveSim::Persons(bool include_deleted) const {
  return impl_->service.WithCompany(
      [&](Company& c, int64_t) { return Live(c.persons(), include_deleted); });
}

std::vector<PdDeal> PipedriveSim::Deals(bool include_deleted) const {
  return impl_->service.WithCompany(
      [&](Company& c, int64_t) { return Live(c.deals(), include_deleted); });
}

std::vector<PdLead> PipedriveSim::Leads(bool include_deleted) const {
  return impl_->service.WithCompany(
      [&](Company& c, int64_t) { return Live(c.leads(), include_deleted); });
}

std::vector<PdActivity> PipedriveSim::Activities(bool include_deleted) const {
  return impl_->service.WithCompany(
      [&](Company& c, int64_t) { return Live(c.activities(), include_deleted); });
}

std::vector<PdPipeline> PipedriveSim::Pipelines() const {
  return impl_->service.WithCompany([](Company& c, int64_t) { return c.pipelines(); });
}

std::vector<PdStage> PipedriveSim::Stages() const {
  return impl_->service.WithCompany([](Company& c, int64_t) { return c.stages(); });
}

std::vector<PdPersonField> PipedriveSim::PersonFields() const {
  return impl_->service.WithCompany([](Company& c, int64_t) { return c.person_fields(); });
}

std::string PipedriveSim::PersonFieldKey(const std::string& name) const {
  return impl_->service.WithCompany([&](Company& c, int64_t) { return c.CustomField(name).key; });
}

int64_t PipedriveSim::CreatePerson(PdPerson person) {
  return impl_->service.WithCompany(
      [&](Company& c, int64_t now) { return c.CreatePerson(std::move(person), now); });
}

void PipedriveSim::UpdatePerson(int64_t id, const std::function<void(PdPerson&)>& change) {
  impl_->service.WithCompany([&](Company& c, int64_t now) { c.UpdatePerson(id, change, now); });
}

void PipedriveSim::DeletePerson(int64_t id) {
  impl_->service.WithCompany([&](Company& c, int64_t now) { c.DeletePerson(id, now); });
}

int64_t PipedriveSim::CreateDeal(PdDeal deal) {
  return impl_->service.WithCompany(
      [&](Company& c, int64_t now) { return c.CreateDeal(std::move(deal), now); });
}

void PipedriveSim::UpdateDeal(int64_t id, const std::function<void(PdDeal&)>& change) {
  impl_->service.WithCompany([&](Company& c, int64_t now) { c.UpdateDeal(id, change, now); });
}

void PipedriveSim::DeleteDeal(int64_t id) {
  impl_->service.WithCompany([&](Company& c, int64_t now) { c.DeleteDeal(id, now); });
}

std::string PipedriveSim::CreateLead(PdLead lead) {
  return impl_->service.WithCompany(
      [&](Company& c, int64_t now) { return c.CreateLead(std::move(lead), now); });
}

void PipedriveSim::ArchiveLead(const std::string& id) {
  impl_->service.WithCompany([&](Company& c, int64_t now) { c.ArchiveLead(id, now); });
}

void PipedriveSim::DeleteLead(const std::string& id) {
  impl_->service.WithCompany([&](Company& c, int64_t now) { c.DeleteLead(id, now); });
}

int64_t PipedriveSim::CreateActivity(PdActivity activity) {
  return impl_->service.WithCompany(
      [&](Company& c, int64_t now) { return c.CreateActivity(std::move(activity), now); });
}

void PipedriveSim::MarkActivityDone(int64_t id) {
  impl_->service.WithCompany([&](Company& c, int64_t now) { c.MarkActivityDone(id, now); });
}

void PipedriveSim::MergePersons(int64_t survivor_id, int64_t loser_id) {
  impl_->service.WithCompany(
      [&](Company& c, int64_t now) { c.MergePersons(survivor_id, loser_id, now); });
}

std::vector<int64_t> PipedriveSim::TouchPersons(int n, int64_t at_ms) {
  return impl_->service.WithCompany([&](Company& c, int64_t) { return c.TouchPersons(n, at_ms); });
}

std::vector<int64_t> PipedriveSim::TouchDeals(int n, int64_t at_ms) {
  return impl_->service.WithCompany([&](Company& c, int64_t) { return c.TouchDeals(n, at_ms); });
}

void PipedriveSim::SetPersonFieldOptionLabel(const std::string& key, int64_t option_id,
                                             const std::string& label) {
  impl_->service.WithCompany(
      [&](Company& c, int64_t now) { c.SetPersonFieldOptionLabel(key, option_id, label, now); });
}

void PipedriveSim::AddFault(const PdFault& fault) { impl_->service.AddFault(fault); }
void PipedriveSim::ClearFaults() { impl_->service.ClearFaults(); }
PdSimStats PipedriveSim::Stats() const { return impl_->service.Stats(); }
void PipedriveSim::ResetStats() { impl_->service.ResetStats(); }

}  // namespace salesaudit::sim
