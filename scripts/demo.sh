#!/usr/bin/env bash
# The README's demo: install what is missing, build, start the HubSpot,
# Mailchimp, Salesforce and Pipedrive simulators on 127.0.0.1 (most Mailchimp
# members are HubSpot contacts, so one funnel is fed by a CRM and an email
# tool; a second team works in Salesforce, a third in Pipedrive), sync them
# over HTTP into one SQLite file and print the audit.
#
#   scripts/demo.sh [--serve]
#
# --serve: then keep the simulators up and run the daemon (`salesaudit run`)
# on the demo config, printing its dashboard's URL, until Ctrl-C.
# SALESAUDIT_DEMO_SKIP_BUILD=1 uses the binaries already in
# SALESAUDIT_BUILD_DIR (default build/) without installing or building;
# SALESAUDIT_DEMO_DIR (default build/demo) is where the demo's files go.
set -euo pipefail
cd "$(dirname "$0")/.."
serve=0
case "${1:-}" in
  --serve) serve=1 ;;
  "") ;;
  *) echo "usage: scripts/demo.sh [--serve]" >&2; exit 2 ;;
esac
bin=${SALESAUDIT_BUILD_DIR:-build}
if [ "${SALESAUDIT_DEMO_SKIP_BUILD:-0}" != 1 ]; then
  scripts/install-deps.sh
  # What the demo runs, first: the tests and benchmarks are not needed.
  scripts/build.sh salesaudit crm-sim mailchimp-sim salesforce-sim pipedrive-sim
fi

demo=${SALESAUDIT_DEMO_DIR:-$bin/demo}
rm -rf "$demo"
mkdir -p "$demo"
token="pat-na1-demo-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
api_key="$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')-us19"
sf_secret="$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
sf_refresh="5Aep861demo$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
pd_token="$(od -An -N20 -tx1 /dev/urandom | tr -d ' \n')"

