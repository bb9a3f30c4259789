{{/*
The chart's name, or nameOverride.
*/}}
{{- define "jumpcloud-operator.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
The prefix of every resource's name: fullnameOverride, else the release name when it contains the
chart name, else <release>-<chart>. With the release "jumpcloud-operator" the names are those of
config/default (jumpcloud-operator-controller-manager, ...).
*/}}
{{- define "jumpcloud-operator.fullname" -}}
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

{{/*
chart name and version, for the helm.sh/chart label.
*/}}
{{- define "jumpcloud-operator.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Labels on every resource.
*/}}
{{- define "jumpcloud-operator.labels" -}}
helm.sh/chart: {{ include "jumpcloud-operator.chart" . }}
app.kubernetes.io/name: {{ include "jumpcloud-operator.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/*
Labels that select the manager Pods (the Deployment's selector, the metrics Service, the
ServiceMonitor and the NetworkPolicy); the Pods carry them as labels plus control-plane. A
Deployment's selector cannot change: do not edit them.
*/}}
{{- define "jumpcloud-operator.selectorLabels" -}}
control-plane: controller-manager
app.kubernetes.io/name: {{ include "jumpcloud-operator.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/*
The ServiceAccount the manager runs as.
*/}}
{{- define "jumpcloud-operator.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (printf "%s-controller-manager" (include "jumpcloud-operator.fullname" .)) .Values.serviceAccount.name }}
{{- else }}
{{- required "serviceAccount.name must name an existing ServiceAccount when serviceAccount.create is false" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/*
The namespace of the leader-election Lease, and so of its Role and RoleBinding.
*/}}
{{- define "jumpcloud-operator.leaderElectionNamespace" -}}
{{- default .Release.Namespace .Values.leaderElection.namespace }}
{{- end }}

{{/*
The manager image: repository@digest when a digest is set, else repository:tag (appVersion by default).
*/}}
{{- define "jumpcloud-operator.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{/*
The HTTP scheme of the metrics endpoint.
*/}}
{{- define "jumpcloud-operator.metricsScheme" -}}
{{- if .Values.metrics.secure }}https{{ else }}http{{ end }}
{{- end }}

{{/*
The metrics Service's name (a DNS label: at most 63 characters).
*/}}
{{- define "jumpcloud-operator.metricsServiceName" -}}
{{- printf "%s-controller-manager-metrics-service" (include "jumpcloud-operator.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}
