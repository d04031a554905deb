// bench_table: runs every benchmark at the sizes README "Performance" names and
// prints that table: each figure (the median of the runs), its target, and
// whether it holds. The benches' own output goes to bench-data/bench_table.log
// beside this binary.
//
//   build/bench_table [--runs 3] [--compare [REV]]
//
// With --compare, REV (default HEAD~1, the previous commit) is built from
// `git archive` in bench-compare/ beside this binary (kept while REV stays the
// same commit), and its benches run interleaved with this build's, so both
// meet the same machine load (in alternating order); each figure is printed
// with its ratio to REV's.
// A figure REV's benches do not print (a bench or mode added since) shows "-".
// The audit and start/stop benches read a store of 1M contacts, 300k deals
// and 10M events that each build makes once in its bench-data/ (~2 min; each
// with its own schema). The quota and start/stop benches run once per side:
// the first takes a minute and is not a CPU figure, the second takes its own
// medians.
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "bench/bench_util.h"

namespace {

namespace fs = std::filesystem;

// One row of the table: a figure a bench prints, and what it should reach.
struct Row {
  const char* work;
  const char* key;     // the figure's key (bench::PrintFigure)
  const char* unit;    // as printed after the value
  double target = 0;   // 0: no target (a figure shown for context)
  bool higher_is_better = false;
};

// One bench command and the rows read from its figures.
struct Bench {
  std::string binary;             // in a build directory
  std::vector<std::string> args;  // "{data}" is replaced by that build's bench-data/ path
  bool once = false;              // one run per side instead of --runs
  std::vector<Row> rows;
  // The bench of this build for both sides, pointed at each side's binary
  // by "{salesaudit}" in args: it measures the daemon, not itself, so an
  // older commit without it is measured too.
  bool this_builds_bench = false;
};

std::vector<Bench> Benches() {
  return {
      {"sync_bench",
       {"--cli", "100000"},
       false,
       {{"HubSpot contacts, full sync, 100k, through `salesaudit sync`", "contacts_cli_cpu_us",
         "us CPU each", 8},
        {"  peak RSS of `salesaudit sync`", "contacts_cli_rss_mib", "MiB"}}},
      {"sync_bench",
       {"100000"},
       false,
       {{"HubSpot contacts, 100k, the sync engine in-process", "contacts_cpu_us", "us CPU each"},
        {"  records per second", "contacts_per_s", "/s", 0, true},
        {"  peak RSS of the client", "contacts_rss_mib", "MiB"}}},
      {"sync_bench",
       {"--deals", "20000"},
       false,
       {{"HubSpot deals with contact associations, 20k", "deals_cpu_us", "us CPU each", 15}}},
      {"email_bench",
       {"100000"},
       false,
       {{"HubSpot email events, 100k", "email_events_cpu_us", "us CPU each", 3}}},
      {"audit_bench",
       {"--scale", "1", "--db", "{data}/audit-scale1.db"},
       false,
       {{"audit snapshot, 1M contacts / 300k deals / 10M events", "audit_snapshot_s", "s", 2},
        {"  its CPU time", "audit_snapshot_cpu_s", "s"},
        {"  its peak RSS", "audit_rss_mib", "MiB", 256},
        {"  the email audit alone", "audit_email_s", "s"},
        {"  the email audit's CPU time", "audit_email_cpu_s", "s"}}},
      {"sync_bench",
       {"--quota", "50000"},
       true,
       {{"share of the portal's quota, 50,000-contact backfill", "quota_share_pct", "%", 90,
         true}}},
      {"startstop_bench",
       {"--db", "{data}/audit-scale1.db", "--salesaudit", "{salesaudit}"},
       true,
       {{"/readyz answering after start, 1 GB store", "readyz_ms", "ms", 200},
        {"stop on SIGTERM, 1 GB store", "sigterm_ms", "ms", 1000}},
       true},
  };
}

// A build whose benches run: its directory and what it is called in the table.
struct Side {
  std::string label;
  fs::path dir;
  std::map<std::string, std::vector<double>> figures;  // key -> one value per run
};

// Runs `binary` with `args`, appending its output to `log`; returns the
// figures it printed (none when it is missing or fails).
std::map<std::string, double> RunBench(const fs::path& binary, const std::vector<std::string>& args,
                                       std::ofstream& log) {
  std::map<std::string, double> figures;
  if (!fs::exists(binary)) return figures;
  int out = -1;
  const pid_t pid = salesaudit::bench::SpawnReadingStdout(binary.string(), args, &out);
  if (pid < 0) return figures;
  std::string text;
  char buffer[4096];
  ssize_t n;
  while ((n = read(out, buffer, sizeof buffer)) > 0) text.append(buffer, static_cast<size_t>(n));
  close(out);
  int status = 0;
  waitpid(pid, &status, 0);
  log << "$ " << binary.string();
  for (const std::string& arg : args) log << ' ' << arg;
  log << '\n' << text;
  const bool succeeded = WIFEXITED(status) && WEXITSTATUS(status) == 0;
  if (!succeeded) log << "(failed: status " << status << ")\n";
  log.flush();
  if (!succeeded) return figures;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    std::istringstream words(line);
    std::string tag, key;
    double value = 0;
    if (words >> tag >> key >> value && tag == "figure") figures[key] = value;
  }
  return figures;
}

