// The forecast (docs/audit.md "Forecast"): matured cohorts, the channel fallback,
// the Beta-Binomial interval, revenue and return on spend, over real stores.
#include "audit/forecast.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <vector>

#include "tests/support/subprocess.h"

namespace salesaudit {
namespace {

constexpr int64_t kDay = 86400000;
// Day 0 of the tests: the audit takes times before 1980 as unknown.
constexpr int64_t kOrigin = 1704067200000;  // 2024-01-01T00:00Z
constexpr int64_t kNow = kOrigin + 1000 * kDay;

// Contacts and won deals of one source, built up cohort by cohort.
class History {
 public:
  // `leads` contacts of `channel` created on `created_day`; the first `won`
  // reach customer after `cycle_days` (each with a won deal of `amount` when
  // given), the next `contacted - won` are contacted only.
  History& Add(const std::string& channel, int leads, int contacted, int won, int64_t created_day,
               int64_t cycle_days = 30, std::optional<double> amount = std::nullopt) {
    for (int i = 0; i < leads; ++i) {
      Contact c;
      c.id = "c" + std::to_string(next_++);
      c.channel = channel;
      c.created_at = kOrigin + created_day * kDay;
      if (i < contacted) c.contacted_at = *c.created_at + kDay;
      if (i < won) {
        c.sql_at = *c.created_at + 2 * kDay;
        c.customer_at = *c.created_at + cycle_days * kDay;
        if (amount) {
          Deal d;
          d.id = "d" + c.id;
          d.amount = amount;
          d.currency = "USD";
          d.is_closed = true;
          d.is_won = true;
          d.closed_at = c.customer_at;
          d.contact_ids = std::vector<std::string>{c.id};
          page_.deals.push_back(d);
        }
      }
      page_.contacts.push_back(c);
    }
    return *this;
  }
  Page& page() { return page_; }

  // A store in `dir` holding this history under source "crm".
  std::unique_ptr<Store> Open(const testing::TempDir& dir, const std::string& name = "h.db") {
    auto store = Store::Open(dir.File(name));
    REQUIRE(store.ok());
    page_.stream = "contacts";
    page_.cursor = "{}";
    REQUIRE((*store)->CommitPage("crm", page_).ok());
    return std::move(store).value();
  }

