#include "daemon/daemon.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <csignal>
#include <future>
#include <map>
#include <random>
#include <utility>  // before Boost: GCC 12 + C++20 (see README)

#include "alerts/delivery.h"
#include "alerts/round.h"
#include "alerts/rule_check.h"
#include "audit/runner.h"
#include "config/config_changes.h"
#include "connectors/connector.h"
#include "core/time_util.h"
#include "core/version.h"
#include "daemon/daemon_metrics.h"
#include "daemon/logging.h"
#include "daemon/serial_job.h"
#include "daemon/systemd_notify.h"
#include "status/status_endpoints.h"
#include "status/status_server.h"
#include "store/store.h"
#include "sync/sync_engine.h"

namespace salesaudit {

namespace asio = boost::asio;

// How often the log says how far a long stream run has come.
constexpr std::chrono::seconds kSyncProgressEvery(30);

struct Daemon::Impl {
  // One configured connector's schedule. Lives on the loop thread.
  struct Slot {
    std::shared_ptr<const ConnectorConfig> config;
    std::unique_ptr<SerialJob> job;  // syncs every poll_interval
    std::shared_ptr<std::atomic<bool>> cancel = std::make_shared<std::atomic<bool>>(false);
    bool removed = false;
    bool failing = false;  // a stream of its last run failed
  };

  Impl(Config c, std::string p, const Clock& clk)
      : config(std::move(c)),
        path(std::move(p)),
        clock(clk),
        signals(io, SIGINT, SIGTERM, SIGHUP),
        watchdog_timer(io),
        store_check_timer(io),
        // Threads are cheap while idle; enough that connectors added by a
        // reload still get a thread of their own.
        pool(std::max<size_t>(8, config.connectors.size() + 2)),
        audit(io, pool, clock, [this] { return StartAudit(); }),
        alert_rounds(io, pool, clock, [this] { return StartAlertRound(); }),
        delivery(io, pool, clock, [this] { return StartDelivery(); }),
        started_at_ms(clock.NowMs()) {}

  int Run() {
    // The integrity check runs beside the start, so the status server
    // answers at once; commits wait for it (Store::CheckTiming).
    auto opened = Store::Open(config.store.path, Store::kOpenCheckBudget,
                              Store::CheckTiming::kInBackground);
    if (!opened.ok()) {
      spdlog::error("cannot open store: {}", opened.status().message());
      return 1;
    }
    store = std::move(opened).value();
    for (const std::string& warning : store->warnings()) spdlog::warn("{}", warning);
    engine = std::make_unique<SyncEngine>(*store, BuiltinConnectors(), clock);
    if (auto latest = store->LatestSnapshot(); latest.ok() && *latest) {
      last_snapshot_ms = (*latest)->computed_at;
    }
    SetRunningConfig();
    if (!config.status.listen.empty() && !StartStatusServer()) return 1;
    RegisterMetrics();
    ExportConfiguredSeries();
    WaitForSignal();
    asio::post(pool, [this, connectors = config.connectors] {
      Status s = engine->LoadNewestChanges(connectors);
      if (!s.ok() && s.code() != StatusCode::kCancelled) {
        spdlog::warn("cursor lag: {}", s.message());
      }
    });
    asio::post(pool, [this] {
      Status outcome = store->OpenCheckOutcome();
      asio::post(io, [this, outcome] { OnOpenCheckDone(outcome); });
    });
    ApplyConnectors();
    audit.set_min_gap(config.audit.min_interval);
    audit.RunNoLaterThan(clock.SteadyNow());
    alert_rounds.RunNoLaterThan(clock.SteadyNow() + config.alerts.evaluate_every);
    delivery.RunSoon();
    CheckStoreHealth();
    spdlog::info("salesaudit running with {} connector(s), store {}", config.connectors.size(),
                 config.store.path);
    // The config is valid (checked by the caller), the store open and
    // migrated, the schedules armed: ready.
    schedules_running = true;
    systemd.Ready(StatusLine());
    if (auto interval = systemd.WatchdogInterval()) {
      watchdog_interval = std::chrono::duration_cast<std::chrono::milliseconds>(*interval);
      PingWatchdog();
    }
    io.run();
    // Stopping: the pool jobs saw the cancel flags; let them finish, then run
    // the completions they posted so every result is logged.
    pool.join();
    io.restart();
    io.run();
    if (server) server->Stop();
    for (int id : collectors) GlobalMetrics().RemoveCollector(id);
    spdlog::info("salesaudit stopped");
    return exit_code;
  }

