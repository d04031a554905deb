// audit_bench: builds a store of 1,000,000 contacts, 300,000 deals and
// 10,000,000 email events over 200 campaigns (times `--scale`), untimed, then
// times the email audit and the full snapshot on it and prints seconds (wall
// and CPU: on a shared machine the CPU seconds are the steadier figure) and
// the peak RSS of the audit alone (the store is built in a child process, so
// its memory is not counted).
//
//   build/audit_bench [--scale 1.0] [--db PATH] [--json PATH]
//
// With --db, an existing file is reused as it is (built on the first run);
// without, a fresh file is built in the temp directory and removed. With
// --json, the snapshot's JSON is written to PATH, so two builds' snapshots of
// one store can be compared byte for byte.
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "audit/email_audit.h"
#include "audit/snapshot.h"
#include "bench/bench_util.h"
#include "core/heap_policy.h"
#include "store/store.h"

namespace salesaudit {
namespace {

constexpr int64_t kDayMs = 24LL * 3600 * 1000;
constexpr int64_t kStartMs = 1704067200000;  // 2024-01-01T00:00:00Z
constexpr int kCampaigns = 200;
constexpr size_t kPageSize = 50000;

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

// Deterministic and fast; quality is irrelevant here.
class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  uint64_t Next() {
    state_ ^= state_ << 13;
    state_ ^= state_ >> 7;
    state_ ^= state_ << 17;
    return state_;
  }
  int64_t Below(int64_t n) { return static_cast<int64_t>(Next() % static_cast<uint64_t>(n)); }
  bool Chance(double p) { return static_cast<double>(Next() % 1000000) < p * 1e6; }

