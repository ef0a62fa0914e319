#!/usr/bin/env bash
# The operator's view of a running mesh: motctl health reports the four services
# SERVING, and every service's /metrics passes promtool's lint.
set -euo pipefail
motctl=$1
env_file=${MOT_MESH_ENV:?MOT_MESH_ENV must name the mesh env file}
# shellcheck disable=SC1090
source "$env_file"

out=$("$motctl" --env-file "$env_file" health)
echo "$out"
for svc in touchpoint-scheduler ticketing notification survey; do
  grep -Eq "^$svc +[0-9.:]+ +SERVING$" <<<"$out" || { echo "FAIL: $svc is not SERVING"; exit 1; }
done

root=$(cd "$(dirname "$0")/../.." && pwd)
all_metrics=""
for url in "$MOT_SCHEDULER_METRICS" "$MOT_TICKETING_METRICS" "$MOT_NOTIFICATION_METRICS" "$MOT_SURVEY_METRICS"; do
  body=$(curl -fsS --max-time 5 "$url")
  all_metrics+="$body"$'\n'
  grep -q '^mot_service_info' <<<"$body" || { echo "FAIL: $url has no mot_service_info"; exit 1; }
  # The test mesh runs on the simulated clock, and every service says so.
  grep -qx 'mot_clock_simulated 1' <<<"$body" || { echo "FAIL: $url does not report mot_clock_simulated 1"; exit 1; }
  promtool check metrics <<<"$body" || { echo "FAIL: promtool check metrics on $url"; exit 1; }
  echo "promtool check metrics: $url ok"
done

for svc in touchpoint-scheduler ticketing notification survey; do
  grep -q 'SIMULATED CLOCK' "$MOT_MESH_LOGS/$svc.log" ||
    { echo "FAIL: $svc did not warn at start that it runs on the simulated clock"; exit 1; }
done
echo "every service reports mot_clock_simulated 1 and warned at start"

# Every metric the alerts and the dashboard query is one the services export.
exported=$(grep -oE '^# TYPE [a-z_:]+' <<<"$all_metrics" | awk '{print $3}' | sort -u)
wanted=$(grep -ohE 'mot_[a-z_]+' "$root/deploy/prometheus/rules.yaml" "$root"/deploy/grafana/*.json \
  | sed -E 's/_(bucket|sum|count)$//' | sort -u)
for m in $wanted; do
  grep -qx "$m" <<<"$exported" || { echo "FAIL: $m is queried by an alert or a panel but no service exports it"; exit 1; }
done
echo "alerts and dashboard query $(wc -w <<<"$wanted") metrics, all exported"

# The local Prometheus scrapes all four services and has loaded the alert rules.
for _ in $(seq 1 100); do
  up=$(curl -fsS --max-time 5 "$MOT_PROMETHEUS_URL/api/v1/query?query=sum(up%7Bjob%3D%22motmesh%22%7D)" |
    python3 -c 'import json,sys; r=json.load(sys.stdin)["data"]["result"]; print(r[0]["value"][1] if r else 0)')
  [[ $up == 4 ]] && break
  sleep 0.2
done
[[ $up == 4 ]] || { echo "FAIL: prometheus sees $up of 4 services up"; exit 1; }
rules=$(curl -fsS --max-time 5 "$MOT_PROMETHEUS_URL/api/v1/rules" |
  python3 -c 'import json,sys; g=json.load(sys.stdin)["data"]["groups"]; print(sum(r["health"]=="ok" for x in g for r in x["rules"]))')
[[ $rules -ge 5 ]] || { echo "FAIL: prometheus has $rules healthy rules"; exit 1; }
echo "prometheus: 4 of 4 services up, $rules alert rules loaded"

# Every panel's query is one Prometheus accepts (a typo in PromQL would leave a panel
# blank without a word).
python3 - "$MOT_PROMETHEUS_URL" "$root"/deploy/grafana/*.json <<'PY'
import json, sys, urllib.parse, urllib.request
url, files = sys.argv[1], sys.argv[2:]
n = 0
for f in files:
    for p in json.load(open(f, encoding="utf-8"))["panels"]:
        for t in p.get("targets", []):
            q = urllib.parse.urlencode({"query": t["expr"]})
            try:
                r = json.load(urllib.request.urlopen(f"{url}/api/v1/query?{q}", timeout=5))
            except Exception as e:  # HTTP 400 for a bad expression
                sys.exit(f"FAIL: {f}: panel '{p['title']}': {t['expr']}: {e}")
            if r.get("status") != "success":
                sys.exit(f"FAIL: {f}: panel '{p['title']}': {r}")
            n += 1
print(f"prometheus accepts all {n} panel queries")
PY