  // The integrity check at open has ended. Damage found stops the daemon
  // as a damaged store stopped its start before the check ran in the
  // background: nothing was committed meanwhile (commits waited for the
  // check, and now fail), and systemd's restarts and start limit show it.
  void OnOpenCheckDone(const Status& outcome) {
    if (!outcome.ok()) {
      spdlog::error("cannot open store: {}", outcome.message());
      exit_code = 1;
      if (!stopping) Shutdown();
      return;
    }
    const StoreOpenCheck& check = store->open_check();
    if (check.complete) {
      spdlog::info("store integrity check at open: no damage found ({} ms)", check.took.count());
    } else if (!stopping) {
      spdlog::warn(
          "store integrity check at open: stopped after {} ms, unfinished (a big store); run "
          "`salesaudit store check` for a complete one",
          check.took.count());
    }
  }

  // The status server answers from its own thread; a port in use is a
  // startup failure, so a monitoring gap never goes unnoticed.
  bool StartStatusServer() {
    server = std::make_unique<StatusServer>(StatusServerOptions::FromConfig(config.status));
    RegisterStatusEndpoints(
        *server,
        DaemonView{
            .loop_answers =
                [this](std::chrono::milliseconds timeout) { return LoopAnswers(timeout); },
            .readiness = [this] { return Readiness(); },
            .config = [this] { return RunningConfig(); },
            .store = store.get(),
            .dashboard_refresh_seconds = static_cast<int>(
                std::chrono::duration_cast<std::chrono::seconds>(config.status.dashboard_refresh)
                    .count())});
    if (Status s = server->Start(); !s.ok()) {
      spdlog::error("status server on {}: {}", config.status.listen, s.message());
      return false;
    }
    const std::string listen = config.status.listen;
    const std::string dashboard_url = "http://" + listen.substr(0, listen.rfind(':')) + ":" +
                                      std::to_string(server->port()) + "/";
    spdlog::info("status server on {} (dashboard, /metrics, /healthz, /readyz)", dashboard_url);
    return true;
  }

  // Called from the server's thread: posts a no-op to the loop and waits.
  bool LoopAnswers(std::chrono::milliseconds timeout) {
    auto answered = std::make_shared<std::promise<void>>();
    std::future<void> done = answered->get_future();
    asio::post(io, [answered] { answered->set_value(); });
    return done.wait_for(timeout) == std::future_status::ready;
  }

  std::vector<ReadinessCheck> Readiness() {
    std::vector<ReadinessCheck> checks;
    // Health() looks at the file at the path now: a store removed since the
    // last look is not reported ready.
    const StoreHealth health = store->Health();
    checks.push_back({"store", health.ok, health.problem});
    checks.push_back({"config", RunningConfig() != nullptr, "not loaded"});
    checks.push_back({"schedules", schedules_running.load(), "not running (starting or stopping)"});
    std::lock_guard<std::mutex> lock(failures_mu);
    checks.push_back({"audit", audit_failure.empty(), "the last audit failed: " + audit_failure});
    checks.push_back(
        {"alerts", alert_failure.empty(), "the last alert round failed: " + alert_failure});
    return checks;
  }

  void SetRunningConfig() {
    std::lock_guard<std::mutex> lock(running_config_mu);
    running_config = std::make_shared<const Config>(config);
  }

  std::shared_ptr<const Config> RunningConfig() {
    std::lock_guard<std::mutex> lock(running_config_mu);
    return running_config;
  }

