#!/usr/bin/env bash
# motctl against the running mesh: publish from JSON lines on stdin and from flags,
# then read the journey (table and --json), the ticket, the survey and the delivery;
# notify send, list and prefs.
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

# JSON lines on stdin (snake_case and camelCase field names are both protobuf JSON),
# signed 8 days before the mesh's (simulated) now: the welcome, due then, is past its
# 3 days' lateness and skipped; the 准1 survey (7 days after) goes out. A signing-progress
# notice and a repair request happen now.
signed_at=$(date -ud "$(motctl clock show) - 8 days" +%Y-%m-%dT%H:%M:%SZ)
handover_date=$(date -ud "$(motctl clock show) + 300 days" +%F)
printf '%s\n' \
  "{\"type\":\"contract_signed\",\"customer_id\":\"$customer\",\"unit_id\":\"U-1\",\"project_id\":\"P-CLI\",\"occurredAt\":\"$signed_at\",\"attributes\":{\"planned_handover_date\":\"$handover_date\"}}" \
  "" \
  | motctl publish --file - >/dev/null
motctl publish --type repair_requested --customer "$customer" --unit U-1 --project P-CLI \
  --attr problem=门窗漏风 >/dev/null
motctl publish --type signing_progress --customer "$customer" --unit U-1 --project P-CLI \
  --attr node=loan_approval >/dev/null

for _ in $(seq 1 150); do
  [[ $(motctl journey "$customer" | grep -c ' DONE ') -ge 3 ]] && break
  sleep 0.2
done
table=$(motctl journey "$customer")
echo "$table"
check "journey shows three DONE touchpoints" test "$(grep -c ' DONE ' <<<"$table")" -eq 3
check "journey shows the stale welcome SKIPPED with the reason" \
  grep -Eq "SKIPPED +notification +welcome_after_signing +due [0-9-]{10}, 8 days before the mesh heard of it" <<<"$table"
check "journey shows the stage" grep -q "stage PROSPECT_1" <<<"$table"

json=$(motctl journey "$customer" --json)
ticket=$(python3 -c 'import json,sys; j=json.load(sys.stdin); print([t["result_ref"] for t in j["touchpoints"] if t["service"]=="ticketing" and t.get("result_ref")][0])' <<<"$json")
check "journey --json names the ticket" test -n "$ticket"
out=$(motctl ticket get "$ticket")
echo "$out"
check "ticket get shows three deadlines" test "$(grep -cE '^ +(respond|plan|fix) +due ' <<<"$out")" -eq 3
check "ticket list finds it" grep -q "$ticket" <<<"$(motctl ticket list --customer "$customer")"
check "survey list shows the 准1 survey" grep -q "PROSPECT_1" <<<"$(motctl survey list "$customer")"
survey_id=$(motctl survey list "$customer" | awk '/PROSPECT_1/ {print $1; exit}')
err=$(motctl survey answer "$survey_id" --answer consultant=6 2>&1 || true)
check "survey answer: an out-of-range answer names the question" \
  grep -q "answers.consultant: expected a score from 1 to 5" <<<"$err"
out=$(motctl survey answer "$survey_id" --answer consultant=5 --answer signing=4 --answer disclosure_e=6/5 \
  --answer recommend=10 --answer "comment=text:服务很好" --by agent-zhou)
check "survey answer records who answered" grep -q "^$survey_id answered at .* by agent-zhou$" <<<"$out"
check "survey list shows it completed" grep -q "$survey_id .* COMPLETED " <<<"$(motctl survey list "$customer")"
out=$(motctl survey show "$survey_id")
check "survey show: its link, who answered and the answers" \
  grep -qzE "link http://127\.0\.0\.1:[0-9]+/s/[A-Za-z0-9_-]{22}.*by agent-zhou.*consultant  5.*disclosure_e  expected 6 perceived 5.*recommend  10" <<<"$out"
check "survey show: each question's id, kind and scale, for an agent to record" \
  grep -qzE "questions.*  consultant +csat +1-5 .*  disclosure_e +servqual +expected/perceived 1-7, [a-z]+ .*  recommend +nps +0-10 .*  comment +text" <<<"$out"
