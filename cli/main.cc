#include <string>
#include <vector>

#include "cli/commands.h"
#include "core/heap_policy.h"

int main(int argc, char** argv) {
  salesaudit::KeepFreedHeapForReuse();
  std::vector<std::string> args(argv + 1, argv + argc);
  return salesaudit::RunCli(args);
}