  // The daemon's metrics that are read when scraped.
  void RegisterMetrics() {
    Metrics().build_info.WithLabels({SALESAUDIT_VERSION}).Set(1);
    Metrics().snapshot_success_time.WithLabels({}).Set(0);
    Metrics().alert_round_success_time.WithLabels({}).Set(0);
    Metrics().reload_successful.WithLabels({}).Set(1);
    Metrics().reload_success_time.WithLabels({}).SetToCurrentTime(clock);
    // Counters whose label values are known from the start are exported at
    // 0, so that rate() and absent() work from the first scrape.
    for (const char* result : {"ok", "error"}) {
      Metrics().snapshots.WithLabels({result});
      Metrics().alert_rounds.WithLabels({result});
    }
    for (const char* result : {"success", "failure"}) Metrics().reloads.WithLabels({result});
    RegisterProcessMetrics(started_at_ms);
    collectors.push_back(GlobalMetrics().AddCollector([this] {
      const int64_t since = last_snapshot_ms.load();
      Metrics().snapshot_age.WithLabels({}).Set(
          static_cast<double>(clock.NowMs() - (since != 0 ? since : started_at_ms)) / 1000.0);
      Metrics().store_healthy.WithLabels({}).Set(store->Health().ok ? 1 : 0);
      const std::shared_ptr<const Config> running = RunningConfig();
      std::lock_guard<std::mutex> lock(alert_counts_mu);
      Metrics().alerts.Clear();
      // Every rule of the running config, firing or not.
      for (const AlertRuleConfig& rule : running->alerts.rules) {
        for (const char* state : {"pending", "firing"}) {
          Metrics().alerts.WithLabels({rule.name, state}).Set(0);
        }
      }
      for (const auto& [key, count] : alert_counts) {
        Metrics().alerts.WithLabels({key.first, key.second}).Set(count);
      }
    }));
  }

  // The series of what the config names (its connectors' streams, its
  // receivers) at 0; a reload exports those it adds.
  void ExportConfiguredSeries() {
    engine->ExportSeries(config.connectors);
    ExportDeliverySeries(config.alerts);
  }

  void WaitForSignal() {
    signals.async_wait([this](const boost::system::error_code& ec, int signo) {
      if (ec) return;
      if (signo == SIGHUP) {
        Reload();
        WaitForSignal();
      } else {
        Stop(signo);
      }
    });
  }

  void Stop(int signo) {
    spdlog::info("received {}, stopping", signo == SIGINT ? "SIGINT" : "SIGTERM");
    Shutdown();
  }

  void Shutdown() {
    systemd.Stopping();
    stopping = true;
    schedules_running = false;
    // An audit in flight ends without a snapshot rather than hold up the exit.
    store->CancelReads();
    for (auto& [name, slot] : slots) {
      slot.cancel->store(true);
      slot.job->Cancel();
    }
    audit.Cancel();
    alert_rounds.Cancel();
    delivery.Cancel();
    watchdog_timer.cancel();
    store_check_timer.cancel();
    signals.cancel();
  }

  // SIGHUP: a new config replaces the old one only if it is valid whole.
  // systemd hears RELOADING=1, then READY=1 whatever the outcome.
  void Reload() {
    systemd.Reloading();
    const bool applied = ApplyReload();
    Metrics().reloads.WithLabels({applied ? "success" : "failure"}).Increment();
    Metrics().reload_successful.WithLabels({}).Set(applied ? 1 : 0);
    if (applied) Metrics().reload_success_time.WithLabels({}).SetToCurrentTime(clock);
    systemd.Ready(StatusLine());
  }

  bool ApplyReload() {
    // What `check` refuses, a reload refuses.
    ConfigLoadResult loaded = LoadCheckedConfigFile(path);
    if (!loaded.config) {
      for (const auto& e : loaded.errors) spdlog::error("reload: {}", e);
      spdlog::error("reload failed: keeping the running configuration");
      return false;
    }
    for (const std::string& warning : KeepStartOnlySettings(config, &*loaded.config)) {
      spdlog::warn("reload: {}", warning);
    }
    for (const std::string& change :
         DescribeConfigChanges(config, *loaded.config, BuiltinConnectors().Schemas())) {
      spdlog::info("reload: {}", change);
    }
    config = std::move(*loaded.config);
    SetRunningConfig();
    SetLogLevel(config.log.level);
    SetLogFormat(config.log.format);
    ExportConfiguredSeries();
    ApplyConnectors();
    audit.set_min_gap(config.audit.min_interval);
    audit.RunNoLaterThan(clock.SteadyNow());
    alert_rounds.RunSoon();
    spdlog::info("configuration reloaded from {} ({} connector(s))", path,
                 config.connectors.size());
    return true;
  }

