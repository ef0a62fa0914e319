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
echo "$passed passed, 0 failed"
