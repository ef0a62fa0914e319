#!/usr/bin/env bash
# Tests of the Helm chart charts/motmesh, offline: helm lint --strict, helm template
# against Kubernetes 1.29 (with and without the Prometheus Operator's API), every
# rendered manifest validated with kubernetes-validate --strict against the 1.29
# schemas, and assertions on what the chart must render or refuse.
# Needs .cache/bin/helm and .cache/venv (tools/setup installs both); HELM and
# KUBERNETES_VALIDATE override the paths.
set -uo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
chart="$root/charts/motmesh"
helm="${HELM:-$root/.cache/bin/helm}"
kv="${KUBERNETES_VALIDATE:-$root/.cache/venv/bin/kubernetes-validate}"
py="$(dirname "$kv")/python"
kube=1.29.0

for tool in "$helm" "$kv" "$py"; do
  if [ ! -x "$tool" ]; then
    echo "chart_test: $tool is missing; run tools/setup"
    echo "0 passed, 1 failed"
    exit 1
  fi
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

passed=0
failed=0
ok() { passed=$((passed + 1)); echo "ok   $1"; }
not_ok() {
  failed=$((failed + 1))
  echo "FAIL $1"
  if [ -n "${2:-}" ]; then printf '%s\n' "$2" | head -40 | sed 's/^/     | /'; fi
}
# check DESCRIPTION COMMAND...: passes when COMMAND exits 0.
check() {
  local desc=$1 out
  shift
  if out=$("$@" 2>&1); then ok "$desc"; else not_ok "$desc" "$out"; fi
}
# helm, without its notice about the chart's symlinks (config/, prometheus/rules.yaml).
h() {
  "$helm" "$@" 2> >(grep -v 'found symbolic link in path' >&2)
}
# refuses DESCRIPTION MESSAGE HELM-ARGS...: the command fails and says MESSAGE.
refuses() {
  local desc=$1 msg=$2 out
  shift 2
  if out=$(h "$@" 2>&1); then
    not_ok "$desc (rendered instead of failing)"
  elif grep -qF -- "$msg" <<<"$out"; then
    ok "$desc"
  else
    not_ok "$desc (failed without '$msg')" "$out"
  fi
}

# Test values: everything required is set (no client CA: TLS without client certificates);
# the scheduler runs two replicas (PDB).
values="$work/values-test.yaml"
cat > "$values" <<'EOF'
image:
  repository: registry.example/motmesh
  tag: "1.2.3"
kafka:
  brokers: kafka-0.kafka:9092,kafka-1.kafka:9092
redis:
  addr: redis-master:6379
grpc:
  tls:
    existingSecret: grpc-tls
auth:
  jwtPublicKeySecret: jwt-pub
notification:
  webhook:
    url: https://robot.example/send?key=test
  contactKeys:
    existingSecret: contact-keys
  providersSecret: providers
scheduler:
  replicas: 2
  extraEnv:
    - name: MOT_SCHEDULER_BATCH
      value: "50"
survey:
  publicUrl: https://survey.example.com
  ingress:
    enabled: true
    className: nginx
    host: survey.example.com
    tls: [{secretName: survey-tls, hosts: [survey.example.com]}]
EOF
base=(template mot "$chart" -f "$values" --kube-version "$kube")
monitoring=(--api-versions monitoring.coreos.com/v1 --set serviceMonitor.enabled=true
            --set prometheusRule.enabled=true)

# --- lint and package ---
check "helm lint --strict with the test values" h lint --strict "$chart" -f "$values"
check "helm package follows the symlinks (config/, prometheus/rules.yaml)" \
  h package "$chart" -d "$work/pkg"
pkg_dir="$work/pkg/unpacked"
mkdir -p "$pkg_dir"
tar -xzf "$work"/pkg/motmesh-*.tgz -C "$pkg_dir" 2>/dev/null
for f in playbook sla templates channels surveys; do
  check "packaged chart's config/$f.yaml is deploy/config/$f.yaml" \
    cmp "$pkg_dir/motmesh/config/$f.yaml" "$root/deploy/config/$f.yaml"
done
check "packaged chart's prometheus/rules.yaml is deploy/prometheus/rules.yaml" \
  cmp "$pkg_dir/motmesh/prometheus/rules.yaml" "$root/deploy/prometheus/rules.yaml"

# --- renders ---
render() {  # render NAME HELM-TEMPLATE-ARGS...: writes $work/NAME.yaml
  local name=$1 out
  shift
  if out=$(h "$@" 2>&1 >"$work/$name.yaml"); then
    ok "render: $name"
  else
    not_ok "render: $name" "$out"
    : >"$work/$name.yaml"
  fi
}
render full "${base[@]}" "${monitoring[@]}"
render nomonitoringapi "${base[@]}" --set serviceMonitor.enabled=true --set prometheusRule.enabled=true
render defaults template mot "$chart" --kube-version "$kube" --set kafka.brokers=k:9092 \
  --set redis.addr=r:6379 --set notification.webhook.existingSecret=robot \
  --set notification.webhook.key=webhook-url --set topics.create=false \
  --set notification.contactKeys.existingSecret=keys --set notification.contactKeys.key=k \
  --set survey.publicUrl=https://survey.example.com \
  --set grpc.tls.existingSecret=tls --set auth.jwtPublicKeySecret=jwt
printf 'steps: []\n# overridden\n' >"$work/playbook-override.yaml"
render override "${base[@]}" --set-file config.playbook="$work/playbook-override.yaml" \
  --set ports.grpc=6000 --set ports.metrics=6001 --set ports.health=6002 --set topics.partitions=12 \
  --set topics.replicationFactor=1