 private:
  uint64_t state_;
};

bool Commit(Store& store, Page& page) {
  page.cursor = "bench";
  Status s = store.CommitPage("bench", page);
  if (!s.ok()) {
    fprintf(stderr, "commit: %s\n", s.ToString().c_str());
    return false;
  }
  std::string stream = std::move(page.stream);
  page = Page{};
  page.stream = std::move(stream);
  return true;
}

std::string EmailOf(int64_t i) { return "person" + std::to_string(i) + "@example.com"; }

bool Build(const std::string& path, double scale) {
  auto opened = Store::Open(path);
  if (!opened.ok()) {
    fprintf(stderr, "%s\n", opened.status().ToString().c_str());
    return false;
  }
  Store& store = **opened;
  Rng rng(42);
  const int64_t contacts = static_cast<int64_t>(1000000 * scale);
  const int64_t deals = static_cast<int64_t>(300000 * scale);
  const int64_t events = static_cast<int64_t>(10000000 * scale);
  const char* channels[] = {"PAID_SEARCH", "ORGANIC_SEARCH", "EMAIL_MARKETING",
                            "REFERRALS",   "SOCIAL_MEDIA",   "DIRECT_TRAFFIC"};
  auto t0 = std::chrono::steady_clock::now();

  Page page;
  page.stream = "owners";
  for (int i = 0; i < 20; ++i) {
    Owner& o = page.owners.emplace_back();
    o.id = "o" + std::to_string(i);
    o.email = "rep" + std::to_string(i) + "@example.com";
    o.name = "Rep " + std::to_string(i);
  }
  if (!Commit(store, page)) return false;

  page.stream = "contacts";
  for (int64_t i = 0; i < contacts; ++i) {
    Contact& c = page.contacts.emplace_back();
    c.id = "c" + std::to_string(i);
    c.email = EmailOf(i);
    c.owner_id = "o" + std::to_string(rng.Below(20));
    c.channel = channels[rng.Below(6)];
    c.lifecycle_stage = "lead";
    int64_t at = kStartMs + rng.Below(365 * kDayMs);
    c.created_at = at;
    if (rng.Chance(0.4)) {
      c.mql_at = at += rng.Below(10 * kDayMs);
      if (rng.Chance(0.6)) {
        c.contacted_at = at += rng.Below(10 * kDayMs);
        if (rng.Chance(0.4)) {
          c.sql_at = at += rng.Below(20 * kDayMs);
          if (rng.Chance(0.3)) c.customer_at = at += rng.Below(40 * kDayMs);
        }
      }
    }
    c.updated_at = at;
    if (page.contacts.size() == kPageSize && !Commit(store, page)) return false;
  }
  if (!Commit(store, page)) return false;

  page.stream = "deals";
  for (int64_t i = 0; i < deals; ++i) {
    Deal& d = page.deals.emplace_back();
    d.id = "d" + std::to_string(i);
    d.name = "Deal " + std::to_string(i);
    d.owner_id = "o" + std::to_string(rng.Below(20));
    d.pipeline = "default";
    d.amount = 1000 + rng.Below(50000);
    d.currency = "EUR";
    d.created_at = kStartMs + rng.Below(365 * kDayMs);
    d.is_closed = rng.Chance(0.6);
    d.is_won = d.is_closed && rng.Chance(0.4);
    d.stage = d.is_won ? "closedwon" : d.is_closed ? "closedlost" : "open";
    if (d.is_closed) d.closed_at = *d.created_at + rng.Below(60 * kDayMs);
    d.updated_at = d.closed_at ? d.closed_at : d.created_at;
    d.contact_ids = std::vector<std::string>{"c" + std::to_string(rng.Below(contacts))};
    if (page.deals.size() == kPageSize && !Commit(store, page)) return false;
  }
  if (!Commit(store, page)) return false;
  const double records_s = Seconds(t0);

  page.stream = "campaigns";
  const char* kinds[] = {"newsletter", "nurture", "promotion", "onboarding"};
  for (int k = 0; k < kCampaigns; ++k) {
    EmailCampaign& c = page.campaigns.emplace_back();
    c.id = "m" + std::to_string(k);
    c.name = "Campaign " + std::to_string(k);
    c.subject = "Subject " + std::to_string(k);
    c.kind = kinds[k % 4];
    c.sent_at = kStartMs + k * (365 * kDayMs / kCampaigns);
  }
  if (!Commit(store, page)) return false;

  // Per recipient: sent, then delivered or a bounce, maybe opens (some by
  // machines), a click, an unsubscribe or a spam report. Campaigns differ in
  // how engaging they are, so some underperform.
  auto t1 = std::chrono::steady_clock::now();
  page.stream = "events";
  int64_t made = 0, next_id = 0;
  for (int k = 0; k < kCampaigns && made < events; ++k) {
    const int64_t budget = (events - made) / (kCampaigns - k);
    const int64_t campaign_made_at = made;
    const int64_t sent_at = kStartMs + k * (365 * kDayMs / kCampaigns);
    const double engagement = 0.5 + static_cast<double>(k % 7) / 6.0;
    const std::string campaign = "m" + std::to_string(k);
    while (made - campaign_made_at < budget) {
      const std::string email = EmailOf(rng.Below(contacts));
      auto add = [&](const char* type, int64_t at, bool machine) {
        EmailEvent& e = page.events.emplace_back();
        e.id = "e" + std::to_string(next_id++);
        e.campaign_id = campaign;
        e.email = email;
        e.type = type;
        e.occurred_at = at;
        e.machine = machine;
        ++made;
      };
      int64_t at = sent_at + rng.Below(3600 * 1000);
      add("sent", at, false);
      if (rng.Chance(0.05)) {
        add("bounce", at + 1000, false);
      } else {
        add("delivered", at + 1000, false);
        if (rng.Chance(0.15)) add("open", at + 2000, true);
        if (rng.Chance(0.3 * engagement)) {
          at += rng.Below(3 * kDayMs);
          add("open", at, false);
          if (rng.Chance(0.25 * engagement)) add("click", at + 60000, false);
          if (rng.Chance(0.01)) add("unsubscribe", at + 120000, false);
        }
        if (rng.Chance(0.001)) add("spam", at + 5000, false);
      }
      if (page.events.size() >= kPageSize && !Commit(store, page)) return false;
    }
  }
  if (!Commit(store, page)) return false;
  const double events_s = Seconds(t1);
  printf("built %s: %lld contacts, %lld deals in %.1f s; %lld events in %.1f s (%.0f events/s)\n",
         path.c_str(), static_cast<long long>(contacts), static_cast<long long>(deals), records_s,
         static_cast<long long>(made), events_s, static_cast<double>(made) / events_s);
  return true;
}

int Run(int argc, char** argv) {
  double scale = 1.0;
  std::string db;
  std::string json_path;
  for (int i = 1; i < argc; ++i) {
    if (strcmp(argv[i], "--scale") == 0 && i + 1 < argc) {
      scale = atof(argv[++i]);
    } else if (strcmp(argv[i], "--db") == 0 && i + 1 < argc) {
      db = argv[++i];
    } else if (strcmp(argv[i], "--json") == 0 && i + 1 < argc) {
      json_path = argv[++i];
    } else {
      fprintf(stderr, "usage: audit_bench [--scale 1.0] [--db PATH] [--json PATH]\n");
      return 2;
    }
  }
  if (scale <= 0) {
    fprintf(stderr, "--scale must be positive\n");
    return 2;
  }
  const bool temporary = db.empty();
  if (temporary) {
    db = (std::filesystem::temp_directory_path() /
          ("audit_bench_" + std::to_string(getpid()) + ".db"))
             .string();
  }
  if (!std::filesystem::exists(db)) {
    // Built in a child so the parent's peak RSS is the audit's alone.
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
      const bool built = Build(db, scale);
      fflush(stdout);
      _exit(built ? 0 : 1);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) return 1;
  }

