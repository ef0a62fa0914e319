#!/usr/bin/env bash
# Who may do what, with grpcurl over mutual TLS: every method of the four services is
# called with no token, a token signed by another key, and a token of each scope
# alone. The scope the method needs gets through the door (any answer but
# UNAUTHENTICATED / PERMISSION_DENIED); no token and the forged one are
# UNAUTHENTICATED; every other scope is PERMISSION_DENIED. The table below is the
# policy; a method the services list that the table lacks fails the test.
set -uo pipefail
grpcurl=$1
motctl=$2
env_file=${MOT_MESH_ENV:?MOT_MESH_ENV must name the mesh env file}
addr() { grep "^$1=" "$env_file" | cut -d= -f2-; }
tls=(-cacert "$(addr MOT_TLS_CA_FILE)" -cert "$(addr MOT_TLS_CLIENT_CERT_FILE)" -key "$(addr MOT_TLS_CLIENT_KEY_FILE)")

declare -A needs=(
  [mot.scheduler.v1.SchedulerService/GetJourney]=reader
  [mot.scheduler.v1.SchedulerService/GetStage]=reader
  [mot.scheduler.v1.SchedulerService/CancelTouchpoint]=manager
  [mot.scheduler.v1.SchedulerService/RescheduleTouchpoint]=manager
  [mot.scheduler.v1.SchedulerService/ValidatePlaybook]=reader
  [mot.scheduler.v1.SchedulerService/SimulateJourney]=reader
  [mot.scheduler.v1.SchedulerService/IngestEvent]=publisher
  [mot.scheduler.v1.SchedulerService/ExportCustomer]=manager
  [mot.notification.v1.NotificationService/ExportCustomer]=manager
  [mot.survey.v1.SurveyService/ExportCustomer]=manager
  [mot.ticketing.v1.TicketingService/ExportCustomer]=manager
  [mot.notification.v1.NotificationService/Send]=publisher
  [mot.notification.v1.NotificationService/ListDeliveries]=reader
  [mot.notification.v1.NotificationService/GetPreferences]=reader
  [mot.notification.v1.NotificationService/SetPreferences]=manager
  [mot.survey.v1.SurveyService/ListSurveyInstances]=reader
  [mot.survey.v1.SurveyService/GetSurveyInstance]=reader
  [mot.survey.v1.SurveyService/SubmitResponse]=agent
  [mot.survey.v1.SurveyService/GetScores]=manager
  [mot.survey.v1.SurveyService/GetKpi]=manager
  [mot.ticketing.v1.TicketingService/GetTicket]=reader
  [mot.ticketing.v1.TicketingService/ListTickets]=reader
  [mot.ticketing.v1.TicketingService/TransitionTicket]=agent
  [mot.ticketing.v1.TicketingService/CreateTicket]=agent
  [mot.ticketing.v1.TicketingService/AssignTicket]=agent
  [mot.ticketing.v1.TicketingService/AddNote]=agent
  [mot.ticketing.v1.TicketingService/ReclassifyTicket]=agent
  [mot.ticketing.v1.TicketingService/GetDefectRollup]=manager
  [mot.ticketing.v1.TicketingService/GetComplaintReport]=manager
)
declare -A where=([mot.scheduler.v1.SchedulerService]=MOT_SCHEDULER_ADDR
                  [mot.notification.v1.NotificationService]=MOT_NOTIFICATION_ADDR
                  [mot.survey.v1.SurveyService]=MOT_SURVEY_ADDR
                  [mot.ticketing.v1.TicketingService]=MOT_TICKETING_ADDR)

# A token the services never trusted: same claims, another key.
other=$(mktemp -d)
trap 'rm -rf "$other"' EXIT
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$other/jwt.key" 2>/dev/null
forged=$("$motctl" --env-file /dev/null token issue --signing-key "$other/jwt.key" --subject intruder \
  --scope publisher --scope agent --scope manager --scope reader)

failures=0 calls=0 admitted=0 unauthenticated=0 denied=0 methods=0
for service in "${!where[@]}"; do
  a=$(addr "${where[$service]}")
  listed=$("$grpcurl" "${tls[@]}" "$a" list "$service") || { echo "FAIL: $service not listed"; failures=$((failures + 1)); continue; }
  for full in $listed; do
    method="$service/${full##*.}"
    want=${needs[$method]:-}
    if [[ -z $want ]]; then echo "FAIL: $method has no row in the policy table"; failures=$((failures + 1)); continue; fi
    methods=$((methods + 1))
    for who in none forged publisher agent manager reader; do
      case $who in
        none) header=() ;;
        forged) header=(-H "authorization: Bearer $forged") ;;
        *) header=(-H "authorization: Bearer $(addr "MOT_TOKEN_${who^^}")") ;;
      esac
      out=$("$grpcurl" "${tls[@]}" "${header[@]}" -max-time 5 -d '{}' "$a" "$method" 2>&1)
      calls=$((calls + 1))
      if [[ $who == none || $who == forged ]]; then expected=Unauthenticated
      elif [[ $who == "$want" ]]; then expected=admitted
      else expected=PermissionDenied; fi
      if grep -q "Code: Unauthenticated" <<<"$out"; then got=Unauthenticated
      elif grep -q "Code: PermissionDenied" <<<"$out"; then got=PermissionDenied
      elif grep -q "Failed to dial\|connection refused\|Code: Unavailable" <<<"$out"; then got=unreachable
      else got=admitted; fi
      if [[ $got != "$expected" ]]; then
        echo "FAIL: $method as $who: expected $expected, got: $out"
        failures=$((failures + 1))
      fi
      case $got in admitted) admitted=$((admitted + 1)) ;; Unauthenticated) unauthenticated=$((unauthenticated + 1)) ;;
                   PermissionDenied) denied=$((denied + 1)) ;; esac
    done
  done
done
[[ $methods -eq ${#needs[@]} ]] || { echo "FAIL: $methods methods listed, the table has ${#needs[@]}"; failures=$((failures + 1)); }
echo "methods $methods, calls $calls: admitted $admitted, UNAUTHENTICATED $unauthenticated, PERMISSION_DENIED $denied; $failures failed"
[[ $failures -eq 0 ]]
