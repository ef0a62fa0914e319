#!/usr/bin/env bash
# grpcurl (what an operator or integrator reaches for) against the running mesh, over
# mutual TLS with a bearer token: every service lists its API by reflection and
# answers health checks; a call with a missing field is refused with INVALID_ARGUMENT
# naming it; no client certificate, no token or the wrong scope is refused.
set -euo pipefail
grpcurl=$1
env_file=${MOT_MESH_ENV:?MOT_MESH_ENV must name the mesh env file}
addr() { grep "^$1=" "$env_file" | cut -d= -f2; }
# tls: the CA and the mesh's client certificate; rpc: with the all-scopes token.
tls=(-cacert "$(addr MOT_TLS_CA_FILE)" -cert "$(addr MOT_TLS_CLIENT_CERT_FILE)" -key "$(addr MOT_TLS_CLIENT_KEY_FILE)")
rpc() { "$grpcurl" "${tls[@]}" -H "authorization: Bearer $(addr MOT_TOKEN)" "$@"; }
passed=0
fail() { echo "FAIL: $1"; echo "$passed passed, 1 failed"; exit 1; }

for pair in SCHEDULER:mot.scheduler.v1.SchedulerService TICKETING:mot.ticketing.v1.TicketingService \
            NOTIFICATION:mot.notification.v1.NotificationService SURVEY:mot.survey.v1.SurveyService; do
  a=$(addr "MOT_${pair%%:*}_ADDR")
  listed=$(rpc "$a" list)
  grep -qx "${pair#*:}" <<<"$listed" || fail "$a does not list ${pair#*:}: $listed"
  grep -qx grpc.health.v1.Health <<<"$listed" || fail "$a does not list grpc.health.v1.Health"
  health=$(rpc -d '{}' "$a" grpc.health.v1.Health/Check)
  grep -q '"status": "SERVING"' <<<"$health" || fail "$a health: $health"
  passed=$((passed + 1))
done

set +e
out=$(rpc -d '{}' "$(addr MOT_SCHEDULER_ADDR)" \
  mot.scheduler.v1.SchedulerService/GetJourney 2>&1)
set -e
grep -q "Code: InvalidArgument" <<<"$out" && grep -q "customer_id is required" <<<"$out" ||
  fail "GetJourney without customer_id: $out"
passed=$((passed + 1))

# An agent's desk in JSON: open a major complaint, assign it, read it back with its
# three-level deadlines; a bad report date is named.
t=$(addr MOT_TICKETING_ADDR)
rq="grpcurl-$RANDOM$RANDOM"
created=$(rpc -d "{\"request_id\":\"$rq\",\"actor\":\"agent-li\",\"kind\":\"complaint_major\",\"customer_id\":\"C-$rq\",\"project_id\":\"P-GRPCURL\",\"category\":\"wall\"}" \
  "$t" mot.ticketing.v1.TicketingService/CreateTicket)
id=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])' <<<"$created")
rpc -d "{\"ticket_id\":\"$id\",\"assignee\":\"agent-chen\",\"actor\":\"manager-zhao\",\"request_id\":\"$rq-a\"}" \
  "$t" mot.ticketing.v1.TicketingService/AssignTicket >/dev/null
got=$(rpc -d "{\"ticket_id\":\"$id\"}" "$t" mot.ticketing.v1.TicketingService/GetTicket)
python3 -c '
import json, sys
t = json.load(sys.stdin)["ticket"]
assert t["assignee"] == "agent-chen" and t["team"] == "engineering_civil", t
assert [d["milestone"] for d in t["deadlines"]] == ["manager_on_site", "director_plan", "general_manager_solution"], t
' <<<"$got" || fail "CreateTicket, AssignTicket, GetTicket: $got"
passed=$((passed + 1))
set +e
out=$(rpc -d '{"date":"2026-02-30"}' "$t" mot.ticketing.v1.TicketingService/GetComplaintReport 2>&1)
set -e
grep -q "Code: InvalidArgument" <<<"$out" && grep -q "date: expected YYYY-MM-DD" <<<"$out" ||
  fail "GetComplaintReport with a bad date: $out"
passed=$((passed + 1))

# Another enterprise system sends an owner a message in JSON: queued, named by its
# delivery id, then listed as delivered; a bad command names the field.
n=$(addr MOT_NOTIFICATION_ADDR)
sent=$(rpc -d "{\"command\":{\"command_id\":\"$rq-n\",\"customer_id\":\"C-$rq\",\"template_id\":\"tier_a_second_touch\",\"category\":\"safety\",\"variables\":{\"project_id\":\"P-GRPCURL\"}}}" \
  "$n" mot.notification.v1.NotificationService/Send)
delivery=$(python3 -c 'import json,sys; j = json.load(sys.stdin); print(j.get("delivery_id") or j["deliveryId"])' <<<"$sent")
for _ in $(seq 1 150); do
  listed=$(rpc -d "{\"customer_id\":\"C-$rq\"}" "$n" mot.notification.v1.NotificationService/ListDeliveries)
  grep -q DELIVERY_STATUS_DELIVERED <<<"$listed" && break
  sleep 0.2