  auto opened = Store::Open(db);
  if (!opened.ok()) {
    fprintf(stderr, "%s\n", opened.status().ToString().c_str());
    return 1;
  }
  Store& store = **opened;
  const AuditWindow window{kStartMs, kStartMs + 366 * kDayMs};

  auto t0 = std::chrono::steady_clock::now();
  double cpu0 = bench::ProcessCpuSeconds();
  auto email = ComputeEmailAudit(store, window, EmailAuditOptions{});
  const double email_s = Seconds(t0);
  const double email_cpu_s = bench::ProcessCpuSeconds() - cpu0;
  if (!email.ok()) {
    fprintf(stderr, "%s\n", email.status().ToString().c_str());
    return 1;
  }
  int64_t underperforming = 0;
  for (const EmailCampaignStats& c : email->campaigns) underperforming += c.underperforming;
  printf("email audit: %.3f s (%zu campaigns, %lld underperforming), peak RSS %.1f MiB\n", email_s,
         email->campaigns.size(), static_cast<long long>(underperforming), bench::PeakRssMiB());

  AuditSettings settings;
  settings.leads_per_rep_per_week = 25;
  t0 = std::chrono::steady_clock::now();
  cpu0 = bench::ProcessCpuSeconds();
  auto snapshot = ComputeSnapshot(store, settings, window, kStartMs + 366 * kDayMs);
  if (!snapshot.ok()) {
    fprintf(stderr, "%s\n", snapshot.status().ToString().c_str());
    return 1;
  }
  auto json = SnapshotJson(*snapshot);
  if (!json.ok()) {
    fprintf(stderr, "%s\n", json.status().ToString().c_str());
    return 1;
  }
  const double snapshot_s = Seconds(t0);
  const double snapshot_cpu_s = bench::ProcessCpuSeconds() - cpu0;
  printf("full snapshot: %.3f s (%zu bytes of JSON), peak RSS %.1f MiB\n", snapshot_s, json->size(),
         bench::PeakRssMiB());
  if (!json_path.empty()) {
    FILE* out = fopen(json_path.c_str(), "wb");
    bool written = out != nullptr && fwrite(json->data(), 1, json->size(), out) == json->size();
    if (out != nullptr) written = fclose(out) == 0 && written;
    if (!written) {
      fprintf(stderr, "cannot write %s\n", json_path.c_str());
      return 1;
    }
  }
  bench::PrintFigure("audit_email_s", email_s, "s");
  bench::PrintFigure("audit_email_cpu_s", email_cpu_s, "s");
  bench::PrintFigure("audit_snapshot_s", snapshot_s, "s");
  bench::PrintFigure("audit_snapshot_cpu_s", snapshot_cpu_s, "s");
  bench::PrintFigure("audit_rss_mib", bench::PeakRssMiB(), "MiB");

  opened->reset();
  if (temporary) {
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(db + suffix);
  }
  return 0;
}

}  // namespace
}  // namespace salesaudit

int main(int argc, char** argv) {
  salesaudit::KeepFreedHeapForReuse();
  return salesaudit::Run(argc, argv);
}
