// MailchimpSim's public face: an Impl (sim_impl.h) whose SimServer serves
// each connection as a coroutine on its own strand, in front of an account
// guarded by one mutex.
#include "tests/sim/mailchimp/mailchimp_sim.h"

#include "tests/sim/mailchimp/sim_impl.h"

namespace salesaudit::sim {

MailchimpSim::Impl::Impl(MailchimpSimOptions o, const Clock& c)
    : clock(c),
      options(std::move(o)),
      server([this](boost::asio::ip::tcp::socket socket) -> boost::asio::awaitable<void> {
        // A coroutine itself, not a forwarder: GCC 12 reports a false
        // mismatched-new-delete when the frame allocation is inlined here.
        co_await ServeConnection(std::move(socket), *this);
      }) {}

MailchimpSim::MailchimpSim(MailchimpSimOptions options, const Clock& clock)
    : impl_(std::make_unique<Impl>(std::move(options), clock)) {}

MailchimpSim::~MailchimpSim() { Stop(); }

uint16_t MailchimpSim::Start(uint16_t port) { return impl_->server.Start(port); }

void MailchimpSim::Stop() { impl_->server.Stop(); }

std::string MailchimpSim::base_url() const { return impl_->server.base_url() + "/3.0"; }

void MailchimpSim::Generate(const MailchimpSpec& spec) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->Generate(spec, impl_->clock.NowMs());
}

std::vector<MailchimpActivity> MailchimpSim::AddActivity(int count, const std::string& campaign_id,
                                                         int64_t at_ms) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->AddActivity(count, campaign_id, at_ms != 0 ? at_ms : impl_->clock.NowMs());
}

std::string MailchimpSim::SendCampaign() {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->SendCampaign(impl_->clock.NowMs());
}

void MailchimpSim::InjectFault(MailchimpFaultKind kind, int count, const std::string& prefix,
                               int skip) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->faults.push_back({kind, count, prefix, skip});
}

void MailchimpSim::SetOptions(const MailchimpSimOptions& options) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->options = options;
}

std::vector<MailchimpList> MailchimpSim::Lists() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->lists;
}

std::vector<MailchimpCampaign> MailchimpSim::Campaigns() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->campaigns;
}

std::vector<MailchimpMember> MailchimpSim::Members() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->members;
}

std::vector<MailchimpActivity> MailchimpSim::Activity() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->activity;
}

MailchimpSimStats MailchimpSim::Stats() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->stats;
}

}  // namespace salesaudit::sim