  // Makes the slots match config.connectors: new ones start now, changed ones
  // keep their schedule unless the interval changed, removed ones stop.
  void ApplyConnectors() {
    std::map<std::string, bool> wanted;
    for (const auto& c : config.connectors) {
      wanted[c.name] = true;
      auto it = slots.find(c.name);
      if (it == slots.end() || it->second.removed) {
        Slot& slot = slots[c.name];
        slot.removed = false;
        slot.config = std::make_shared<const ConnectorConfig>(c);
        if (!slot.job) {
          slot.job = std::make_unique<SerialJob>(io, pool, clock,
                                                 [this, name = c.name] { return StartSync(name); });
        }
        // Re-added while its cancelled run is still finishing: again when done.
        slot.job->RunSoon();
        continue;
      }
      Slot& slot = it->second;
      bool interval_changed = slot.config->poll_interval != c.poll_interval;
      slot.config = std::make_shared<const ConnectorConfig>(c);
      if (interval_changed) slot.job->RescheduleAt(clock.SteadyNow() + c.poll_interval);
    }
    for (auto& [name, slot] : slots) {
      if (wanted.count(name) != 0) continue;
      slot.removed = true;
      slot.cancel->store(true);
      slot.job->Cancel();
    }
  }

  SerialJob::PoolPart StartSync(const std::string& name) {
    Slot& slot = slots.at(name);
    slot.cancel->store(false);
    return [this, name, config_copy = slot.config, cancel = slot.cancel] {
      SyncRequest request;
      // A long run says how far it has come; a stream's result is logged
      // when it ends, not when the connector's last stream does.
      request.on_page = EveryInterval(kSyncProgressEvery, [](const SyncProgress& p) {
        spdlog::info("syncing {}", DescribeProgress(p));
      });
      request.on_stream_done = [](const StreamSyncResult& r) {
        if (r.status.ok()) {
          spdlog::info("sync {}", r.Summary());
        } else if (r.status.code() != StatusCode::kCancelled) {
          spdlog::error("sync {}", r.Summary());
        }
      };
      auto results = engine->RunConnector(*config_copy, request, *cancel);
      return [this, name, results = std::move(results)] { return OnSyncDone(name, results); };
    };
  }

  // Returns when the connector syncs next: its poll interval from now.
  std::chrono::milliseconds OnSyncDone(const std::string& name,
                                       const std::vector<StreamSyncResult>& results) {
    bool changed = false;
    bool failed = false;
    for (const auto& r : results) {
      failed = failed || (!r.status.ok() && r.status.code() != StatusCode::kCancelled);
      changed = changed || r.records > 0 || r.deletions > 0;
    }
    // The audit runs every audit.every, and sooner after a sync that changed
    // data, but never more often than audit.min_interval.
    if (changed && !stopping) audit.RunSoon();
    Slot& slot = slots.at(name);
    slot.failing = failed;
    if (slot.removed) {
      // Not from inside its own job's completion: the job is still in use.
      asio::post(io, [this, name] {
        auto it = slots.find(name);
        if (it != slots.end() && it->second.removed && !it->second.job->running()) slots.erase(it);
      });
    } else {
      systemd.Status(StatusLine());
    }
    return slot.config->poll_interval;
  }

  SerialJob::PoolPart StartAudit() {
    // The pool task gets its own copy: a reload may replace `config` meanwhile.
    return [this, config_copy = std::make_shared<const Config>(config)] {
      spdlog::debug("audit: computing the live snapshot");
      const SteadyTime began = clock.SteadyNow();
      const int64_t at = clock.NowMs();
      auto stored =
          ComputeAndStoreSnapshot(*store, *config_copy, AuditWindow{}, at, SnapshotPurpose::kLive);
      if (stored.ok()) last_snapshot_ms = at;  // its computed_at
      const std::chrono::duration<double> took = clock.SteadyNow() - began;
      if (stored.status().code() != StatusCode::kCancelled) {
        Metrics().snapshots.WithLabels({stored.ok() ? "ok" : "error"}).Increment();
      }
      if (stored.ok()) {
        Metrics().snapshot_success_time.WithLabels({}).SetToCurrentTime(clock);
        Metrics().snapshot_duration.WithLabels({}).Set(took.count());
        spdlog::info("audit snapshot {}: {} leads, {} won, lead to won {}", stored->id,
                     stored->snapshot.counts.leads, stored->snapshot.counts.won,
                     stored->snapshot.rates.lead_to_won
                         ? std::to_string(*stored->snapshot.rates.lead_to_won)
                         : std::string("n/a"));
      }
      return [this, status = stored.status()] {
        if (status.code() == StatusCode::kCancelled) {
          // Stopping (Stop): neither a failure nor a sign of the store's health.
          spdlog::info("audit cancelled: stopping, no snapshot stored");
          return config.audit.every;
        }
        if (!status.ok()) spdlog::error("{}", status.message());
        SetFailure(audit_failure, status.message());
        store_healthy = status.code() != StatusCode::kDataLoss;
        if (!stopping) {
          if (status.ok()) alert_rounds.RunSoon();  // on the new snapshot
          // Once the job has set its next run, which the line shows.
          asio::post(io, [this] { systemd.Status(StatusLine()); });
        }
        return config.audit.every;
      };
    };
  }

