#!/usr/bin/env bash
# motctl import against the running mesh (real broker and Redis, the simulated clock):
# owners a developer already has, as CSV. An owner handed over two years ago gets
# nothing stale and keeps the four-year review; one signed ten days ago gets the 准1
# survey but not the stale welcome; a row with a bad time is refused with the column
# named (the row is no owner). --dry-run prints the same summary and stores and sends nothing; a second run
# resumes, and --restart publishes again with no second effect.
set -euo pipefail
motctl_bin=$1
env_file=${MOT_MESH_ENV:?MOT_MESH_ENV must name the mesh env file}
motctl() { "$motctl_bin" --env-file "$env_file" "$@"; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0
check() {  # check <description> <command...>: the command must succeed
  local what=$1
  shift
  if "$@"; then passed=$((passed + 1)); else echo "FAIL: $what"; echo "$passed passed, 1 failed"; exit 1; fi
}
now=$(motctl clock show)
at() { date -ud "$now $1" +%Y-%m-%dT%H:%M:%SZ; }
day() { date -ud "$now $1" +%F; }
run=$RANDOM$RANDOM
old="C-IMP-OLD-$run" new="C-IMP-NEW-$run" bad="C-IMP-BAD-$run" dry="C-IMP-DRY-$run"
cat >"$tmp/owners.csv" <<CSV
customer_id,project_id,unit_id,signed_at,planned_handover_date,handed_over_at,warranty_end_date,tier,birthday
$old,P-IMP,U-1,$(at "- 1200 days"),$(day "- 830 days"),$(at "- 830 days"),$(day "+ 3000 days"),A,05-20
$new,P-IMP,U-2,$(at "- 10 days"),$(day "+ 400 days"),,,B,
$bad,P-IMP,U-3,last spring,$(day "+ 400 days"),,,,
CSV
printf '%s\n' "customer_id,project_id,signed_at,planned_handover_date" \
  "$dry,P-IMP,$(at "- 10 days"),$(day "+ 400 days")" >"$tmp/dry.csv"

# A dry run: the plan and the summary, nothing published.
out=$(motctl import "$tmp/dry.csv" --dry-run) || true
echo "$out"
check "--dry-run prints the owner's plan" grep -q "owner $dry: " <<<"$out"
check "--dry-run shows the stale welcome skipped" \
  grep -Eq "SKIPPED +notification +welcome_after_signing +due .*, (9|10) days before the mesh heard of it" <<<"$out"
check "--dry-run says nothing is stored or sent" grep -q "(dry run: nothing stored or sent)" <<<"$out"
check "--dry-run keeps no state" test ! -e "$tmp/dry.csv.import-state"

# The real import.
set +e
out=$(motctl import "$tmp/owners.csv" 2>"$tmp/progress")
rc=$?
set -e
echo "$out"
cat "$tmp/progress"
check "refusals end with status 3" test "$rc" -eq 3
check "the summary counts owners and events" grep -q "2 owners, 3 events, 2 profiles" <<<"$out"
check "a bad row is refused naming the column, never the value" \
  grep -q "1 x line 4: signed_at is not an RFC 3339 time" <<<"$out"
check "nothing in the summary quotes the bad value" test "$(grep -c 'last spring' <<<"$out")" -eq 0
check "the summary counts what is skipped" grep -Eq "touchpoints: [0-9]+ planned ahead, 1 sent now, [1-9][0-9]* skipped" <<<"$out"
check "a progress bar to the end" grep -q "] 2/2 owners" "$tmp/progress"

journey_has() {  # journey_has CUSTOMER REGEX: poll until the journey table matches
  for _ in $(seq 1 100); do
    motctl journey "$1" | grep -Eq "$2" && return 0
    sleep 0.2
  done
  motctl journey "$1"
  return 1
}
check "the new owner's 准1 survey goes out" journey_has "$new" "(DONE|DISPATCHED) +survey +sales_stage_survey"
check "the new owner's stale welcome is skipped" journey_has "$new" "SKIPPED +notification +welcome_after_signing"
check "the old owner keeps the four-year review" journey_has "$old" "SCHEDULED +ticketing +four_year_appointment"
table=$(motctl journey "$old")
echo "$table"
check "the old owner is sent nothing" test "$(grep -Ec ' (DONE|DISPATCHED|FAILED) ' <<<"$table")" -eq 0
check "the old owner's past is skipped with reasons" \
  grep -Eq "SKIPPED +notification +move_in_congratulations +due [0-9-]{10}, 8[23][0-9] days before the mesh heard of it" <<<"$table"
rows=$(grep -c ' SKIPPED \| SCHEDULED \| CANCELLED ' <<<"$table")

# The dry run's owner was never published: an event now for them is the first.
motctl publish --type repair_requested --customer "$dry" --project P-IMP >/dev/null
check "the dry run published nothing" journey_has "$dry" "repair_ticket"
check "the dry run's owner has only that" test "$(motctl journey "$dry" --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["touchpoints"]))')" -eq 1

# Run again: it resumes after the owners done; --restart publishes all again, once in effect.
out=$(motctl import "$tmp/owners.csv") || true
check "a second run resumes" grep -q "resumed after 2 owners already published" <<<"$out"
motctl import "$tmp/owners.csv" --restart >/dev/null || true
# An event after them, on the owner's partition: once it is planned, so are they.
motctl publish --type repair_requested --customer "$old" --project P-IMP >/dev/null
check "the event after the re-import is planned" journey_has "$old" "repair_ticket"
check "publishing again changes no journey" \
  test "$(motctl journey "$old" | grep -c ' SKIPPED \| SCHEDULED \| CANCELLED ')" -eq "$rows"
metrics=$(curl -sf "$(grep '^MOT_SCHEDULER_METRICS=' "$env_file" | cut -d= -f2-)")
check "skipped touchpoints are counted" \
  grep -Eq 'mot_scheduler_touchpoints_total\{status="skipped",step="move_in_congratulations"\} [1-9]' <<<"$metrics"
echo "$passed passed, 0 failed"
