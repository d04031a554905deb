#include "core/text_table.h"

#include <algorithm>

#include "core/text_util.h"

namespace salesaudit {

void TextTable::Add(std::vector<std::string> row) {
  for (std::string& cell : row) cell = EscapeControlCharacters(cell);
  rows_.push_back(std::move(row));
}

std::string TextTable::Render() const {
  std::vector<size_t> widths;
  for (const auto& row : rows_) {
    widths.resize(std::max(widths.size(), row.size()));
    for (size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
  }
  std::string out;
  for (const auto& row : rows_) {
    std::string line = indent_;
    for (size_t i = 0; i < row.size(); ++i) {
      const std::string pad(widths[i] - row[i].size(), ' ');
      if (i > 0) line += "  ";
      line += right_.count(i) ? pad + row[i] : row[i] + pad;
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + "\n";
  }
  return out;
}

std::string LeftAlignedTable(std::vector<std::vector<std::string>> rows, std::string indent) {
  TextTable table(std::move(indent));
  for (auto& row : rows) table.Add(std::move(row));
  return table.Render();
}

}  // namespace salesaudit
