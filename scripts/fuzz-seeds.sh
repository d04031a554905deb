#!/usr/bin/env bash
# Writes the fuzz targets' seeds into fuzz/corpus/ (README.md "Fuzzing"):
# - connector_page: each stream run's real answers from each connector's
#   simulator, by the seed recorders the simulators register
#   (salesaudit_add_fuzz_seed_recorder, fuzz/seed_recording.h), whatever the
#   connectors are; and the first answer of each as a json_reader seed;
# - config: config/salesaudit.example.yaml, and the same with its secrets inline;
# - alert_condition: each `when` of the example's rules over a real snapshot
#   (the simulators synced by the salesaudit binary, then `audit --format json`);
# - alert_template: each summary and description of the example's rules.
# Files of other names in fuzz/corpus/ (reproducers of fixed crashes) are kept.
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)" --target fuzz_seed_recorders salesaudit crm-sim mailchimp-sim

corpus=fuzz/corpus
example=config/salesaudit.example.yaml
while IFS= read -r recorder; do
  "$recorder" "$corpus/connector_page"
done <build/fuzz/fuzz_seed_recorders.txt
mkdir -p "$corpus/json_reader" "$corpus/config" "$corpus/alert_condition" "$corpus/alert_template"
for seed in "$corpus"/connector_page/*_sim-seed1; do
  # The first answer: after the selector line, up to the first NUL.
  name=$(basename "$seed" _sim-seed1)
  tail -n +2 "$seed" | tr '\0' '\n' | head -n 1 >"$corpus/json_reader/$name"
done
cp "$example" "$corpus/config/example.yaml"
# The same with its secrets written in, so that it loads and `check` runs.
sed -e 's/\${HUBSPOT_TOKEN}/pat-na1-seed/' -e 's/\${MAILCHIMP_API_KEY}/0123456789abcdef-us19/' \
  -e 's/\${WEBHOOK_SECRET}/seed-secret/' "$example" >"$corpus/config/example-secrets-inline.yaml"

work=$(mktemp -d)
sim_pids=()
cleanup() {
  for pid in "${sim_pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
# start_sim NAME ARGS...: starts a simulator, prints the base URL it announces.
start_sim() {
  local name=$1
  shift
  "$@" >"$work/$name.out" 2>"$work/$name.err" &
  sim_pids+=($!)
  for _ in $(seq 1 100); do
    grep -q '^listening on ' "$work/$name.out" 2>/dev/null && break
    sleep 0.1
  done
  sed -n 's/^listening on //p' "$work/$name.out"
}
token=pat-na1-seeds
api_key=0123456789abcdef0123456789abcdef-us19
crm_url=$(start_sim crm build/crm-sim --port 0 --seed 7 --contacts 30 --deals 8 --owners 2 \
  --token "$token" --emails-out "$work/emails.txt")
[ -n "$crm_url" ] || { cat "$work/crm.err" >&2; exit 1; }
mc_url=$(start_sim mc build/mailchimp-sim --port 0 --seed 7 --lists 1 --members 20 --campaigns 2 \
  --api-key "$api_key" --emails-file "$work/emails.txt")
[ -n "$mc_url" ] || { cat "$work/mc.err" >&2; exit 1; }
printf '%s\n' "$token" >"$work/hubspot.token"
printf '%s\n' "$api_key" >"$work/mailchimp.key"
chmod 600 "$work/hubspot.token" "$work/mailchimp.key"
cat >"$work/config.yaml" <<YAML
store: {path: $work/salesaudit.db}
connectors:
  - {name: hubspot, type: hubspot, base_url: "$crm_url", auth: {token_file: hubspot.token}}
  - {name: mailchimp, type: mailchimp, base_url: "$mc_url", auth: {api_key_file: mailchimp.key}}
audit: {period: month}
spend:
  - {channel: PAID_SOCIAL, month: "$(date -u +%Y-%m)", amount: 1000}
YAML
build/salesaudit --config "$work/config.yaml" sync >/dev/null
build/salesaudit --config "$work/config.yaml" audit --format json >"$work/snapshot.json"
n=0
sed -n 's/^ *when: *//p' "$example" | while IFS= read -r when; do
  n=$((n + 1))
  { printf '%s\n' "$when"; cat "$work/snapshot.json"; } >"$corpus/alert_condition/example-rule$n"
done
n=0
sed -n 's/^ *\(summary\|description\): *"\(.*\)".*$/\2/p' "$example" | while IFS= read -r text; do
  n=$((n + 1))
  printf '12.5\n%s\n' "$text" >"$corpus/alert_template/example-rule$n"
done
wc -c "$corpus"/*/* | sort -n | tail -n 5
