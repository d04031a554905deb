#include <string>
#include <vector>

#include "daemon/commands.h"

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  return salesaudit::RunCli(args);
}
