#!/usr/bin/env bash
# motctl dlq against the running mesh: an event of a type no step uses yet is refused to
# mot.lifecycle.v1.dlq; dlq list counts it by kind, dlq show decodes it with the phone
# number masked; after a playbook reload that adds a step for the type, dlq replay
# (--dry-run first) brings it back and it is planned once; replaying twice changes nothing.
set -euo pipefail
motctl_bin=$1
env_file=${MOT_MESH_ENV:?MOT_MESH_ENV must name the mesh env file}
motctl() { "$motctl_bin" --env-file "$env_file" "$@"; }
env_of() { grep "^$1=" "$env_file" | cut -d= -f2-; }
playbook=$(env_of MOT_MESH_PLAYBOOK)
metrics=$(env_of MOT_SCHEDULER_METRICS)
tmp=$(mktemp -d)
cp "$playbook" "$tmp/playbook.yaml"
version_in_force() { curl -sf "$metrics" | sed -nE 's/^mot_scheduler_playbook_info\{version="([^"]+)"\} 1.*/\1/p'; }
wait_version() {
  for _ in $(seq 1 100); do [[ $(version_in_force) == "$1" ]] && return 0; sleep 0.2; done
  return 1
}
original=$(version_in_force)
restore() { cp "$tmp/playbook.yaml" "$playbook"; wait_version "$original" || true; rm -rf "$tmp"; }
trap restore EXIT
passed=0
check() {  # check <description> <command...>: the command must succeed
  local what=$1
  shift
  if "$@"; then passed=$((passed + 1)); else echo "FAIL: $what"; echo "$passed passed, 1 failed"; exit 1; fi
}
run=$RANDOM$RANDOM
customer="C-DLQ-$run"
type="owner_club_invite_$run"
since=$(date -u +%Y-%m-%dT%H:%M:%SZ)  # the broker's time of the dead letter is the wall clock's
sleep 1
motctl publish --type "$type" --customer "$customer" --project P-DLQ --attr note="回电 13800138000" >/dev/null

listed=""
for _ in $(seq 1 100); do
  listed=$(motctl dlq list mot.lifecycle.v1 --reason unknown_type --since "$since")
  grep -q "^mot.lifecycle.v1.dlq/" <<<"$listed" && break
  sleep 0.2
done
echo "$listed"
check "dlq list counts it by topic and kind" grep -Eq "^mot.lifecycle.v1 +unknown_type +1$" <<<"$listed"
id=$(grep -oE "^mot.lifecycle.v1.dlq/[0-9]+@[0-9]+" <<<"$listed" | head -1)
check "dlq list names the entry" test -n "$id"
shown=$(motctl dlq show "$id")
echo "$shown"
check "dlq show gives the reason" grep -q "^reason   type is not a known event type" <<<"$shown"
check "dlq show gives the source offset" grep -Eq "^source   mot.lifecycle.v1/[0-9]+@[0-9]+" <<<"$shown"
check "dlq show decodes the event" grep -q "\"customerId\": \"$customer\"" <<<"$shown"
check "dlq show masks the phone number" test "$(grep -c 13800138000 <<<"$shown")" -eq 0
err=$(motctl dlq show "no-such-id" 2>&1 || true)
check "a bad id is named" grep -q "expected TOPIC.dlq/PARTITION@OFFSET" <<<"$err"

# A step for the type, reloaded.
sed -e "s/^version: .*/version: \"dlq-test-$run\"/" "$tmp/playbook.yaml" >"$playbook"
cat >>"$playbook" <<YAML

  - id: owner_club_welcome
    title: 业主俱乐部邀请跟进
    on: $type
    after: 0s
    category: service
    action: {service: ticketing, kind: revisit}
YAML
check "the playbook with the new step is in force" wait_version "dlq-test-$run"

out=$(motctl dlq replay mot.lifecycle.v1 --reason unknown_type --since "$since" --dry-run)
echo "$out"
check "replay --dry-run lists what would go back" grep -q "^would replay $id onto mot.lifecycle.v1$" <<<"$out"
check "replay --dry-run publishes nothing" grep -q "1 dead letters would go back (dry run: nothing published)" <<<"$out"
out=$(motctl dlq replay mot.lifecycle.v1 --reason unknown_type --since "$since" 2>"$tmp/progress")
check "replay publishes it" grep -q "replayed 1 dead letters" <<<"$out"
check "replay shows its progress" grep -q "replaying \[#*\] 1/1 dead letters" "$tmp/progress"
planned=""
for _ in $(seq 1 100); do
  planned=$(motctl journey "$customer")
  grep -Eq "DONE +ticketing +owner_club_welcome" <<<"$planned" && break
  sleep 0.2
done
echo "$planned"
check "the replayed event is planned" grep -Eq "DONE +ticketing +owner_club_welcome" <<<"$planned"
motctl dlq replay mot.lifecycle.v1 --reason unknown_type --since "$since" >/dev/null 2>&1
# An event after the second replay, on the owner's partition: once it is planned, so is
# the replayed copy before it.
motctl publish --type repair_requested --customer "$customer" --project P-DLQ >/dev/null
for _ in $(seq 1 100); do
  motctl journey "$customer" | grep -q repair_ticket && break
  sleep 0.2
done
check "the event after the second replay is planned" grep -q repair_ticket <<<"$(motctl journey "$customer")"
check "replaying again changes nothing" test "$(motctl journey "$customer" | grep -c owner_club_welcome)" -eq 1
check "one ticket for it" \
  test "$(motctl ticket list --customer "$customer" --kind revisit | grep -c '^tk-')" -eq 1
echo "$passed passed, 0 failed"
