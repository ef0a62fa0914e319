#!/usr/bin/env bash
# motctl against the running mesh: publish from JSON lines on stdin and from flags,
# then read the journey (table and --json), the ticket, the survey and the delivery.
set -euo pipefail
motctl_bin=$1
env_file=${MOT_MESH_ENV:?MOT_MESH_ENV must name the mesh env file}
motctl() { "$motctl_bin" --env-file "$env_file" "$@"; }
customer="C-CLI-$RANDOM$RANDOM"
passed=0
check() {  # check <description> <command...>: the command must succeed
  local what=$1
  shift
  if "$@"; then passed=$((passed + 1)); else echo "FAIL: $what"; echo "0 passed, 1 failed"; exit 1; fi
}

# JSON lines on stdin (snake_case and camelCase field names are both protobuf JSON).
printf '%s\n' \
  "{\"type\":\"contract_signed\",\"customer_id\":\"$customer\",\"unit_id\":\"U-1\",\"project_id\":\"P-CLI\",\"occurredAt\":\"$(date -u -d '-8 days' +%Y-%m-%dT%H:%M:%SZ)\"}" \
  "" \
  | motctl publish --file - >/dev/null
motctl publish --type repair_requested --customer "$customer" --unit U-1 --project P-CLI \
  --attr problem=门窗漏风 >/dev/null

for _ in $(seq 1 150); do
  [[ $(motctl journey "$customer" | grep -c ' DONE ') -ge 3 ]] && break
  sleep 0.2
done
table=$(motctl journey "$customer")
echo "$table"
check "journey shows three DONE touchpoints" test "$(grep -c ' DONE ' <<<"$table")" -eq 3
check "journey shows the stage" grep -q "stage PROSPECT_1" <<<"$table"

json=$(motctl journey "$customer" --json)
ticket=$(python3 -c 'import json,sys; j=json.load(sys.stdin); print([t["result_ref"] for t in j["touchpoints"] if t["service"]=="ticketing"][0])' <<<"$json")
check "journey --json names the ticket" test -n "$ticket"
out=$(motctl ticket get "$ticket")
echo "$out"
check "ticket get shows three deadlines" test "$(grep -cE '^ +(respond|plan|fix) +due ' <<<"$out")" -eq 3
check "ticket list finds it" grep -q "$ticket" <<<"$(motctl ticket list --customer "$customer")"
check "survey list shows the 准1 survey" grep -q "PROSPECT_1" <<<"$(motctl survey list "$customer")"
check "delivery list shows the delivery" grep -q "DELIVERED" <<<"$(motctl delivery list "$customer")"

# Bad input is refused with a message naming what is wrong.
err=$(echo '{"type":' | motctl publish --file - 2>&1 || true)
check "bad JSON line is named" grep -q "line 1" <<<"$err"
err=$(motctl publish --type handover 2>&1 || true)
check "missing customer is named" grep -q "customer_id is required" <<<"$err"
err=$(motctl ticket get tk-none 2>&1 || true)
check "unknown ticket is NOT_FOUND" grep -q "no ticket tk-none" <<<"$err"
echo "$passed passed, 0 failed"
