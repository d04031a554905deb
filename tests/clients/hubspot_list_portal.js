// An unmodified @hubspot/api-client discovering and reading a portal the way
// a sync tool does, through the client's public API only: the contact
// property definitions, then every contact with all those properties, page
// by page, then every owner. Prints one JSON document on stdout:
//   {"properties": [names], "contacts": [{id, properties}], "owners": [...]}
// and exits 1 with the error on stderr when any call fails.
//
// Environment: HUBSPOT_BASE_URL (the simulator), HUBSPOT_TOKEN (a private
// app's token); NODE_PATH finds the client in the build directory.
'use strict';

const hubspot = require('@hubspot/api-client');

async function main() {
  const client = new hubspot.Client({
    accessToken: process.env.HUBSPOT_TOKEN,
    basePath: process.env.HUBSPOT_BASE_URL,
  });

  const definitions = await client.crm.properties.coreApi.getAll('contacts');
  const properties = definitions.results.map((p) => p.name);

  const contacts = [];
  let after;
  do {
    const page = await client.crm.contacts.basicApi.getPage(100, after, properties);
    for (const c of page.results) contacts.push({ id: c.id, properties: c.properties });
    after = page.paging && page.paging.next ? page.paging.next.after : undefined;
  } while (after !== undefined);

  const owners = [];
  after = undefined;
  do {
    const page = await client.crm.owners.ownersApi.getPage(undefined, after, 100, false);
    for (const o of page.results) {
      owners.push({
        id: o.id,
        email: o.email,
        firstName: o.firstName,
        lastName: o.lastName,
        userId: o.userId,
      });
    }
    after = page.paging && page.paging.next ? page.paging.next.after : undefined;
  } while (after !== undefined);

  process.stdout.write(JSON.stringify({ properties, contacts, owners }) + '\n');
}

main().catch((err) => {
  process.stderr.write(`hubspot_list_portal: ${err && err.stack ? err.stack : err}\n`);
  process.exit(1);
});
