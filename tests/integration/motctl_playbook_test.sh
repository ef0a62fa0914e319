#!/usr/bin/env bash
# motctl playbook validate | simulate on this machine (no mesh): the shipped playbook
# passes (alone and against the shipped templates); a copy with a bad duration, or a
# step whose template it cannot fill, fails naming the file, the step and the field; a
# sample owner's whole journey is printed from signing to the four-year review.
set -euo pipefail
motctl=$1
root=$2
passed=0
check() {  # check <description> <command...>: the command must succeed
  local what=$1
  shift
  if "$@"; then passed=$((passed + 1)); else echo "FAIL: $what"; echo "$passed passed, 1 failed"; exit 1; fi
}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

out=$("$motctl" playbook validate "$root/deploy/config/playbook.yaml")
echo "$out"
check "the shipped playbook is valid" grep -q "playbook.yaml: valid; version 2026.11-6plus2" <<<"$out"

sed 's/    after: 90d/    after: 90 days/' "$root/deploy/config/playbook.yaml" >"$tmp/bad.yaml"
set +e
err=$("$motctl" playbook validate "$tmp/bad.yaml" 2>&1)
rc=$?
set -e
echo "$err"
check "a bad duration fails" test "$rc" -ne 0
check "the error names the file, the step and the field" \
  grep -q "$tmp/bad.yaml: step 'revisit_after_move_in': after: " <<<"$err"

# Against the templates, as the scheduler checks it at load: the shipped pair passes; a
# step sending a template that uses a variable its event need not carry is refused
# naming the step, the template and the variable.
out=$("$motctl" playbook validate "$root/deploy/config/playbook.yaml" --templates "$root/deploy/config/templates.yaml")
check "the shipped playbook matches the shipped templates" grep -q "valid; version" <<<"$out"
sed 's/template: handover_welcome,/template: signing_progress,/' "$root/deploy/config/playbook.yaml" >"$tmp/tpl.yaml"
check "the sed changed a step" test "$(diff "$root/deploy/config/playbook.yaml" "$tmp/tpl.yaml" | grep -c '^>')" -eq 1
set +e
err=$("$motctl" playbook validate "$tmp/tpl.yaml" --templates "$root/deploy/config/templates.yaml" 2>&1)
rc=$?
set -e
echo "$err"
check "a template its step cannot fill fails" test "$rc" -ne 0
check "the error names the step, the template and the variable" \
  grep -q "step 'move_in_congratulations': template 'signing_progress' uses {node}" <<<"$err"

out=$("$motctl" playbook simulate "$root/deploy/config/playbook.yaml" \
  --events "$root/docs/examples/owner-journey.jsonl" --profile "$root/docs/examples/owner-profile.json")
echo "$out"
rows=$(grep -E '^[0-9]{4}-' <<<"$out")
check "the journey starts with the first visit" grep -q "first_visit_risk_disclosure" <<<"$(head -1 <<<"$rows")"
check "it ends with the four-year review, fired" grep -Eq "DISPATCHED +ticketing +four_year_appointment" <<<"$(tail -1 <<<"$rows")"
check "the welcome at signing is there" grep -q "DISPATCHED notification welcome_after_signing" <<<"$rows"
check "the rescheduled handover moved the site open day" \
  grep -q "2027-05-31 09:00 Mon DISPATCHED notification site_open_day .*moved from 2027-03-30 09:00" <<<"$rows"
check "a signing cancels the tier-A second touch" grep -q "CANCELLED .*tier_a_second_touch" <<<"$rows"
check "the handover ends the monthly reports" \
  grep -q "CANCELLED .*construction_progress_monthly .*cancelled: handover" <<<"$rows"
check "birthdays are there" test "$(grep -c birthday_care <<<"$rows")" -eq 6
# The same owner loaded on 2029-01-01, two years and four months after the handover:
# what was due more than its lateness before then is SKIPPED with the reason, the
# four-year review (never stale) still comes.
out=$("$motctl" playbook simulate "$root/deploy/config/playbook.yaml" \
  --events "$root/docs/examples/owner-journey.jsonl" --heard-at 2029-01-01T02:00:00Z)
rows=$(grep -E '^[0-9]{4}-' <<<"$out")
check "--heard-at skips the stale welcome, with the reason" \
  grep -Eq "SKIPPED +notification +welcome_after_signing .*\(due 2026-03-08, [0-9]+ days before the mesh heard of it" <<<"$rows"
check "--heard-at skips a stage survey of a stage that is over" \
  grep -Eq "SKIPPED +survey +delivery_stage_survey .*a stage over when the mesh heard of it" <<<"$rows"
check "--heard-at sends nothing stale" test "$(grep -cE '^2027.* DISPATCHED ' <<<"$rows")" -eq 0
check "--heard-at keeps the four-year review" grep -Eq "DISPATCHED +ticketing +four_year_appointment" <<<"$rows"
err=$("$motctl" playbook simulate "$root/deploy/config/playbook.yaml" --events "$root/docs/examples/owner-journey.jsonl" --heard-at soon 2>&1 || true)
check "a bad --heard-at is named" grep -q -- "--heard-at 'soon' is not a time" <<<"$err"
json=$("$motctl" playbook simulate "$root/deploy/config/playbook.yaml" --json \
  --events "$root/docs/examples/owner-journey.jsonl")
check "--json is the SimulateJourneyResponse" python3 -c '
import json, sys
r = json.loads(sys.argv[1])
assert r["playbook_version"] == "2026.11-6plus2", r["playbook_version"]
assert len(r["touchpoints"]) > 40' "$json"
err=$("$motctl" playbook simulate "$root/deploy/config/playbook.yaml" --events - <<<'{"type":"contract_signed","occurredAt":"2026-03-08T02:30:00Z"}' 2>&1 || true)
check "an event a step refuses is named" \
  grep -q "events\[0\] (contract_signed): attribute 'planned_handover_date' (needed by step 'welcome_after_signing') is missing" <<<"$err"
echo "$passed passed, 0 failed"
