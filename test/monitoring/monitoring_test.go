package monitoring

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	iamv1alpha1 "github.com/jumpcloud-operator/jumpcloud-operator/api/v1alpha1"
	"github.com/jumpcloud-operator/jumpcloud-operator/internal/jumpcloud"
	"github.com/jumpcloud-operator/jumpcloud-operator/internal/jumpcloud/jcsim"
)

// The files under test, relative to the repository root.
const (
	dashboardFile      = "config/grafana/jumpcloud-operator.json"
	grafanaKustomize   = "config/grafana/kustomization.yaml"
	rulesFile          = "config/prometheus/alerts.rules.yaml"
	prometheusRuleFile = "config/prometheus/alerts.yaml"
	runbookFile        = "docs/monitoring.md"
)

// datasourceUID is the only data source a panel may name: the dashboard's variable.
const datasourceUID = "${datasource}"

type ruleFile struct {
	Groups []struct {
		Name  string `json:"name"`
		Rules []rule `json:"rules"`
	} `json:"groups"`
}

type rule struct {
	Alert       string            `json:"alert"`
	Expr        string            `json:"expr"`
	For         string            `json:"for"`
	Labels      map[string]string `json:"labels"`
	Annotations map[string]string `json:"annotations"`
}

// query is one PromQL expression of the dashboard or the alerts, and where it is.
type query struct {
	where string
	refs  references
}

func readFile(name string) []byte {
	GinkgoHelper()
	data, err := os.ReadFile(filepath.Join(root, name))
	Expect(err).NotTo(HaveOccurred())
	return data
}

func loadRules() ruleFile {
	GinkgoHelper()
	var f ruleFile
	Expect(yaml.UnmarshalStrict(readFile(rulesFile), &f)).To(Succeed())
	Expect(f.Groups).NotTo(BeEmpty())
	return f
}

func loadDashboard() map[string]any {
	GinkgoHelper()
	var d map[string]any
	Expect(json.Unmarshal(readFile(dashboardFile), &d)).To(Succeed())
	return d
}

// panels returns the dashboard's panels, those nested in collapsed rows included.
func panels(d map[string]any) []map[string]any {
	var out []map[string]any
	var walk func(list any)
	walk = func(list any) {
		items, _ := list.([]any)
		for _, item := range items {
			p, _ := item.(map[string]any)
			out = append(out, p)
			walk(p["panels"])
		}
	}
	walk(d["panels"])
	return out
}

// queries returns every PromQL expression of the dashboard (panel targets and variable queries)
// and of the alert rules, parsed.
func queries() []query {
	GinkgoHelper()
	var out []query
	for _, g := range loadRules().Groups {
		for _, r := range g.Rules {
			refs, err := parseReferences(r.Expr)
			Expect(err).NotTo(HaveOccurred(), "alert %s", r.Alert)
			out = append(out, query{where: "alert " + r.Alert, refs: refs})
		}
	}
	d := loadDashboard()
	for _, p := range panels(d) {
		targets, _ := p["targets"].([]any)
		for _, t := range targets {
			expr, _ := t.(map[string]any)["expr"].(string)
			refs, err := parseReferences(expr)
			Expect(err).NotTo(HaveOccurred(), "panel %q", p["title"])
			out = append(out, query{where: fmt.Sprintf("panel %q", p["title"]), refs: refs})
		}
	}
	templating, _ := d["templating"].(map[string]any)
	vars, _ := templating["list"].([]any)
	for _, v := range vars {
		variable, _ := v.(map[string]any)
		if variable["type"] != "query" {
			continue
		}
		q := variable["query"]
		if m, ok := q.(map[string]any); ok {
			q = m["query"]
		}
		text, _ := q.(string)
		refs, err := parseTemplateQuery(text)
		Expect(err).NotTo(HaveOccurred(), "variable %v", variable["name"])
		out = append(out, query{where: fmt.Sprintf("variable %v", variable["name"]), refs: refs})
	}
	Expect(out).NotTo(BeEmpty())
	return out
}