cat >"$work/secure-values.yaml" <<'VALUES'
kafka:
  brokers: "k:9093"
  options: {security.protocol: SASL_SSL, sasl.mechanisms: SCRAM-SHA-512}
  extraEnv:
    - name: MOT_KAFKA_OPT_SASL_PASSWORD
      valueFrom: {secretKeyRef: {name: kafka-user, key: password}}
redis: {addr: "r:6379", existingSecret: redis-auth}
notification: {webhook: {url: "https://robot.example/send"}, contactKeys: {existingSecret: ck}}
survey: {publicUrl: "https://survey.example.com/"}
grpc:
  tls: {existingSecret: mesh-tls, clientCASecret: mesh-client-ca}
  callerRate: 5
  callerBurst: 20
  maxMessageBytes: 4194304
auth: {jwtPublicKeySecret: mesh-jwt, issuer: corp-issuer, leeway: 2m}
VALUES
render secure template mot "$chart" --kube-version "$kube" -f "$work/secure-values.yaml"
# The scheduler's settings as values (from a file: YAML numbers), a delivery timeout for
# every Kafka client, and MOT_CLOCK=system (the one MOT_CLOCK the chart accepts).
cat >"$work/settings-values.yaml" <<'VALUES'
kafka:
  extraEnv:
    - name: MOT_KAFKA_DELIVERY_TIMEOUT
      value: 45s
scheduler:
  partitions: 32
  claimLease: 90s
  retention: 7y
ticketing:
  retention: 6y
  extraEnv:
    - name: MOT_CLOCK
      value: system
notification:
  retention: 3y
survey:
  retention: 10y
VALUES
render settings "${base[@]}" -f "$work/settings-values.yaml"

# The survey web page: its public address and port in the survey's env, the Service's
# web port, and the Ingress exposing only /s/ (the owners' links).
if "$py" - "$work/full.yaml" <<'EOF'
import sys, yaml
docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d]
dep = next(d for d in docs if d["kind"] == "Deployment" and d["metadata"]["name"].endswith("-survey"))
c = dep["spec"]["template"]["spec"]["containers"][0]
env = {e["name"]: e.get("value") for e in c["env"]}
assert env["MOT_SURVEY_LINK_BASE"] == "https://survey.example.com", env
assert env["MOT_SURVEY_HTTP_ADDR"] == "0.0.0.0:8080", env
assert {"name": "web", "containerPort": 8080, "protocol": "TCP"} in c["ports"], c["ports"]
svc = next(d for d in docs if d["kind"] == "Service" and d["metadata"]["name"].endswith("-survey"))
assert any(p["name"] == "web" and p["port"] == 8080 for p in svc["spec"]["ports"]), svc
ing = next(d for d in docs if d["kind"] == "Ingress")
rule = ing["spec"]["rules"][0]
assert rule["host"] == "survey.example.com" and ing["spec"]["ingressClassName"] == "nginx"
paths = rule["http"]["paths"]
assert [p["path"] for p in paths] == ["/s/"], paths
assert paths[0]["backend"]["service"] == {"name": svc["metadata"]["name"], "port": {"name": "web"}}
EOF
then
  ok "survey: link base, web port, Service and Ingress (/s/ only)"
else
  not_ok "survey: link base, web port, Service and Ingress (/s/ only)"
fi
if grep -q "kind: Ingress" "$work/defaults.yaml"; then
  not_ok "no Ingress unless survey.ingress.enabled"
else
  ok "no Ingress unless survey.ingress.enabled"
fi

# --- offline schema validation of every manifest (CRD kinds are checked below) ---
validated=0
for name in full defaults override secure settings; do
  "$py" - "$work/$name.yaml" "$work/split-$name" <<'EOF'
import os, sys, yaml
src, out = sys.argv[1], sys.argv[2]
os.makedirs(out, exist_ok=True)
n = 0
for doc in yaml.safe_load_all(open(src)):
    if not doc or doc.get("apiVersion", "").startswith("monitoring.coreos.com/"):
        continue  # Prometheus Operator CRDs: not in Kubernetes' schemas
    n += 1
    with open(os.path.join(out, "%02d-%s-%s.yaml" % (n, doc["kind"], doc["metadata"]["name"])), "w") as f:
        yaml.safe_dump(doc, f, allow_unicode=True)