month=$(date -ud "$(motctl clock show) + 8 hours" +%Y-%m)  # the owners' month (Asia/Shanghai)
out=$(motctl survey scores --project P-CLI --month "$month")
echo "$out"
check "survey scores: one response, NPS 100, CSAT mean 4.50" \
  grep -qzE "responses 1.*CSAT mean 4.50  satisfied 100.0%.*NPS 100.0" <<<"$out"
check "survey scores: the assurance gap" grep -q "assurance -1.00" <<<"$out"
out=$(motctl survey kpi --project P-CLI --month "$month")
echo "$out"
check "survey kpi: satisfaction from the answer (CSAT 5 and 4: 100 % satisfied)" \
  grep -q "satisfaction 100.0  (1 responses)" <<<"$out"
check "notify list shows the delivery" grep -q "DELIVERED" <<<"$(motctl notify list "$customer")"

# Another system's message through notify send; an owner's preferences set and read.
owner="C-NOTIFY-$RANDOM$RANDOM"
out=$(motctl notify prefs set "$owner" --prefer sms --opt-out-channel email --opt-out-category marketing)
check "notify prefs set answers what it kept" grep -q "opted out of channels: email" <<<"$out"
out=$(motctl notify prefs get "$owner")
check "notify prefs get reads them back, set through the API" \
  grep -q "preferred: sms" <<<"$out"
check "notify prefs get names where they come from" grep -q "from: api" <<<"$out"
check "an owner nobody told us of has none" grep -q "from: none" <<<"$(motctl notify prefs get "C-NOBODY-$RANDOM")"
err=$(motctl notify prefs set "$owner" --opt-out-channel pager 2>&1 || true)
check "an unknown channel is refused, naming the field" \
  grep -q "preferences.opted_out_channels: a channel is not one of channels.yaml's (app, dingtalk, email, hotline, sms, wecom, wecom_app)" <<<"$err"
out=$(motctl notify send --customer "$owner" --template tier_a_second_touch --var "project_id=P-NOTIFY" \
  --category safety --id "cmd-$owner")
check "notify send queues it and names the delivery" grep -q "^queued: delivery dl-" <<<"$out"
delivery=$(sed -E 's/^queued: delivery ([^ ]+) .*/\1/' <<<"$out")
for _ in $(seq 1 150); do
  motctl notify list "$owner" | grep -q "^$delivery .* DELIVERED " && break
  sleep 0.2
done
check "the queued message is delivered (no mobile: the robot)" \
  grep -q "^$delivery  tier_a_second_touch  wecom  DELIVERED " <<<"$(motctl notify list "$owner")"
err=$(motctl notify send --customer "$owner" --template tier_a_second_touch --id "cmd-bad-$owner" 2>&1 || true)
check "a missing variable is refused, naming the field" \
  grep -q "command.variables: template 'tier_a_second_touch' cannot be rendered" <<<"$err"
err=$(motctl notify send --customer "$owner" --template tier_a_second_touch --var project_id=P --category gossip 2>&1 || true)
check "an unknown category is refused, naming the field" grep -q "command.category: not one of channels.yaml's categories" <<<"$err"

# The stage; a manager cancels one scheduled touchpoint and reschedules another.
check "stage shows PROSPECT_1 and the signing" grep -q "stage PROSPECT_1  signed $signed_at" <<<"$(motctl stage "$customer")"
check "stage --at a year on is PROSPECT_2" grep -q "stage PROSPECT_2" \
  <<<"$(motctl stage "$customer" --at "$(date -ud "$signed_at + 365 days" +%Y-%m-%dT%H:%M:%SZ)")"