sim_pids=()
# Stops what the demo started and waits for it to be gone.
stop_sims() {
  for pid in "${sim_pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${sim_pids[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap stop_sims EXIT
trap 'exit 130' INT TERM
# wait_for_sim NAME PID: prints the base URL the simulator announced in
# $demo/NAME.out, or fails with its stderr.
wait_for_sim() {
  for _ in $(seq 1 100); do
    grep -q '^listening on ' "$demo/$1.out" 2>/dev/null && break
    kill -0 "$2" 2>/dev/null || break
    sleep 0.1
  done
  local url
  url=$(sed -n 's/^listening on //p' "$demo/$1.out")
  [ -n "$url" ] || { echo "demo: $1 did not start" >&2; cat "$demo/$1.err" >&2; exit 1; }
  echo "$url"
}

# The CRM writes its contacts' emails before it announces itself; Mailchimp
# takes them as the first members of its one audience of 6,000, then generates
# the rest (about 4,900 CRM contacts, 1,100 people only the email tool knows).
# Its campaigns and activity fall in the last 120 days, inside the audit
# window (the earliest contact, a year back, to now).
"$bin/crm-sim" --port 0 --seed 42 --contacts 5000 --deals 600 --owners 6 \
  --token "$token" --ten-secondly-limit 190 --emails-out "$demo/crm-emails.txt" \
  >"$demo/crm-sim.out" 2>"$demo/crm-sim.err" &
sim_pids+=($!)
base_url=$(wait_for_sim crm-sim $!)
"$bin/mailchimp-sim" --port 0 --seed 42 --lists 1 --members 6000 --campaigns 10 \
  --api-key "$api_key" --emails-file "$demo/crm-emails.txt" \
  >"$demo/mailchimp-sim.out" 2>"$demo/mailchimp-sim.err" &
sim_pids+=($!)
mailchimp_url=$(wait_for_sim mailchimp-sim $!)
# The org rotates refresh tokens, as many do: the connector keeps the new one
# beside the store.
"$bin/salesforce-sim" --port 0 --seed 42 --leads 3000 --contacts 300 --opportunities 200 \
  --users 5 --client-id demo-consumer-key --client-secret "$sf_secret" \
  --refresh-token "$sf_refresh" --rotate-refresh-token 1 \
  >"$demo/salesforce-sim.out" 2>"$demo/salesforce-sim.err" &
sim_pids+=($!)
salesforce_url=$(wait_for_sim salesforce-sim $!)
# The company is on the Essential plan (20 requests per 2 s): the connector's
# budget follows the limit each answer states.
"$bin/pipedrive-sim" --port 0 --seed 42 --persons 2500 --deals 400 --leads 1200 \
  --activities 3000 --users 4 --api-token "$pd_token" --rate-limit 20 \
  >"$demo/pipedrive-sim.out" 2>"$demo/pipedrive-sim.err" &
sim_pids+=($!)
pipedrive_url=$(wait_for_sim pipedrive-sim $!)
echo "== simulators"
echo "HubSpot    $base_url (5,000 contacts, 600 deals, 6 owners)"
echo "Mailchimp  $mailchimp_url (10 campaigns to 6,000 members, most of them CRM contacts)"
echo "Salesforce $salesforce_url (3,000 leads with status history, 300 contacts, 200 opportunities)"
echo "Pipedrive  $pipedrive_url (2,500 persons, 1,200 leads, 3,000 activities, 400 deals)"

printf '%s\n' "$token" >"$demo/hubspot.token"
chmod 600 "$demo/hubspot.token"
( umask 077 && printf '%s\n' "$api_key" >"$demo/mailchimp.key" )
( umask 077 && printf '%s\n' "$sf_secret" >"$demo/salesforce.secret" &&
  printf '%s\n' "$sf_refresh" >"$demo/salesforce.refresh-token" &&
  printf '%s\n' "$pd_token" >"$demo/pipedrive.token" )
case "$demo" in /*) demo_path=$demo ;; *) demo_path=$PWD/$demo ;; esac
cat >"$demo/config.yaml" <<YAML
store:
  path: $demo_path/salesaudit.db
# The daemon's dashboard and /metrics (scripts/demo.sh --serve); any free port.
status:
  listen: 127.0.0.1:0
connectors:
  - name: hubspot
    type: hubspot
    base_url: $base_url
    auth:
      token_file: hubspot.token
    poll_interval: 10m
    # The simulator enforces the Professional tier's 190 requests per 10 s.
    rate_limit: 190/10s
  - name: mailchimp
    type: mailchimp
    base_url: $mailchimp_url
    auth:
      api_key_file: mailchimp.key
    poll_interval: 10m
  - name: salesforce
    type: salesforce
    auth:
      client_id: demo-consumer-key
      client_secret_file: salesforce.secret
      refresh_token_file: salesforce.refresh-token
      login_url: $salesforce_url
    # The demo org has one currency.
    currency: USD
    poll_interval: 10m
  - name: pipedrive
    type: pipedrive
    base_url: $pipedrive_url
    auth:
      api_token_file: pipedrive.token
    poll_interval: 10m
team:
  reps: 4
  leads_per_rep_per_week: 25
audit:
  every: 1h
  period: week
  # The demo portal's deals are in USD and EUR: report in USD at a rate the
  # admin gives, so revenue, spend and return on spend share one unit.
  currency: {report_in: USD, rates: {EUR: 1.08}}
spend:
YAML
# A year of monthly spend on the two paid channels, so the audit can weigh
# revenue against it.
for i in $(seq 0 12); do
  month=$(date -u -d "$(date -u +%Y-%m-15) -$i month" +%Y-%m)
  echo "  - {channel: PAID_SEARCH, month: $month, amount: 12000}" >>"$demo/config.yaml"
  echo "  - {channel: PAID_SOCIAL, month: $month, amount: 8000}" >>"$demo/config.yaml"
done

echo "== salesaudit check"
"$bin/salesaudit" --config "$demo/config.yaml" check
echo "== salesaudit sync (HubSpot, Mailchimp, Salesforce and Pipedrive simulators)"
"$bin/salesaudit" --config "$demo/config.yaml" sync
echo "== salesaudit audit --format text"
"$bin/salesaudit" --config "$demo/config.yaml" audit --format text
"$bin/salesaudit" --config "$demo/config.yaml" audit --format html --out "$demo/report.html"
echo
echo "== salesaudit forecast --leads 150 --channel PAID_SOCIAL --spend 5000"
"$bin/salesaudit" --config "$demo/config.yaml" forecast --leads 150 --channel PAID_SOCIAL --spend 5000
echo
echo "Report: $demo/report.html (one self-contained page)"
echo "Store: $demo/salesaudit.db (try: sqlite3 $demo/salesaudit.db 'select channel, count(*) from v_contacts group by 1')"
if [ "$serve" != 1 ]; then
  echo "The simulators stop now; scripts/demo.sh --serve keeps them up and runs the daemon."
  exit 0
fi

echo
echo "== salesaudit run (the daemon on the demo config; Ctrl-C stops it and the simulators)"
"$bin/salesaudit" --config "$demo/config.yaml" run >"$demo/daemon.log" 2>&1 &
daemon_pid=$!
sim_pids+=("$daemon_pid")
dashboard=""
for _ in $(seq 1 100); do
  dashboard=$(sed -n 's/.*status server on \(http[^ ]*\) .*/\1/p' "$demo/daemon.log" | head -n 1)
  [ -n "$dashboard" ] && break
  kill -0 "$daemon_pid" 2>/dev/null || break
  sleep 0.1
done
[ -n "$dashboard" ] || { echo "demo: the daemon did not start" >&2; cat "$demo/daemon.log" >&2; exit 1; }
echo "Dashboard: $dashboard (metrics: ${dashboard%/}/metrics; log: $demo/daemon.log)"
echo "Config: $demo/config.yaml, for any command: $bin/salesaudit --config $demo/config.yaml status"
wait "$daemon_pid"