  SerialJob::PoolPart StartAlertRound() {
    return [this, config_copy = std::make_shared<const Config>(config)] {
      auto round = EvaluateAlerts(*config_copy);
      return [this, round] {
        const std::string failure = round.ok() ? round->snapshot_problem : round.status().message();
        if (!failure.empty()) spdlog::error("alert round: {}", failure);
        SetFailure(alert_failure, failure);
        Metrics().alert_rounds.WithLabels({failure.empty() ? "ok" : "error"}).Increment();
        if (failure.empty())
          Metrics().alert_round_success_time.WithLabels({}).SetToCurrentTime(clock);
        if (!stopping && round.ok() && round->queued > 0) delivery.RunSoon();
        return config.alerts.evaluate_every;
      };
    };
  }

  Result<AlertRoundResult> EvaluateAlerts(const Config& c) {
    const int64_t now = clock.NowMs();
    auto inputs = ReadAlertInputs(*store, started_at_ms);
    if (!inputs.ok()) return inputs.status();
    auto round = RunAlertRound(*store, c, *inputs, {}, now);
    if (!round.ok()) return round.status();
    {
      std::lock_guard<std::mutex> lock(alert_counts_mu);
      alert_counts = round->active;
    }
    // Every round would be a log line a minute; say only what changed.
    const int firing = round->firing();
    const bool news = round->queued > 0 || firing != last_firing;
    last_firing = firing;
    if (news) {
      spdlog::info("alerts: {} rule(s), {} firing, {} notification(s) queued", round->rules, firing,
                   round->queued);
    }
    return round;
  }

  // Delivers due notifications; the next pass comes when the next retry is
  // due, or after kDeliveryPoll at the latest.
  static constexpr std::chrono::milliseconds kDeliveryPoll{10000};

  SerialJob::PoolPart StartDelivery() {
    return [this, alerts = std::make_shared<const AlertsConfig>(config.alerts)] {
      auto counts = DeliverDueNotifications(*store, *alerts, clock.NowMs(), rng);
      auto next = kDeliveryPoll;
      if (!counts.ok()) {
        spdlog::error("notifications: {}", counts.status().message());
      } else {
        for (const std::string& drop : counts->drops) {
          spdlog::error("notifications: dropped {}", drop);
        }
        for (const std::string& retry : counts->retries) {
          spdlog::warn("notifications: {}", retry);
        }
        if (counts->delivered + counts->retried > 0) {
          spdlog::info("notifications: {} delivered, {} to retry", counts->delivered,
                       counts->retried);
        }
        if (counts->next_attempt_at) {
          next = std::clamp(std::chrono::milliseconds(*counts->next_attempt_at - clock.NowMs()),
                            std::chrono::milliseconds(0), kDeliveryPoll);
        }
      }
      return [next] { return next; };
    };
  }

  // Looks at the store every kStoreCheckEvery, so that a store file removed
  // or replaced, or a store that stopped taking commits, is logged once when
  // it happens (readiness and /metrics look for themselves when asked).
  static constexpr std::chrono::seconds kStoreCheckEvery{5};

  void CheckStoreHealth() {
    const StoreHealth health = store->Health();
    if (health.ok != logged_store_health.ok || health.problem != logged_store_health.problem) {
      if (health.ok) {
        spdlog::info("store {}: healthy again", config.store.path);
      } else {
        spdlog::error("store unhealthy ({}): {}", health.kind, health.problem);
      }
      logged_store_health = health;
    }
    store_check_timer.expires_after(kStoreCheckEvery);
    store_check_timer.async_wait([this](const boost::system::error_code& ec) {
      if (ec || stopping) return;
      CheckStoreHealth();
    });
  }