tp_of() {  # tp_of STEP: the id of the customer's touchpoint of that step
  motctl journey "$customer" --json | python3 -c 'import json,sys; print([t["id"] for t in json.load(sys.stdin)["touchpoints"] if t["step_id"]==sys.argv[1]][0])' "$1"
}
out=$(motctl touchpoint cancel "$customer" "$(tp_of waiting_stage_survey)" --reason "owner asked for no surveys" --by manager-li)
check "touchpoint cancel records who, the caller (the token's subject) and why" grep -q "CANCELLED .*cancelled by manager-li as mesh-operator: owner asked for no surveys" <<<"$out"
new_due=$(date -ud "$signed_at + 120 days" +%Y-%m-%dT%H:%M:%SZ)
out=$(motctl touchpoint reschedule "$customer" "$(tp_of site_open_day)" --to "$new_due" --reason "open day moved" --by manager-li)
check "touchpoint reschedule moves it and keeps the old due time" grep -q "^$new_due  *SCHEDULED .*(was due .*) rescheduled by manager-li as mesh-operator: open day moved" <<<"$out"
err=$(motctl touchpoint cancel "$customer" "$(tp_of repair_ticket)" --reason late 2>&1 || true)
check "a sent touchpoint cannot be cancelled" grep -q "the touchpoint is DONE; only a SCHEDULED one can change" <<<"$err"
err=$(motctl touchpoint cancel "$customer" "$(tp_of welcome_after_signing)" --reason late 2>&1 || true)
check "nor a skipped one" grep -q "the touchpoint is SKIPPED; only a SCHEDULED one can change" <<<"$err"

# An agent opens a ticket and moves it along; the history says who and why.
out=$(motctl ticket create --kind complaint_general --customer "$customer" --summary 物业服务投诉 --by agent-li --request-id "req-$customer")
created=$(awk 'NR==1 {print $1}' <<<"$out")
check "ticket create opens a NEW complaint with its two deadlines" grep -q "complaint_general  NEW" <<<"$out"
check "ticket create again with the same request id: the same ticket" \
  test "$(motctl ticket create --kind complaint_general --customer "$customer" --request-id "req-$customer" --by agent-li | awk 'NR==1 {print $1}')" = "$created"
motctl ticket transition "$created" --to acknowledged --by agent-li >/dev/null
out=$(motctl ticket transition "$created" --to waiting_on_owner --reason "owner abroad" --by agent-li)
check "ticket transition records who and why" grep -q "ACKNOWLEDGED -> WAITING_ON_OWNER  by agent-li: owner abroad" <<<"$out"
err=$(motctl ticket transition "$created" --to closed --by agent-li 2>&1 || true)
check "an illegal move names the state" grep -q "the ticket is WAITING_ON_OWNER; it cannot go to CLOSED" <<<"$err"
check "ticket history lists the changes" test "$(motctl ticket history "$created" | grep -c ' by agent-li')" -eq 3

# The agents' desk: teams from the rules, assignment, notes, repeat complaints, lists by
# filter with pages, the defect library and the daily complaint report.
project="P-DESK-$RANDOM$RANDOM"
desk() { motctl ticket create --kind complaint_general --customer "$customer" --unit U-1 --project "$project" --category property_service --by agent-li "$@"; }
out=$(desk --summary 公共区域保洁不到位 --defect WY01)
first=$(awk 'NR==1 {print $1}' <<<"$out")
check "a complaint about property service goes to its team" grep -q "team property_service" <<<"$out"
out=$(desk --summary 公共区域保洁仍不到位)
second=$(awk 'NR==1 {print $1}' <<<"$out")
check "the same complaint again is linked as a repeat" grep -q "repeats $first" <<<"$out"
check "ticket assign names the assignee" grep -q "assignee agent-chen" \
  <<<"$(motctl ticket assign "$first" --assignee agent-chen --reason 专人跟进 --by manager-zhao)"
check "ticket list --assignee finds it" grep -q "^$first " <<<"$(motctl ticket list --assignee agent-chen)"
check "ticket note is in the history" grep -q "note by agent-chen: 已约业主周五面谈" \
  <<<"$(motctl ticket note "$first" --text 已约业主周五面谈 --by agent-chen)"
