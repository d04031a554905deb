// Build step: writes the man page salesaudit(1) and the bash completion
// script, both rendered from the command table (cli/command_table.h), so
// neither is a hand-written copy of the help. Not installed.
// Usage: salesaudit_cli_docs MAN_PAGE COMPLETION
#include <fstream>
#include <iostream>
#include <string>

#include "cli/command_table.h"
#include "core/version.h"

namespace {

bool WriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  if (!out.good()) std::cerr << "salesaudit_cli_docs: cannot write " << path << "\n";
  return out.good();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: salesaudit_cli_docs MAN_PAGE COMPLETION\n";
    return 2;
  }
  const bool written = WriteFile(argv[1], salesaudit::ManPage(SALESAUDIT_VERSION)) &&
                       WriteFile(argv[2], salesaudit::BashCompletion());
  return written ? 0 : 1;
}
