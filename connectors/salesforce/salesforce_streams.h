// The Salesforce streams: one SOQL query per object, read in keyset order
// within a window (by Id in the first, a full sync; by SystemModstamp, then
// Id, in later ones), so that any number of records sharing one
// SystemModstamp second are read once each, and a query whose locator died
// is asked again from the last committed record rather than from the start.
//
// A window runs from the previous window's end, less the `lookback` for
// rows that commit after their SystemModstamp (commit lag), to the run's
// start; the first window has no lower end (a full sync). Objects with a
// recycle bin are read through queryAll, so deletions and merges arrive in
// the same order as changes. The leads stream also reads the LeadHistory of
// the leads in each batch (one query joined to the batch's key range, not
// a list of ids, which a URL could not hold).
//
// Threading: a reader is used by one thread, for one run.
#pragma once

#include <memory>
#include <string>

#include "connectors/connector.h"
#include "connectors/salesforce/salesforce_api.h"
#include "connectors/salesforce/salesforce_mapping.h"

namespace salesaudit::salesforce {

// The org's corporate currency, for orgs without multi-currency (their
// opportunities carry no CurrencyIsoCode).
inline const OptionSpec kCurrencyOption{
    "currency", OptionType::kCurrencyCode, std::string(),
    "The currency of every opportunity in an org without multiple currencies (e.g. USD); "
    "multi-currency orgs give each opportunity's own."};

// What the streams of one connector instance share.
struct OrgState {
  OrgState(const ConnectorConfig& config, HttpClient& http);
  SalesforceApi api;
  ObjectMapping mapping;
  // Set once the org answered that Opportunity has no CurrencyIsoCode
  // (multi-currency is off); the opportunities cursor remembers it.
  bool lacks_currency_field = false;
  // Whether queries select Opportunity.CurrencyIsoCode: not when `currency:`
  // names the org's one currency, nor when the org lacks the field.
  bool SelectsCurrencyField() const;
};

// The stream names, in sync order, with the records each yields.
std::vector<StreamSpec> SalesforceStreams();

// A stream's stored cursor in words (ConnectorDescriptor::describe_cursor);
// every stream's cursor has the same form.
CursorDescription DescribeSalesforceCursor(const ConnectorConfig& config,
                                           const std::string& cursor);

Result<std::unique_ptr<StreamReader>> OpenSalesforceStream(OrgState& org, const StreamRun& run);

}  // namespace salesaudit::salesforce
