{{/* Chart name, overridable. */}}
{{- define "motmesh.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Fully qualified app name: <release>-<chart>, or the release name alone when it
already contains the chart name. Truncated to 63 characters (DNS label).
*/}}
{{- define "motmesh.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/* Chart name and version, for the helm.sh/chart label. */}}
{{- define "motmesh.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels on every object. Never used as a selector (helm.sh/chart changes on upgrade). */}}
{{- define "motmesh.labels" -}}
helm.sh/chart: {{ include "motmesh.chart" . }}
{{ include "motmesh.selectorLabels" . }}
app.kubernetes.io/version: {{ .Values.image.tag | default .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: motmesh
{{- end }}

{{/* Selector labels: stable across upgrades. */}}
{{- define "motmesh.selectorLabels" -}}
app.kubernetes.io/name: {{ include "motmesh.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* Labels of one component's objects. Argument: dict "root" $ "component" NAME. */}}
{{- define "motmesh.componentLabels" -}}
{{ include "motmesh.labels" .root }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{/* Selector labels of one component. Argument: dict "root" $ "component" NAME. */}}
{{- define "motmesh.componentSelectorLabels" -}}
{{ include "motmesh.selectorLabels" .root }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{/* Name of one component's objects. Argument: dict "root" $ "component" NAME. */}}
{{- define "motmesh.componentName" -}}
{{- printf "%s-%s" (include "motmesh.fullname" .root) .component | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
The four services: binary (= component) name, values key, and the YAML files each
reads from /etc/motmesh with the variables that name them. Use:
(include "motmesh.components" . | fromYaml).components
*/}}
{{- define "motmesh.components" -}}
components:
  - name: touchpoint-scheduler
    key: scheduler
    configs:
      - {env: MOT_PLAYBOOK, file: playbook.yaml}
      - {env: MOT_TEMPLATES, file: templates.yaml}
  - name: ticketing
    key: ticketing
    configs:
      - {env: MOT_SLA_POLICY, file: sla.yaml}
  - name: notification
    key: notification
    configs:
      - {env: MOT_TEMPLATES, file: templates.yaml}
      - {env: MOT_CHANNELS, file: channels.yaml}
  - name: survey
    key: survey
    configs:
      - {env: MOT_SURVEYS, file: surveys.yaml}
{{- end }}

{{- define "motmesh.image" -}}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion) }}
{{- end }}

{{- define "motmesh.kafkaBrokers" -}}
{{- required "kafka.brokers is required: the Kafka bootstrap servers, host:port[,host:port] (e.g. --set kafka.brokers=kafka:9092)" .Values.kafka.brokers }}
{{- end }}

{{- define "motmesh.redisAddr" -}}
{{- required "redis.addr is required: the Redis host:port (e.g. --set redis.addr=redis:6379)" .Values.redis.addr }}
{{- end }}

{{/* Env of every Kafka client: MOT_KAFKA_OPT_* from kafka.options, then kafka.extraEnv. */}}
{{- define "motmesh.kafkaEnv" -}}
{{- range $property, $value := .Values.kafka.options }}
- name: {{ printf "MOT_KAFKA_OPT_%s" ($property | upper | replace "." "_") }}
  value: {{ $value | toString | quote }}
{{- end }}
{{- with .Values.kafka.extraEnv }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* The Secret holding MOT_WEBHOOK_URL: an existing one, or the chart's own. */}}
{{- define "motmesh.webhookSecretName" -}}
{{- $w := .Values.notification.webhook }}
{{- if $w.existingSecret }}
{{- $w.existingSecret }}
{{- else if $w.url }}
{{- printf "%s-webhook" (include "motmesh.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- fail "notification.webhook.url or notification.webhook.existingSecret is required: the WeCom/DingTalk robot webhook (MOT_WEBHOOK_URL) that notification delivers through" }}
{{- end }}
{{- end }}

{{- define "motmesh.webhookSecretKey" -}}
{{- if .Values.notification.webhook.existingSecret }}
{{- .Values.notification.webhook.key | default "url" }}
{{- else }}
{{- print "url" }}
{{- end }}
{{- end }}

{{/* The content of one config file: the value if set, else the file shipped in config/. */}}
{{- define "motmesh.configFile" -}}
{{- $override := index .root.Values.config .key }}
{{- if $override }}
{{- $override }}
{{- else }}
{{- $content := .root.Files.Get (printf "config/%s" .file) }}
{{- if not $content }}
{{- fail (printf "config/%s is missing from the chart (a symlink to deploy/config/%s)" .file .file) }}
{{- end }}
{{- $content }}
{{- end }}
{{- end }}

{{/*
Milliseconds in a duration written as the services read it: a number and a unit (ms, s,
m, h, d, w, mo = 30d, y = 365d), repeated (1h30m). Argument: dict "value" TEXT "what"
NAME (the variable, for the error).
*/}}
{{- define "motmesh.durationMs" -}}
{{- $text := .value | toString }}
{{- if not (regexMatch "^([0-9]+(ms|mo|s|m|h|d|w|y))+$" $text) }}
{{- fail (printf "%s=%q is not a duration: expected a number and a unit (ms, s, m, h, d, w, mo, y), e.g. 200ms, 30s, 2h, 90d" .what $text) }}
{{- end }}
{{- $unitMs := dict "ms" 1 "s" 1000 "m" 60000 "h" 3600000 "d" 86400000 "w" 604800000 "mo" 2592000000 "y" 31536000000 }}
{{- $total := 0 }}
{{- range regexFindAll "[0-9]+(ms|mo|s|m|h|d|w|y)" $text -1 }}
{{- $n := regexFind "^[0-9]+" . }}
{{- $total = add $total (mul (atoi $n) (index $unitMs (trimPrefix $n .))) }}
{{- end }}
{{- $total }}
{{- end }}

{{/*
The value a list of env entries leaves a variable with, the last entry winning as in a
container. Argument: dict "env" LIST "where" NAME-OF-LIST "name" VARIABLE "default" THE
SERVICE'S-DEFAULT and the variable so far: "value", "from" (where that came from) and
"known" (false when from a valueFrom). Returns the same three as YAML. An empty value
leaves the variable at the service's default.
*/}}
{{- define "motmesh.envValue" -}}
{{- $r := dict "value" .value "from" .from "known" .known }}
{{- range .env }}
{{- if eq (toString .name) $.name }}
{{- if hasKey . "valueFrom" }}
{{- $_ := set $r "known" false }}
{{- $_ := set $r "from" (printf "a valueFrom in %s" $.where) }}
{{- else if .value }}
{{- $_ := set $r "known" true }}
{{- $_ := set $r "value" (toString .value) }}
{{- $_ := set $r "from" $.where }}
{{- else }}
{{- $_ := set $r "known" true }}
{{- $_ := set $r "value" $.default }}
{{- $_ := set $r "from" "the service's default" }}
{{- end }}
{{- end }}
{{- end }}
{{- toYaml $r }}
{{- end }}

{{/*
Refuses (fails the render) what the services must not run with:
- MOT_CLOCK set to anything but "system" in kafka.extraEnv (every Kafka client) or a
  service's extraEnv: MOT_CLOCK=simulated is the local mesh's shared test clock
  (deploy/local), never a deployment's;
- a scheduler setting given both as a value (scheduler.partitions, .claimLease,
  .retention) and in scheduler.extraEnv;
- a claim lease (MOT_SCHEDULER_CLAIM_LEASE) not longer than the Kafka delivery timeout
  (MOT_KAFKA_DELIVERY_TIMEOUT): the scheduler would refuse to start.
*/}}
{{- define "motmesh.validate" -}}
{{- $sources := list (list "kafka.extraEnv" .Values.kafka.extraEnv) }}
{{- range (include "motmesh.components" . | fromYaml).components }}
{{- $sources = append $sources (list (printf "%s.extraEnv" .key) (index $.Values .key).extraEnv) }}
{{- end }}
{{- range $sources }}
{{- $where := index . 0 }}
{{- range (index . 1) }}
{{- if eq (toString .name) "MOT_CLOCK" }}
{{- if hasKey . "valueFrom" }}
{{- fail (printf "%s sets MOT_CLOCK from a valueFrom: the chart runs the services on the system clock only (MOT_CLOCK=simulated is the local mesh's test clock, never a deployment's). Remove MOT_CLOCK from %s or set its value to \"system\"." $where $where) }}
{{- else if ne (toString (.value | default "")) "system" }}
{{- fail (printf "%s sets MOT_CLOCK=%q: the chart runs the services on the system clock only (MOT_CLOCK=simulated is the local mesh's test clock, never a deployment's). Remove MOT_CLOCK from %s or set it to \"system\"." $where (toString (.value | default "")) $where) }}
{{- end }}
{{- end }}
{{- end }}
{{- end }}

{{- $s := .Values.scheduler }}
{{- range list (list "partitions" "MOT_SCHEDULER_PARTITIONS") (list "claimLease" "MOT_SCHEDULER_CLAIM_LEASE") (list "retention" "MOT_SCHEDULER_RETENTION") }}
{{- $key := index . 0 }}
{{- $var := index . 1 }}
{{- if not (empty (index $s $key)) }}
{{- range $s.extraEnv }}
{{- if eq (toString .name) $var }}
{{- fail (printf "scheduler.%s and scheduler.extraEnv both set %s: set it in one place only" $key $var) }}
{{- end }}
{{- end }}
{{- end }}
{{- end }}

{{- $lease := dict "value" "60s" "from" "the service's default" "known" true }}
{{- if $s.claimLease }}
{{- $lease = dict "value" $s.claimLease "from" "scheduler.claimLease" "known" true }}
{{- end }}
{{- $lease = include "motmesh.envValue" (dict "env" $s.extraEnv "name" "MOT_SCHEDULER_CLAIM_LEASE" "default" "60s" "value" $lease.value "from" $lease.from "known" $lease.known "where" "scheduler.extraEnv") | fromYaml }}
{{- $timeout := dict "value" "30s" "from" "the service's default" "known" true }}
{{- range list (list "kafka.extraEnv" .Values.kafka.extraEnv) (list "scheduler.extraEnv" $s.extraEnv) }}
{{- $timeout = include "motmesh.envValue" (dict "env" (index . 1) "name" "MOT_KAFKA_DELIVERY_TIMEOUT" "default" "30s" "value" $timeout.value "from" $timeout.from "known" $timeout.known "where" (index . 0)) | fromYaml }}
{{- end }}
{{- if and $lease.known $timeout.known }}
{{- $leaseMs := include "motmesh.durationMs" (dict "value" $lease.value "what" "MOT_SCHEDULER_CLAIM_LEASE") | atoi }}
{{- $timeoutMs := include "motmesh.durationMs" (dict "value" $timeout.value "what" "MOT_KAFKA_DELIVERY_TIMEOUT") | atoi }}
{{- if le $leaseMs $timeoutMs }}
{{- fail (printf "MOT_SCHEDULER_CLAIM_LEASE (%s, from %s) must be longer than MOT_KAFKA_DELIVERY_TIMEOUT (%s, from %s): a slow publish must not outlive the scheduler's claim on a touchpoint, and the scheduler refuses to start otherwise. Raise scheduler.claimLease or lower the delivery timeout." $lease.value $lease.from $timeout.value $timeout.from) }}
{{- end }}
{{- end }}
{{- end }}

{{/* The Secret holding MOT_CONTACT_KEYS: an existing one (required). */}}
{{- define "motmesh.contactKeysSecretName" -}}
{{- .Values.notification.contactKeys.existingSecret | required "notification.contactKeys.existingSecret is required: the Secret holding MOT_CONTACT_KEYS, the keys that seal owners' contact data" }}
{{- end }}

{{/* The survey web page's public address (MOT_SURVEY_LINK_BASE): required. */}}
{{- define "motmesh.surveyPublicUrl" -}}
{{- required "survey.publicUrl is required: the address owners open their survey links at (the survey web page behind your Ingress), e.g. --set survey.publicUrl=https://survey.example.com" .Values.survey.publicUrl }}
{{- end }}

{{/* The kubernetes.io/tls Secret of every service's gRPC port (required). */}}
{{- define "motmesh.grpcTlsSecretName" -}}
{{- .Values.grpc.tls.existingSecret | required "grpc.tls.existingSecret is required: a kubernetes.io/tls Secret (keys tls.crt, tls.key) with the certificate and key of every service's gRPC port, which speaks TLS only (e.g. kubectl create secret tls motmesh-grpc --cert=server.pem --key=server.key, then --set grpc.tls.existingSecret=motmesh-grpc)" }}
{{- end }}

{{/* The Secret holding jwt.pub, the public key bearer tokens are verified with (required). */}}
{{- define "motmesh.jwtPublicKeySecretName" -}}
{{- .Values.auth.jwtPublicKeySecret | required "auth.jwtPublicKeySecret is required: a Secret with key jwt.pub, the ES256 public key (PEM) the services verify every gRPC call's bearer token with (e.g. kubectl create secret generic motmesh-jwt --from-file=jwt.pub, then --set auth.jwtPublicKeySecret=motmesh-jwt)" }}
{{- end }}
