// An unmodified @mailchimp/mailchimp_marketing reading an account the way a
// sync tool does, through the client's public API only: ping and the API
// root, every audience, every member of the first audience page by page,
// every campaign page by page, and each sent campaign's email activity page
// by page. Prints one JSON document on stdout:
//   {"health_status", "account_name", "total_subscribers", "lists": [...],
//    "members": [...], "campaigns": [...], "activity": [...]}
// and exits 1 with the error on stderr when any call fails.
//
// Environment: MAILCHIMP_BASE_URL (the simulator, http://127.0.0.1:PORT/3.0)
// and either MAILCHIMP_API_KEY or MAILCHIMP_ACCESS_TOKEN; NODE_PATH finds
// the client in the build directory.
'use strict';

const mailchimp = require('@mailchimp/mailchimp_marketing');

// Pages through `fetch(offset)` until `offset` reaches total_items.
async function readAll(fetch, key) {
  const rows = [];
  let total;
  do {
    const page = await fetch(rows.length);
    total = page.total_items;
    if (page[key].length === 0) break;
    rows.push(...page[key]);
  } while (rows.length < total);
  return rows;
}

async function main() {
  const apiKey = process.env.MAILCHIMP_API_KEY || '';
  mailchimp.setConfig({
    apiKey,
    accessToken: process.env.MAILCHIMP_ACCESS_TOKEN || '',
    // The data center the key names, as the client's README configures it.
    server: apiKey.includes('-') ? apiKey.slice(apiKey.lastIndexOf('-') + 1) : 'us19',
  });
  // The client builds every URL as basePath + path, then swaps the word
  // "server" for config.server: its default basePath is
  // https://server.api.mailchimp.com/3.0. basePath is a public property of
  // the ApiClient the package exports, so setting it to the simulator is the
  // client's own way to reach another host, no patching; with no "server"
  // in it, the swap leaves it alone.
  mailchimp.basePath = process.env.MAILCHIMP_BASE_URL;

  const ping = await mailchimp.ping.get();
  const root = await mailchimp.root.getRoot();

  const lists = await readAll(
    (offset) => mailchimp.lists.getAllLists({ count: 1000, offset }), 'lists');

  const members = await readAll(
    (offset) => mailchimp.lists.getListMembersInfo(lists[0].id, {
      count: 100,
      offset,
      fields: ['members.id', 'members.email_address', 'members.status',
        'members.merge_fields', 'members.last_changed', 'total_items'],
    }),
    'members');

  const campaigns = await readAll(
    (offset) => mailchimp.campaigns.list({ count: 5, offset }), 'campaigns');

  const activity = [];
  for (const c of campaigns) {
    if (c.status !== 'sent') continue;
    const emails = await readAll(
      (offset) => mailchimp.reports.getEmailActivityForCampaign(c.id, { count: 50, offset }),
      'emails');
    for (const e of emails) {
      for (const a of e.activity) {
        activity.push({
          campaign_id: e.campaign_id,
          email_id: e.email_id,
          action: a.action,
          timestamp: a.timestamp,
        });
      }
    }
  }

  process.stdout.write(JSON.stringify({
    health_status: ping.health_status,
    account_name: root.account_name,
    total_subscribers: root.total_subscribers,
    lists: lists.map((l) => ({ id: l.id, name: l.name, member_count: l.stats.member_count })),
    members: members.map((m) => ({
      id: m.id,
      email_address: m.email_address,
      status: m.status,
      first_name: m.merge_fields.FNAME,
      last_name: m.merge_fields.LNAME,
      last_changed: m.last_changed,
    })),
    campaigns: campaigns.map((c) => ({
      id: c.id,
      status: c.status,
      send_time: c.send_time,
      list_id: c.recipients.list_id,
    })),
    activity,
  }) + '\n');
}

main().catch((err) => {
  // A failed call's error carries the request, credentials included: print
  // only its status and the problem document.
  const body = err && err.response ? ` ${err.status} ${err.response.text}` : '';
  process.stderr.write(`mailchimp_read_account: ${err && err.message}${body}\n`);
  process.exit(1);
});