// The median of a side's runs of `key`; NaN when no run printed it.
double MedianOf(const Side& side, const std::string& key) {
  const auto found = side.figures.find(key);
  if (found == side.figures.end() || found->second.empty()) return std::nan("");
  std::vector<double> values = found->second;
  std::sort(values.begin(), values.end());
  const size_t mid = values.size() / 2;
  return values.size() % 2 == 1 ? values[mid] : (values[mid - 1] + values[mid]) / 2;
}

std::string Number(double value) {
  char text[32];
  const double size = value < 0 ? -value : value;
  std::snprintf(text, sizeof text, size < 10 ? "%.2f" : size < 100 ? "%.1f" : "%.0f", value);
  return text;
}

// "0.82x", "0.0005x": three significant digits, so a large gain reads.
std::string Ratio(double ratio) {
  char text[32];
  std::snprintf(text, sizeof text, "%.3gx", ratio);
  return text;
}

// The output of a shell command, trailing newline removed.
std::string ShellOutput(const std::string& command) {
  std::string text;
  if (FILE* pipe = popen(command.c_str(), "r")) {
    char buffer[256];
    while (fgets(buffer, sizeof buffer, pipe) != nullptr) text += buffer;
    pclose(pipe);
  }
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  return text;
}

std::string Quoted(const std::string& text) {
  std::string quoted = "'";
  for (char c : text) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return quoted + "'";
}

// Builds `rev` of the source tree from a `git archive` of it in `root`/src,
// re-extracted only when `rev` names another commit. Returns
// the build directory, or nullopt when `rev` is unknown or does not configure.
std::optional<fs::path> BuildRevision(const std::string& rev, const fs::path& root,
                                      std::string& commit) {
  const std::string git = "git -C " + Quoted(SALESAUDIT_SOURCE_DIR);
  commit = ShellOutput(git + " rev-parse --verify --quiet " + Quoted(rev + "^{commit}"));
  if (commit.empty()) {
    std::fprintf(stderr, "bench_table: %s is not a commit of %s\n", rev.c_str(),
                 SALESAUDIT_SOURCE_DIR);
    return std::nullopt;
  }
  const fs::path src = root / "src";
  // build/ inside the tree as in a checkout, so compile lines name the same
  // relative paths as this build's and ccache finds what it compiled.
  const fs::path build = src / "build";
  const fs::path stamp = root / "src.commit";
  std::string extracted;
  if (std::ifstream in(stamp); in) std::getline(in, extracted);
  if (extracted != commit) {
    fs::remove_all(src);
    fs::create_directories(src);
    if (std::system((git + " archive --format=tar " + commit + " | tar -x -C " +
                     Quoted(src.string()))
                        .c_str()) != 0) {
      std::fprintf(stderr, "bench_table: cannot extract %s\n", commit.c_str());
      return std::nullopt;
    }
    std::ofstream(stamp) << commit << '\n';
  }
  const std::string log = Quoted((root / "build.log").string());
  std::fprintf(stderr, "bench_table: building %.12s in %s (log: %s)...\n", commit.c_str(),
               build.c_str(), (root / "build.log").c_str());
  const std::string launcher =
      "$(command -v ccache >/dev/null && echo -DCMAKE_CXX_COMPILER_LAUNCHER=ccache "
      "-DCMAKE_C_COMPILER_LAUNCHER=ccache)";
  if (std::system(("cmake -S " + Quoted(src.string()) + " -B " + Quoted(build.string()) +
                   " -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo " + launcher + " >" + log +
                   " 2>&1")
                      .c_str()) != 0) {
    std::fprintf(stderr, "bench_table: %.12s does not configure (see the log)\n", commit.c_str());
    return std::nullopt;
  }
  // Target by target: a bench added since `rev` is simply absent there.
  for (const char* target : {"salesaudit", "crm-sim", "sync_bench", "email_bench", "audit_bench",
                             "startstop_bench"}) {
    const std::string command =
        "cmake --build " + Quoted(build.string()) + " --target " + target + " >>" + log + " 2>&1";
    if (std::system(command.c_str()) != 0) {
      std::fprintf(stderr, "bench_table: %s is not built at %.12s\n", target, commit.c_str());
    }
  }
  return build;
}

