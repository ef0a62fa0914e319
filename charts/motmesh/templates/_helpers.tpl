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
The four services: binary (= component) name, values key, and the YAML file each
reads from /etc/motmesh with the variable that names it. Use:
(include "motmesh.components" . | fromYaml).components
*/}}
{{- define "motmesh.components" -}}
components:
  - name: touchpoint-scheduler
    key: scheduler
    configEnv: MOT_PLAYBOOK
    configFile: playbook.yaml
  - name: ticketing
    key: ticketing
    configEnv: MOT_SLA_POLICY
    configFile: sla.yaml
  - name: notification
    key: notification
    configEnv: MOT_TEMPLATES
    configFile: templates.yaml
  - name: survey
    key: survey
    configEnv: MOT_SURVEYS
    configFile: surveys.yaml
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