// problems returns what the queries use that exp does not serve: a metric, a label of a matcher,
// or a grouping label that none of the query's metrics has.
func problems(exp exposition, qs []query) []string {
	var out []string
	for _, q := range qs {
		all, missing := map[string]bool{}, false
		for _, s := range q.refs.selectors {
			labels, ok := exp[s.metric]
			if !ok {
				out = append(out, fmt.Sprintf("%s: metric %s is not served", q.where, s.metric))
				missing = true
				continue
			}
			for l := range labels {
				all[l] = true
			}
			for _, l := range s.labels {
				if !labels[l] {
					out = append(out, fmt.Sprintf("%s: %s has no label %q", q.where, s.metric, l))
				}
			}
		}
		if missing {
			continue // the labels of the missing metric are unknown
		}
		for _, l := range q.refs.grouping {
			if !all[l] {
				out = append(out, fmt.Sprintf("%s: no metric of the query has the label %q", q.where, l))
			}
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func scrape(g Gomega) exposition {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, metricsURL, nil)
	g.Expect(err).NotTo(HaveOccurred())
	resp, err := http.DefaultClient.Do(req)
	g.Expect(err).NotTo(HaveOccurred())
	defer func() { _ = resp.Body.Close() }()
	g.Expect(resp.StatusCode).To(Equal(http.StatusOK))
	exp, err := parseExposition(resp.Body)
	g.Expect(err).NotTo(HaveOccurred())
	return exp
}

// anchors returns the GitHub anchors of the Markdown headings of doc.
func anchors(doc string) map[string]bool {
	out := map[string]bool{}
	drop := regexp.MustCompile(`[^a-z0-9 _-]`)
	for line := range strings.SplitSeq(doc, "\n") {
		if !strings.HasPrefix(line, "#") {
			continue
		}
		title := strings.TrimSpace(strings.TrimLeft(line, "#"))
		slug := drop.ReplaceAllString(strings.ToLower(title), "")
		out[strings.ReplaceAll(slug, " ", "-")] = true
	}
	return out
}

var _ = Describe("The PromQL scanner", func() {
	DescribeTable("finds the metrics and labels of an expression",
		func(expr string, metrics, labels, grouping []string) {
			refs, err := parseReferences(expr)
			Expect(err).NotTo(HaveOccurred())
			Expect(refs.metricNames()).To(Equal(metrics))
			var got []string
			for _, s := range refs.selectors {
				got = append(got, s.labels...)
			}
			Expect(got).To(Equal(labels))
			Expect(refs.grouping).To(Equal(grouping))
		},
		Entry("a rate by labels", `sum by (operation, code) (rate(a_total[$__rate_interval]))`,
			[]string{"a_total"}, nil, []string{"operation", "code"}),
		Entry("matchers with strings that look like code", `sum(rate(a{code=~"5..|error", x!="b{c}(d)"}[5m])) / sum(rate(b[5m])) > 0.5`,
			[]string{"a", "b"}, []string{"code", "x"}, nil),
		Entry("a quantile of buckets, a grouping after the call", `histogram_quantile(0.95, sum(rate(h_bucket[5m])) by (le))`,
			[]string{"h_bucket"}, nil, []string{"le"}),
		Entry("unless, offset and keywords", "sum(a{c=\"401\"} unless a{c='401'} offset 1h) > 0 or vector(0)\n# a comment naming not_a_metric",
			[]string{"a"}, []string{"c", "c"}, nil),
		Entry("vector matching", `a / on (namespace) group_left (type) b * ignoring(x) c > bool 1e3`,
			[]string{"a", "b", "c"}, nil, []string{"namespace", "type", "x"}),
		Entry("variables and subqueries", `max_over_time(a{namespace=~"$namespace"}[1h:${__interval}]) and without (pod) b`,
			[]string{"a", "b"}, []string{"namespace"}, []string{"pod"}),
	)

	It("refuses a selector without a metric name", func() {
		_, err := parseReferences(`{__name__=~"jumpcloud_.*"}`)
		Expect(err).To(HaveOccurred())
	})

	It("reads Grafana variable queries", func() {
		refs, err := parseTemplateQuery(`label_values(a{x="y"}, namespace)`)
		Expect(err).NotTo(HaveOccurred())
		Expect(refs.metricNames()).To(Equal([]string{"a"}))
		Expect(refs.grouping).To(Equal([]string{"namespace"}))
		refs, err = parseTemplateQuery(`query_result(count by (namespace) (a or b))`)
		Expect(err).NotTo(HaveOccurred())
		Expect(refs.metricNames()).To(Equal([]string{"a", "b"}))
		_, err = parseTemplateQuery(`metrics(jumpcloud_)`)
		Expect(err).To(HaveOccurred())
	})

	It("reads the text exposition format", func() {
		exp, err := parseExposition(strings.NewReader(`# HELP h A histogram.
# TYPE h histogram
h_bucket{le="0.5",op="a\"b,c"} 1
h_sum{op="x"} 0.2
h_count 1
`))
		Expect(err).NotTo(HaveOccurred())
		Expect(exp).To(Equal(exposition{
			"h_bucket": {"le": true, "op": true},
			"h_sum":    {"op": true},
			"h_count":  {},
		}))
	})
})

var _ = Describe("The alert rules", func() {
	It("are documented: severity, summary, description and a runbook section in docs/monitoring.md", func() {
		sections := anchors(string(readFile(runbookFile)))
		var names []string
		for _, g := range loadRules().Groups {
			for _, r := range g.Rules {
				Expect(r.Alert).NotTo(BeEmpty(), "group %s has a rule that is no alert", g.Name)
				names = append(names, r.Alert)
				Expect(r.Labels).To(HaveKeyWithValue("severity", BeElementOf("critical", "warning", "info")), r.Alert)
				Expect(r.Annotations).To(HaveKeyWithValue("summary", Not(BeEmpty())), r.Alert)
				Expect(r.Annotations).To(HaveKeyWithValue("description", Not(BeEmpty())), r.Alert)
				anchor := strings.ToLower(r.Alert)
				Expect(r.Annotations).To(HaveKeyWithValue("runbook_url", runbookFile+"#"+anchor), r.Alert)
				Expect(sections).To(HaveKey(anchor), "%s has no section %q in %s", r.Alert, r.Alert, runbookFile)
			}
		}
		Expect(names).To(HaveLen(len(slices.Compact(slices.Sorted(slices.Values(names))))), "alert names are unique")
	})

	It("are the same in the PrometheusRule as in the rules file promtool tests (make prometheus-rule)", func() {
		var plain map[string]any
		Expect(yaml.Unmarshal(readFile(rulesFile), &plain)).To(Succeed())
		var pr struct {
			APIVersion string         `json:"apiVersion"`
			Kind       string         `json:"kind"`
			Metadata   map[string]any `json:"metadata"`
			Spec       map[string]any `json:"spec"`
		}
		Expect(yaml.UnmarshalStrict(readFile(prometheusRuleFile), &pr)).To(Succeed())
		Expect(pr.APIVersion).To(Equal("monitoring.coreos.com/v1"))
		Expect(pr.Kind).To(Equal("PrometheusRule"))
		Expect(pr.Spec).To(HaveLen(1))
		// Compared as JSON, so that a difference shows as one line.
		want, err := json.Marshal(plain["groups"])
		Expect(err).NotTo(HaveOccurred())
		got, err := json.Marshal(pr.Spec["groups"])
		Expect(err).NotTo(HaveOccurred())
		Expect(string(got)).To(Equal(string(want)),
			"%s differs from %s: run make prometheus-rule", prometheusRuleFile, rulesFile)
	})
})

var _ = Describe("The Grafana dashboard", func() {
	It("takes its data source from a variable and names no other", func() {
		d := loadDashboard()
		Expect(d).To(HaveKeyWithValue("uid", "jumpcloud-operator"))
		Expect(d).NotTo(HaveKey("__inputs"), "the Grafana sidecar does not fill __inputs")
		templating, _ := d["templating"].(map[string]any)
		Expect(templating["list"]).To(ContainElement(And(
			HaveKeyWithValue("name", "datasource"),
			HaveKeyWithValue("type", "datasource"),
			HaveKeyWithValue("query", "prometheus"),
		)))
		// Every data source reference anywhere in the model is the variable (or Grafana's own,
		// for the built-in annotations).
		var refs []any
		var walk func(v any)
		walk = func(v any) {
			switch v := v.(type) {
			case map[string]any:
				for k, child := range v {
					if k == "datasource" {
						refs = append(refs, child)
						continue
					}
					walk(child)
				}
			case []any:
				for _, child := range v {
					walk(child)
				}
			}
		}
		walk(d)
		Expect(refs).NotTo(BeEmpty())
		for _, ref := range refs {
			Expect(ref).To(Or(
				Equal(map[string]any{"type": "prometheus", "uid": datasourceUID}),
				Equal(map[string]any{"type": "grafana", "uid": "-- Grafana --"}),
			))
		}
	})

	It("has a query in every panel and unique panel ids", func() {
		ids := map[float64]bool{}
		for _, p := range panels(loadDashboard()) {
			id, _ := p["id"].(float64)
			Expect(ids).NotTo(HaveKey(id), "panel %q", p["title"])
			ids[id] = true
			if p["type"] == "row" {
				continue
			}
			Expect(p["targets"]).NotTo(BeEmpty(), "panel %q", p["title"])
			for _, t := range p["targets"].([]any) {
				Expect(t).To(HaveKeyWithValue("expr", Not(BeEmpty())), "panel %q", p["title"])
			}
		}
	})

	It("is packaged as a ConfigMap for the Grafana sidecar", func() {
		var k struct {
			ConfigMapGenerator []struct {
				Name    string   `json:"name"`
				Files   []string `json:"files"`
				Options struct {
					Labels map[string]string `json:"labels"`
				} `json:"options"`
			} `json:"configMapGenerator"`
		}
		Expect(yaml.Unmarshal(readFile(grafanaKustomize), &k)).To(Succeed())
		Expect(k.ConfigMapGenerator).To(HaveLen(1))
		Expect(k.ConfigMapGenerator[0].Files).To(ConsistOf(filepath.Base(dashboardFile)))
		Expect(k.ConfigMapGenerator[0].Options.Labels).To(HaveKeyWithValue("grafana_dashboard", "1"))
	})
})

var _ = Describe("The metrics the dashboard and the alerts use", func() {
	// A workload that gives every metric series: a connection whose rate limiter holds requests
	// back (burst 1), a user, a group with a member that does not exist yet, and an operation
	// whose first attempt JumpCloud refuses with a 429.
	BeforeEach(func() {
		const org = "5f0c1a2b3c4d5e6f70819a01"
		ns := "monitoring"
		apiKey := "key-monitoring-suite"
		sim := jcsim.New(jcsim.Options{APIKeys: map[string][]string{apiKey: {org}}})
		url, err := sim.Start()
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(sim.Close)

		Expect(k8sClient.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}})).To(Succeed())
		Expect(k8sClient.Create(ctx, &corev1.Secret{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "jumpcloud"},
			StringData: map[string]string{"api-key": apiKey},
		})).To(Succeed())
		Expect(k8sClient.Create(ctx, &iamv1alpha1.JumpCloudConnection{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: iamv1alpha1.DefaultConnectionName},
			Spec: iamv1alpha1.JumpCloudConnectionSpec{
				APIKeySecretRef: iamv1alpha1.APIKeySecretReference{Name: "jumpcloud"},
				ConnectionSettings: iamv1alpha1.ConnectionSettings{
					BaseURL:   url,
					RateLimit: &iamv1alpha1.RateLimit{RequestsPerSecond: 10, Burst: 1},
				},
			},
		})).To(Succeed())
		Eventually(func(g Gomega) {
			var c iamv1alpha1.JumpCloudConnection
			g.Expect(k8sClient.Get(ctx, client.ObjectKey{Namespace: ns, Name: iamv1alpha1.DefaultConnectionName}, &c)).To(Succeed())
			g.Expect(meta.IsStatusConditionTrue(c.Status.Conditions, iamv1alpha1.ConditionReady)).To(BeTrue())
		}).Should(Succeed())

		Expect(k8sClient.Create(ctx, &iamv1alpha1.JumpCloudUser{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "alice"},
			Spec:       iamv1alpha1.JumpCloudUserSpec{Username: "alice", Email: "alice@example.com"},
		})).To(Succeed())
		Expect(k8sClient.Create(ctx, &iamv1alpha1.JumpCloudUserGroup{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "platform"},
			Spec: iamv1alpha1.JumpCloudUserGroupSpec{
				Name: "platform",
				Members: &iamv1alpha1.GroupMembers{Users: []iamv1alpha1.GroupMember{
					{UserRef: &iamv1alpha1.LocalObjectReference{Name: "alice"}},
					{UserRef: &iamv1alpha1.LocalObjectReference{Name: "bob"}},
				}},
			},
		})).To(Succeed())
		sim.FailNext(jumpcloud.OpUnlock, 1, http.StatusTooManyRequests)
		Expect(k8sClient.Create(ctx, &iamv1alpha1.JumpCloudUserOperation{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "unlock-alice"},
			Spec: iamv1alpha1.JumpCloudUserOperationSpec{
				UserRef: &iamv1alpha1.LocalObjectReference{Name: "alice"},
				Type:    iamv1alpha1.OperationUnlock,
			},
		})).To(Succeed())
	})

	It("are all served by the manager's /metrics, with the labels they name", func() {
		qs := queries()
		var metrics []string
		for _, q := range qs {
			metrics = append(metrics, q.refs.metricNames()...)
		}
		slices.Sort(metrics)
		metrics = slices.Compact(metrics)
		GinkgoWriter.Printf("%d queries use %d metrics: %s\n", len(qs), len(metrics), strings.Join(metrics, ", "))
		Expect(metrics).To(ContainElements(
			"jumpcloud_operator_jumpcloud_requests_total",
			"controller_runtime_reconcile_errors_total",
			"workqueue_depth",
		))

		// Wait for the series the workload makes last (the operation's 429, retry and completion),
		// then check everything against one scrape.
		var exp exposition
		Eventually(func(g Gomega) {
			exp = scrape(g)
			g.Expect(exp).To(HaveKey("jumpcloud_operator_jumpcloud_retries_total"))
			g.Expect(exp).To(HaveKey("jumpcloud_operator_jumpcloud_rate_limit_wait_seconds_count"))
			g.Expect(exp).To(HaveKey("jumpcloud_operator_operations_completed_total"))
			g.Expect(exp).To(HaveKey("jumpcloud_operator_group_unresolved_members"))
		}).Should(Succeed())
		Expect(problems(exp, qs)).To(BeEmpty())
	})
})
