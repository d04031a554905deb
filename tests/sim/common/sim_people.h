// The names and e-mail domains the simulators give the people they generate,
// one list for both so that a CRM contact and a Mailchimp member generated
// apart still look alike. Immutable; safe from any thread.
#pragma once

#include <string>
#include <vector>

namespace salesaudit::sim {

extern const std::vector<std::string> kFirstNames;
extern const std::vector<std::string> kLastNames;
extern const std::vector<std::string> kDomains;

}  // namespace salesaudit::sim
