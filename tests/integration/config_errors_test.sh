#!/usr/bin/env bash
# A service with a missing or invalid environment variable stops at start with one
# line that names the variable and what is expected, and exit code 2.
set -uo pipefail
build=$1
root=$(cd "$(dirname "$0")/../.." && pwd)
failures=0

# expect <binary> <text expected in the one line> VAR=value...
expect() {
  local bin=$1 want=$2
  shift 2
  local err rc
  err=$(env -i PATH="$PATH" "$@" "$build/services/$bin/$bin" 2>&1 >/dev/null)
  rc=$?
  local lines
  lines=$(printf '%s\n' "$err" | grep -c .)
  if [[ $rc -ne 2 || $lines -ne 1 || "$err" != *"$want"* ]]; then
    echo "FAIL: $bin $* -> rc=$rc lines=$lines: $err (wanted: $want)"
    failures=$((failures + 1))
  else
    echo "ok: $bin: $err"
  fi
}

# A certificate, its key and a token-signing public key, as the chart's Secrets hold them.
pki=$(mktemp -d)
trap 'rm -rf "$pki"' EXIT
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=localhost -days 1 \
  -keyout "$pki/server.key" -out "$pki/server.pem" 2>/dev/null
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$pki/jwt.key" 2>/dev/null
openssl pkey -in "$pki/jwt.key" -pubout -out "$pki/jwt.pub"
tls=(MOT_TLS_CERT_FILE="$pki/server.pem" MOT_TLS_KEY_FILE="$pki/server.key" MOT_AUTH_JWT_PUBLIC_KEY_FILE="$pki/jwt.pub")
good=(MOT_KAFKA_BROKERS=127.0.0.1:1 MOT_REDIS_ADDR=127.0.0.1:1 MOT_GRPC_ADDR=127.0.0.1:1 MOT_METRICS_ADDR=127.0.0.1:1
      "${tls[@]}")
bare=("${good[@]:0:4}")
for bin in touchpoint-scheduler ticketing notification survey; do
  expect "$bin" "MOT_KAFKA_BROKERS is not set; expected host:port"
done
expect ticketing "MOT_REDIS_ADDR='redis' is invalid; expected host:port" \
  MOT_KAFKA_BROKERS=127.0.0.1:1 MOT_REDIS_ADDR=redis
expect survey "MOT_LOG_LEVEL='chatty' is invalid; expected one of: trace, debug, info, warn, error" \
  "${good[@]}" MOT_LOG_LEVEL=chatty
expect touchpoint-scheduler "MOT_PLAYBOOK is not set; expected the path of a readable file" "${good[@]}"
expect touchpoint-scheduler "MOT_PLAYBOOK='/nonexistent.yaml' cannot be read" "${good[@]}" \
  MOT_PLAYBOOK=/nonexistent.yaml
expect touchpoint-scheduler "MOT_SCHEDULER_TICK='soon' is invalid" "${good[@]}" \
  MOT_PLAYBOOK="$root/deploy/config/playbook.yaml" MOT_SCHEDULER_TICK=soon
expect ticketing "MOT_SLA_POLICY: kind 'repair': within: unknown unit" "${good[@]}" \
  MOT_SLA_POLICY=<(printf 'kinds:\n  repair:\n    - {milestone: respond, within: 2 hours}\n')
expect notification "MOT_CHANNELS is not set; expected the path of a readable file" "${good[@]}" \
  MOT_TEMPLATES="$root/deploy/config/templates.yaml"
expect notification "MOT_CHANNELS: quiet_hours.from: expected a local time HH:MM such as 09:00" \
  "${good[@]}" MOT_TEMPLATES="$root/deploy/config/templates.yaml" \
  MOT_CHANNELS=<(sed 's/from: "21:00"/from: "25:00"/' "$root/deploy/config/channels.yaml")
notif=("${good[@]}" MOT_TEMPLATES="$root/deploy/config/templates.yaml"
       MOT_CHANNELS="$root/deploy/config/channels.yaml")
expect notification "MOT_WEBHOOK_URL is not set; expected an http:// or https:// URL" "${notif[@]}"
expect notification "MOT_WEBHOOK_URL is invalid; expected an http:// or https:// URL" "${notif[@]}" \
  MOT_WEBHOOK_URL=ftp://robot
expect notification "MOT_DINGTALK_SECRET is not set; expected the robot's signing secret (SEC...)" \
  "${notif[@]}" MOT_WEBHOOK_URL=http://127.0.0.1:1/robot MOT_DINGTALK_URL=http://127.0.0.1:1/robot/send
expect notification "MOT_SMS_SECRET is not set; expected the gateway's access secret" "${notif[@]}" \
  MOT_WEBHOOK_URL=http://127.0.0.1:1/robot MOT_SMS_URL=http://127.0.0.1:1/sms/send MOT_SMS_ACCESS_KEY=k
