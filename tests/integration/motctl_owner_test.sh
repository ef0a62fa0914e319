#!/usr/bin/env bash
# Forgetting an owner (PIPL) on the running mesh (real broker and Redis, the simulated
# clock), with motctl as an operator would: a name, phone, email, id number, birthday
# and free text planted through a profile and events (motctl import), a ticket note
# (motctl ticket note) and a survey answer (motctl survey answer); motctl owner export
# shows them; after customer_forgotten the export shows nothing personal, a scan of
# every Redis key finds none of them, a later event is dead-lettered with the reason,
# and moving the clock five years sends the owner nothing. Runs last: it moves the
# shared clock five years on.
set -euo pipefail
motctl_bin=$1
env_file=${MOT_MESH_ENV:?MOT_MESH_ENV must name the mesh env file}
motctl() { "$motctl_bin" --env-file "$env_file" "$@"; }
env_of() { grep "^$1=" "$env_file" | cut -d= -f2-; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0
check() {  # check <description> <command...>: the command must succeed
  local what=$1
  shift
  if "$@"; then passed=$((passed + 1)); else echo "FAIL: $what"; echo "$passed passed, 1 failed"; exit 1; fi
}
eventually() {  # eventually <command...>: poll for up to 30 s
  for _ in $(seq 1 150); do "$@" && return 0; sleep 0.2; done
  return 1
}
# Owners' messages go out in the daytime (quiet hours hold them): the shared clock is
# moved to 10:00 in Shanghai unless it is between 09:00 and 18:00 there.
now=$(motctl clock show)
hour=$(TZ=Asia/Shanghai date -d "$now" +%-H)
if ((hour < 9 || hour >= 18)); then
  day=$(TZ=Asia/Shanghai date -d "$now" +%F)
  if ((hour >= 18)); then day=$(date -d "$day + 1 day" +%F); fi
  motctl clock set "${day}T10:00:00+08:00" >/dev/null
  now=$(motctl clock show)
fi
at() { date -ud "$now $1" +%Y-%m-%dT%H:%M:%SZ; }
day() { date -ud "$now $1" +%F; }
run=$RANDOM$RANDOM
customer="C-FGT-$run"
control="C-FGT-CTL-$run"  # signed too, never forgotten: its steps show the clock moved
phone="139$(printf '%08d' "$run" | tail -c 8)"
email="owner.fgt$run@example.cn"
id_number="110101199003$(printf '%05d' $((run % 100000)))X"
name="欧阳修远"
remark="VIP客户，回访请拨$phone-$run"
note="业主$name 证件$id_number：厨房第三次漏水-$run"
answer="交付一再延期，很失望-$run"
progress="贷款审批（经办：$name）-$run"
planted=("$phone" "$email" "$id_number" "$name" "$remark" "$note" "$answer" "$progress")

# Plant: the profile (contact points, birthday) and the owner's events (signed 8 days
# ago: the 准1 survey is due), a ticket note, a survey answer and a message's text.
cat >"$tmp/owner.jsonl" <<JSON
{"customer_id": "$customer", "tier": "A", "segment": "young", "birth_month": 2, "birth_day": 29, "contact": {"mobile": "$phone", "email": "$email"}}
{"type": "contract_signed", "customer_id": "$customer", "project_id": "P-FGT", "unit_id": "U-1", "occurred_at": "$(at "- 8 days")", "attributes": {"planned_handover_date": "$(day "+ 400 days")", "owner_name": "$name", "remark": "$remark"}}
{"type": "repair_requested", "customer_id": "$customer", "project_id": "P-FGT", "unit_id": "U-1", "occurred_at": "$(at "- 1 hour")", "attributes": {"problem": "$remark", "id_number": "$id_number"}}
{"type": "contract_signed", "customer_id": "$control", "project_id": "P-FGT", "unit_id": "U-2", "occurred_at": "$(at "- 1 day")", "attributes": {"planned_handover_date": "$(day "+ 400 days")"}}
JSON
motctl import "$tmp/owner.jsonl" 2>/dev/null
items() {  # items EXPR: EXPR over the JSON objects motctl --json prints on stdin (`items`)
  python3 -c 'import json, sys
text, decoder, at, items = sys.stdin.read(), json.JSONDecoder(), 0, []
while text[at:].strip():
    item, at = decoder.raw_decode(text, len(text) - len(text[at:].lstrip()))
    items.append(item)
print(eval(sys.argv[1]))' "$1"
}
ticket_id() { motctl ticket list --customer "$customer" --json | items 'items[0]["id"] if items else ""'; }
survey_id() {
  motctl survey list "$customer" --json |
    items '([s["id"] for s in items if s.get("survey_id") == "stage_satisfaction_prospect_1"] or [""])[0]'
}
has() { [[ -n $("$@") ]]; }
check "the repair opened a ticket" eventually has ticket_id
check "the signing issued the 准1 survey" eventually has survey_id
motctl ticket note "$(ticket_id)" --text "$note" --by agent-fgt >/dev/null
motctl survey answer "$(survey_id)" --by agent-fgt --answer consultant=5 --answer signing=4 \
  --answer disclosure_e=4/5 --answer recommend=9 --answer "comment=text:$answer" >/dev/null
motctl notify send --customer "$customer" --template signing_progress --category transactional \
  --var "node=$progress" --var project_id=P-FGT --var unit_id=U-1 >/dev/null
sent() { [[ $(motctl notify list "$customer" --json | items 'len([d for d in items if d["template_id"] == "signing_progress" and d["status"] == "DELIVERY_STATUS_DELIVERED"])') -eq 1 ]]; }
check "the message with the planted text went out" eventually sent

# The subject-access request shows them, in clear, only here.
motctl owner export "$customer" >"$tmp/before.json"
for service in scheduler ticketing notification survey; do
  check "the export has the $service section" \
    python3 -c "import json,sys; assert '$service' in json.load(open('$tmp/before.json'))"
done
for value in "$phone" "$email" "$id_number" "$name" "$note" "$answer"; do
  check "the export shows a planted value" grep -qF "$value" "$tmp/before.json"
done
check "the export shows the birthday" \
  python3 -c "import json; s=json.load(open('$tmp/before.json'))['scheduler']; assert (s['birth_month'], s['birth_day']) == (2, 29), s"

# Forget the owner.
motctl publish --type customer_forgotten --customer "$customer" --project P-FGT >/dev/null
forgotten() {
  motctl owner export "$customer" >"$tmp/after.json" || return 1
  python3 -c "import json; assert 'forgotten_at' in json.load(open('$tmp/after.json'))['scheduler']" 2>/dev/null || return 1
  for value in "${planted[@]}"; do grep -qF "$value" "$tmp/after.json" && return 1; done
  return 0
}
check "after customer_forgotten the export shows nothing personal" eventually forgotten
check "the birthday is gone" \
  python3 -c "import json; s=json.load(open('$tmp/after.json'))['scheduler']; assert 'birth_month' not in s and 'segment' not in s, s"
check "the ticket stays, its text erased" grep -qF "[erased]" "$tmp/after.json"
journey=$(motctl journey "$customer")
echo "$journey"
check "nothing of the journey is still scheduled" test "$(grep -c ' SCHEDULED ' <<<"$journey")" -eq 0
check "its pending touchpoints are cancelled, forgotten" grep -Eq "CANCELLED .* forgotten" <<<"$journey"

# A scan of every key of the mesh's Redis.
addr=$(env_of MOT_REDIS_ADDR)
redis() { REDISCLI_AUTH=$(env_of MOT_REDIS_PASSWORD) redis-cli -h "${addr%:*}" -p "${addr##*:}" "$@"; }
redis --scan >"$tmp/keys"
sed 's/^/TYPE /' "$tmp/keys" | redis >"$tmp/types"
paste -d' ' "$tmp/types" "$tmp/keys" | awk '
  $1 == "string" { print "GET " $2 } $1 == "hash" { print "HGETALL " $2 }
  $1 == "set" { print "SMEMBERS " $2 } $1 == "zset" { print "ZRANGE " $2 " 0 -1" }
  $1 == "list" { print "LRANGE " $2 " 0 -1" } $1 == "stream" { print "XRANGE " $2 " - +" }' |
  redis >"$tmp/contents"
cat "$tmp/keys" >>"$tmp/contents"
echo "redis scan: $(wc -l <"$tmp/keys") keys, $(wc -c <"$tmp/contents") bytes read"
check "the scan read the owner's journey (kept, with no personal data)" grep -qF "journey:$customer" "$tmp/keys"
check "the scan read the tickets' records" grep -qF "ticket" "$tmp/keys"
hits=0
for value in "${planted[@]}"; do grep -qF -- "$value" "$tmp/contents" && hits=$((hits + 1)) && echo "found in Redis: planted value $((hits))"; done
check "no planted value in any Redis key" test "$hits" -eq 0
own_keys=$(grep -F "$customer" "$tmp/keys" | sed 's/^/HGETALL /' | redis 2>/dev/null || true)
check "no birthday is kept for the owner" test "$(grep -c '^birth$' <<<"$own_keys")" -eq 0

# A later event is refused to the dead-letter topic with the reason.
motctl publish --type repair_requested --customer "$customer" --project P-FGT >/dev/null
refused() { motctl dlq list mot.lifecycle.v1 2>/dev/null | grep -q "the owner was forgotten"; }
check "a later event is dead-lettered with the reason" eventually refused

# Five years on, nothing is sent to the owner.
deliveries() { motctl notify list "$customer" --json | items 'len(items)'; }
sent_before=$(deliveries)
statuses_before=$(motctl journey "$customer" --json | python3 -c 'import json,sys; print(sorted(t["status"] for t in json.load(sys.stdin)["touchpoints"]))')
motctl clock advance 1827d >/dev/null
# The control owner's steps (the fee explanation, due some 400 days on) fall due and go
# out: the dispatcher has seen the new time.
control_done() {
  motctl journey "$control" --json | python3 -c "import json, sys
steps = {tp['step_id']: tp['status'] for tp in json.load(sys.stdin)['touchpoints']}
assert steps.get('fee_explanation') in ('TOUCHPOINT_STATUS_DISPATCHED', 'TOUCHPOINT_STATUS_DONE'), steps" 2>/dev/null
}
check "five years on, the control owner's steps went out" eventually control_done
statuses_after=$(motctl journey "$customer" --json | python3 -c 'import json,sys; print(sorted(t["status"] for t in json.load(sys.stdin)["touchpoints"]))')
check "five years on, the journey is as it was" test "$statuses_before" == "$statuses_after"
check "five years on, no delivery to the owner" test "$(deliveries)" -eq "$sent_before"
echo "forgetting: ${#planted[@]} planted values, $hits found in Redis after customer_forgotten; $passed checks passed"
