// Fuzz target for alert summary and description templates: the input's
// first line is the alert's value (any strtod text: "12.5", "nan", "1e308";
// anything else is an unknown value), the rest the template. Runs what
// `check` runs (CheckAlertTemplate) and what a notification shows
// (RenderAlertTemplate, FigureText).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "alerts/lifecycle.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace salesaudit;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const size_t newline = input.find('\n');
  const std::string value_text(input.substr(0, newline));
  const std::string_view text =
      newline == std::string_view::npos ? std::string_view() : input.substr(newline + 1);

  AlertTemplateValues values{.threshold = 2,
                             .rule = "paid-social-return",
                             .severity = "warning",
                             .state = "firing",
                             .labels = {{"team", "marketing"}, {"channel", "PAID_SOCIAL"}}};
  char* end = nullptr;
  const double value = std::strtod(value_text.c_str(), &end);
  if (!value_text.empty() && end == value_text.c_str() + value_text.size()) {
    values.value = value;
    for (FigureKind kind :
         {FigureKind::kNumber, FigureKind::kCount, FigureKind::kPerPeriod, FigureKind::kRate,
          FigureKind::kMoney, FigureKind::kRatio, FigureKind::kDays, FigureKind::kSeconds}) {
      (void)FigureWithUnit(value, {.kind = kind, .noun = "leads", .currency = "EUR"});
    }
  }
  (void)CheckAlertTemplate(text, values.labels);
  (void)RenderAlertTemplate(text, values);
  return 0;
}
