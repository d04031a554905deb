// The Mailchimp Marketing API v3 connector (type `mailchimp`,
// docs/vendors/mailchimp.md): streams campaigns (sent ones, incremental by send time),
// email_activity (one EmailEvent per recipient action, with a per-campaign
// cursor) and members (the lists of sent campaigns, as Contacts, so events
// match contacts by email).
//
// Auth: `api_key` ("<key>-<dc>") sent as the HTTP Basic password; the base
// URL https://<dc>.api.mailchimp.com/3.0 comes from the key's suffix unless
// `base_url` is set. Mailchimp limits only concurrency (10 connections per
// user); the sync engine sends one connector's requests one at a time, so a
// connector never holds more than one. 429 and the bare (non-problem+json)
// 403 Mailchimp's edge sends under load are both throttling (retryable).
//
// Registered by RegisterMailchimpConnector(); instances are created per run by
// the sync engine and used by one thread.
#pragma once

#include "connectors/connector.h"

namespace salesaudit {

void RegisterMailchimpConnector(ConnectorRegistry& registry);

}  // namespace salesaudit
