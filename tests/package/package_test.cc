// The .deb (`cpack -G DEB`) and what it puts on a system. The fixtures
// (tests/package/CMakeLists.txt) build it once and install it with dpkg into
// a fresh root; the cases here read the package with dpkg-deb and check the
// root: every file where the unit and README.md say, the binary runs, the
// unit verifies in that root, the installed config passes `check`, the
// maintainer scripts enable (not start) the unit and purge the state.
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "core/version.h"
#include "tests/support/subprocess.h"

namespace salesaudit::testing {
namespace {

namespace fs = std::filesystem;

const std::string kDebDir = SALESAUDIT_PACKAGE_DEB_DIR;
const std::string kRoot = SALESAUDIT_PACKAGE_ROOT;
const std::string kVersion = SALESAUDIT_VERSION;

// Where a /usr-prefixed install puts things on Debian 12 (merged /usr).
const std::string kBinary = "/usr/bin/salesaudit";
const std::string kUnit = "/usr/lib/systemd/system/salesaudit.service";
const std::string kConfig = "/etc/salesaudit/config.yaml";
const std::string kDocDir = "/usr/share/doc/salesaudit";
const std::string kEnableLink = "/etc/systemd/system/multi-user.target.wants/salesaudit.service";

// No pager or colours from systemd tools; dpkg's messages in English.
const std::map<std::string, std::string> kPlainOutput = {
    {"SYSTEMD_PAGER", "cat"}, {"SYSTEMD_COLORS", "0"}, {"LC_ALL", "C"}};

// The secrets the example config reads from the environment.
const std::map<std::string, std::string> kSecrets = {{"HUBSPOT_TOKEN", "pat-test-token"},
                                                     {"MAILCHIMP_API_KEY", "0123456789abcdef-us19"},
                                                     {"WEBHOOK_SECRET", "webhook-test-secret"}};

// The path of `name` from PATH (or /usr/bin, /bin); fails the test naming
// the Debian package to install when there is none.
std::string Program(const std::string& name, const std::string& package) {
  std::string dirs = "/usr/bin:/bin";
  if (const char* path = std::getenv("PATH")) dirs = std::string(path) + ":" + dirs;
  std::stringstream stream(dirs);
  for (std::string dir; std::getline(stream, dir, ':');) {
    const std::string candidate = dir + "/" + name;
    if (!dir.empty() && access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  FAIL(name << " not found in PATH: install Debian's '" << package
            << "' package (scripts/install-deps.sh does)");
  return "";
}

// The one .deb the build fixture made.
std::string DebPath() {
  std::vector<std::string> debs;
  for (const auto& entry : fs::directory_iterator(kDebDir)) {
    if (entry.path().extension() == ".deb") debs.push_back(entry.path().string());
  }
  INFO("in " << kDebDir);
  REQUIRE(debs.size() == 1);
  CHECK(fs::path(debs[0]).filename().string().starts_with("salesaudit_" + kVersion + "_"));
  return debs[0];
}

RunResult Run(const std::vector<std::string>& argv,
              const std::map<std::string, std::string>& extra_env = kPlainOutput) {
  RunResult result = RunProcess(argv, std::chrono::seconds(60), extra_env);
  UNSCOPED_INFO("ran " << argv[0] << " " << (argv.size() > 1 ? argv[1] : "") << ": exit "
                       << result.exit_code << "\nstdout: " << result.out
                       << "\nstderr: " << result.err);
  return result;
}

struct PackagedFile {
  std::string mode;   // "-rw-r--r--"
  std::string owner;  // "root/root"
};

// `dpkg-deb --contents`: regular files and symlinks by absolute path
// (directories left out).
std::map<std::string, PackagedFile> PackagedFiles(const std::string& deb) {
  const RunResult result = Run({Program("dpkg-deb", "dpkg"), "--contents", deb});
  REQUIRE(result.exit_code == 0);
  std::map<std::string, PackagedFile> files;
  std::stringstream lines(result.out);
  for (std::string line; std::getline(lines, line);) {
    std::stringstream fields(line);
    std::string mode, owner, size, date, time, path;
    fields >> mode >> owner >> size >> date >> time >> path;
    if (mode.empty() || mode[0] == 'd') continue;
    REQUIRE(path.starts_with("./"));
    files[path.substr(1)] = {mode, owner};
  }
  return files;
}

// The control file's fields (continuation lines joined to their field).
std::map<std::string, std::string> ControlFields(const std::string& deb) {
  const RunResult result = Run({Program("dpkg-deb", "dpkg"), "--field", deb});
  REQUIRE(result.exit_code == 0);
  std::map<std::string, std::string> fields;
  std::string last;
  std::stringstream lines(result.out);
  for (std::string line; std::getline(lines, line);) {
    if (!line.empty() && line[0] == ' ') {
      fields[last] += "\n" + line;
      continue;
    }
    const size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    last = line.substr(0, colon);
    fields[last] = line.substr(std::min(line.size(), colon + 2));
  }
  return fields;
}

// The package names of a Depends field ("a (>= 1), b | c" -> a, b, c).
std::set<std::string> PackageNames(const std::string& depends) {
  std::set<std::string> names;
  std::string name;
  bool in_name = true;
  for (const char c : depends + ",") {
    if (c == ',' || c == '|') {
      if (!name.empty()) names.insert(name);
      name.clear();
      in_name = true;
    } else if (c == ' ' || c == '(' || c == ':') {
      in_name = in_name && name.empty();
    } else if (in_name) {
      name += c;
    }
  }
  return names;
}

// Files under `dir` (recursive), relative to it.
std::set<std::string> FilesUnder(const std::string& dir) {
  std::set<std::string> files;
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    if (entry.is_regular_file()) files.insert(fs::relative(entry.path(), dir).string());
  }
  return files;
}

TEST_CASE(
    "The deb holds the binary, the unit, the config, the docs, the monitoring files, the man page "
    "and the completion, nothing else",
    "[package]") {
  const auto files = PackagedFiles(DebPath());
  std::map<std::string, std::string> expected = {
      {kBinary, "-rwxr-xr-x"},
      {kUnit, "-rw-r--r--"},
      // World-readable: the unit's dynamic user reads it (it holds no secret).
      {kConfig, "-rw-r--r--"},
      {kDocDir + "/README.md", "-rw-r--r--"},
      {kDocDir + "/examples/salesaudit.example.yaml", "-rw-r--r--"},
      {"/usr/share/man/man1/salesaudit.1.gz", "-rw-r--r--"},
      {"/usr/share/bash-completion/completions/salesaudit", "-rw-r--r--"}};
  for (const std::string& doc : FilesUnder(std::string(SALESAUDIT_SOURCE_DIR) + "/docs")) {
    expected[kDocDir + "/docs/" + doc] = "-rw-r--r--";
  }
  for (const std::string& file :
       FilesUnder(std::string(SALESAUDIT_SOURCE_DIR) + "/config/examples")) {
    expected[kDocDir + "/examples/" + file] = "-rw-r--r--";
  }
  for (const std::string& file : FilesUnder(std::string(SALESAUDIT_SOURCE_DIR) + "/monitoring")) {
    expected["/usr/share/salesaudit/monitoring/" + file] = "-rw-r--r--";
  }
  std::set<std::string> expected_paths, packaged_paths;
  for (const auto& [path, mode] : expected) expected_paths.insert(path);
  for (const auto& [path, file] : files) packaged_paths.insert(path);
  CHECK(packaged_paths == expected_paths);  // no test binary, simulator or bench
  for (const auto& [path, mode] : expected) {
    if (!files.contains(path)) continue;
    INFO(path);
    CHECK(files.at(path).mode == mode);
    CHECK(files.at(path).owner == "root/root");
  }
}

TEST_CASE("The deb's control: name, version, Depends from the binary, conffiles, scripts",
          "[package]") {
  const std::string deb = DebPath();
  const auto fields = ControlFields(deb);
  CHECK(fields.at("Package") == "salesaudit");
  CHECK(fields.at("Version") == kVersion);
  CHECK_FALSE(fields.at("Maintainer").empty());
  CHECK_FALSE(fields.at("Section").empty());
  CHECK(fields.at("Description").starts_with("sales audit daemon"));
  // dpkg-shlibdeps' list of the libraries the binary links (yaml-cpp's
  // package name carries its soname version).
  const std::set<std::string> depends = PackageNames(fields.at("Depends"));
  INFO("Depends: " << fields.at("Depends"));
  for (const char* library : {"libc6", "libcurl4", "libsqlite3-0", "libsystemd0", "libssl3"}) {
    CHECK(depends.contains(library));
  }
  CHECK(std::any_of(depends.begin(), depends.end(),
                    [](const std::string& name) { return name.starts_with("libyaml-cpp"); }));

  // dpkg keeps an admin's edits to the config across upgrades.
  const RunResult conffiles = Run({Program("dpkg-deb", "dpkg"), "--info", deb, "conffiles"});
  CHECK(conffiles.exit_code == 0);
  CHECK(conffiles.out == kConfig + "\n");

  TempDir control;
  REQUIRE(Run({Program("dpkg-deb", "dpkg"), "--control", deb, control.path()}).exit_code == 0);
  for (const char* script : {"postinst", "prerm", "postrm"}) {
    INFO(script);
    const std::string path = control.File(script);
    REQUIRE(fs::exists(path));
    CHECK((fs::status(path).permissions() & fs::perms::owner_exec) != fs::perms::none);
    const std::string text = ReadFile(path);
    CHECK(text.starts_with("#!/bin/sh\n"));
    CHECK(text.find("\nset -e\n") != std::string::npos);
    CHECK(Run({"/bin/sh", "-n", path}).exit_code == 0);
    // Nothing starts the service: it needs its secrets first.
    CHECK(text.find(" start ") == std::string::npos);
    CHECK(text.find("enable --now") == std::string::npos);
  }
}

TEST_CASE("dpkg installed the package into the fresh root", "[package]") {
  const RunResult status =
      Run({Program("dpkg", "dpkg"), "--root=" + kRoot, "--status", "salesaudit"});
  REQUIRE(status.exit_code == 0);
  CHECK(status.out.find("Status: install ok installed\n") != std::string::npos);
  CHECK(status.out.find("Version: " + kVersion + "\n") != std::string::npos);
  CHECK(status.out.find("Conffiles:\n " + kConfig + " ") != std::string::npos);

  for (const std::string& path : {kBinary, kUnit, kConfig, kDocDir + "/README.md"}) {
    INFO(path);
    CHECK(fs::is_regular_file(kRoot + path));
  }
  // What the unit names is there: its binary, its docs, its config.
  const std::string unit = ReadFile(kRoot + kUnit);
  CHECK(unit.find("\nExecStart=" + kBinary + " --config " + kConfig + " run\n") !=
        std::string::npos);
  CHECK(unit.find("\nDocumentation=file:" + kDocDir + "/README.md\n") != std::string::npos);
}

TEST_CASE("The installed binary runs", "[package]") {
  const RunResult result = Run({kRoot + kBinary, "--version"});
  CHECK(result.exit_code == 0);
  CHECK(result.out.find(kVersion) != std::string::npos);
}

TEST_CASE("systemd-analyze verify accepts the installed unit in the root", "[package]") {
  // --root: the unit is looked up where systemd reads units in that root
  // (it is not named by path), and ExecStart's /usr/bin/salesaudit must be
  // the root's.
  const RunResult result = Run(
      {Program("systemd-analyze", "systemd"), "verify", "--root=" + kRoot, "salesaudit.service"});
  CHECK(result.exit_code == 0);
  CHECK(result.out.empty());
  CHECK(result.err.empty());
}

TEST_CASE("The installed example config passes check once its secrets are set", "[package]") {
  const RunResult valid = Run({kRoot + kBinary, "--config", kRoot + kConfig, "check"}, kSecrets);
  CHECK(valid.exit_code == 0);
  // Without them it names each one (and the package ships no secret).
  const RunResult missing = Run({kRoot + kBinary, "--config", kRoot + kConfig, "check"}, {});
  CHECK(missing.exit_code == 2);
  for (const auto& [name, value] : kSecrets) CHECK(missing.err.find(name) != std::string::npos);
}

TEST_CASE("postinst enabled the unit in the root, for multi-user.target", "[package]") {
  const fs::path link = kRoot + kEnableLink;
  REQUIRE(fs::is_symlink(link));
  // deb-systemd-helper looks in /lib first: on merged /usr the same file.
  const std::string target = fs::read_symlink(link).string();
  CHECK((target == kUnit || target == "/lib/systemd/system/salesaudit.service"));
  CHECK(fs::equivalent(kRoot + target, kRoot + kUnit));
}

TEST_CASE("remove keeps config and state, purge removes both and the enablement", "[package]") {
  TempDir dir;
  const std::string root = dir.File("root");
  REQUIRE(
      Run({SALESAUDIT_PACKAGE_INSTALL_SCRIPT, DebPath(), root, dir.File("dpkg.log")}).exit_code ==
      0);
  // The state as a DynamicUser= service leaves it: the store in
  // /var/lib/private/salesaudit behind a /var/lib/salesaudit symlink.
  fs::create_directories(root + "/var/lib/private/salesaudit");
  WriteFile(root + "/var/lib/private/salesaudit/salesaudit.db", "store");
  fs::create_directory_symlink("private/salesaudit", root + "/var/lib/salesaudit");
  const std::vector<std::string> dpkg = {Program("dpkg", "dpkg"), "--root=" + root,
                                         "--log=" + dir.File("dpkg.log"), "--force-not-root",
                                         "--force-script-chrootless"};

  auto remove = dpkg;
  remove.insert(remove.end(), {"--remove", "salesaudit"});
  REQUIRE(Run(remove).exit_code == 0);
  CHECK_FALSE(fs::exists(root + kBinary));
  CHECK_FALSE(fs::exists(root + kUnit));
  CHECK(fs::exists(root + kConfig));
  CHECK(fs::exists(root + "/var/lib/salesaudit/salesaudit.db"));

  auto purge = dpkg;
  purge.insert(purge.end(), {"--purge", "salesaudit"});
  REQUIRE(Run(purge).exit_code == 0);
  CHECK_FALSE(fs::exists(root + kConfig));
  CHECK_FALSE(fs::exists(fs::symlink_status(root + "/var/lib/salesaudit")));
  CHECK_FALSE(fs::exists(root + "/var/lib/private/salesaudit"));
  CHECK_FALSE(fs::exists(fs::symlink_status(root + kEnableLink)));
}

// README.md's "Run as a service" section.
std::string RunAsServiceSection() {
  const std::string readme = ReadFile(std::string(SALESAUDIT_SOURCE_DIR) + "/README.md");
  const size_t start = readme.find("\n## Run as a service\n");
  REQUIRE(start != std::string::npos);
  return readme.substr(start, readme.find("\n## ", start + 1) - start);
}

// The section's credentials: the config lines it replaces, with what, the
// file each names, and the drop-in's lines.
struct Credential {
  std::string config_line;
  std::string replacement;
  std::string name;
};
const std::vector<Credential> kCredentials = {
    {"token: ${HUBSPOT_TOKEN}",
     "token_file: ${CREDENTIALS_DIRECTORY:-/etc/salesaudit/credentials}/hubspot-token",
     "hubspot-token"},
    {"api_key: ${MAILCHIMP_API_KEY}",
     "api_key_file: ${CREDENTIALS_DIRECTORY:-/etc/salesaudit/credentials}/mailchimp-api-key",
     "mailchimp-api-key"},
    {"secret: ${WEBHOOK_SECRET}",
     "secret_file: ${CREDENTIALS_DIRECTORY:-/etc/salesaudit/credentials}/webhook-secret",
     "webhook-secret"}};

std::string LoadCredentialLine(const Credential& credential) {
  return "LoadCredential=" + credential.name + ":/etc/salesaudit/credentials/" + credential.name;
}

TEST_CASE("README's Run as a service section names what the package installs", "[package]") {
  const std::string section = RunAsServiceSection();
  for (const std::string& text :
       {std::string("cpack -G DEB"), std::string("dpkg -i"), kBinary, kUnit, kConfig, kDocDir + "/",
        std::string("/var/lib/salesaudit"), std::string("/var/lib/private/salesaudit"),
        std::string("systemctl enable --now salesaudit"),
        std::string("systemctl reload salesaudit"), std::string("journalctl -u salesaudit"),
        std::string("salesaudit check"), std::string("dpkg -P salesaudit")}) {
    INFO(text);
    CHECK(section.find(text) != std::string::npos);
  }
}

TEST_CASE("README's credentials recipe: the installed config reads them and passes check",
          "[package]") {
  const std::string section = RunAsServiceSection();
  std::string config = ReadFile(kRoot + kConfig);
  TempDir dir;
  fs::create_directory(dir.File("credentials"));
  for (const Credential& credential : kCredentials) {
    INFO(credential.name);
    CHECK(section.find("`" + credential.config_line + "`") != std::string::npos);
    CHECK(section.find("\n      " + credential.replacement + "\n") != std::string::npos);
    const size_t at = config.find(credential.config_line);
    REQUIRE(at != std::string::npos);
    config.replace(at, credential.config_line.size(), credential.replacement);
    WriteFile(dir.File("credentials/" + credential.name), "secret-" + credential.name + "\n");
  }
  WriteFile(dir.File("config.yaml"), config);
  // As under the unit: the credentials in $CREDENTIALS_DIRECTORY, no secret
  // in the environment.
  const RunResult valid = Run({kRoot + kBinary, "--config", dir.File("config.yaml"), "check"},
                              {{"CREDENTIALS_DIRECTORY", dir.File("credentials")}});
  CHECK(valid.exit_code == 0);
  const RunResult missing = Run({kRoot + kBinary, "--config", dir.File("config.yaml"), "check"},
                                {{"CREDENTIALS_DIRECTORY", dir.File("none")}});
  CHECK(missing.exit_code == 2);
}

TEST_CASE("README's credentials drop-in verifies with the installed unit", "[package]") {
  const std::string section = RunAsServiceSection();
  TempDir dir;
  const std::string root = dir.File("root");
  REQUIRE(
      Run({SALESAUDIT_PACKAGE_INSTALL_SCRIPT, DebPath(), root, dir.File("dpkg.log")}).exit_code ==
      0);
  std::string drop_in = "[Service]\n";
  for (const Credential& credential : kCredentials) {
    INFO(credential.name);
    CHECK(section.find("\n    " + LoadCredentialLine(credential) + "\n") != std::string::npos);
    drop_in += LoadCredentialLine(credential) + "\n";
  }
  // Where `systemctl edit salesaudit` writes it.
  fs::create_directories(root + "/etc/systemd/system/salesaudit.service.d");
  WriteFile(root + "/etc/systemd/system/salesaudit.service.d/override.conf", drop_in);
  const RunResult result = Run(
      {Program("systemd-analyze", "systemd"), "verify", "--root=" + root, "salesaudit.service"});
  CHECK(result.exit_code == 0);
  CHECK(result.err.empty());
  // The drop-in is part of the unit systemd sees.
  const RunResult unit = Run({Program("systemd-analyze", "systemd"), "cat-config", "--root=" + root,
                              "systemd/system/salesaudit.service"});
  CHECK(unit.exit_code == 0);
  CHECK(unit.out.find(drop_in) != std::string::npos);
}

}  // namespace
}  // namespace salesaudit::testing
