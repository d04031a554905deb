// Rows of text as columns two spaces apart, for terminal output. Cells often
// hold vendor text (names, a receiver's answer, labels): control characters
// are escaped on the way in, so a cell can neither drive the terminal nor
// break a line. Trailing spaces are cut; a column is as wide as its widest cell.
//
// Threading: a plain value; one thread at a time.
//
//   TextTable t("  ");
//   t.Add({"RULE", "VALUE"});
//   t.RightAlign(1);
//   t.Add({"lead_shortfall", "12"});
//   std::cout << t.Render();
#pragma once

#include <cstddef>
#include <set>
#include <string>
#include <vector>

namespace salesaudit {

class TextTable {
 public:
  // Each rendered line starts with `indent`.
  explicit TextTable(std::string indent = "") : indent_(std::move(indent)) {}

  // Columns are left-aligned unless named here (numbers read better right-aligned).
  void RightAlign(size_t column) { right_.insert(column); }
  void Add(std::vector<std::string> row);
  bool empty() const { return rows_.empty(); }
  std::string Render() const;

 private:
  std::string indent_;
  std::set<size_t> right_;
  std::vector<std::vector<std::string>> rows_;
};

// Every row left-aligned, each line starting with `indent`.
std::string LeftAlignedTable(std::vector<std::vector<std::string>> rows, std::string indent);

}  // namespace salesaudit
