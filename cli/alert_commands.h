// The alert operator commands (issue 5): `salesaudit alerts` lists the alert
// states, the active silences and the notification outbox; `alerts test
// RULE` evaluates one rule now and shows what would be sent, saving nothing;
// `silence add|list|expire` manage silences. Each command returns the
// process exit code (0 success, 1 failure, 2 usage or config error). Output never holds a secret:
// payloads are shown only by `alerts test`, with every configured secret redacted. Called on the
// main thread.
//
//   if (command == "silence") return SilenceCommand(config_path, rest);
#pragma once

#include <string>
#include <vector>

namespace salesaudit {

// `salesaudit alerts [--format text|json]` and `alerts test RULE [...]`;
// `args` follow the word "alerts".
int AlertsCommand(const std::string& config_path, const std::vector<std::string>& args);

// `salesaudit silence add|list|expire ...`; `args` follow the word "silence".
int SilenceCommand(const std::string& config_path, const std::vector<std::string>& args);

}  // namespace salesaudit
