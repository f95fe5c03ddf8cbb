{{/*
Chart name, truncated to the 63 characters Kubernetes allows in a name.
*/}}
{{- define "renda.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Fully qualified app name. Truncated to 52 characters so that suffixes such as
"-scheduler" or "-migrate" keep resource names within 63 characters.
*/}}
{{- define "renda.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 52 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 52 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 52 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "renda.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Common labels. Call with the root context.
*/}}
{{- define "renda.labels" -}}
helm.sh/chart: {{ include "renda.chart" . }}
{{ include "renda.selectorLabels" . }}
{{- if .Chart.AppVersion }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
{{- end }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: renda
{{- end }}

{{- define "renda.selectorLabels" -}}
app.kubernetes.io/name: {{ include "renda.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/*
Labels of one component. Call with (dict "ctx" $ "component" "web").
*/}}
{{- define "renda.componentLabels" -}}
{{ include "renda.labels" .ctx }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{- define "renda.componentSelectorLabels" -}}
{{ include "renda.selectorLabels" .ctx }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{- define "renda.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "renda.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "renda.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}

{{/*
Name of the Secret holding RENDA_DATABASE_URL, RENDA_BROKER_URL, RENDA_SECRET_KEY
and RENDA_OIDC_CLIENT_SECRET: the operator's existingSecret or the chart's own.
*/}}
{{- define "renda.secretName" -}}
{{- default (include "renda.fullname" .) .Values.secrets.existingSecret }}
{{- end }}

{{/*
Data of the chart-created Secret (secret.yaml and the migrate hook's copy).
*/}}
{{- define "renda.secretData" -}}
{{ .Values.secrets.keys.databaseUrl }}: {{ .Values.secrets.databaseUrl | b64enc | quote }}
{{ .Values.secrets.keys.brokerUrl }}: {{ .Values.secrets.brokerUrl | b64enc | quote }}
{{ .Values.secrets.keys.secretKey }}: {{ .Values.secrets.secretKey | b64enc | quote }}
{{- if .Values.secrets.oidcClientSecret }}
{{ .Values.secrets.keys.oidcClientSecret }}: {{ .Values.secrets.oidcClientSecret | b64enc | quote }}
{{- end }}
{{- if .Values.secrets.secretKeyOld }}
{{ .Values.secrets.keys.secretKeyOld }}: {{ .Values.secrets.secretKeyOld | b64enc | quote }}
{{- end }}
{{- if .Values.secrets.databaseDirectUrl }}
{{ .Values.secrets.keys.databaseDirectUrl }}: {{ .Values.secrets.databaseDirectUrl | b64enc | quote }}
{{- end }}
{{- end }}

{{/*
Non-secret settings as a flat map (configmap.yaml; inlined by the migrate hook).
*/}}
{{- define "renda.config" -}}
RENDA_ENV: {{ .Values.config.env | quote }}
RENDA_LOG_LEVEL: {{ .Values.config.logLevel | quote }}
RENDA_MIGRATE_CONCURRENCY: {{ .Values.config.migrateConcurrency | quote }}
RENDA_PUBLIC_URL: {{ .Values.config.publicUrl | default (printf "https://%s" .Values.ingress.host) | quote }}
RENDA_OIDC_ISSUER: {{ .Values.config.oidcIssuer | quote }}
RENDA_OIDC_CLIENT_ID: {{ .Values.config.oidcClientId | quote }}
{{- with .Values.config.forwardedAllowIps }}
RENDA_FORWARDED_ALLOW_IPS: {{ . | quote }}
{{- end }}
{{- if .Values.config.databaseTransactionPooler }}
RENDA_DATABASE_TRANSACTION_POOLER: "true"
{{- end }}
{{- if .Values.config.rabbitmqQuorum }}
RENDA_RABBITMQ_QUORUM: "true"
{{- end }}
{{- end }}

{{/*
Secret environment variables. Call with (dict "ctx" $ "secretName" "...").
*/}}
{{- define "renda.secretEnv" -}}
{{- $keys := .ctx.Values.secrets.keys -}}
- name: RENDA_DATABASE_URL
  valueFrom:
    secretKeyRef:
      name: {{ .secretName }}
      key: {{ $keys.databaseUrl }}
- name: RENDA_BROKER_URL
  valueFrom:
    secretKeyRef:
      name: {{ .secretName }}
      key: {{ $keys.brokerUrl }}
- name: RENDA_SECRET_KEY
  valueFrom:
    secretKeyRef:
      name: {{ .secretName }}
      key: {{ $keys.secretKey }}
- name: RENDA_OIDC_CLIENT_SECRET
  valueFrom:
    secretKeyRef:
      name: {{ .secretName }}
      key: {{ $keys.oidcClientSecret }}
      optional: true
- name: RENDA_SECRET_KEY_OLD
  valueFrom:
    secretKeyRef:
      name: {{ .secretName }}
      key: {{ $keys.secretKeyOld }}
      optional: true
- name: RENDA_DATABASE_DIRECT_URL
  valueFrom:
    secretKeyRef:
      name: {{ .secretName }}
      key: {{ $keys.databaseDirectUrl }}
      optional: true
{{- end }}

{{/*
Checksums that roll the pods when the settings change.
*/}}
{{- define "renda.podAnnotations" -}}
checksum/config: {{ include "renda.config" . | sha256sum }}
{{- if not .Values.secrets.existingSecret }}
checksum/secret: {{ include "renda.secretData" . | sha256sum }}
{{- end }}
{{- with .Values.podAnnotations }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/*
Fields shared by every renda container (everything but its name, ports and
probes). Call with a dict:
  ctx          the root context
  command      the `renda` subcommand: serve, worker, scheduler or migrate
  extraArgs    extra command-line arguments
  resources    the container's resources
  env          extra EnvVar objects of this component (optional)
  secretName   the Secret with the secret settings
  inlineConfig true to inline the settings instead of reading the ConfigMap
               (the migrate hook runs before the ConfigMap exists)
*/}}
{{- define "renda.containerCommon" -}}
{{- $ctx := .ctx -}}
image: {{ include "renda.image" $ctx | quote }}
imagePullPolicy: {{ $ctx.Values.image.pullPolicy }}
command:
  - renda
  - {{ .command }}
  {{- range .extraArgs }}
  - {{ . | quote }}
  {{- end }}
{{- if not .inlineConfig }}
envFrom:
  - configMapRef:
      name: {{ include "renda.fullname" $ctx }}
{{- end }}
env:
  {{- if .inlineConfig }}
  {{- range $name, $value := include "renda.config" $ctx | fromYaml }}
  - name: {{ $name }}
    value: {{ $value | toString | quote }}
  {{- end }}
  {{- end }}
  {{- with .env }}
  {{- toYaml . | nindent 2 }}
  {{- end }}
  {{- include "renda.secretEnv" (dict "ctx" $ctx "secretName" .secretName) | nindent 2 }}
  {{- with $ctx.Values.extraEnv }}
  {{- toYaml . | nindent 2 }}
  {{- end }}
{{- with $ctx.Values.securityContext }}
securityContext:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .resources }}
resources:
  {{- toYaml . | nindent 2 }}
{{- end }}
volumeMounts:
  - name: tmp
    mountPath: /tmp
{{- end }}

{{/*
Pod-level settings shared by the Deployments and the migrate Job.
*/}}
{{- define "renda.podSpecCommon" -}}
automountServiceAccountToken: {{ .Values.serviceAccount.automountServiceAccountToken }}
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.podSecurityContext }}
securityContext:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
volumes:
  - name: tmp
    emptyDir:
      {{- with .Values.tmpVolume.sizeLimit }}
      sizeLimit: {{ . }}
      {{- end }}
{{- end }}

{{/*
NetworkPolicy egress rules from networkPolicy.egress entries ({to, ports}; no `to` = any address)
and extraEgress (NetworkPolicyEgressRule objects). Call with (dict "rules" list "extra" list).
*/}}
{{- define "renda.egressRules" -}}
{{- range .rules }}
- ports:
    {{- toYaml .ports | nindent 4 }}
  {{- with .to }}
  to:
    {{- toYaml . | nindent 4 }}
  {{- end }}
{{- end }}
{{- with .extra }}
{{ toYaml . }}
{{- end }}
{{- end }}
