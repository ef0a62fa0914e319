#!/usr/bin/env bash
# kcat (what an integrator reaches for first) against the mesh's broker: protobuf JSON
# lifecycle events published with it are planned, with the content-type header and
# without it (a body starting with '{'); broken and hostile ones land on
# mot.lifecycle.v1.dlq with a mot-dlq-reason header naming the field or rule and none of
# the content, read back with kcat; the partition goes on.
set -euo pipefail
kcat=$1
motctl_bin=$2
env_file=${MOT_MESH_ENV:?MOT_MESH_ENV must name the mesh env file}
motctl() { "$motctl_bin" --env-file "$env_file" "$@"; }
brokers=$(grep '^MOT_KAFKA_BROKERS=' "$env_file" | cut -d= -f2-)
topic=mot.lifecycle.v1
run="KCAT-$RANDOM$RANDOM"
passed=0
fail() { echo "FAIL: $1"; echo "$passed passed, 1 failed"; exit 1; }
now=$(date -ud "$(motctl clock show)" +%Y-%m-%dT%H:%M:%SZ)
publish() {  # publish <key> <payload> [kcat -H header ...]: one message, keyed
  local key=$1 payload=$2
  shift 2
  printf '%s' "$payload" | "$kcat" -P -b "$brokers" -t "$topic" -k "$key" "$@"
}
event() {  # event <customer> <type> [occurred_at]
  printf '{"event_id":"%s","type":"%s","customer_id":"%s","unit_id":"U-1","project_id":"P-KCAT","occurred_at":"%s","attributes":{"problem":"门窗漏风"}}' \
    "ev-$1" "$2" "$1" "${3:-$now}"
}

# Planned: a repair request as protobuf JSON, declared and undeclared.
declared="C-$run-json"
undeclared="C-$run-brace"
publish "$declared" "$(event "$declared" repair_requested)" -H content-type=application/json
publish "$undeclared" "$(event "$undeclared" repair_requested)"

# Dead-lettered (all on one key, so one partition, in this order), with the reason
# each must carry. Personal data in the payloads must not reach the reasons.
hostile="C-$run-hostile"
kinds=(random-bytes unknown-type far-future far-past malformed-json no-customer cloudevents-header)
reasons=(
  "not a protobuf mot.lifecycle.v1.LifecycleEvent"
  "type is not a known event type (docs/events.md, the playbook's triggers)"
  "occurred_at 9999-12-31T00:00:00Z is too far in the future"
  "occurred_at 1900-01-01T00:00:00Z is too far in the past"
  "not a JSON mot.lifecycle.v1.LifecycleEvent: malformed JSON"
  "customer_id is required"
  "ce_time"
)
payloads=(
  "$run-0$(head -c 300 /dev/urandom | tr -d '\n\000{')"
  "$(event "$hostile" moon_landing | sed "s/ev-$hostile/ev-$run-1/")"
  "$(event "$hostile" handover 9999-12-31T00:00:00Z | sed "s/ev-$hostile/ev-$run-2/")"
  "$(event "$hostile" handover 1900-01-01T00:00:00Z | sed "s/ev-$hostile/ev-$run-3/")"
  "{\"customer_id\":\"张三 13800138000\",\"type\":\"handover\",\"event_id\":\"ev-$run-4\""
  "{\"event_id\":\"ev-$run-5\",\"type\":\"handover\",\"occurred_at\":\"$now\",\"attributes\":{\"owner\":\"张三 13800138000\"}}"
  "{\"project_id\":\"P-$run-6\"}"
)
for i in "${!kinds[@]}"; do
  if [ "${kinds[$i]}" = cloudevents-header ]; then
    publish "$hostile" "${payloads[$i]}" -H ce_specversion=1.0 -H "ce_id=ev-$run-6" \
      -H ce_type=mot.lifecycle.v1.handover -H ce_source=kcat -H "ce_subject=$hostile" -H ce_time=yesterday
  else
    publish "$hostile" "${payloads[$i]}"
  fi
done
# And after them, on the same partition, one more that must be planned.
publish "$hostile" "$(event "$hostile" repair_requested | sed "s/ev-$hostile/ev-$run-7/")"

# Both JSON events and the one after the hostile ones are planned: each owner's repair
# ticket opened (the touchpoint DONE).
for c in "$declared" "$undeclared" "$hostile"; do
  for _ in $(seq 1 150); do
    motctl journey "$c" 2>/dev/null | grep -qE 'DONE +ticketing +repair_ticket' && break
    sleep 0.2
  done
  motctl journey "$c" | grep -qE 'DONE +ticketing +repair_ticket' || fail "$c: the repair ticket was not opened: $(motctl journey "$c" 2>&1)"
  passed=$((passed + 1))
done
echo "kcat: 3 JSON events planned (declared, undeclared, after the hostile ones)"

# The dead letters, read with kcat: key, reason header, payload. Read again (bounded:
# 10 s) until every hostile input is there: a dead letter is written before its
# offset is committed, not necessarily before the next event's effects are seen.
for _ in $(seq 1 50); do
  dlq=$("$kcat" -C -b "$brokers" -t "$topic.dlq" -o beginning -e -q -f '%k\t%h\t%s\n' 2>/dev/null | grep -a "^$hostile" || true)
  found=0
  for i in "${!kinds[@]}"; do grep -qaF -- "$run-$i" <<<"$dlq" && found=$((found + 1)); done
  [ "$found" -eq "${#kinds[@]}" ] && break
  sleep 0.2
done
for i in "${!kinds[@]}"; do
  mark=$run-$i
  line=$(grep -aF -- "$mark" <<<"$dlq" | head -1 || true)
  [ -n "$line" ] || fail "${kinds[$i]}: not on $topic.dlq"
  grep -qF -- "mot-dlq-reason=${reasons[$i]}" <<<"$line" || fail "${kinds[$i]}: reason is not '${reasons[$i]}': $(cut -f2 <<<"$line" | head -c 300)"
  # The headers are name=value, comma-separated: the reason runs to the next name.
  reason=$(cut -f2 <<<"$line" | sed -E 's/.*mot-dlq-reason=//; s/,[a-z_-]+=.*//')
  if grep -qE "13800138000|张三|$hostile" <<<"$reason"; then fail "${kinds[$i]}: the reason quotes the content: $reason"; fi
  echo "  ${kinds[$i]} -> $reason"
  passed=$((passed + 1))
done
echo "kcat: ${#kinds[@]} hostile inputs, ${#kinds[@]} dead-lettered with their reason"
echo "$passed passed, 0 failed"
