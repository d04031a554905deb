// Company: the records of the simulated Pipedrive company (users, persons and
// their fields, pipelines and stages, deals, leads, activities), the ids
// Pipedrive would give them, the company the generator builds from a
// PdCompanySpec, and the changes Pipedrive makes (PipedriveSim's mutations).
//
// Owned by PdService, which guards it with its mutex; not thread-safe itself.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "tests/sim/pipedrive/pipedrive_sim.h"

namespace salesaudit::sim {

// `ms` floored to the whole second, as Pipedrive stores its times.
int64_t WholeSecond(int64_t ms);

// How long a deleted person or deal can still be read: then it is deleted
// for good.
inline constexpr int64_t kPermanentDeletionMs = 30LL * 86'400'000;

class Company {
 public:
  Company(const PdCompanySpec& spec, int64_t now_ms);

  // Records in id order (leads in creation order), deleted ones included;
  // answers filter them.
  const std::vector<PdUser>& users() const { return users_; }
  const std::vector<PdPerson>& persons() const { return persons_; }
  const std::vector<PdDeal>& deals() const { return deals_; }
  const std::vector<PdLead>& leads() const { return leads_; }
  const std::vector<PdActivity>& activities() const { return activities_; }
  const std::vector<PdPipeline>& pipelines() const { return pipelines_; }
  const std::vector<PdStage>& stages() const { return stages_; }
  const std::vector<PdPersonField>& person_fields() const { return person_fields_; }
  // The custom field named `name`; throws std::invalid_argument when none.
  const PdPersonField& CustomField(const std::string& name) const;
  const PdPerson* FindPerson(int64_t id) const;
  const PdDeal* FindDeal(int64_t id) const;

  // PipedriveSim's mutations (see there), made at `now_ms`.
  int64_t CreatePerson(PdPerson person, int64_t now_ms);
  void UpdatePerson(int64_t id, const std::function<void(PdPerson&)>& change, int64_t now_ms);
  void DeletePerson(int64_t id, int64_t now_ms);
  int64_t CreateDeal(PdDeal deal, int64_t now_ms);
  void UpdateDeal(int64_t id, const std::function<void(PdDeal&)>& change, int64_t now_ms);
  void DeleteDeal(int64_t id, int64_t now_ms);
  std::string CreateLead(PdLead lead, int64_t now_ms);
  void ArchiveLead(const std::string& id, int64_t now_ms);
  void DeleteLead(const std::string& id, int64_t now_ms);
  int64_t CreateActivity(PdActivity activity, int64_t now_ms);
  void MarkActivityDone(int64_t id, int64_t now_ms);
  void MergePersons(int64_t survivor_id, int64_t loser_id, int64_t now_ms);
  std::vector<int64_t> TouchPersons(int n, int64_t at_ms);
  std::vector<int64_t> TouchDeals(int n, int64_t at_ms);
  void SetPersonFieldOptionLabel(const std::string& key, int64_t option_id,
                                 const std::string& label, int64_t now_ms);
  // When a person field last changed (fields have no update_time of their own
  // in the answers; /v1/personFields serves it).
  int64_t person_fields_update_ms() const { return person_fields_update_ms_; }

 private:
  PdPerson& Person(int64_t id);
  PdDeal& Deal(int64_t id);
  PdLead& Lead(const std::string& id);
  PdActivity& Activity(int64_t id);
  const PdStage& Stage(int64_t id) const;
  // Stamps the status and stage times a change from `before` to `deal` makes.
  static void StampDealChange(const PdDeal& before, PdDeal& deal, int64_t now_ms);
  std::string NewLeadId();
  void AddPersonFields(int64_t now_ms);
  void Generate(const PdCompanySpec& spec, int64_t now_ms);
  PdPerson GeneratePerson(int64_t add_ms);

  std::vector<PdUser> users_;
  std::vector<PdPerson> persons_;
  std::vector<PdDeal> deals_;
  std::vector<PdLead> leads_;
  std::vector<PdActivity> activities_;
  std::vector<PdPipeline> pipelines_;
  std::vector<PdStage> stages_;
  std::vector<PdPersonField> person_fields_;
  std::map<std::string, size_t> lead_index_;
  int64_t person_fields_update_ms_ = 0;
  std::mt19937_64 rng_;
};

}  // namespace salesaudit::sim
