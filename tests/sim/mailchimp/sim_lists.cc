// The audience endpoints of MailchimpSim::Impl: GET /lists (and one list),
// GET /lists/{list_id}/members (and one member).
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <cstdint>
#include <optional>

#include "core/time_util.h"
#include "tests/sim/mailchimp/sim_impl.h"

namespace salesaudit::sim {

const MailchimpList* MailchimpSim::Impl::FindList(const std::string& id) const {
  for (const auto& l : lists) {
    if (l.id == id) return &l;
  }
  return nullptr;
}

void MailchimpSim::Impl::WriteList(Writer& w, const MailchimpList& l) const {
  int64_t subscribed = 0, unsubscribed = 0, cleaned = 0, campaign_count = 0;
  std::string last_sub, last_unsub, last_sent;
  for (const auto& m : members) {
    if (m.list_id != l.id) continue;
    if (m.status == "subscribed") {
      ++subscribed;
      last_sub = std::max(last_sub, m.timestamp_opt);
    } else if (m.status == "unsubscribed") {
      ++unsubscribed;
      last_unsub = std::max(last_unsub, m.last_changed);
    } else if (m.status == "cleaned") {
      ++cleaned;
    }
  }
  for (const auto& c : campaigns) {
    if (c.list_id != l.id || c.status != "sent") continue;
    ++campaign_count;
    last_sent = std::max(last_sent, c.send_time);
  }
  Str(w, "id", l.id);
  Num(w, "web_id", 100 + (&l - lists.data()));
  Str(w, "name", l.name);
  w.Key("contact");
  w.StartObject();
  Str(w, "company", "Acme");
  Str(w, "address1", "1 Main St");
  Str(w, "address2", "");
  Str(w, "city", "Atlanta");
  Str(w, "state", "GA");
  Str(w, "zip", "30308");
  Str(w, "country", "US");
  Str(w, "phone", "");
  w.EndObject();
  Str(w, "permission_reminder", "You signed up on acme.test.");
  Flag(w, "use_archive_bar", true);
  w.Key("campaign_defaults");
  w.StartObject();
  Str(w, "from_name", "Acme");
  Str(w, "from_email", "news@acme.test");
  Str(w, "subject", "");
  Str(w, "language", "en");
  w.EndObject();
  Str(w, "date_created", l.date_created);
  Num(w, "list_rating", 3);
  Flag(w, "email_type_option", false);
  Str(w, "visibility", "prv");
  Flag(w, "double_optin", false);
  w.Key("stats");
  w.StartObject();
  Num(w, "member_count", subscribed);
  Num(w, "unsubscribe_count", unsubscribed);
  Num(w, "cleaned_count", cleaned);
  Num(w, "campaign_count", campaign_count);
  Str(w, "campaign_last_sent", last_sent);
  Str(w, "last_sub_date", last_sub);
  Str(w, "last_unsub_date", last_unsub);
  w.EndObject();
}

void MailchimpSim::Impl::WriteMember(Writer& w, const MailchimpMember& m) const {
  Str(w, "id", m.id);
  Str(w, "email_address", m.email_address);
  Str(w, "unique_email_id", m.id.substr(0, 10));
  Str(w, "full_name", m.first_name + " " + m.last_name);
  Num(w, "web_id", 5000 + (&m - members.data()));
  Str(w, "email_type", "html");
  Str(w, "status", m.status);
  w.Key("merge_fields");
  w.StartObject();
  Str(w, "FNAME", m.first_name);
  Str(w, "LNAME", m.last_name);
  w.EndObject();
  Str(w, "ip_signup", "");
  Str(w, "timestamp_signup", m.timestamp_signup);
  Str(w, "ip_opt", "");
  Str(w, "timestamp_opt", m.timestamp_opt);
  Num(w, "member_rating", 2);
  Str(w, "last_changed", m.last_changed);
  Str(w, "language", "");
  Flag(w, "vip", false);
  Str(w, "source", "API - Generic");
  Num(w, "tags_count", 0);
  w.Key("tags");
  w.StartArray();
  w.EndArray();
  Str(w, "list_id", m.list_id);
}

auto MailchimpSim::Impl::ListLists(const Query& q) -> Response {
  int count = 0, offset = 0;
  if (auto bad = Paging(q, &count, &offset)) return *bad;
  std::string sort_field;
  std::optional<int64_t> since, before;
  bool descending = false;
  for (auto bad :
       {QueryEnum(q, "sort_field", {"date_created"}, &sort_field), SortDescending(q, &descending),
        QueryTime(q, "since_date_created", &since), QueryTime(q, "before_date_created", &before)}) {
    if (bad) return *bad;
  }
  // `email`: only the lists that address is a member of.
  const std::string email_id = q.count("email") ? MailchimpEmailId(q.at("email")) : "";
  std::vector<const MailchimpList*> rows;
  for (const auto& l : lists) {
    const int64_t created = ParseTimestampMs(l.date_created).value_or(0);
    if ((since && created < *since) || (before && created >= *before)) continue;
    if (!email_id.empty() && std::none_of(members.begin(), members.end(), [&](const auto& m) {
          return m.list_id == l.id && m.id == email_id;
        })) {
      continue;
    }
    rows.push_back(&l);
  }
  // Lists are held in creation order, which sort_field=date_created keeps.
  if (descending) std::reverse(rows.begin(), rows.end());
  return Collection("lists", static_cast<int>(rows.size()), offset, count,
                    [&](Writer& w, int i) { WriteList(w, *rows[static_cast<size_t>(i)]); });
}

auto MailchimpSim::Impl::ListMembers(const std::string& list_id, const Query& q) -> Response {
  int count = 0, offset = 0;
  if (auto bad = Paging(q, &count, &offset)) return *bad;
  std::string status, email_type, sort_field;
  std::optional<int64_t> since_changed, before_changed, since_opt, before_opt;
  bool descending = false;
  for (auto bad :
       {QueryEnum(q, "status",
                  {"subscribed", "unsubscribed", "cleaned", "pending", "transactional", "archived"},
                  &status),
        QueryEnum(q, "email_type", {"html", "text"}, &email_type),
        QueryEnum(q, "sort_field", {"timestamp_opt", "timestamp_signup", "last_changed"},
                  &sort_field),
        SortDescending(q, &descending), QueryTime(q, "since_last_changed", &since_changed),
        QueryTime(q, "before_last_changed", &before_changed),
        QueryTime(q, "since_timestamp_opt", &since_opt),
        QueryTime(q, "before_timestamp_opt", &before_opt)}) {
    if (bad) return *bad;
  }
  const std::string unique_email_id = q.count("unique_email_id") ? q.at("unique_email_id") : "";
  auto opt_ms = [](const MailchimpMember* m) {
    return ParseTimestampMs(m->timestamp_opt).value_or(0);
  };
  std::vector<const MailchimpMember*> rows;
  for (const auto& m : members) {
    if (m.list_id != list_id || (!status.empty() && m.status != status) || email_type == "text" ||
        (!unique_email_id.empty() && m.id.substr(0, 10) != unique_email_id)) {
      continue;  // every simulated member takes html
    }
    if ((since_changed && m.last_changed_ms < *since_changed) ||
        (before_changed && m.last_changed_ms >= *before_changed)) {
      continue;
    }
    // An unset opt-in time matches no opt-in time filter.
    if ((since_opt || before_opt) &&
        (m.timestamp_opt.empty() || (since_opt && opt_ms(&m) < *since_opt) ||
         (before_opt && opt_ms(&m) >= *before_opt))) {
      continue;
    }
    rows.push_back(&m);
  }
  auto sort_key = [&](const MailchimpMember* m) -> int64_t {
    if (sort_field == "last_changed") return m->last_changed_ms;
    const std::string& t = sort_field == "timestamp_opt" ? m->timestamp_opt : m->timestamp_signup;
    return ParseTimestampMs(t).value_or(0);
  };
  if (!sort_field.empty()) {
    std::stable_sort(rows.begin(), rows.end(),
                     [&](auto* a, auto* b) { return sort_key(a) < sort_key(b); });
  }
  if (descending) std::reverse(rows.begin(), rows.end());
  return Collection(
      "members", static_cast<int>(rows.size()), offset, count,
      [&](Writer& w, int i) { WriteMember(w, *rows[static_cast<size_t>(i)]); }, "list_id", list_id);
}

auto MailchimpSim::Impl::GetMember(const std::string& list_id, const std::string& subscriber_hash)
    -> Response {
  // The hash is the MD5 of the lower-cased address; the address works too.
  const std::string segment = PercentDecode(subscriber_hash);
  const std::string id =
      segment.find('@') != std::string::npos ? MailchimpEmailId(segment) : Lower(segment);
  for (const auto& m : members) {
    if (m.list_id == list_id && m.id == id) {
      return Object([&](Writer& w) { WriteMember(w, m); });
    }
  }
  return NotFound();
}

}  // namespace salesaudit::sim