 private:
  Page page_;
  int next_ = 0;
};

ForecastRequest Request(int64_t leads, std::optional<std::string> channel = std::nullopt,
                        std::optional<double> spend = std::nullopt, AuditWindow history = {}) {
  return ForecastRequest{leads, std::move(channel), spend, history, kNow};
}

// Quantile as BetaBinomialInterval defines it, from an independent exact
// enumeration: pmf(k) = C(n,k) prod(alpha+i, i<k) prod(beta+j, j<n-k) /
// prod(alpha+beta+m, m<n), the Polya urn form, in long double.
std::vector<long double> PolyaPmf(int n, double alpha, double beta) {
  std::vector<long double> pmf;
  for (int k = 0; k <= n; ++k) {
    long double p = 1;
    for (int i = 1; i <= k; ++i) p *= static_cast<long double>(n - k + i) / i;
    for (int i = 0; i < k; ++i) p *= alpha + i;
    for (int j = 0; j < n - k; ++j) p *= beta + j;
    for (int m = 0; m < n; ++m) p /= alpha + beta + m;
    pmf.push_back(p);
  }
  return pmf;
}

template <typename Pmf>
int64_t QuantileOf(const Pmf& pmf, double q) {
  long double cdf = 0;
  for (size_t k = 0; k < pmf.size(); ++k) {
    cdf += pmf[k];
    if (cdf >= q - 1e-9) return static_cast<int64_t>(k);
  }
  return static_cast<int64_t>(pmf.size()) - 1;
}

TEST_CASE("150 leads with half reached and a quarter of those won forecast 18.75 customers",
          "[audit][forecast]") {
  testing::TempDir dir;
  History h;
  h.Add("podcast", 400, 200, 50, 500, 30, 1000.0);
  // Too young to have matured (p90 cycle is 30 days): left out of the cohort.
  h.Add("podcast", 40, 40, 0, 990);
  auto store = h.Open(dir);
  auto f = ComputeForecast(*store, Request(150, "podcast", 5000.0), ForecastOptions{});
  REQUIRE(f.ok());
  CHECK(f->basis.scope == ForecastBasis::Scope::kChannel);
  CHECK(f->basis.reason.empty());
  CHECK(f->basis.cohort_leads == 400);
  CHECK(f->basis.cohort_won == 50);
  CHECK(f->basis.maturity_horizon_ms == 30 * kDay);
  CHECK(*f->rates.lead_to_mql == 0.5);
  CHECK(*f->rates.mql_to_contacted == 1.0);
  CHECK(*f->rates.contacted_to_sql == 0.25);
  CHECK(*f->rates.sql_to_won == 1.0);
  CHECK(*f->rates.lead_to_won == 0.125);
  REQUIRE(f->expected_customers.has_value());
  CHECK(*f->expected_customers == 18.75);
  CHECK(f->basis.won_deals == 50);
  CHECK(f->basis.deal_scope == ForecastBasis::Scope::kChannel);
  CHECK(*f->expected_revenue == Approx(18750.0));
  CHECK(*f->return_on_spend == Approx(3.75));
  CHECK(*f->spend == 5000.0);
  REQUIRE(f->interval.has_value());
  CHECK(f->interval->level == 0.8);
  CHECK(f->interval->low <= 18);
  CHECK(f->interval->high >= 19);

  const std::string json = ForecastJson(*f);
  for (const char* key :
       {"\"channel\":\"podcast\"", "\"leads\":150", "\"expected_customers\":18.75",
        "\"lead_to_won\":0.125", "\"interval\":{\"low\":", "\"level\":0.8",
        "\"expected_revenue\":18750.0", "\"spend\":5000.0", "\"return_on_spend\":3.75",
        "\"cohort_leads\":400", "\"cohort_won\":50", "\"scope\":\"channel\"", "\"reason\":null"}) {
    CHECK_THAT(json, Catch::Contains(key));
  }
  CHECK_THAT(ForecastText(*f), Catch::Contains("18.75") && Catch::Contains("3.75"));
}

TEST_CASE("A channel with too few matured leads is forecast from its own leads and the pool",
          "[audit][forecast]") {
  testing::TempDir dir;
  History h;
  h.Add("podcast", 400, 200, 50, 500);
  h.Add("search", 300, 100, 60, 500);
  h.Add("webinar", 10, 8, 5, 500);
  h.Add("radio", 5, 0, 0, 995);  // known, but too young to have matured
  auto store = h.Open(dir);
  struct Case {
    std::string channel;
    int64_t min_channel_leads;
    ForecastBasis::Scope scope;
    int64_t cohort_leads;
    const char* reason;
  };
  const Case cases[] = {
      {"webinar", 30, ForecastBasis::Scope::kChannelPooled, 10,
       "channel 'webinar' has 10 matured leads, fewer than the minimum of 30; its rate is pooled "
       "with all channels', weighed as "},
      {"webinar", 10, ForecastBasis::Scope::kChannel, 10, ""},
      {"radio", 30, ForecastBasis::Scope::kChannelPooled, 0,
       "channel 'radio' has no matured leads; its rate is pooled"},
  };
  const double pool_rate = 115.0 / 710;
  for (const Case& c : cases) {
    INFO(c.channel << " min " << c.min_channel_leads);
    ForecastOptions options;
    options.min_channel_leads = c.min_channel_leads;
    auto f = ComputeForecast(*store, Request(100, c.channel), options);
    REQUIRE(f.ok());
    CHECK(f->basis.scope == c.scope);
    CHECK(f->basis.cohort_leads == c.cohort_leads);
    CHECK(*f->basis.channel_matured_leads == c.cohort_leads);
    CHECK_THAT(f->basis.reason, Catch::StartsWith(c.reason));
    CHECK(*f->channel == c.channel);
    CHECK(*f->basis.pool_rate == Approx(pool_rate));
    REQUIRE(f->expected_customers.has_value());
    REQUIRE(f->interval.has_value());
    // Between the pool's rate and its own 5 of 10; the pool's for radio,
    // which has none of its own.
    CHECK(*f->expected_customers == Approx(100 * *f->basis.rate));
    if (c.cohort_leads > 0) {
      CHECK(*f->basis.rate > pool_rate);
      CHECK(*f->basis.rate < 0.5);
    } else {
      CHECK(*f->basis.rate == Approx(pool_rate));
    }
    CHECK(f->interval->low <= *f->expected_customers);
    CHECK(f->interval->high >= *f->expected_customers);
    const std::string json = ForecastJson(*f);
    CHECK_THAT(json, Catch::Contains(c.scope == ForecastBasis::Scope::kChannel
                                         ? "\"scope\":\"channel\""
                                         : "\"scope\":\"channel_pooled\""));
  }
  auto all = ComputeForecast(*store, Request(100), ForecastOptions{});
  REQUIRE(all.ok());
  CHECK_FALSE(all->channel.has_value());
  CHECK_FALSE(all->basis.channel_matured_leads.has_value());
  CHECK(all->basis.cohort_leads == 710);
  CHECK(*all->expected_customers == Approx(100.0 * 115 / 710));
  CHECK(*all->basis.prior_leads == 0.0);
  CHECK_THAT(ForecastJson(*all), Catch::StartsWith("{\"channel\":null,"));
}

TEST_CASE("An unknown channel is refused with the known channels and a spelling suggestion",
          "[audit][forecast]") {
  testing::TempDir dir;
  History h;
  h.Add("PAID_SOCIAL", 40, 20, 5, 500);
  h.Add("ORGANIC_SEARCH", 40, 20, 5, 500);
  h.Add("Paid Social", 3, 1, 0, 500);
  h.Add("paid social", 2, 1, 0, 500);
  auto store = h.Open(dir);
  struct Case {
    const char* channel;
    const char* suggestion;
  };
  const Case cases[] = {
      {"paid_social", "did you mean 'PAID_SOCIAL'?"},
      {"  Paid_Social ", "did you mean 'PAID_SOCIAL'?"},
      {"paid   social", "did you mean 'Paid Social' or 'paid social'?"},
      {"radio", nullptr},
  };
  for (const Case& c : cases) {
    INFO(c.channel);
    auto f = ComputeForecast(*store, Request(100, c.channel), ForecastOptions{});
    REQUIRE_FALSE(f.ok());
    CHECK(f.status().code() == StatusCode::kInvalidArgument);
    const std::string& message = f.status().message();
    CHECK_THAT(message, Catch::StartsWith("forecast: unknown channel '" + std::string(c.channel)));
    CHECK_THAT(message, Catch::EndsWith("known channels: 'ORGANIC_SEARCH', 'PAID_SOCIAL', "
                                        "'Paid Social', 'paid social'"));
    if (c.suggestion) {
      CHECK_THAT(message, Catch::Contains(c.suggestion));
    } else {
      CHECK_THAT(message, !Catch::Contains("did you mean"));
    }
  }
  // The exact spelling is forecast, and its other spellings are named.
  auto f = ComputeForecast(*store, Request(100, "Paid Social"), ForecastOptions{});
  REQUIRE(f.ok());
  CHECK(f->basis.cohort_leads == 3);
  CHECK(f->basis.channel_variants == std::vector<std::string>{"paid social"});
  CHECK_THAT(ForecastJson(*f), Catch::Contains("\"channel_variants\":[\"paid social\"]"));
  CHECK_THAT(ForecastText(*f), Catch::Contains("also stored as 'paid social'"));

  History empty;
  auto none = empty.Open(dir, "empty.db");
  f = ComputeForecast(*none, Request(100, "podcast"), ForecastOptions{});
  REQUIRE_FALSE(f.ok());
  CHECK_THAT(f.status().message(), Catch::Contains("the store holds no channels"));
}

TEST_CASE("A lead has matured only once older than its channel's p90 cycle time",
          "[audit][forecast]") {
  testing::TempDir dir;
  History h;
  // Enterprise deals take 200 days; leads of 100 days ago are still open.
  h.Add("enterprise", 50, 40, 20, 500, 200);
  h.Add("enterprise", 50, 10, 0, 900);
  h.Add("search", 300, 100, 30, 500, 10);
  auto store = h.Open(dir);
  auto f = ComputeForecast(*store, Request(10, "enterprise"), ForecastOptions{});
  REQUIRE(f.ok());
  CHECK(f->basis.scope == ForecastBasis::Scope::kChannel);
  CHECK(f->basis.maturity_horizon_ms == 200 * kDay);
  CHECK(f->basis.matured_before_ms == kNow - 200 * kDay);
  CHECK(f->basis.cohort_leads == 50);
  CHECK(*f->rates.lead_to_won == 0.4);
  // Over all channels the p90 cycle is 200 days too (20 of 50 won are slow),
  // so the day-900 leads stay out there as well.
  auto all = ComputeForecast(*store, Request(10), ForecastOptions{});
  REQUIRE(all.ok());
  CHECK(all->basis.cohort_leads == 350);
}

TEST_CASE("The history window narrows the cohorts by creation date", "[audit][forecast]") {
  testing::TempDir dir;
  History h;
  h.Add("podcast", 100, 50, 10, 100);
  h.Add("podcast", 100, 50, 40, 500);
  auto store = h.Open(dir);
  struct Case {
    AuditWindow history;
    int64_t cohort_leads;
    double lead_to_won;
  };
  const Case cases[] = {
      {{}, 200, 0.25},
      {{kOrigin + 400 * kDay, {}}, 100, 0.4},
      {{{}, kOrigin + 400 * kDay}, 100, 0.1},
      {{kOrigin + 100 * kDay, kOrigin + 500 * kDay}, 100, 0.1},
  };
  for (const Case& c : cases) {
    auto f = ComputeForecast(*store, Request(20, std::nullopt, std::nullopt, c.history),
                             ForecastOptions{});
    REQUIRE(f.ok());
    CHECK(f->basis.cohort_leads == c.cohort_leads);
    CHECK(*f->rates.lead_to_won == Approx(c.lead_to_won));
  }
}

TEST_CASE("The interval contains the expected customers and narrows with more history",
          "[audit][forecast]") {
  testing::TempDir dir;
  int64_t previous_width = -1;
  for (int scale : {1, 10, 100}) {
    INFO("history of " << 80 * scale << " leads");
    History h;
    h.Add("podcast", 80 * scale, 40 * scale, 10 * scale, 500);
    auto store = h.Open(dir, "s" + std::to_string(scale) + ".db");
    auto f = ComputeForecast(*store, Request(1000), ForecastOptions{});
    REQUIRE(f.ok());
    REQUIRE(f->interval.has_value());
    CHECK(*f->expected_customers == 125.0);
    CHECK(f->interval->low <= 125);
    CHECK(f->interval->high >= 125);
    const int64_t width = f->interval->high - f->interval->low;
    if (previous_width >= 0) {
      CHECK(width < previous_width);
    }
    previous_width = width;
  }
}

TEST_CASE("Beta-Binomial interval bounds match an exact enumeration for small counts",
          "[audit][forecast]") {
  struct Case {
    int n;
    double alpha;
    double beta;
    double level;
  };
  // The last three: drift-widened predictives, one parameter below 1 (a monotone pmf).
  const Case cases[] = {
      {1, 1, 1, 0.8},      {5, 1, 1, 0.8},        {10, 2, 5, 0.8},  {20, 11, 71, 0.8},
      {20, 51, 351, 0.8},  {15, 3.5, 1.25, 0.8},  {12, 1, 40, 0.8}, {12, 40, 1, 0.8},
      {20, 2, 2, 0.5},     {20, 2, 2, 0.95},      {7, 1, 1, 0.6},   {12, 0.4, 1.8, 0.8},
      {15, 1.7, 0.5, 0.8}, {30, 0.25, 1.75, 0.8},
  };
  for (const Case& c : cases) {
    INFO("n " << c.n << " alpha " << c.alpha << " beta " << c.beta << " level " << c.level);
    auto pmf = PolyaPmf(c.n, c.alpha, c.beta);
    long double total = 0;
    for (long double p : pmf) total += p;
    REQUIRE(static_cast<double>(total) == Approx(1.0).epsilon(1e-12));
    CountInterval got = BetaBinomialInterval(c.n, c.alpha, c.beta, c.level);
    CHECK(got.low == QuantileOf(pmf, (1 - c.level) / 2));
    CHECK(got.high == QuantileOf(pmf, (1 + c.level) / 2));
    CHECK(got.level == c.level);
  }
}

TEST_CASE("Beta-Binomial bounds resolve exact ties and edge counts as the definition says",
          "[audit][forecast]") {
  struct Case {
    int64_t n;
    double alpha;
    double beta;
    int64_t low;
    int64_t high;
  };
  const Case cases[] = {
      // Uniform on 0..9: P(X <= 0) is exactly 0.1 and P(X <= 8) exactly 0.9.
      {9, 1, 1, 0, 8},
      {0, 1, 1, 0, 0},
      // Uniform on 0..1: P(X <= 0) = 0.5 reaches the 0.1 quantile, not the 0.9.
      {1, 1, 1, 0, 1},
  };
  for (const Case& c : cases) {
    INFO("n " << c.n);
    CountInterval got = BetaBinomialInterval(c.n, c.alpha, c.beta, 0.8);
    CHECK(got.low == c.low);
    CHECK(got.high == c.high);
  }
}

TEST_CASE("Beta-Binomial bounds for a million leads match a full lgamma summation",
          "[audit][forecast]") {
  const int64_t n = 1000000;
  struct Case {
    double alpha;
    double beta;
  };
  const Case cases[] = {{51, 351}, {1, 1}, {2, 5000}, {3000, 2}};
  for (const Case& c : cases) {
    INFO("alpha " << c.alpha << " beta " << c.beta);
    const double log_norm =
        std::lgamma(c.alpha) + std::lgamma(c.beta) - std::lgamma(c.alpha + c.beta);
    const double log_n = std::lgamma(n + 1.0) - std::lgamma(n + c.alpha + c.beta);
    std::vector<double> pmf(n + 1);
    for (int64_t k = 0; k <= n; ++k) {
      const double kd = static_cast<double>(k);
      pmf[k] = std::exp(log_n - std::lgamma(kd + 1) - std::lgamma(n - kd + 1) +
                        std::lgamma(kd + c.alpha) + std::lgamma(n - kd + c.beta) - log_norm);
    }
    CountInterval got = BetaBinomialInterval(n, c.alpha, c.beta, 0.8);
    // lgamma at a million is good to about 1e-9 relative, so allow one step.
    CHECK(std::llabs(got.low - QuantileOf(pmf, 0.1)) <= 1);
    CHECK(std::llabs(got.high - QuantileOf(pmf, 0.9)) <= 1);
  }
}

TEST_CASE("Without matured history the forecast has null rates and no customers or interval",
          "[audit][forecast]") {
  testing::TempDir dir;
  History young;
  young.Add("podcast", 30, 10, 0, 999);  // created a day ago, nothing ever won: horizon 0
  History empty;
  struct Case {
    const char* name;
    History* history;
    std::optional<std::string> channel;
    AuditWindow window;
  };
  Case cases[] = {
      {"empty store", &empty, std::nullopt, {}},
      {"window before every lead", &young, "podcast", {{}, kOrigin + 10 * kDay}},
  };
  for (Case& c : cases) {
    INFO(c.name);
    auto store = c.history->Open(dir, std::string(c.name) + ".db");
    auto f = ComputeForecast(*store, Request(150, c.channel, 100.0, c.window), ForecastOptions{});
    REQUIRE(f.ok());
    CHECK(f->basis.cohort_leads == 0);
    CHECK_FALSE(f->rates.lead_to_mql.has_value());
    CHECK_FALSE(f->rates.lead_to_won.has_value());
    CHECK_FALSE(f->expected_customers.has_value());
    CHECK_FALSE(f->interval.has_value());
    CHECK_FALSE(f->expected_revenue.has_value());
    CHECK_FALSE(f->return_on_spend.has_value());
    CHECK_THAT(f->basis.reason, Catch::Contains("no matured leads in the history"));
    const std::string json = ForecastJson(*f);
    for (const char* key :
         {"\"expected_customers\":null", "\"lead_to_won\":null",
          "\"interval\":{\"low\":null,\"high\":null,\"level\":0.8}", "\"expected_revenue\":null",
          "\"spend\":100.0", "\"return_on_spend\":null", "\"cohort_leads\":0"}) {
      CHECK_THAT(json, Catch::Contains(key));
    }
  }
  // With no won contact anywhere the horizon is 0: yesterday's leads count.
  auto store = young.Open(dir, "young2.db");
  auto f = ComputeForecast(*store, Request(150), ForecastOptions{});
  REQUIRE(f.ok());
  CHECK(f->basis.maturity_horizon_ms == 0);
  CHECK(f->basis.cohort_leads == 30);
  CHECK(*f->expected_customers == 0.0);
}

TEST_CASE("Revenue averages the scope's live won deals with an amount", "[audit][forecast]") {
  testing::TempDir dir;
  History h;
  h.Add("podcast", 100, 50, 20, 500, 30, 2000.0);
  h.Add("search", 100, 50, 20, 500, 30, 500.0);
  Page& page = h.page();
  Deal lost;
  lost.id = "lost";
  lost.amount = 1e6;
  lost.is_closed = true;
  lost.closed_at = kOrigin + 600 * kDay;
  Deal no_amount = lost;
  no_amount.id = "no-amount";
  no_amount.amount.reset();
  no_amount.is_won = true;
  Deal removed = lost;
  removed.id = "removed";
  removed.is_won = true;
  page.deals.insert(page.deals.end(), {lost, no_amount, removed});
  page.deletions.push_back(Deletion{RecordKind::kDeal, "removed", kOrigin + 700 * kDay});
  auto store = h.Open(dir);

  struct Case {
    std::optional<std::string> channel;
    std::optional<double> spend;
    int64_t won_deals;
    double average;
    std::optional<double> return_on_spend;
  };
  const Case cases[] = {
      {std::nullopt, 1000.0, 40, 1250.0, 20 * 1250.0 / 1000.0},
      {"podcast", 8000.0, 20, 2000.0, 20 * 2000.0 / 8000.0},
      {"search", 0.0, 20, 500.0, std::nullopt},
      {"search", std::nullopt, 20, 500.0, std::nullopt},
  };
  for (const Case& c : cases) {
    INFO(c.channel.value_or("all"));
    ForecastOptions options;
    options.min_channel_leads = 50;
    auto f = ComputeForecast(*store, Request(100, c.channel, c.spend), options);
    REQUIRE(f.ok());
    CHECK(f->basis.won_deals == c.won_deals);
    CHECK(*f->basis.average_deal == Approx(c.average));
    CHECK(*f->expected_revenue == Approx(*f->expected_customers * c.average));
    CHECK(f->return_on_spend.has_value() == c.return_on_spend.has_value());
    if (c.return_on_spend) {
      CHECK(*f->return_on_spend == Approx(*c.return_on_spend));
    }
  }
}

TEST_CASE("A channel without linked won deals takes the average deal of all channels",
          "[audit][forecast]") {
  testing::TempDir dir;
  History h;
  h.Add("podcast", 100, 50, 20, 500, 30);
  h.Add("search", 100, 50, 20, 500, 30, 500.0);
  auto store = h.Open(dir);
  auto f = ComputeForecast(*store, Request(100, "podcast"), ForecastOptions{});
  REQUIRE(f.ok());
  CHECK(f->basis.scope == ForecastBasis::Scope::kChannel);
  CHECK(f->basis.deal_scope == ForecastBasis::Scope::kAllChannels);
  CHECK(*f->basis.average_deal == 500.0);
  CHECK(*f->expected_revenue == Approx(20 * 500.0));
  CHECK_THAT(ForecastJson(*f), Catch::Contains("\"deal_scope\":\"all_channels\""));
}

TEST_CASE("Non-positive leads, negative spend and a bad level are invalid arguments",
          "[audit][forecast]") {
  testing::TempDir dir;
  History h;
  auto store = h.Open(dir);
  struct Case {
    const char* name;
    ForecastRequest request;
    double level;
  };
  const Case cases[] = {
      {"zero leads", Request(0), 0.8},
      {"negative leads", Request(-5), 0.8},
      {"more leads than the maximum", Request(kMaxForecastLeads + 1), 0.8},
      {"negative spend", Request(10, std::nullopt, -1.0), 0.8},
      {"not a number spend", Request(10, std::nullopt, std::nan("")), 0.8},
      {"level 1", Request(10), 1.0},
  };
  for (const Case& c : cases) {
    INFO(c.name);
    ForecastOptions options;
    options.level = c.level;
    auto f = ComputeForecast(*store, c.request, options);
    REQUIRE_FALSE(f.ok());
    CHECK(f.status().code() == StatusCode::kInvalidArgument);
  }
}

}  // namespace
}  // namespace salesaudit
