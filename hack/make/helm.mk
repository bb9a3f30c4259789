# The Helm chart (charts/jumpcloud-operator): a pinned helm, lint, the CRD copy, packaging.
# Included by the Makefile (-include hack/make/*.mk); uses its LOCALBIN and go-install-tool.

##@ Helm chart

CHART_DIR ?= charts/jumpcloud-operator
# Where `make chart-package` writes jumpcloud-operator-<version>.tgz.
CHART_DIST ?= dist

HELM ?= $(LOCALBIN)/helm
# helm v3.22.0 builds with the pinned Go toolchain from the Go module proxy (no binary download).
HELM_VERSION ?= v3.22.0

# Values that switch every optional part of the chart on, for helm-lint.
HELM_LINT_ALL_ON = \
	--set crds.install=true,crds.keep=false \
	--set serviceMonitor.enabled=true,serviceMonitor.interval=30s,serviceMonitor.labels.release=prometheus \
	--set prometheusRule.enabled=true,prometheusRule.labels.release=prometheus \
	--set-json 'prometheusRule.groups=[{"name":"lint","rules":[{"alert":"JumpCloudOperatorDown","expr":"absent(up{job=\"x\"})"}]}]' \
	--set networkPolicy.enabled=true \
	--set serviceAccount.create=true,serviceAccount.name=jc-operator \
	--set-string serviceAccount.annotations.example\\.com/role=operator \
	--set replicaCount=2,leaderElection.namespace=kube-system \
	--set image.digest=sha256:0000000000000000000000000000000000000000000000000000000000000000 \
	--set priorityClassName=system-cluster-critical \
	--set-string podAnnotations.example\\.com/note=lint,podLabels.team=iam \
	--set-string nodeSelector.kubernetes\\.io/os=linux \
	--set tolerations[0].key=dedicated,tolerations[0].operator=Exists,tolerations[0].effect=NoSchedule \
	--set defaultDeletionPolicy=Orphan,driftDetection=per-resource,maxConcurrentReconciles=4 \
	--set logLevel=debug,extraArgs[0]=--enable-http2=false \
	--set metrics.enabled=true,metrics.secure=true

.PHONY: helm
helm: | $(LOCALBIN) ## Install helm into bin/ if necessary (built from Go modules).
	$(call go-install-tool,$(HELM),helm.sh/helm/v3/cmd/helm,$(HELM_VERSION))

# The chart renders its CRDs and the manager ClusterRole's rules from byte-for-byte copies of what
# controller-gen writes (config/crd/bases, config/rbac/role.yaml); test/chart fails when they are stale.
.PHONY: chart-crds
chart-crds: manifests ## Copy the generated CRDs and manager ClusterRole into the chart (files/crds, files/rbac).
	rm -f "$(CHART_DIR)"/files/crds/*.yaml
	mkdir -p "$(CHART_DIR)/files/crds" "$(CHART_DIR)/files/rbac"
	cp config/crd/bases/*.yaml "$(CHART_DIR)/files/crds/"
	cp config/rbac/role.yaml "$(CHART_DIR)/files/rbac/role.yaml"

# The chart's PrometheusRule ships the alert rules of CHART_ALERT_RULES (a plain Prometheus rules
# file) as files/prometheus-rules.yaml; test/chart fails when the copy is stale.
CHART_ALERT_RULES ?= config/prometheus/alerts.rules.yaml

.PHONY: chart-alerts
chart-alerts: ## Copy the alert rules (config/prometheus/alerts.rules.yaml) into the chart (files/prometheus-rules.yaml).
	if [ -f "$(CHART_ALERT_RULES)" ]; then \
		cp "$(CHART_ALERT_RULES)" "$(CHART_DIR)/files/prometheus-rules.yaml"; \
	else \
		rm -f "$(CHART_DIR)/files/prometheus-rules.yaml"; \
	fi

.PHONY: helm-lint
helm-lint: helm chart-crds chart-alerts ## helm lint the chart, and helm template it with default values and with every option on.
	"$(HELM)" lint --strict "$(CHART_DIR)"
	"$(HELM)" lint --strict "$(CHART_DIR)" $(HELM_LINT_ALL_ON)
	"$(HELM)" template jumpcloud-operator "$(CHART_DIR)" --namespace jumpcloud-system >/dev/null
	"$(HELM)" template jumpcloud-operator "$(CHART_DIR)" --namespace jumpcloud-system $(HELM_LINT_ALL_ON) >/dev/null
	@echo "helm-lint: $(CHART_DIR) lints and renders with default values and with every option on"

.PHONY: chart-package
chart-package: helm-lint ## Package the chart into dist/ (jumpcloud-operator-<version>.tgz).
	mkdir -p "$(CHART_DIST)"
	"$(HELM)" package "$(CHART_DIR)" --destination "$(CHART_DIST)"

# The chart test (test/chart) renders with bin/helm and bin/kustomize.
tools: helm
test: helm kustomize
