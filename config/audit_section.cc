#include "config/loader.h"

namespace salesaudit::config_internal {

namespace {

constexpr std::string_view kTeamKeys[] = {"reps", "leads_per_rep_per_week"};

constexpr std::string_view kAuditKeys[] = {"every",
                                           "period",
                                           "min_interval",
                                           "keep_snapshots",
                                           "attribution_window",
                                           "open_rate_floor",
                                           "click_rate_floor",
                                           "min_sample",
                                           "stale_deal_age",
                                           "forecast_min_channel_leads",
                                           "return_on_spend_target",
                                           "revenue_target_per_period",
                                           "referral_channels",
                                           "currency"};

constexpr std::string_view kCurrencyKeys[] = {"report_in", "rates"};

constexpr size_t kMaxSpendFileBytes = 16 * 1024 * 1024;

constexpr std::string_view kSpendKeys[] = {"channel", "month", "amount"};

constexpr std::string_view kPeriods[] = {"week", "month"};

// Reporting-currency units per unit of another currency: the widest real
// pair (a strong currency in units of the weakest) is under 1e6.
constexpr double kMaxExchangeRate = 1e9;

}  // namespace

void Loader::LoadTeam(const Item& item, TeamConfig* team) {
  const std::optional<Section> s = ReadSection(item, kTeamKeys);
  if (!s) return;
  if (const Item* reps = s->Find("reps"); reps != nullptr && !reps->node.IsNull()) {
    Set(*s, "reps", &Loader::ReadReps, &team->reps);
  }
  Set(*s, "leads_per_rep_per_week", &Loader::ReadLeadsPerRep, &team->leads_per_rep_per_week);
}

void Loader::LoadAudit(const Item& item, AuditConfig* audit) {
  const std::optional<Section> s = ReadSection(item, kAuditKeys);
  if (!s) return;
  Set(*s, "every", &Loader::ReadPositiveDuration, &audit->every);
  if (const Item* period = s->Find("period")) {
    if (auto v = ReadOneOf(*period, kPeriods)) audit->period = *v;
  }
  Set(*s, "min_interval", &Loader::ReadDuration, &audit->min_interval);
  Set(*s, "keep_snapshots", &Loader::ReadPositiveDuration, &audit->keep_snapshots);
  Set(*s, "attribution_window", &Loader::ReadPositiveDuration, &audit->attribution_window);
  Set(*s, "open_rate_floor", &Loader::ReadFraction, &audit->open_rate_floor);
  Set(*s, "click_rate_floor", &Loader::ReadFraction, &audit->click_rate_floor);
  Set(*s, "min_sample", &Loader::ReadPositiveInt, &audit->min_sample);
  Set(*s, "stale_deal_age", &Loader::ReadPositiveDuration, &audit->stale_deal_age);
  Set(*s, "forecast_min_channel_leads", &Loader::ReadPositiveInt,
      &audit->forecast_min_channel_leads);
  Set(*s, "return_on_spend_target", &Loader::ReadReturnOnSpend, &audit->return_on_spend_target);
  if (const Item* target = s->Find("revenue_target_per_period");
      target != nullptr && !target->node.IsNull()) {
    Set(*s, "revenue_target_per_period", &Loader::ReadPositiveAmount,
        &audit->revenue_target_per_period);
  }
  Set(*s, "referral_channels", &Loader::ReadStringList, &audit->referral_channels);
  if (const Item* currency = s->Find("currency")) LoadCurrency(*currency, &audit->currency);
}

bool Loader::CheckCurrencyCode(const SourcePos& pos, const std::string& path,
                               const std::string& text) {
  if (IsCurrencyCode(text)) return true;
  Error(pos, path +
                 ": expected a currency code of three upper-case letters (ISO 4217, e.g. EUR), "
                 "got " +
                 Quoted(text));
  return false;
}

void Loader::LoadCurrency(const Item& item, CurrencyConfig* currency) {
  const std::optional<Section> s = ReadSection(item, kCurrencyKeys);
  if (!s) return;
  Require(*s, "report_in", "the ISO 4217 code totals are converted into");
  if (const Item* report_in = s->Find("report_in")) {
    std::optional<std::string> code = ReadString(*report_in);
    if (code && CheckCurrencyCode(report_in->pos, report_in->path, *code)) {
      currency->report_in = std::move(*code);
    }
  }
  const Item* rates = s->Find("rates");
  if (rates == nullptr || rates->node.IsNull()) return;
  if (!rates->node.IsMap()) {
    Error(rates->pos, rates->path +
                          ": expected a map of currency code -> rate (e.g. USD: 0.92), "
                          "got " +
                          TypeName(rates->node));
    return;
  }
  for (const auto& entry : rates->node) {
    const SourcePos key_pos = Pos(entry.first);
    if (!entry.first.IsScalar()) {
      Error(key_pos, "keys in " + rates->path + " must be currency codes");
      continue;
    }
    const std::string& code = entry.first.Scalar();
    const std::string path = rates->path + "." + code;
    if (!CheckCurrencyCode(key_pos, path, code)) continue;
    if (code == currency->report_in) {
      Error(key_pos, path + ": " + code + " is the reporting currency; its rate is 1");
      continue;
    }
    if (currency->rates.count(code) != 0) {
      Error(key_pos, "duplicate key " + Quoted(code) + " in " + rates->path);
      continue;
    }
    if (std::optional<double> rate =
            ReadNumber(Child(path, entry.first, entry.second), false, kMaxExchangeRate,
                       "reporting-currency units per unit of " + code)) {
      currency->rates.emplace(code, *rate);
    }
  }
}

std::optional<double> Loader::ReadFraction(const Item& item) {
  return ReadNumber(item, true, 1, "a fraction: 0.2 for 20%");
}

namespace {

// The cells of one CSV line from `start` (past a byte-order mark), trimmed of
// spaces, and the 1-based column each starts at, counted from `start`. A cell may be double-quoted (spreadsheets quote
// text), with "" for a quote and commas kept inside.
void SplitCsvLine(const std::string& line, size_t start, std::vector<std::string>* cells,
                  std::vector<int>* columns, bool* unclosed_quote) {
  size_t i = start;
  while (true) {
    while (i < line.size() && line[i] == ' ') ++i;
    columns->push_back(static_cast<int>(i - start) + 1);
    std::string cell;
    if (i < line.size() && line[i] == '"') {
      ++i;
      while (true) {
        if (i >= line.size()) {
          *unclosed_quote = true;
          cells->push_back(cell);
          return;
        }
        if (line[i] == '"' && i + 1 < line.size() && line[i + 1] == '"') {
          cell += '"';
          i += 2;
        } else if (line[i] == '"') {
          ++i;
          break;
        } else {
          cell += line[i++];
        }
      }
      // Text between the closing quote and the comma joins the cell, as
      // spreadsheets read it.
      while (i < line.size() && line[i] != ',') cell += line[i++];
    } else {
      while (i < line.size() && line[i] != ',') cell += line[i++];
    }
    while (!cell.empty() && cell.back() == ' ') cell.pop_back();
    cells->push_back(std::move(cell));
    if (i >= line.size()) return;
    ++i;  // the comma
  }
}

}  // namespace

void Loader::LoadSpendFile(const Item& item, std::vector<SpendEntry>* spend) {
  std::optional<std::string> path_text = ReadNonEmptyString(item);
  if (!path_text) return;
  std::filesystem::path path(*path_text);
  if (path.is_relative()) path = base_dir_ / path;
  const std::string file = path.string();
  std::string contents;
  if (std::optional<std::string> failure =
          ReadFile(file, kMaxSpendFileBytes, /*regular_only=*/true, &contents)) {
    Error(item.pos, item.path + ": cannot read " + Quoted(file) + ": " + *failure);
    return;
  }
  std::set<std::pair<std::string, std::string>> seen;
  for (const SpendEntry& e : *spend) seen.emplace(e.channel, e.month);
  int line_number = 0;
  size_t begin = 0;
  while (begin < contents.size()) {
    size_t end = contents.find('\n', begin);
    if (end == std::string::npos) end = contents.size();
    std::string line = contents.substr(begin, end - begin);
    begin = end + 1;
    ++line_number;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    // Spreadsheets save CSV with a UTF-8 byte-order mark.
    const size_t bom = line_number == 1 && line.starts_with("\xEF\xBB\xBF") ? 3 : 0;
    if (line.size() == bom) continue;
    std::vector<std::string> cells;
    std::vector<int> columns;
    bool unclosed_quote = false;
    SplitCsvLine(line, bom, &cells, &columns, &unclosed_quote);
    auto at = [&](size_t cell) {
      return SourcePos{file, line_number, cell < columns.size() ? columns[cell] : 1};
    };
    if (unclosed_quote) {
      Error(at(cells.size() - 1), "a quoted value is not closed");
      if (line_number == 1) return;
      continue;
    }
    if (line_number == 1) {
      if (cells != std::vector<std::string>{"channel", "month", "amount"}) {
        Error(at(0), "expected the header channel,month,amount");
        return;
      }
      continue;
    }
    if (cells.size() != 3) {
      Error(at(0), "expected 3 values (channel,month,amount), got " + std::to_string(cells.size()));
      continue;
    }
    if (cells[0].empty()) Error(at(0), "the channel is empty");
    if (!IsMonth(cells[1])) Error(at(1), "expected a month as YYYY-MM, got " + Quoted(cells[1]));
    char* parsed_end = nullptr;
    const double amount = std::strtod(cells[2].c_str(), &parsed_end);
    const bool amount_ok = !cells[2].empty() && parsed_end == cells[2].c_str() + cells[2].size() &&
                           std::isfinite(amount) && amount >= 0 && amount <= kMaxPlausibleAmount;
    if (!amount_ok) Error(at(2), "expected an amount from 0 to 1e+15, got " + Quoted(cells[2]));
    if (cells[0].empty() || !IsMonth(cells[1]) || !amount_ok) continue;
    if (!seen.emplace(cells[0], cells[1]).second) {
      Error(at(0), "spend for channel " + Quoted(cells[0]) + " in " + cells[1] + " is given twice");
      continue;
    }
    spend->push_back(SpendEntry{cells[0], cells[1], amount});
  }
}

void Loader::LoadSpend(const Item& item, std::vector<SpendEntry>* spend) {
  const std::optional<std::vector<Item>> elements = ReadList(item);
  if (!elements) return;
  std::set<std::pair<std::string, std::string>> seen;
  for (const Item& element : *elements) {
    const std::optional<Section> s = ReadSection(element, kSpendKeys);
    if (!s) continue;
    Require(*s, "channel");
    Require(*s, "month", "YYYY-MM");
    Require(*s, "amount");
    SpendEntry entry;
    Set(*s, "channel", &Loader::ReadNonEmptyString, &entry.channel);
    if (const Item* month = s->Find("month")) {
      std::optional<std::string> text = ReadString(*month);
      if (text && !IsMonth(*text)) {
        Error(month->pos,
              month->path + ": expected a month as YYYY-MM, got " + Shown(*month, *text));
      } else if (text) {
        entry.month = std::move(*text);
      }
    }
    Set(*s, "amount", &Loader::ReadAmount, &entry.amount);
    if (entry.channel.empty() || entry.month.empty() || s->Find("amount") == nullptr) continue;
    if (!seen.emplace(entry.channel, entry.month).second) {
      Error(element.pos, element.path + ": spend for channel " + Quoted(entry.channel) + " in " +
                             entry.month + " is given twice");
      continue;
    }
    spend->push_back(std::move(entry));
  }
}

}  // namespace salesaudit::config_internal