int Usage() {
  std::fprintf(stderr, "usage: bench_table [--runs N] [--compare [REV]]\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  int runs = 3;
  std::optional<std::string> compare;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--runs") == 0 && i + 1 < argc) {
      runs = std::atoi(argv[++i]);
      if (runs < 1) return Usage();
    } else if (std::strcmp(argv[i], "--compare") == 0) {
      compare = i + 1 < argc && argv[i + 1][0] != '-' ? argv[++i] : "HEAD~1";
    } else {
      return Usage();
    }
  }
  const fs::path here = fs::canonical("/proc/self/exe").parent_path();
  const std::string head =
      ShellOutput("git -C " + Quoted(SALESAUDIT_SOURCE_DIR) + " describe --always --dirty");
  std::vector<Side> sides;
  if (compare) {
    std::string commit;
    auto build = BuildRevision(*compare, here / "bench-compare", commit);
    if (!build) return 1;
    sides.push_back({commit.substr(0, 7), *build, {}});
  }
  sides.push_back({head.empty() ? "this build" : head, here, {}});
  for (Side& side : sides) fs::create_directories(side.dir / "bench-data");
  std::ofstream log(here / "bench-data" / "bench_table.log");

  const std::vector<Bench> benches = Benches();
  for (const Bench& bench : benches) {
    const int times = bench.once ? 1 : runs;
    for (int run = 0; run < times; ++run) {
      // The order alternates (AB, BA, ...): the second of a pair meets the
      // first's leftovers (page cache, CPU frequency, the other's exit).
      std::vector<Side*> order;
      for (Side& side : sides) order.push_back(&side);
      if (run % 2 == 1) std::reverse(order.begin(), order.end());
      for (Side* side_ptr : order) {
        Side& side = *side_ptr;
        std::vector<std::string> args;
        for (const std::string& arg : bench.args) {
          std::string a = arg;
          if (size_t at = a.find("{data}"); at != std::string::npos) {
            a.replace(at, 6, (side.dir / "bench-data").string());
          }
          if (a == "{salesaudit}") a = (side.dir / "salesaudit").string();
          args.push_back(a);
        }
        const fs::path binary = (bench.this_builds_bench ? here : side.dir) / bench.binary;
        std::string command = bench.binary;
        for (const std::string& arg : args) command += " " + arg;
        std::fprintf(stderr, "bench_table: %s, run %d of %d: %s\n", side.label.c_str(), run + 1,
                     times, command.c_str());
        // Only the rows' figures: an older bench that does not know a mode
        // may run its default one instead and print figures of another row.
        const std::map<std::string, double> figures = RunBench(binary, args, log);
        for (const Row& row : bench.rows) {
          const auto found = figures.find(row.key);
          if (found != figures.end() && std::isfinite(found->second)) {
            side.figures[row.key].push_back(found->second);
          }
        }
      }
    }
  }

  const Side& now = sides.back();
  std::printf("bench_table: %s, medians of %d runs%s\n\n", now.label.c_str(), runs,
              compare ? (", interleaved with " + sides.front().label).c_str() : "");
  std::printf("| work | %s | %starget |\n", now.label.c_str(),
              compare ? (sides.front().label + " | ratio | ").c_str() : "");
  std::printf("|---|---|%s---|\n", compare ? "---|---|" : "");
  int missed = 0;
  for (const Bench& bench : benches) {
    for (const Row& row : bench.rows) {
      const double value = MedianOf(now, row.key);
      std::string cells = std::isnan(value) ? "-" : Number(value) + " " + row.unit;
      if (compare) {
        const double before = MedianOf(sides.front(), row.key);
        cells += " | " + (std::isnan(before) ? "-" : Number(before) + " " + row.unit);
        cells += " | " + (std::isnan(value) || std::isnan(before) || before == 0
                              ? std::string("-")
                              : Ratio(value / before));
      }
      std::string target = "-";
      if (row.target != 0) {
        const bool holds = !std::isnan(value) && (row.higher_is_better ? value >= row.target
                                                                        : value <= row.target);
        if (!holds) ++missed;
        target = std::string(row.higher_is_better ? ">= " : "<= ") + Number(row.target) + " " +
                 row.unit + (holds ? " (holds)" : " (MISSED)");
      }
      std::printf("| %s | %s | %s |\n", row.work, cells.c_str(), target.c_str());
    }
  }
  std::printf("\n%d target(s) missed; the benches' output: %s\n", missed,
              (here / "bench-data" / "bench_table.log").c_str());
  return missed == 0 ? 0 : 1;
}