# (Opened in the same simulated instant, the two come in the order of their ids.)
page=$(motctl ticket list --project "$project" --page-size 1)
token=$(sed -n 's/^next page: --page-token //p' <<<"$page")
check "ticket list --project --page-size 1 gives one and a token" test "$(grep -c '^tk-' <<<"$page")" -eq 1 -a -n "$token"
pages=$(printf '%s\n%s' "$page" "$(motctl ticket list --project "$project" --page-size 1 --page-token "$token")")
check "the next page has the other" test "$(grep -cE "^($first|$second) " <<<"$pages")" -eq 2 -a "$(grep -c '^tk-' <<<"$pages")" -eq 2
motctl ticket transition "$first" --to acknowledged --by agent-chen >/dev/null
motctl ticket transition "$first" --to resolved --reason 保洁频次调整为每日两次 --by agent-chen >/dev/null
day=$(TZ=Asia/Shanghai date -d "$(motctl clock show)" +%F)
csv=$(motctl ticket report --date "$day" --project "$project" --format csv)
check "report --format csv: a header and the day's two complaints" test "$(wc -l <<<"$csv")" -eq 3
check "report names the handler and the measure" grep -q "agent-chen,保洁频次调整为每日两次,RESOLVED" <<<"$csv"
check "report --format json is JSON" python3 -c 'import json,sys; assert len(json.load(sys.stdin)) == 2' \
  <<<"$(motctl ticket report --date "$day" --project "$project" --format json)"
check "ticket defects --csv: WY01 in the project, 1 ticket, 1 unit, none open" \
  grep -q "^$project,WY01,公共区域维护不到位,.*,物业服务中心,1,1,0," <<<"$(motctl ticket defects --project "$project" --csv)"
err=$(motctl ticket assign "$first" --team night_shift 2>&1 || true)
check "an unknown team is refused, naming the field" grep -q "team is not one of the configured teams" <<<"$err"

# Bad input is refused with a message naming what is wrong.
err=$(echo '{"type":' | motctl publish --file - 2>&1 || true)
check "bad JSON line is named" grep -q "line 1" <<<"$err"
err=$(motctl publish --type handover 2>&1 || true)
check "missing customer is named" grep -q "customer_id is required" <<<"$err"
# The simulated clock: show, advance, set; never backwards.
t0=$(motctl clock show)
check "clock show prints an RFC 3339 time" grep -Eq '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z$' <<<"$t0"
t1=$(motctl clock advance 1h)
check "clock advance 1h moves it an hour" test "$(( $(date -ud "$t1" +%s) - $(date -ud "$t0" +%s) ))" -eq 3600
t2=$(motctl clock set "$(date -ud "$t1 + 1 day" +%Y-%m-%dT%H:%M:%S+08:00)")
check "clock set takes a time with an offset" test "$(( $(date -ud "$t2" +%s) - $(date -ud "$t1" +%s) ))" -eq $((86400 - 8 * 3600))
err=$(motctl clock set 2020-01-01T00:00:00Z 2>&1 || true)
check "clock set refuses to go back" grep -q "only moves forward; it is at $t2" <<<"$err"
err=$(motctl clock advance soon 2>&1 || true)
check "a bad duration is named" grep -q "bad duration 'soon'" <<<"$err"
check "publish without a time uses the simulated clock" \
  grep -q "$t2" <<<"$(motctl publish --type community_activity --customer "$customer" >/dev/null && motctl clock show)"

err=$(motctl ticket get tk-none 2>&1 || true)
check "unknown ticket is NOT_FOUND" grep -q "no ticket tk-none" <<<"$err"

# The certificate's name, when it is not the host dialled (a port-forward): the mesh's
# certificate names localhost; another name is refused.
err=$(motctl --tls-server-name localhost ticket get tk-none 2>&1 || true)
check "--tls-server-name localhost reaches the service" grep -q "no ticket tk-none" <<<"$err"
err=$(motctl --tls-server-name motmesh-ticketing.other.svc ticket get tk-none 2>&1 || true)
check "--tls-server-name with a name the certificate lacks does not connect" \
  grep -q "Peer name motmesh-ticketing.other.svc is not in peer certificate" <<<"$err"
echo "$passed passed, 0 failed"