done
python3 -c '
import json, sys
d = json.load(sys.stdin)["deliveries"]
assert [x["id"] for x in d] == [sys.argv[1]] and d[0]["status"] == "DELIVERY_STATUS_DELIVERED", d
' "$delivery" <<<"$listed" || fail "Send, then ListDeliveries: $listed"
passed=$((passed + 1))
set +e
out=$(rpc -d "{\"command\":{\"command_id\":\"$rq-x\",\"customer_id\":\"C-$rq\"}}" \
  "$n" mot.notification.v1.NotificationService/Send 2>&1)
set -e
grep -q "Code: InvalidArgument" <<<"$out" && grep -q "command.template_id is required" <<<"$out" ||
  fail "Send without a template: $out"
passed=$((passed + 1))
set +e
out=$(rpc -d '{"project_id":"P-GRPCURL","month":"11/2026"}' "$(addr MOT_SURVEY_ADDR)" \
  mot.survey.v1.SurveyService/GetScores 2>&1)
set -e
grep -q "Code: InvalidArgument" <<<"$out" && grep -q "month: expected YYYY-MM" <<<"$out" ||
  fail "GetScores with a bad month: $out"
passed=$((passed + 1))
# A hotline agent's answer and the KPI, as an integrator's JSON: refusals name the field.
s=$(addr MOT_SURVEY_ADDR)
set +e
out=$(rpc -d '{"answers":{"overall":{"score":4}},"actor":"agent-zhou"}' "$s" \
  mot.survey.v1.SurveyService/SubmitResponse 2>&1)
set -e
grep -q "Code: InvalidArgument" <<<"$out" && grep -q "instance_id is required" <<<"$out" ||
  fail "SubmitResponse without instance_id: $out"
passed=$((passed + 1))
set +e
out=$(rpc -d '{"instance_id":"sv-none","answers":{"overall":{"score":4}}}' "$s" \
  mot.survey.v1.SurveyService/SubmitResponse 2>&1)
set -e
grep -q "Code: NotFound" <<<"$out" && grep -q "no survey instance sv-none" <<<"$out" ||
  fail "SubmitResponse for no instance: $out"
passed=$((passed + 1))
set +e
out=$(rpc -d '{"project_id":"P-GRPCURL","month":"2026-13"}' "$s" \
  mot.survey.v1.SurveyService/GetKpi 2>&1)
set -e
grep -q "Code: InvalidArgument" <<<"$out" && grep -q "month: expected YYYY-MM" <<<"$out" ||
  fail "GetKpi with a bad month: $out"
passed=$((passed + 1))
out=$(rpc -d '{"project_id":"P-GRPCURL-EMPTY","month":"2026-11"}' "$s" \
  mot.survey.v1.SurveyService/GetKpi)
python3 -c '
import json, sys
k = json.load(sys.stdin)
assert "kpi" not in k and "satisfaction" not in k, k  # nothing measured: no KPI, not 0
' <<<"$out" || fail "GetKpi of a project with nothing measured: $out"
passed=$((passed + 1))

# The door: plain text and TLS without a client certificate do not connect; no token
# is UNAUTHENTICATED, a reader's token on an agent's method PERMISSION_DENIED.
set +e
out=$("$grpcurl" -plaintext -max-time 3 "$t" list 2>&1)
[[ $? -ne 0 ]] || fail "plain text was answered: $out"
out=$("$grpcurl" -cacert "$(addr MOT_TLS_CA_FILE)" -max-time 3 "$t" list 2>&1)
[[ $? -ne 0 ]] || fail "TLS without a client certificate was answered: $out"
out=$("$grpcurl" "${tls[@]}" -d "{\"ticket_id\":\"$id\"}" "$t" mot.ticketing.v1.TicketingService/GetTicket 2>&1)
grep -q "Code: Unauthenticated" <<<"$out" || fail "GetTicket without a token: $out"
out=$("$grpcurl" "${tls[@]}" -H "authorization: Bearer $(addr MOT_TOKEN_READER)" \
  -d "{\"ticket_id\":\"$id\",\"text\":\"x\",\"author\":\"r\",\"request_id\":\"$rq-r\"}" \
  "$t" mot.ticketing.v1.TicketingService/AddNote 2>&1)
grep -q "Code: PermissionDenied" <<<"$out" && grep -q "needs the scope 'agent'" <<<"$out" ||
  fail "AddNote with a reader's token: $out"
out=$("$grpcurl" "${tls[@]}" -H "authorization: Bearer $(addr MOT_TOKEN_READER)" \
  -d "{\"ticket_id\":\"$id\"}" "$t" mot.ticketing.v1.TicketingService/GetTicket 2>&1)
grep -q '"ticket"' <<<"$out" || fail "GetTicket with a reader's token: $out"
# The kubelet's probe port: plain-text health, and nothing else of the API.
h=$(addr MOT_TICKETING_HEALTH_ADDR)
out=$("$grpcurl" -plaintext -d '{}' "$h" grpc.health.v1.Health/Check 2>&1)
grep -q '"status": "SERVING"' <<<"$out" || fail "health port: $out"
out=$("$grpcurl" -plaintext -d "{\"ticket_id\":\"$id\"}" "$h" mot.ticketing.v1.TicketingService/GetTicket 2>&1)
grep -q '"ticket"' <<<"$out" && fail "the health port answered GetTicket: $out"
set -e
passed=$((passed + 1))
echo "$passed passed, 0 failed"