  // Records why the last audit or alert round failed ("" once one succeeds),
  // for /readyz.
  void SetFailure(std::string& failure, const std::string& why) {
    std::lock_guard<std::mutex> lock(failures_mu);
    failure = why;
  }

  // systemctl status' one line: "2 connector(s) ok, 1 failing (crm);
  // last audit 09:00:05Z, next in 59m".
  std::string StatusLine() const {
    int ok = 0;
    int failing = 0;
    std::string failing_names;
    for (const auto& [name, slot] : slots) {
      if (slot.removed) continue;
      if (slot.failing) {
        failing_names += (failing++ == 0 ? "" : ", ") + name;
      } else {
        ++ok;
      }
    }
    std::string line = std::to_string(ok) + " connector(s) ok";
    if (failing > 0) line += ", " + std::to_string(failing) + " failing (" + failing_names + ")";
    line += last_snapshot_ms != 0
                ? "; last audit " + FormatIsoMs(last_snapshot_ms).substr(11, 8) + "Z"
                : "; no audit yet";
    if (auto at = audit.next_run()) {
      const auto next = std::chrono::duration_cast<std::chrono::minutes>(*at - clock.SteadyNow());
      if (next.count() >= 0) line += ", next in " + std::to_string(next.count()) + "m";
    }
    return line;
  }

  // WATCHDOG=1 from the loop itself, so a loop that hangs stops the pings
  // and systemd restarts the service; none while audits find the store corrupt.
  void PingWatchdog() {
    if (store_healthy) systemd.Watchdog();
    watchdog_timer.expires_after(watchdog_interval);
    watchdog_timer.async_wait([this](const boost::system::error_code& ec) {
      if (ec || stopping) return;
      PingWatchdog();
    });
  }

  Config config;
  std::string path;
  const Clock& clock;
  asio::io_context io;
  asio::signal_set signals;
  asio::steady_timer watchdog_timer;
  asio::steady_timer store_check_timer;
  asio::thread_pool pool;
  // Every audit.every, sooner (but audit.min_interval apart) after a sync
  // that changed data.
  SerialJob audit;
  // After each stored snapshot and every alerts.evaluate_every (so `for`,
  // silences and the built-in checks move on between audits). A round with
  // no rules still runs: it resolves the alerts of rules a reload removed.
  SerialJob alert_rounds;
  // When a round queues notifications, then when the next retry is due, or
  // after kDeliveryPoll at the latest.
  SerialJob delivery;
  std::unique_ptr<Store> store;
  std::unique_ptr<SyncEngine> engine;
  std::map<std::string, Slot> slots;
  bool stopping = false;
  int exit_code = 0;  // 1 once the integrity check at open found the store damaged
  SystemdNotifier systemd;
  std::unique_ptr<StatusServer> server;
  std::atomic<bool> schedules_running{false};
  std::mutex running_config_mu;
  std::shared_ptr<const Config> running_config;  // for the server's thread
  std::vector<int> collectors;                   // metric collectors to remove at exit
  std::mutex alert_counts_mu;
  std::map<std::pair<std::string, std::string>, int> alert_counts;  // (rule, phase) -> alerts
  std::chrono::milliseconds watchdog_interval{0};
  std::atomic<int64_t> last_snapshot_ms{0};  // computed_at of the latest snapshot
  // Cleared while audits find the store corrupt: the watchdog stops and
  // systemd restarts the service (and its start limit stops a loop).
  bool store_healthy = true;
  StoreHealth logged_store_health;  // as CheckStoreHealth last logged it
  // Why the last audit and the last alert round failed, "" while they
  // succeed: written on the loop, read by the server's thread.
  std::mutex failures_mu;
  std::string audit_failure;
  std::string alert_failure;
  int last_firing = 0;  // pool side, one round at a time
  // A stream that never succeeded, or a store without snapshots, is stale from here.
  const int64_t started_at_ms;
  std::mt19937_64 rng{std::random_device{}()};  // delivery backoff; one pass at a time
};

Daemon::Daemon(Config config, std::string config_path, const Clock& clock)
    : impl_(std::make_unique<Impl>(std::move(config), std::move(config_path), clock)) {}

Daemon::~Daemon() = default;

int Daemon::Run() { return impl_->Run(); }

}  // namespace salesaudit
