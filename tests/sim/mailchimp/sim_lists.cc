// The list endpoint of MailchimpSim::Impl: GET /lists/{list_id}/members.
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>

#include "tests/sim/mailchimp/sim_impl.h"

namespace salesaudit::sim {

auto MailchimpSim::Impl::ListMembers(const std::string& list_id, const Query& q) -> Response {
  if (std::find(list_ids.begin(), list_ids.end(), list_id) == list_ids.end()) {
    return Problem(404, "Resource Not Found", "The requested resource could not be found.");
  }
  int count = 0, offset = 0;
  if (auto bad = Paging(q, &count, &offset)) return *bad;
  auto since = QueryTime(q, "since_last_changed");
  std::vector<const MailchimpMember*> rows;
  for (const auto& m : members) {
    if (m.list_id == list_id && (!since || m.last_changed_ms >= *since)) rows.push_back(&m);
  }
  return Collection(
      "members", static_cast<int>(rows.size()), offset, count,
      [&](Writer& w, int i) {
        const MailchimpMember& m = *rows[static_cast<size_t>(i)];
        Str(w, "id", m.id);
        Str(w, "email_address", m.email_address);
        Str(w, "unique_email_id", m.id.substr(0, 10));
        Str(w, "status", m.status);
        w.Key("merge_fields");
        w.StartObject();
        Str(w, "FNAME", m.first_name);
        Str(w, "LNAME", m.last_name);
        w.EndObject();
        Str(w, "timestamp_signup", m.timestamp_signup);
        Str(w, "timestamp_opt", m.timestamp_opt);
        Str(w, "last_changed", m.last_changed);
        Str(w, "list_id", m.list_id);
      },
      "list_id", list_id);
}

}  // namespace salesaudit::sim
