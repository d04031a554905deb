#include "tests/sim/common/sim_people.h"

namespace salesaudit::sim {

const std::vector<std::string> kFirstNames = {
    "Ana",   "Ben",   "Chloe", "Dmitri", "Elena",  "Farid", "Grace", "Hiro",  "Ines",
    "Jonas", "Kemal", "Lea",   "Marta",  "Nikhil", "Olga",  "Pablo", "Quinn", "Rosa"};
const std::vector<std::string> kLastNames = {"Lee",    "Novak",  "Garcia", "Schmidt", "Okafor",
                                             "Tanaka", "Rossi",  "Silva",  "Dubois",  "Kowalski",
                                             "Jensen", "Haddad", "Moreau", "Ivanova", "Brown"};
const std::vector<std::string> kDomains = {"example.com", "acme.io", "globex.net", "initech.co",
                                           "umbrella.org"};

}  // namespace salesaudit::sim