expect notification "MOT_SMTP_URL: expected smtp://host:port or smtps://host:port" "${notif[@]}" \
  MOT_WEBHOOK_URL=http://127.0.0.1:1/robot MOT_SMTP_URL=http://127.0.0.1:25
expect notification "MOT_CHANNELS: delivery.attempts: expected a whole number, 1 or more" \
  "${good[@]}" MOT_TEMPLATES="$root/deploy/config/templates.yaml" \
  MOT_CHANNELS=<(sed 's/attempts: 3/attempts: 0/' "$root/deploy/config/channels.yaml")
expect notification "MOT_CONTACT_KEYS is not set; expected <key id>:<base64 32-byte key>[,...]" "${notif[@]}" \
  MOT_WEBHOOK_URL=http://127.0.0.1:1/robot
expect notification "MOT_CONTACT_KEYS entry 2 (key id old): the key must be 32 bytes in base64" "${notif[@]}" \
  MOT_WEBHOOK_URL=http://127.0.0.1:1/robot \
  MOT_CONTACT_KEYS="new:$(head -c 32 /dev/zero | base64),old:c2hvcnQ="

expect ticketing "MOT_KAFKA_OPT_SECURITY_PROTOCOL is invalid: security.protocol: Invalid value" "${good[@]}" \
  MOT_SLA_POLICY="$root/deploy/config/sla.yaml" MOT_KAFKA_OPT_SECURITY_PROTOCOL=carrier_pigeon
expect survey "MOT_KAFKA_OPT_GROUP_ID sets group.id, which MOT Mesh owns" "${good[@]}" \
  MOT_KAFKA_OPT_GROUP_ID=mine

pb=MOT_PLAYBOOK="$root/deploy/config/playbook.yaml"
expect survey "MOT_CLOCK='fake' is invalid; expected one of: system, simulated" "${good[@]}" MOT_CLOCK=fake
expect touchpoint-scheduler "MOT_SCHEDULER_CLAIM_LEASE must be longer than MOT_KAFKA_DELIVERY_TIMEOUT (30000ms)" \
  "${good[@]}" "$pb" MOT_SCHEDULER_CLAIM_LEASE=30s
expect touchpoint-scheduler "MOT_SCHEDULER_CLAIM_LEASE must be longer than MOT_KAFKA_DELIVERY_TIMEOUT (90000ms)" \
  "${good[@]}" "$pb" MOT_KAFKA_DELIVERY_TIMEOUT=90s
expect touchpoint-scheduler "MOT_SCHEDULER_ASSIGNED_PARTITIONS=3-20 is invalid: '3-20' is not a partition or range of partitions 0..15" \
  "${good[@]}" "$pb" MOT_SCHEDULER_ASSIGNED_PARTITIONS=3-20
expect touchpoint-scheduler "MOT_SCHEDULER_PARTITIONS='0' is invalid; expected a whole number from 1 to 1024" \
  "${good[@]}" "$pb" MOT_SCHEDULER_PARTITIONS=0
expect touchpoint-scheduler "MOT_PLAYBOOK: time zone 'Mars/Olympus' is unknown" "${good[@]}" \
  MOT_PLAYBOOK=<(sed 's|^time_zone: .*|time_zone: Mars/Olympus|' "$root/deploy/config/playbook.yaml")
expect touchpoint-scheduler "MOT_EVENT_MAX_AHEAD='tomorrow' is invalid" "${good[@]}" "$pb" \
  MOT_EVENT_MAX_AHEAD=tomorrow

# The gate: TLS and the token key are required and must be what they say.
expect ticketing "MOT_TLS_CERT_FILE is not set; expected the path of a readable file" "${bare[@]}"
expect ticketing "MOT_TLS_KEY_FILE holds no PRIVATE KEY-----; expected the server certificate's key in PEM" \
  "${good[@]}" MOT_TLS_KEY_FILE="$pki/server.pem"
expect notification "MOT_TLS_CLIENT_CA_FILE='/nonexistent.pem' cannot be read" "${good[@]}" \
  MOT_TLS_CLIENT_CA_FILE=/nonexistent.pem
expect touchpoint-scheduler "MOT_AUTH_JWT_PUBLIC_KEY_FILE holds no -----BEGIN PUBLIC KEY-----" "${good[@]}" \
  MOT_AUTH_JWT_PUBLIC_KEY_FILE="$pki/jwt.key"
expect ticketing "MOT_GRPC_CALLER_RATE='fast' is invalid; expected a whole number" "${good[@]}" \
  MOT_GRPC_CALLER_RATE=fast
expect survey "MOT_GRPC_MAX_MESSAGE_BYTES='10' is invalid; expected a whole number from 1024" "${good[@]}" \
  MOT_GRPC_MAX_MESSAGE_BYTES=10

echo "$failures failed"
[[ $failures -eq 0 ]]