EOF
  for f in "$work/split-$name"/*.yaml; do
    [ -e "$f" ] || continue
    validated=$((validated + 1))
    check "kubernetes-validate -k $kube --strict: $name/$(basename "$f")" \
      "$kv" -k "$kube" --strict --quiet "$f"
  done
done
if [ "$validated" -ge 25 ]; then
  ok "validated $validated rendered manifests"
else
  not_ok "validated only $validated rendered manifests (expected >= 25)"
fi
# The validator is not a no-op: a misspelled field and a wrong type are rejected.
"$py" - "$work/split-full" "$work/broken.yaml" <<'EOF'
import glob, sys, yaml
dep = yaml.safe_load(open(sorted(glob.glob(sys.argv[1] + "/*-Deployment-*.yaml"))[0]))
dep["spec"]["replica"] = 2
dep["spec"]["template"]["spec"]["terminationGracePeriodSeconds"] = "thirty"
yaml.safe_dump(dep, open(sys.argv[2], "w"))
EOF
if "$kv" -k "$kube" --strict --quiet "$work/broken.yaml" >/dev/null 2>&1; then
  not_ok "kubernetes-validate rejects a broken Deployment (it passed)"
else
  ok "kubernetes-validate rejects a broken Deployment"
fi

# --- what the chart must refuse ---
# The gRPC port's TLS Secret and the token key's Secret, which every render needs.
gate=(--set grpc.tls.existingSecret=tls --set auth.jwtPublicKeySecret=jwt)
no_brokers=(template mot "$chart" --kube-version "$kube" --set redis.addr=r:6379
            --set notification.webhook.url=https://x --set notification.contactKeys.existingSecret=ck
            --set survey.publicUrl=https://s.example "${gate[@]}")
refuses "render without kafka.brokers fails with the required message" \
  "kafka.brokers is required" "${no_brokers[@]}"
refuses "render without redis.addr fails with the required message" "redis.addr is required" \
  template mot "$chart" --kube-version "$kube" --set kafka.brokers=k:9092 \
  --set notification.webhook.url=https://x --set notification.contactKeys.existingSecret=ck \
  --set survey.publicUrl=https://s.example "${gate[@]}"
refuses "render without a notification webhook fails" \
  "notification.webhook.url or notification.webhook.existingSecret is required" \
  template mot "$chart" --kube-version "$kube" --set kafka.brokers=k:9092 --set redis.addr=r:6379 \
  --set notification.contactKeys.existingSecret=ck --set survey.publicUrl=https://s.example "${gate[@]}"
refuses "render without the contact keys' Secret fails" \
  "notification.contactKeys.existingSecret is required" \
  template mot "$chart" --kube-version "$kube" --set kafka.brokers=k:9092 --set redis.addr=r:6379 \
  --set notification.webhook.url=https://x --set survey.publicUrl=https://s.example "${gate[@]}"
refuses "render without the survey page's public address fails" "survey.publicUrl is required" \
  template mot "$chart" --kube-version "$kube" --set kafka.brokers=k:9092 --set redis.addr=r:6379 \
  --set notification.webhook.url=https://x --set notification.contactKeys.existingSecret=ck "${gate[@]}"
refuses "values.schema.json: survey.publicUrl is an http(s) address" "survey.publicUrl: Does not match pattern" \
  "${base[@]}" --set survey.publicUrl=survey.example.com
refuses "values.schema.json: kafka.brokers must be a string, not a list" \
  "kafka.brokers: Invalid type. Expected: string" \
  "${base[@]}" --set-json 'kafka.brokers=["kafka:9092"]'
refuses "values.schema.json: redis.addr must be a string" "redis.addr: Invalid type" \
  "${base[@]}" --set-json 'redis.addr={"host":"redis"}'
refuses "values.schema.json: a misspelled key is rejected" "Additional property replica is not allowed" \
  "${base[@]}" --set ticketing.replica=3
refuses "Kubernetes older than 1.24 (no gRPC probes) is refused" "incompatible with Kubernetes" \
  template mot "$chart" -f "$values" --kube-version 1.23.0

# The gRPC port's TLS Secret and the token key's Secret are required, each named.
refuses "render without grpc.tls.existingSecret fails with the required message" \
  "grpc.tls.existingSecret is required" "${base[@]}" --set grpc.tls.existingSecret=
refuses "render without auth.jwtPublicKeySecret fails with the required message" \
  "auth.jwtPublicKeySecret is required" "${base[@]}" --set auth.jwtPublicKeySecret=
refuses "render with neither of the two Secrets fails naming grpc.tls.existingSecret" \
  "grpc.tls.existingSecret is required" "${base[@]}" --set grpc.tls.existingSecret= \
  --set auth.jwtPublicKeySecret=
refuses "values.schema.json: grpc.tls.existingSecret must be a string" \
  "grpc.tls.existingSecret: Invalid type. Expected: string" \
  "${base[@]}" --set-json 'grpc.tls.existingSecret={"name":"t"}'
refuses "values.schema.json: grpc.callerRate is at least 1" \
  "grpc.callerRate: Must be greater than or equal to 1" "${base[@]}" --set grpc.callerRate=0
refuses "values.schema.json: grpc.callerRate is a whole number" \
  "grpc.callerRate: Invalid type. Expected: integer" "${base[@]}" --set grpc.callerRate=2.5
refuses "values.schema.json: grpc.callerBurst is at least 1" \
  "grpc.callerBurst: Must be greater than or equal to 1" "${base[@]}" --set grpc.callerBurst=0
refuses "values.schema.json: grpc.maxMessageBytes is at least 1024" \
  "grpc.maxMessageBytes: Must be greater than or equal to 1024" "${base[@]}" --set grpc.maxMessageBytes=512
refuses "values.schema.json: auth.leeway is a duration" \
  "auth.leeway: Does not match pattern" "${base[@]}" --set "auth.leeway=1 minute"
refuses "values.schema.json: ports.health is a port number" \
  "ports.health: Must be less than or equal to 65535" "${base[@]}" --set ports.health=70000

# The simulated clock (MOT_CLOCK=simulated) is the local mesh's, never a deployment's:
# MOT_CLOCK other than "system" in any extraEnv fails the render, naming MOT_CLOCK.
for key in kafka scheduler ticketing notification survey; do
  refuses "MOT_CLOCK=simulated in $key.extraEnv is refused" \
    "$key.extraEnv sets MOT_CLOCK=\"simulated\": the chart runs the services on the system clock only" \
    "${base[@]}" --set-json "$key.extraEnv=[{\"name\":\"MOT_CLOCK\",\"value\":\"simulated\"}]"
done
refuses "MOT_CLOCK from a valueFrom is refused (its value cannot be checked)" \
  "survey.extraEnv sets MOT_CLOCK from a valueFrom" "${base[@]}" \
  --set-json 'survey.extraEnv=[{"name":"MOT_CLOCK","valueFrom":{"configMapKeyRef":{"name":"c","key":"clock"}}}]'
refuses "MOT_CLOCK other than \"system\" (System) is refused" \
  'scheduler.extraEnv sets MOT_CLOCK="System"' "${base[@]}" \
  --set-json 'scheduler.extraEnv=[{"name":"MOT_CLOCK","value":"System"}]'

# The scheduler's settings.
refuses "values.schema.json: scheduler.partitions is at least 1" \
  "scheduler.partitions: Must be greater than or equal to 1" "${base[@]}" --set scheduler.partitions=0
refuses "values.schema.json: scheduler.partitions is at most 1024" \
  "scheduler.partitions: Must be less than or equal to 1024" "${base[@]}" --set scheduler.partitions=2000
refuses "values.schema.json: scheduler.claimLease is a duration" \
  "scheduler.claimLease: Does not match pattern" "${base[@]}" --set scheduler.claimLease=soon
refuses "values.schema.json: scheduler.retention is a duration" \
  "scheduler.retention: Does not match pattern" "${base[@]}" --set "scheduler.retention=5 years"
refuses "a claim lease equal to the default delivery timeout (30s) is refused" \
  "MOT_SCHEDULER_CLAIM_LEASE (30s, from scheduler.claimLease) must be longer than MOT_KAFKA_DELIVERY_TIMEOUT (30s, from the service's default)" \
  "${base[@]}" --set scheduler.claimLease=30s
refuses "the default claim lease (60s) under a delivery timeout of 2m from kafka.extraEnv is refused" \
  "MOT_SCHEDULER_CLAIM_LEASE (60s, from the service's default) must be longer than MOT_KAFKA_DELIVERY_TIMEOUT (2m, from kafka.extraEnv)" \
  "${base[@]}" --set-json 'kafka.extraEnv=[{"name":"MOT_KAFKA_DELIVERY_TIMEOUT","value":"2m"}]'
refuses "a claim lease from scheduler.extraEnv is checked too" \
  "MOT_SCHEDULER_CLAIM_LEASE (20s, from scheduler.extraEnv) must be longer than" \
  "${base[@]}" --set-json 'scheduler.extraEnv=[{"name":"MOT_SCHEDULER_CLAIM_LEASE","value":"20s"}]'
refuses "a delivery timeout that is no duration is refused" \
  'MOT_KAFKA_DELIVERY_TIMEOUT="soon" is not a duration' \
  "${base[@]}" --set-json 'scheduler.extraEnv=[{"name":"MOT_KAFKA_DELIVERY_TIMEOUT","value":"soon"}]'
refuses "scheduler.claimLease and MOT_SCHEDULER_CLAIM_LEASE in extraEnv together are refused" \
  "scheduler.claimLease and scheduler.extraEnv both set MOT_SCHEDULER_CLAIM_LEASE" \
  "${base[@]}" --set scheduler.claimLease=2m \
  --set-json 'scheduler.extraEnv=[{"name":"MOT_SCHEDULER_CLAIM_LEASE","value":"3m"}]'
check "a claim lease of 1mo over a delivery timeout of 4w1d23h59m59s999ms renders" \
  h "${base[@]}" --set scheduler.claimLease=1mo \
  --set-json 'kafka.extraEnv=[{"name":"MOT_KAFKA_DELIVERY_TIMEOUT","value":"4w1d23h59m59s999ms"}]'

# --- assertions on the rendered objects ---
"$py" - "$work" "$root" >"$work/assertions.out" 2>&1 <<'EOF'
import hashlib, sys, yaml

work, root = sys.argv[1], sys.argv[2]
def load(name):
    return [d for d in yaml.safe_load_all(open("%s/%s.yaml" % (work, name))) if d]
full, nomon, defaults, override, secure, settings = (
    load(n) for n in ("full", "nomonitoringapi", "defaults", "override", "secure", "settings"))

def check(desc, cond, detail=""):
    print(("ok   " if cond else "FAIL ") + desc + ("" if cond or not detail else "\n     | %s" % (detail,)))

def kinds(docs, kind):
    return [d for d in docs if d["kind"] == kind]

def by_component(docs, kind):
    return {d["metadata"]["labels"]["app.kubernetes.io/component"]: d for d in kinds(docs, kind)}

def env_of(container):
    return {e["name"]: e.get("value", e.get("valueFrom")) for e in container.get("env", [])}

services = {"touchpoint-scheduler": ("MOT_PLAYBOOK", "playbook.yaml"),
            "ticketing": ("MOT_SLA_POLICY", "sla.yaml"),
            "notification": ("MOT_TEMPLATES", "templates.yaml"),
            "survey": ("MOT_SURVEYS", "surveys.yaml")}

# ConfigMap: the shipped files, byte for byte.
cms = kinds(full, "ConfigMap")
check("one ConfigMap", len(cms) == 1, [d["metadata"]["name"] for d in cms])
cm = cms[0]["data"] if cms else {}
for f in ("playbook.yaml", "sla.yaml", "templates.yaml", "channels.yaml", "surveys.yaml"):
    shipped = open("%s/deploy/config/%s" % (root, f), encoding="utf-8").read()
    check("ConfigMap %s equals deploy/config/%s" % (f, f), cm.get(f) == shipped)
ocm = kinds(override, "ConfigMap")[0]["data"]
check("config.playbook replaces the shipped playbook",
      ocm["playbook.yaml"] == "steps: []\n# overridden\n", ocm["playbook.yaml"][:80])
check("config.playbook leaves the other files as shipped",
      ocm["sla.yaml"] == open(root + "/deploy/config/sla.yaml", encoding="utf-8").read())

deps = by_component(full, "Deployment")
check("four Deployments", sorted(deps) == sorted(services), sorted(deps))
odeps = by_component(override, "Deployment")
for name, (var, cfile) in services.items():
    d = deps.get(name)
    if d is None:
        check("%s: Deployment rendered" % name, False)
        continue
    pod = d["spec"]["template"]["spec"]
    c = pod["containers"][0]
    env = env_of(c)
    check("%s runs /usr/local/bin/%s" % (name, name),
          c.get("command") == ["/usr/local/bin/" + name] and not c.get("args"), c.get("command"))
    check("%s uses the image registry.example/motmesh:1.2.3" % name,
          c["image"] == "registry.example/motmesh:1.2.3", c["image"])
    rp, lp = c.get("readinessProbe", {}), c.get("livenessProbe", {})
    check("%s: gRPC readiness and liveness probes on the plain-text health port 8081" % name,
          rp.get("grpc", {}).get("port") == 8081 and lp.get("grpc", {}).get("port") == 8081
          and "httpGet" not in rp and "tcpSocket" not in rp, (rp, lp))
    ports = {p["name"]: p["containerPort"] for p in c["ports"]}
    web = {"web": 8080} if name == "survey" else {}  # the survey web page
    if name == "touchpoint-scheduler":
        web = {"ingest": 8443}  # the event webhook
        check("the scheduler takes CloudEvents over HTTPS on 8443",
              {"name": "MOT_INGEST_HTTP_ADDR", "value": "0.0.0.0:8443"} in c["env"], c["env"])
    check("%s: container ports grpc 50051, metrics 9464, health 8081%s" % (name, ", %s" % web if web else ""),
          ports == {"grpc": 50051, "metrics": 9464, "health": 8081, **web}, ports)
    want = {"MOT_KAFKA_BROKERS": "kafka-0.kafka:9092,kafka-1.kafka:9092",
            "MOT_REDIS_ADDR": "redis-master:6379", "MOT_GRPC_ADDR": "0.0.0.0:50051",
            "MOT_METRICS_ADDR": "0.0.0.0:9464", "MOT_HEALTH_ADDR": "0.0.0.0:8081",
            "MOT_LOG_LEVEL": "info", var: "/etc/motmesh/" + cfile}
    check("%s: env (brokers, redis, addresses with health, log level, %s)" % (name, var),
          all(env.get(k) == v for k, v in want.items()),
          {k: env.get(k) for k in want})
    mounts = {m["mountPath"]: m["name"] for m in c["volumeMounts"]}
    vols = {v["name"]: v for v in pod["volumes"]}
    check("%s: the ConfigMap is mounted at /etc/motmesh" % name,
          vols.get(mounts.get("/etc/motmesh"), {}).get("configMap", {}).get("name")
          == cms[0]["metadata"]["name"] if cms else False)
    sc, psc = c.get("securityContext", {}), pod.get("securityContext", {})
    check("%s: non-root, read-only root filesystem, no capabilities, no SA token" % name,
          psc.get("runAsNonRoot") is True and psc.get("runAsUser") == 10001
          and sc.get("readOnlyRootFilesystem") is True and sc.get("allowPrivilegeEscalation") is False
          and sc.get("capabilities", {}).get("drop") == ["ALL"]
          and pod.get("automountServiceAccountToken") is False, (psc, sc))
    check("%s: terminationGracePeriodSeconds 30" % name, pod.get("terminationGracePeriodSeconds") == 30)
    ann = d["spec"]["template"]["metadata"].get("annotations", {})
    oann = odeps[name]["spec"]["template"]["metadata"].get("annotations", {})
    check("%s: checksum/config annotation changes with the config" % name,
          len(ann.get("checksum/config", "")) == 64
          and ann.get("checksum/config") != oann.get("checksum/config"))
    oc = odeps[name]["spec"]["template"]["spec"]["containers"][0]
    oenv = env_of(oc)
    check("%s: ports come from values (gRPC 6000, metrics 6001, health 6002 with the probes)" % name,
          oenv.get("MOT_GRPC_ADDR") == "0.0.0.0:6000" and oenv.get("MOT_METRICS_ADDR") == "0.0.0.0:6001"
          and oenv.get("MOT_HEALTH_ADDR") == "0.0.0.0:6002"
          and oc.get("readinessProbe", {}).get("grpc", {}).get("port") == 6002
          and oc.get("livenessProbe", {}).get("grpc", {}).get("port") == 6002
          and {"name": "health", "containerPort": 6002, "protocol": "TCP"} in oc.get("ports", []))

# The gRPC port's TLS and bearer tokens: every service reads its certificate, key, the
# token key and (only with grpc.tls.clientCASecret) the client CA from Secrets mounted
# read-only, mode 0440, and gets the gate's settings from values.
def secret_file(pod, c, var):
    """(Secret, key, defaultMode) of the file env var names, if a read-only Secret mount holds it."""
    path = env_of(c).get(var)
    if not isinstance(path, str):
        return None
    vols = {v["name"]: v for v in pod.get("volumes", [])}
    for m in c.get("volumeMounts", []):
        prefix = m["mountPath"].rstrip("/") + "/"
        if not path.startswith(prefix):
            continue
        sec = vols.get(m["name"], {}).get("secret")
        if not sec or m.get("readOnly") is not True:
            return None
        rel = path[len(prefix):]
        items = sec.get("items")
        key = next((i["key"] for i in items if i["path"] == rel), None) if items else rel
        return (sec.get("secretName"), key, sec.get("defaultMode"))
    return None

gate_cases = (
    ("test values", full, "grpc-tls", "jwt-pub", None,
     {"MOT_AUTH_JWT_ISSUER": "motmesh", "MOT_AUTH_JWT_LEEWAY": "60s", "MOT_GRPC_CALLER_RATE": "100",
      "MOT_GRPC_CALLER_BURST": "200", "MOT_GRPC_MAX_MESSAGE_BYTES": "1048576"}),
    ("defaults", defaults, "tls", "jwt", None,
     {"MOT_AUTH_JWT_ISSUER": "motmesh", "MOT_AUTH_JWT_LEEWAY": "60s", "MOT_GRPC_CALLER_RATE": "100",
      "MOT_GRPC_CALLER_BURST": "200", "MOT_GRPC_MAX_MESSAGE_BYTES": "1048576"}),
    ("mutual TLS", secure, "mesh-tls", "mesh-jwt", "mesh-client-ca",
     {"MOT_AUTH_JWT_ISSUER": "corp-issuer", "MOT_AUTH_JWT_LEEWAY": "2m", "MOT_GRPC_CALLER_RATE": "5",
      "MOT_GRPC_CALLER_BURST": "20", "MOT_GRPC_MAX_MESSAGE_BYTES": "4194304"}),
)
for label, docs, tls, jwt, client_ca, settings_want in gate_cases:
    gdeps = by_component(docs, "Deployment")
    check("%s: four Deployments behind the gate" % label, sorted(gdeps) == sorted(services), sorted(gdeps))
    for name, d in sorted(gdeps.items()):
        pod = d["spec"]["template"]["spec"]
        c = pod["containers"][0]
        env = env_of(c)
        files = {v: secret_file(pod, c, v) for v in
                 ("MOT_TLS_CERT_FILE", "MOT_TLS_KEY_FILE", "MOT_TLS_CLIENT_CA_FILE", "MOT_AUTH_JWT_PUBLIC_KEY_FILE")}
        check("%s: %s: MOT_TLS_CERT_FILE, MOT_TLS_KEY_FILE in Secret %s (tls.crt, tls.key), read-only, 0440"
              % (label, name, tls),
              files["MOT_TLS_CERT_FILE"] == (tls, "tls.crt", 0o440)
              and files["MOT_TLS_KEY_FILE"] == (tls, "tls.key", 0o440), files)
        check("%s: %s: MOT_AUTH_JWT_PUBLIC_KEY_FILE in Secret %s (jwt.pub), read-only, 0440" % (label, name, jwt),
              files["MOT_AUTH_JWT_PUBLIC_KEY_FILE"] == (jwt, "jwt.pub", 0o440), files)
        secrets_mounted = sorted(v["secret"]["secretName"] for v in pod.get("volumes", []) if "secret" in v)
        if client_ca:
            check("%s: %s: MOT_TLS_CLIENT_CA_FILE in Secret %s (ca.crt), read-only, 0440"
                  % (label, name, client_ca),
                  files["MOT_TLS_CLIENT_CA_FILE"] == (client_ca, "ca.crt", 0o440)
                  and secrets_mounted == sorted([tls, jwt, client_ca]), (files, secrets_mounted))
        else:
            check("%s: %s: no MOT_TLS_CLIENT_CA_FILE and no client CA mounted without grpc.tls.clientCASecret"
                  % (label, name),
                  "MOT_TLS_CLIENT_CA_FILE" not in env and secrets_mounted == sorted([tls, jwt]),
                  (env.get("MOT_TLS_CLIENT_CA_FILE"), secrets_mounted))
        rp, lp = c.get("readinessProbe", {}), c.get("livenessProbe", {})
        check("%s: %s: MOT_HEALTH_ADDR 0.0.0.0:8081 and both probes on it, not on the TLS port" % (label, name),
              env.get("MOT_HEALTH_ADDR") == "0.0.0.0:8081"
              and rp.get("grpc", {}).get("port") == 8081 and lp.get("grpc", {}).get("port") == 8081, (rp, lp))
        check("%s: %s: issuer, leeway, caller rate and burst, max message size from values" % (label, name),
              all(env.get(k) == v for k, v in settings_want.items()), {k: env.get(k) for k in settings_want})
check("the topics Job gets no gRPC TLS or token settings (it talks to Kafka only)",
      all(not any(k.startswith(("MOT_TLS_", "MOT_AUTH_", "MOT_GRPC_", "MOT_HEALTH_"))
                  for k in env_of(j["spec"]["template"]["spec"]["containers"][0]))
          and not j["spec"]["template"]["spec"].get("volumes")
          for j in kinds(full, "Job") + kinds(secure, "Job")))

sched = env_of(deps["touchpoint-scheduler"]["spec"]["template"]["spec"]["containers"][0])
check("scheduler: MOT_SCHEDULER_TICK 1s and extraEnv MOT_SCHEDULER_BATCH",
      sched.get("MOT_SCHEDULER_TICK") == "1s" and sched.get("MOT_SCHEDULER_BATCH") == "50", sched)
new_settings = ("MOT_SCHEDULER_PARTITIONS", "MOT_SCHEDULER_CLAIM_LEASE", "MOT_SCHEDULER_RETENTION")
for label, docs in (("test values", full), ("defaults", defaults)):
    envs = {n: env_of(d["spec"]["template"]["spec"]["containers"][0])
            for n, d in by_component(docs, "Deployment").items()}
    check("%s: partitions, claim lease and retention are not passed unless set" % label,
          envs and not any(k in e for e in envs.values() for k in new_settings),
          {n: sorted(k for k in e if k in new_settings) for n, e in envs.items()})
    check("%s: no MOT_CLOCK (the services' default is the system clock)" % label,
          envs and not any("MOT_CLOCK" in e for e in envs.values()))
senvs = {n: env_of(d["spec"]["template"]["spec"]["containers"][0])
         for n, d in by_component(settings, "Deployment").items()}
ssched = senvs.get("touchpoint-scheduler", {})
check("scheduler.partitions/claimLease/retention become MOT_SCHEDULER_PARTITIONS 32, "
      "MOT_SCHEDULER_CLAIM_LEASE 90s, MOT_SCHEDULER_RETENTION 7y",
      ssched.get("MOT_SCHEDULER_PARTITIONS") == "32" and ssched.get("MOT_SCHEDULER_CLAIM_LEASE") == "90s"
      and ssched.get("MOT_SCHEDULER_RETENTION") == "7y" and ssched.get("MOT_SCHEDULER_TICK") == "1s",
      {k: ssched.get(k) for k in new_settings})
check("the scheduler's settings go to the scheduler only",
      len(senvs) == 4 and not any(k in e for n, e in senvs.items() if n != "touchpoint-scheduler"
                                  for k in new_settings))
check("kafka.extraEnv MOT_KAFKA_DELIVERY_TIMEOUT reaches every service",
      len(senvs) == 4 and all(e.get("MOT_KAFKA_DELIVERY_TIMEOUT") == "45s" for e in senvs.values()))
retention_want = {"ticketing": ("MOT_TICKET_RETENTION", "6y"),
                  "notification": ("MOT_DELIVERY_RETENTION", "3y"),
                  "survey": ("MOT_SURVEY_RETENTION", "10y")}
check("ticketing/notification/survey.retention become each one's retention variable only",
      all(senvs.get(n, {}).get(var) == v for n, (var, v) in retention_want.items())
      and all(var not in e for n, e in senvs.items() for m, (var, _) in retention_want.items() if m != n),
      {n: {var: e.get(var) for _, (var, _) in retention_want.items()} for n, e in senvs.items()})
check("no retention variable is passed unless set",
      all(var not in env_of(d["spec"]["template"]["spec"]["containers"][0])
          for d in by_component(defaults, "Deployment").values() for var, _ in retention_want.values()))
check("MOT_CLOCK=system in ticketing.extraEnv is accepted",
      senvs.get("ticketing", {}).get("MOT_CLOCK") == "system", senvs.get("ticketing"))

check("scheduler: 2 replicas, the others 1",
      deps["touchpoint-scheduler"]["spec"]["replicas"] == 2 and deps["survey"]["spec"]["replicas"] == 1)

# Webhook: the chart's Secret, or an existing one.
secrets = kinds(full, "Secret")
notif = env_of(deps["notification"]["spec"]["template"]["spec"]["containers"][0])
ref = (notif.get("MOT_WEBHOOK_URL") or {}).get("secretKeyRef", {})
check("notification: MOT_WEBHOOK_URL from the chart's Secret",
      len(secrets) == 1 and ref.get("name") == secrets[0]["metadata"]["name"]
      and ref.get("key") in secrets[0].get("data", {}), (ref, [s["metadata"]["name"] for s in secrets]))
dnotif = env_of(by_component(defaults, "Deployment")["notification"]["spec"]["template"]["spec"]["containers"][0])
check("notification: existingSecret/key are used and no Secret is made",
      dnotif.get("MOT_WEBHOOK_URL") == {"secretKeyRef": {"name": "robot", "key": "webhook-url"}}
      and not kinds(defaults, "Secret"), dnotif.get("MOT_WEBHOOK_URL"))

check("notification: MOT_CHANNELS names the shipped channels.yaml",
      notif.get("MOT_CHANNELS") == "/etc/motmesh/channels.yaml", notif.get("MOT_CHANNELS"))
check("notification: MOT_CONTACT_KEYS from the named Secret and key, nowhere else",
      notif.get("MOT_CONTACT_KEYS") == {"secretKeyRef": {"name": "contact-keys", "key": "keys"}}
      and dnotif.get("MOT_CONTACT_KEYS") == {"secretKeyRef": {"name": "keys", "key": "k"}}
      and not any("MOT_CONTACT_KEYS" in env_of(d["spec"]["template"]["spec"]["containers"][0])
                  for n, d in deps.items() if n != "notification"), notif.get("MOT_CONTACT_KEYS"))

ncontainer = deps["notification"]["spec"]["template"]["spec"]["containers"][0]
check("notification: the providers' Secret as environment, for notification only",
      ncontainer.get("envFrom") == [{"secretRef": {"name": "providers"}}]
      and not any("envFrom" in d["spec"]["template"]["spec"]["containers"][0]
                  for n, d in deps.items() if n != "notification")
      and "envFrom" not in by_component(defaults, "Deployment")["notification"]["spec"]["template"]["spec"]["containers"][0],
      ncontainer.get("envFrom"))

# Services select exactly their Deployment's pods.
svcs = by_component(full, "Service")
check("four Services", sorted(svcs) == sorted(services), sorted(svcs))
for name, s in svcs.items():
    sel = s["spec"]["selector"]
    matches = [n for n, d in deps.items()
               if all(d["spec"]["template"]["metadata"]["labels"].get(k) == v for k, v in sel.items())]
    ports = {p["name"]: (p["port"], p["targetPort"]) for p in s["spec"]["ports"]}
    web = {"web": (8080, "web")} if name == "survey" else {}  # the survey web page
    if name == "touchpoint-scheduler":
        web = {"ingest": (8443, "ingest")}  # the event webhook
    check("Service %s selects only its pods, ports grpc and metrics%s" % (name, " and %s" % web if web else ""),
          matches == [name] and ports == {"grpc": (50051, "grpc"), "metrics": (9464, "metrics"), **web},
          (matches, ports))

# No selector carries helm.sh/chart (it changes on every chart upgrade).
selectors = []
for label, d in [("full", d) for d in full] + [("defaults", d) for d in defaults]:
    spec = d.get("spec", {})
    if d["kind"] in ("Deployment", "PodDisruptionBudget", "ServiceMonitor"):
        selectors.append((d["kind"], d["metadata"]["name"], spec["selector"].get("matchLabels", {})))
    if d["kind"] == "Deployment":
        check("%s: Deployment %s: selector matches its pod labels" % (label, d["metadata"]["name"]),
              all(d["spec"]["template"]["metadata"]["labels"].get(k) == v
                  for k, v in spec["selector"]["matchLabels"].items()))
    if d["kind"] == "Service":
        selectors.append((d["kind"], d["metadata"]["name"], spec["selector"]))
bad = [s for s in selectors if "helm.sh/chart" in s[2] or "app.kubernetes.io/version" in s[2]]
check("no selector contains helm.sh/chart or the version (%d selectors)" % len(selectors),
      selectors and not bad, bad)

# PodDisruptionBudget only where replicas > 1.
pdbs = by_component(full, "PodDisruptionBudget")
check("a PodDisruptionBudget for the 2-replica scheduler only", sorted(pdbs) == ["touchpoint-scheduler"], sorted(pdbs))
check("no PodDisruptionBudget with 1 replica each", not kinds(defaults, "PodDisruptionBudget"))

# The topics hook Job.
jobs = kinds(full, "Job")
cmd = jobs[0]["spec"]["template"]["spec"]["containers"][0]["command"] if jobs else None
check("topics Job runs motctl topics ensure with brokers, 6 partitions, replication 3",
      cmd == ["/usr/local/bin/motctl", "--brokers", "kafka-0.kafka:9092,kafka-1.kafka:9092",
              "topics", "ensure", "--partitions", "6", "--replication-factor", "3"], cmd)
check("topics Job is a pre-install,pre-upgrade hook",
      bool(jobs) and jobs[0]["metadata"]["annotations"].get("helm.sh/hook") == "pre-install,pre-upgrade")
ojob = kinds(override, "Job")
ocmd = ojob[0]["spec"]["template"]["spec"]["containers"][0]["command"] if ojob else []
check("topics.partitions and topics.replicationFactor come from values",
      ocmd[-4:] == ["--partitions", "12", "--replication-factor", "1"], ocmd)
jpod = jobs[0]["spec"]["template"]["spec"] if jobs else {}
check("topics Job: non-root, read-only root, no capabilities, no SA token",
      jpod.get("securityContext", {}).get("runAsNonRoot") is True
      and jpod["containers"][0]["securityContext"].get("readOnlyRootFilesystem") is True
      and jpod.get("automountServiceAccountToken") is False)
check("topics.create=false renders no Job", not kinds(defaults, "Job"))

# Prometheus Operator objects: only with the API and the value.
check("ServiceMonitor rendered with monitoring.coreos.com/v1 and serviceMonitor.enabled",
      len(kinds(full, "ServiceMonitor")) == 1)
check("ServiceMonitor absent without the monitoring.coreos.com/v1 API", not kinds(nomon, "ServiceMonitor"))
check("PrometheusRule absent without the monitoring.coreos.com/v1 API", not kinds(nomon, "PrometheusRule"))
check("ServiceMonitor and PrometheusRule absent by default",
      not kinds(defaults, "ServiceMonitor") and not kinds(defaults, "PrometheusRule"))
sm = kinds(full, "ServiceMonitor")
if sm:
    ep = sm[0]["spec"]["endpoints"]
    sel = sm[0]["spec"]["selector"]["matchLabels"]
    selected = sorted(n for n, s in svcs.items() if all(s["metadata"]["labels"].get(k) == v for k, v in sel.items()))
    check("ServiceMonitor scrapes /metrics on port metrics of the four Services",
          ep[0]["port"] == "metrics" and ep[0]["path"] == "/metrics" and selected == sorted(services), (ep, selected))
rules = kinds(full, "PrometheusRule")
shipped = yaml.safe_load(open(root + "/deploy/prometheus/rules.yaml", encoding="utf-8"))["groups"]
check("PrometheusRule groups equal deploy/prometheus/rules.yaml's",
      len(rules) == 1 and rules[0]["spec"]["groups"] == shipped)

# Secured Kafka and Redis: every Kafka client gets the options, services the Redis password.
want_kafka = {"MOT_KAFKA_OPT_SECURITY_PROTOCOL": "SASL_SSL",
              "MOT_KAFKA_OPT_SASL_MECHANISMS": "SCRAM-SHA-512",
              "MOT_KAFKA_OPT_SASL_PASSWORD": {"secretKeyRef": {"name": "kafka-user", "key": "password"}}}
for d in kinds(secure, "Deployment") + kinds(secure, "Job"):
    env = env_of(d["spec"]["template"]["spec"]["containers"][0])
    check("%s %s gets kafka.options and kafka.extraEnv" % (d["kind"], d["metadata"]["name"]),
          all(env.get(k) == v for k, v in want_kafka.items()), env)
    if d["kind"] == "Deployment":
        check("%s gets MOT_REDIS_PASSWORD from redis.existingSecret" % d["metadata"]["name"],
              env.get("MOT_REDIS_PASSWORD") == {"secretKeyRef": {"name": "redis-auth", "key": "password"}},
              env.get("MOT_REDIS_PASSWORD"))
check("no Redis password env without redis.existingSecret",
      all("MOT_REDIS_PASSWORD" not in env_of(d["spec"]["template"]["spec"]["containers"][0])
          for d in kinds(full, "Deployment")))

# Every object carries the app.kubernetes.io labels.
missing = [d["metadata"]["name"] for d in full
           if not {"app.kubernetes.io/name", "app.kubernetes.io/instance", "app.kubernetes.io/managed-by"}
           <= set(d["metadata"].get("labels", {}))]
check("every object has the app.kubernetes.io labels", not missing, missing)
EOF
py_rc=$?
cat "$work/assertions.out"
passed=$((passed + $(grep -c '^ok ' "$work/assertions.out")))
failed=$((failed + $(grep -c '^FAIL ' "$work/assertions.out")))
if [ "$py_rc" != 0 ]; then
  not_ok "the assertions ran to the end (python exited $py_rc)"
fi

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
