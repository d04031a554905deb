#!/usr/bin/env bash
# The README's demo: install what is missing, build, start the HubSpot
# simulator on 127.0.0.1 with a generated portal, sync it over HTTP into a
# SQLite file and print the funnel.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh

demo=build/demo
rm -rf "$demo"
mkdir -p "$demo"
token="pat-na1-demo-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"

build/crm-sim --port 0 --seed 42 --contacts 5000 --deals 600 --owners 6 \
  --token "$token" --ten-secondly-limit 190 >"$demo/sim.out" 2>"$demo/sim.err" &
sim_pid=$!
trap 'kill $sim_pid 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
  grep -q '^listening on ' "$demo/sim.out" 2>/dev/null && break
  sleep 0.1
done
base_url=$(sed -n 's/^listening on //p' "$demo/sim.out")
[ -n "$base_url" ] || { echo "demo: the simulator did not start" >&2; cat "$demo/sim.err" >&2; exit 1; }

printf '%s\n' "$token" >"$demo/hubspot.token"
chmod 600 "$demo/hubspot.token"
cat >"$demo/config.yaml" <<YAML
store:
  path: $PWD/$demo/salesaudit.db
connectors:
  - name: hubspot
    type: hubspot
    base_url: $base_url
    auth:
      token_file: hubspot.token
    poll_interval: 10m
    # The simulator enforces the Professional tier's 190 requests per 10 s.
    rate_limit: 190/10s
team:
  reps: 4
  leads_per_rep_per_week: 25
audit:
  every: 1h
  period: week
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
build/salesaudit --config "$demo/config.yaml" check
echo "== salesaudit sync (HubSpot simulator at $base_url)"
build/salesaudit --config "$demo/config.yaml" sync
echo "== salesaudit audit --format text"
build/salesaudit --config "$demo/config.yaml" audit --format text
build/salesaudit --config "$demo/config.yaml" audit --format html --out "$demo/report.html"
echo
echo "== salesaudit forecast --leads 150 --channel PAID_SOCIAL --spend 5000"
build/salesaudit --config "$demo/config.yaml" forecast --leads 150 --channel PAID_SOCIAL --spend 5000
echo
echo "Report: $demo/report.html (one self-contained page)"
echo "Store: $demo/salesaudit.db (try: sqlite3 $demo/salesaudit.db 'select channel, count(*) from v_contacts group by 1')"
