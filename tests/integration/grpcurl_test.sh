#!/usr/bin/env bash
# grpcurl (what an operator or integrator reaches for) against the running mesh:
# every service lists its API by reflection and answers health checks; a call with a
# missing field is refused with INVALID_ARGUMENT naming it.
set -euo pipefail
grpcurl=$1
env_file=${MOT_MESH_ENV:?MOT_MESH_ENV must name the mesh env file}
addr() { grep "^$1=" "$env_file" | cut -d= -f2; }
passed=0
fail() { echo "FAIL: $1"; echo "$passed passed, 1 failed"; exit 1; }

for pair in SCHEDULER:mot.scheduler.v1.SchedulerService TICKETING:mot.ticketing.v1.TicketingService \
            NOTIFICATION:mot.notification.v1.NotificationService SURVEY:mot.survey.v1.SurveyService; do
  a=$(addr "MOT_${pair%%:*}_ADDR")
  listed=$("$grpcurl" -plaintext "$a" list)
  grep -qx "${pair#*:}" <<<"$listed" || fail "$a does not list ${pair#*:}: $listed"
  grep -qx grpc.health.v1.Health <<<"$listed" || fail "$a does not list grpc.health.v1.Health"
  health=$("$grpcurl" -plaintext -d '{}' "$a" grpc.health.v1.Health/Check)
  grep -q '"status": "SERVING"' <<<"$health" || fail "$a health: $health"
  passed=$((passed + 1))
done

set +e
out=$("$grpcurl" -plaintext -d '{}' "$(addr MOT_SCHEDULER_ADDR)" \
  mot.scheduler.v1.SchedulerService/GetJourney 2>&1)
set -e
grep -q "Code: InvalidArgument" <<<"$out" && grep -q "customer_id is required" <<<"$out" ||
  fail "GetJourney without customer_id: $out"
passed=$((passed + 1))

# An agent's desk in JSON: open a major complaint, assign it, read it back with its
# three-level deadlines; a bad report date is named.
t=$(addr MOT_TICKETING_ADDR)
rq="grpcurl-$RANDOM$RANDOM"
created=$("$grpcurl" -plaintext -d "{\"request_id\":\"$rq\",\"actor\":\"agent-li\",\"kind\":\"complaint_major\",\"customer_id\":\"C-$rq\",\"project_id\":\"P-GRPCURL\",\"category\":\"wall\"}" \
  "$t" mot.ticketing.v1.TicketingService/CreateTicket)
id=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])' <<<"$created")
"$grpcurl" -plaintext -d "{\"ticket_id\":\"$id\",\"assignee\":\"agent-chen\",\"actor\":\"manager-zhao\",\"request_id\":\"$rq-a\"}" \
  "$t" mot.ticketing.v1.TicketingService/AssignTicket >/dev/null
got=$("$grpcurl" -plaintext -d "{\"ticket_id\":\"$id\"}" "$t" mot.ticketing.v1.TicketingService/GetTicket)
python3 -c '
import json, sys
t = json.load(sys.stdin)["ticket"]
assert t["assignee"] == "agent-chen" and t["team"] == "engineering_civil", t
assert [d["milestone"] for d in t["deadlines"]] == ["manager_on_site", "director_plan", "general_manager_solution"], t
' <<<"$got" || fail "CreateTicket, AssignTicket, GetTicket: $got"
passed=$((passed + 1))
set +e
out=$("$grpcurl" -plaintext -d '{"date":"2026-02-30"}' "$t" mot.ticketing.v1.TicketingService/GetComplaintReport 2>&1)
set -e
grep -q "Code: InvalidArgument" <<<"$out" && grep -q "date: expected YYYY-MM-DD" <<<"$out" ||
  fail "GetComplaintReport with a bad date: $out"
passed=$((passed + 1))
echo "$passed passed, 0 failed"
