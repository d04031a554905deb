// Org: the records of the simulated Salesforce org, their schema (the field
// types of each object's describe), the ids Salesforce would give them, and
// the changes Salesforce makes (create, update with lead history, convert,
// delete and undelete with their cascades, merge, purge). It also keeps, for
// commit lag, the version of each record queries see until its latest change
// is visible.
//
// Owned by SfService, which guards it with its mutex; not thread-safe itself.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "tests/sim/salesforce/salesforce_sim.h"

namespace salesaudit::sim {

struct FieldDef {
  std::string name;  // canonical spelling
  FieldType type;
};

struct ObjectSchema {
  ObjectSchema(std::string name, std::string prefix, std::vector<FieldDef> fields);
  void AddField(FieldDef field);
  // Case-insensitive lookup; nullptr when the object has no such field.
  const FieldDef* Find(std::string_view field) const;
  // The canonical names of those of `fields` the object has.
  std::set<std::string> Names(const std::map<std::string, SfValue>& fields) const;

  std::string name;    // canonical spelling
  std::string prefix;  // key prefix, 3 characters
  std::vector<FieldDef> fields;

 private:
  std::map<std::string, size_t> by_lower_name_;  // index into fields
};

// "2024-02-01T08:30:12.000+0000" and "2024-02-01", both UTC.
std::string FormatSfDateTime(int64_t epoch_ms);
std::string FormatSfDate(int64_t epoch_ms);
// The 15-character id with its 3-character case-safe suffix (Salesforce's
// checksum: one character per 5-character chunk, each bit an upper-case
// letter).
std::string WithCaseSafeSuffix(std::string_view id15);

class Org {
 public:
  Org(const OrgSpec& spec, int64_t now_ms);

  const ObjectSchema* Schema(std::string_view object) const;  // case-insensitive
  const std::string& org_id() const { return org_id_; }
  const std::string& integration_user_id() const { return integration_user_id_; }

  // The versions a query sees at `now_ms`: for each record the latest one
  // whose change is visible (commit lag), deleted ones only when
  // `include_deleted`. Pointers stay valid until the next mutation.
  std::vector<const SfRecord*> Visible(const ObjectSchema& object, int64_t now_ms,
                                       bool include_deleted) const;
  // Latest versions, in id order.
  std::vector<SfRecord> Records(std::string_view object, bool include_deleted) const;
  std::optional<SfRecord> Find(std::string_view object, std::string_view id) const;

  // The mutations of SalesforceSim (see there); `lag_ms` is how long after
  // its SystemModstamp a change becomes visible.
  std::string Create(std::string_view object, const std::map<std::string, SfValue>& fields,
                     int64_t now_ms, int64_t lag_ms);
  void Update(std::string_view object, std::string_view id,
              const std::map<std::string, SfValue>& fields, int64_t now_ms, int64_t lag_ms);
  SalesforceSim::Conversion ConvertLead(std::string_view lead_id,
                                        const std::string& converted_status,
                                        bool create_opportunity,
                                        const std::string& existing_contact_id, int64_t now_ms,
                                        int64_t lag_ms);
  void Delete(std::string_view object, std::string_view id, int64_t now_ms, int64_t lag_ms);
  void Undelete(std::string_view object, std::string_view id, int64_t now_ms, int64_t lag_ms);
  void Merge(std::string_view object, std::string_view master_id, std::string_view loser_id,
             int64_t now_ms, int64_t lag_ms);
  void Purge(int64_t before_ms);
  std::vector<std::string> TouchMany(std::string_view object, int n, int64_t at_ms, int64_t now_ms,
                                     int64_t lag_ms);
  std::string InsertLate(std::string_view object, const std::map<std::string, SfValue>& fields,
                         int64_t modstamp_ms);

 private:
  struct Stored {
    SfRecord current;
    // What queries see until `visible_at_ms`; nullopt = nothing (created
    // since).
    std::optional<SfRecord> before;
    int64_t visible_at_ms = 0;
    std::string deleted_with;  // the record whose deletion took this one along
    int64_t deleted_at_ms = 0;
  };
  struct Table {
    ObjectSchema schema;
    std::vector<Stored> rows;  // id order (ids grow)
    std::unordered_map<std::string, size_t> index;
    uint64_t next_serial = 0;
  };

  void AddSchema(ObjectSchema schema);
  Table& TableOf(std::string_view object);
  const Table* FindTable(std::string_view object) const;
  Stored& Row(Table& table, std::string_view id);
  std::string NewId(Table& table);
  // Sets `fields` (names resolved case-insensitively and type-checked) on a
  // new or existing record and returns their canonical names; throws
  // std::invalid_argument on unknown fields.
  static std::set<std::string> Assign(Table& table, SfRecord& record,
                                      const std::map<std::string, SfValue>& fields);
  // Starts a change of `row` made at `now_ms` that queries see from
  // `visible_at_ms` on: keeps the version they see until then.
  static void BeginChange(Stored& row, int64_t now_ms, int64_t visible_at_ms);
  // BeginChange, then Stamp at `stamp_ms`.
  void Touch(Table& table, Stored& row, int64_t now_ms, int64_t stamp_ms, int64_t lag_ms,
             bool modified_date);
  // Sets SystemModstamp (and LastModifiedDate when `modified_date`) where
  // the object has them.
  static void Stamp(SfRecord& record, const ObjectSchema& schema, int64_t ms, bool modified_date);
  void AddLeadHistory(const std::string& lead_id, const std::string& field,
                      const SfValue& old_value, const SfValue& new_value, const char* data_type,
                      int64_t now_ms, int64_t lag_ms);
  // Sets IsDeleted on the children of `parent_id` in `object` whose
  // `reference` field points at it (cascading further), or restores them.
  void CascadeDelete(std::string_view object, const std::string& reference,
                     const std::string& parent_id, bool deleted, int64_t now_ms, int64_t lag_ms);
  void SetDeleted(std::string_view object, std::string_view id, bool deleted,
                  const std::string& with, int64_t now_ms, int64_t lag_ms);
  void Generate(const OrgSpec& spec, int64_t now_ms);

  std::map<std::string, Table> tables_;  // by lower-case name
  std::string org_id_;
  std::string integration_user_id_;
  std::vector<std::string> user_ids_;
  std::vector<std::string> currencies_;
  std::mt19937_64 rng_;
};

}  // namespace salesaudit::sim
