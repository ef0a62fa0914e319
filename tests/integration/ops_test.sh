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
  promtool check metrics <<<"$body" || { echo "FAIL: promtool check metrics on $url"; exit 1; }
  echo "promtool check metrics: $url ok"
done

# Every metric the alerts and the dashboard query is one the services export.
exported=$(grep -oE '^# TYPE [a-z_:]+' <<<"$all_metrics" | awk '{print $3}' | sort -u)
wanted=$(grep -ohE 'mot_[a-z_]+' "$root/deploy/prometheus/rules.yaml" "$root/deploy/grafana/motmesh.json" \
  | sed -E 's/_(bucket|sum|count)$//' | sort -u)
for m in $wanted; do
  grep -qx "$m" <<<"$exported" || { echo "FAIL: $m is queried by an alert or a panel but no service exports it"; exit 1; }
done
echo "alerts and dashboard query $(wc -w <<<"$wanted") metrics, all exported"
