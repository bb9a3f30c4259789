# Dashboards and alerts (included by the Makefile): the Grafana dashboard in config/grafana, the
# alert rules in config/prometheus, and their runbook docs/monitoring.md. test/monitoring (part of
# `make test`) checks that every metric they use is one the operator serves.

##@ Monitoring

PROMTOOL ?= $(LOCALBIN)/promtool
# promtool comes with the Prometheus server's Go module (v0.X.Y is Prometheus 3.X.Y).
PROMTOOL_VERSION ?= v0.316.0

# The alert rules: the plain rules file is the source of truth, the PrometheusRule is generated.
ALERT_RULES := config/prometheus/alerts.rules.yaml
ALERT_PROMETHEUS_RULE := config/prometheus/alerts.yaml
ALERT_TESTS := config/prometheus/alerts_test.yaml

# Built without Prometheus's service discovery plugins (the build tag remove_all_sd), which
# promtool's rule tests do not use: a cold build takes about a quarter of the time.
.PHONY: promtool
promtool: export GOFLAGS := $(strip $(GOFLAGS) -tags=remove_all_sd)
promtool: | $(LOCALBIN) ## Install promtool into bin/ if necessary (built from Go modules).
	$(call go-install-tool,$(PROMTOOL),github.com/prometheus/prometheus/cmd/promtool,$(PROMTOOL_VERSION))

.PHONY: monitoring-test
monitoring-test: promtool ## Check the alert rules and run their unit tests (promtool); fail if alerts.yaml is stale.
	"$(PROMTOOL)" check rules "$(ALERT_RULES)"
	cd "$(dir $(ALERT_TESTS))" && "$(PROMTOOL)" test rules "$(notdir $(ALERT_TESTS))"
	@$(call write-prometheus-rule) | diff -u "$(ALERT_PROMETHEUS_RULE)" - || { \
		echo "monitoring-test: $(ALERT_PROMETHEUS_RULE) differs from $(ALERT_RULES); run make prometheus-rule."; \
		exit 1; }

.PHONY: prometheus-rule
prometheus-rule: ## Write config/prometheus/alerts.yaml (a PrometheusRule) from config/prometheus/alerts.rules.yaml.
	$(call write-prometheus-rule) > "$(ALERT_PROMETHEUS_RULE).tmp"
	mv "$(ALERT_PROMETHEUS_RULE).tmp" "$(ALERT_PROMETHEUS_RULE)"

# write-prometheus-rule prints the PrometheusRule: a fixed header, then the rules file from its
# `groups:` line on, indented under spec (its comments before that line are left out).
define write-prometheus-rule
{ printf '%s\n' \
	'# Generated from alerts.rules.yaml by `make prometheus-rule`: edit that file, not this one.' \
	'# The PrometheusRule of the alerts, for the Prometheus Operator (docs/monitoring.md).' \
	'apiVersion: monitoring.coreos.com/v1' \
	'kind: PrometheusRule' \
	'metadata:' \
	'  labels:' \
	'    app.kubernetes.io/name: jumpcloud-operator' \
	'    app.kubernetes.io/managed-by: kustomize' \
	'  name: alerts' \
	'  namespace: system' \
	'spec:'; \
awk '/^groups:/ { on = 1 } on { print ($$0 == "" ? "" : "  " $$0) }' "$(ALERT_RULES)"; }
endef
