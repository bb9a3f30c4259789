package install

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	authenticationv1 "k8s.io/api/authentication/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"

	iamv1alpha1 "github.com/jumpcloud-operator/jumpcloud-operator/api/v1alpha1"
	"github.com/jumpcloud-operator/jumpcloud-operator/internal/jumpcloud/jcsim"
	"github.com/jumpcloud-operator/jumpcloud-operator/internal/testenv"
)

const (
	// leaseName is cmd/manager's leaderElectionID. Every version's replicas must compete for the
	// same Lease, or an old and a new replica would both lead during an upgrade.
	leaseName = "jumpcloud-operator.iam.jumpcloud-operator.dev"
	// enforceLabel is the Pod Security admission label that rejects non-compliant Pods.
	enforceLabel = "pod-security.kubernetes.io/enforce"
	// org is the simulator organization of the API key.
	org = "5f0c1a2b3c4d5e6f70819d04"
	// team is the namespace of the JumpCloud resources.
	team = "team-a"
)

var _ = Describe("The kustomize install (config/default)", Ordered, func() {
	installSpecs(renderKustomize)
})

var _ = Describe("The Helm chart (charts/jumpcloud-operator)", Ordered, func() {
	// Not the names config/default uses, so that nothing in the chart may assume them.
	installSpecs(func() (*rendering, error) { return renderChart("iam", "iam-system") })
})

// installSpecs applies one rendering to its own control plane, runs the image's manager as the
// install's ServiceAccount, and takes a user, an operation and a group through their lives.
func installSpecs(render func() (*rendering, error)) {
	var (
		ctx     = context.Background()
		r       *rendering
		c       *cluster
		sim     *jcsim.Server
		simURL  string
		apiKey  string
		mgr     *managerProcess
		dir     string
		userID  string
		groupID string
		// grace is how long the manager has to stop after SIGTERM: the Deployment's
		// terminationGracePeriodSeconds, else Kubernetes' default.
		grace = 30 * time.Second
	)

	// eventually polls f until it passes while the manager runs: a manager that has ended fails it
	// at once, and a failure lists what the API server refused the manager.
	eventually := func(f func(g Gomega)) {
		GinkgoHelper()
		Eventually(func(g Gomega) {
			if mgr != nil {
				if exited, err := mgr.Exited(); exited {
					StopTrying(fmt.Sprintf("the manager exited (%v); its log ends:\n%s", err, mgr.LogTail(10))).Now()
				}
			}
			f(g)
		}).Should(Succeed(), func() string {
			if mgr == nil {
				return ""
			}
			refusals := mgr.Refusals()
			if len(refusals) == 0 {
				return "the API server refused the manager nothing"
			}
			return "the API server refused the manager:\n  " + strings.Join(refusals, "\n  ")
		})
	}

	BeforeAll(func() {
		var err error
		r, err = render()
		Expect(err).NotTo(HaveOccurred())
		drop, err := dropRuleFromEnv()
		Expect(err).NotTo(HaveOccurred())
		if drop != nil {
			msg, err := drop.apply(r)
			Expect(err).NotTo(HaveOccurred())
			AddReportEntry("INSTALL_DROP_RULE", msg)
		}
		dir = GinkgoT().TempDir()
		c, err = startCluster()
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(func() { Expect(c.Stop()).To(Succeed()) })

		apiKey = "install-key-" + randomHex()
		sim = jcsim.New(jcsim.Options{APIKeys: map[string][]string{apiKey: {org}}})
		simURL, err = sim.Start()
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(sim.Close)
		// The manager outlives the spec that starts it: it is stopped after the container's specs.
		DeferCleanup(func() {
			if mgr != nil {
				Expect(mgr.Stop(grace)).To(Succeed())
			}
		})
	})

	AfterEach(func() {
		if CurrentSpecReport().Failed() && mgr != nil {
			GinkgoWriter.Printf("The manager's log (%s) ends:\n%s\n", mgr.Log, mgr.LogTail(60))
		}
	})

	It("applies every object it renders to an empty control plane, the CRDs first", func() {
		if len(r.ofKind("Namespace")) == 0 {
			By(fmt.Sprintf("%s renders no Namespace: the suite creates %s, labelled %s=restricted, as an administrator would",
				r.Source, r.Namespace, enforceLabel))
			Expect(c.Admin.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{
				Name: r.Namespace, Labels: map[string]string{enforceLabel: "restricted"},
			}})).To(Succeed())
		}
		c.applyAll(ctx, Default, r)
		for _, o := range r.Objects {
			got := &unstructured.Unstructured{}
			got.SetGroupVersionKind(o.GroupVersionKind())
			Expect(c.Admin.Get(ctx, client.ObjectKeyFromObject(o), got)).To(Succeed(), "%s %s", o.GetKind(), o.GetName())
		}
	})

	It("admits a Pod of the Deployment's template under the restricted Pod Security Standard, and no privileged one", func() {
		for _, ns := range r.ofKind("Namespace") {
			Expect(ns.GetLabels()).To(HaveKeyWithValue(enforceLabel, "restricted"), "%s labels Namespace %s", r.Source, ns.GetName())
		}
		ns := &corev1.Namespace{}
		Expect(c.Admin.Get(ctx, client.ObjectKey{Name: r.Namespace}, ns)).To(Succeed())
		Expect(ns.Labels).To(HaveKeyWithValue(enforceLabel, "restricted"))

		tmpl := r.Deployment.Spec.Template
		pod := &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{
				GenerateName: r.Deployment.Name + "-", Namespace: r.Namespace,
				Labels: tmpl.Labels, Annotations: tmpl.Annotations,
			},
			Spec: *tmpl.Spec.DeepCopy(),
		}
		// envtest runs no kubelet: the Pod stays Pending, and being created is the proof.
		Expect(c.Admin.Create(ctx, pod)).To(Succeed(), "the API server admits a Pod of the Deployment's template")

		privileged := &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{GenerateName: "privileged-", Namespace: r.Namespace},
			Spec:       *tmpl.Spec.DeepCopy(),
		}
		root, yes, no := int64(0), true, false
		privileged.Spec.SecurityContext = &corev1.PodSecurityContext{RunAsNonRoot: &no}
		privileged.Spec.Containers[0].SecurityContext = &corev1.SecurityContext{
			RunAsUser: &root, RunAsNonRoot: &no, Privileged: &yes, AllowPrivilegeEscalation: &yes,
		}
		err := c.Admin.Create(ctx, privileged)
		Expect(apierrors.IsForbidden(err)).To(BeTrue(), "a privileged Pod running as root is rejected, got %v", err)
		Expect(err.Error()).To(ContainSubstring(`violates PodSecurity "restricted:latest"`))
	})

	It("points its probes and its metrics Service at the ports the manager serves", func() {
		container, err := managerContainer(r.Deployment)
		Expect(err).NotTo(HaveOccurred())
		probePort := flagPort(container.Args, "health-probe-bind-address")
		for name, probe := range map[string]*corev1.Probe{"readiness": container.ReadinessProbe, "liveness": container.LivenessProbe} {
			Expect(probe).NotTo(BeNil(), "the manager container has a %s probe", name)
			Expect(probe.HTTPGet).NotTo(BeNil(), "the %s probe is an HTTP GET", name)
			Expect(containerPort(container, probe.HTTPGet.Port)).To(Equal(probePort),
				"the %s probe's port is --health-probe-bind-address's", name)
		}
		service, err := r.find("Service", "metrics-service")
		Expect(err).NotTo(HaveOccurred())
		ports, _, _ := unstructured.NestedSlice(service.Object, "spec", "ports")
		Expect(ports).To(HaveLen(1))
		target := intstr.Parse(fmt.Sprint(ports[0].(map[string]any)["targetPort"]))
		Expect(containerPort(container, target)).To(Equal(flagPort(container.Args, "metrics-bind-address")),
			"the metrics Service's targetPort is --metrics-bind-address's")
		selector, _, _ := unstructured.NestedStringMap(service.Object, "spec", "selector")
		Expect(labels.SelectorFromSet(selector).Matches(labels.Set(r.Deployment.Spec.Template.Labels))).To(BeTrue(),
			"the metrics Service selects the manager's Pods")
	})

	It("runs the image's manager as the install's ServiceAccount, not an administrator, and it leads", func() {
		container, err := managerContainer(r.Deployment)
		Expect(err).NotTo(HaveOccurred())
		if len(container.Command) > 0 {
			Expect(container.Command).To(Equal(manager.Entrypoint), "the Deployment runs the image's entrypoint")
		}
		sa := r.Deployment.Spec.Template.Spec.ServiceAccountName
		Expect(sa).NotTo(BeEmpty(), "the Deployment names its ServiceAccount")
		kubeconfig, err := c.serviceAccountKubeconfig(ctx, r.Namespace, sa, dir)
		Expect(err).NotTo(HaveOccurred())

		By("checking who the kubeconfig authenticates as")
		cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
		Expect(err).NotTo(HaveOccurred())
		asManager, err := client.New(cfg, client.Options{Scheme: testenv.Scheme()})
		Expect(err).NotTo(HaveOccurred())
		review := &authenticationv1.SelfSubjectReview{}
		Expect(asManager.Create(ctx, review)).To(Succeed())
		Expect(review.Status.UserInfo.Username).To(Equal("system:serviceaccount:" + r.Namespace + ":" + sa))
		access := &authorizationv1.SelfSubjectAccessReview{Spec: authorizationv1.SelfSubjectAccessReviewSpec{
			ResourceAttributes: &authorizationv1.ResourceAttributes{Verb: "*", Group: "*", Resource: "*"},
		}}
		Expect(asManager.Create(ctx, access)).To(Succeed())
		Expect(access.Status.Allowed).To(BeFalse(), "the ServiceAccount is not a cluster administrator")

		mgr, err = startManager(manager.Path, r.Deployment, kubeconfig, filepath.Join(dir, "manager.log"))
		Expect(err).NotTo(HaveOccurred())
		if s := r.Deployment.Spec.Template.Spec.TerminationGracePeriodSeconds; s != nil {
			grace = time.Duration(*s) * time.Second
		}
		By("running " + strings.Join(slices.Concat(mgr.Env, []string{manager.Path}, mgr.Args), " "))

		By("probing it as the kubelet would")
		probes := httpClient(nil)
		for _, probe := range []*corev1.Probe{container.LivenessProbe, container.ReadinessProbe} {
			url := "http://" + mgr.ProbeAddr + probe.HTTPGet.Path
			eventually(func(g Gomega) {
				g.Expect(get(probes, url, "")).To(Equal(http.StatusOK), "GET %s", url)
			})
		}

		By("finding the Lease it holds in its namespace")
		host, err := os.Hostname()
		Expect(err).NotTo(HaveOccurred())
		eventually(func(g Gomega) {
			lease := &coordinationv1.Lease{}
			g.Expect(c.Admin.Get(ctx, client.ObjectKey{Namespace: r.Namespace, Name: leaseName}, lease)).To(Succeed())
			g.Expect(lease.Spec.HolderIdentity).NotTo(BeNil())
			g.Expect(*lease.Spec.HolderIdentity).To(HavePrefix(host+"_"), "the manager on this host holds the Lease")
		})
		eventually(func(g Gomega) {
			var events corev1.EventList
			g.Expect(c.Admin.List(ctx, &events, client.InNamespace(r.Namespace))).To(Succeed())
			g.Expect(events.Items).To(ContainElement(SatisfyAll(
				HaveField("Reason", "LeaderElection"),
				HaveField("InvolvedObject.Kind", "Lease"),
				HaveField("InvolvedObject.Name", leaseName),
			)), "the manager records that it became the leader")
		})
	})

	It("verifies a JumpCloudConnection's API key", func() {
		Expect(c.Admin.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: team}})).To(Succeed())
		Expect(c.Admin.Create(ctx, &corev1.Secret{
			ObjectMeta: metav1.ObjectMeta{Name: "jumpcloud-api-key", Namespace: team},
			StringData: map[string]string{"api-key": apiKey},
		})).To(Succeed())
		conn := &iamv1alpha1.JumpCloudConnection{
			ObjectMeta: metav1.ObjectMeta{Name: "default", Namespace: team},
			Spec: iamv1alpha1.JumpCloudConnectionSpec{
				APIKeySecretRef:    iamv1alpha1.APIKeySecretReference{Name: "jumpcloud-api-key"},
				ConnectionSettings: iamv1alpha1.ConnectionSettings{BaseURL: simURL},
			},
		}
		Expect(c.Admin.Create(ctx, conn)).To(Succeed())
		eventually(func(g Gomega) {
			g.Expect(c.Admin.Get(ctx, client.ObjectKeyFromObject(conn), conn)).To(Succeed())
			expectReady(g, "JumpCloudConnection "+conn.Name, conn.Status.Conditions)
		})
	})

	It("creates a JumpCloudUser in JumpCloud, and records an Event", func() {
		user := &iamv1alpha1.JumpCloudUser{
			ObjectMeta: metav1.ObjectMeta{Name: "ada", Namespace: team},
			Spec: iamv1alpha1.JumpCloudUserSpec{
				Username: "ada", Email: "ada@example.com",
				Profile: &iamv1alpha1.UserProfile{Department: ptrTo("Research")},
			},
		}
		Expect(c.Admin.Create(ctx, user)).To(Succeed())
		eventually(func(g Gomega) {
			g.Expect(c.Admin.Get(ctx, client.ObjectKeyFromObject(user), user)).To(Succeed())
			expectReady(g, "JumpCloudUser "+user.Name, user.Status.Conditions)
		})
		Expect(user.Finalizers).NotTo(BeEmpty(), "the operator holds the user until its deletion policy is applied")
		got, ok := sim.FindUsername(org, "ada")
		Expect(ok).To(BeTrue(), "the user exists in JumpCloud")
		Expect(got.ID).To(Equal(user.Status.ID))
		Expect(got.Department).To(Equal("Research"))
		userID = got.ID

		eventually(func(g Gomega) {
			var events eventsv1.EventList
			g.Expect(c.Admin.List(ctx, &events, client.InNamespace(team))).To(Succeed())
			g.Expect(events.Items).To(ContainElement(SatisfyAll(
				HaveField("Reason", "Created"),
				HaveField("Regarding.Kind", "JumpCloudUser"),
				HaveField("Regarding.Name", "ada"),
			)), "an Event reports the creation")
		})
	})

	It("writes a change of the user's spec to JumpCloud", func() {
		user := &iamv1alpha1.JumpCloudUser{}
		Expect(c.Admin.Get(ctx, client.ObjectKey{Namespace: team, Name: "ada"}, user)).To(Succeed())
		patch := client.MergeFrom(user.DeepCopy())
		user.Spec.Profile.Department = ptrTo("Engineering")
		Expect(c.Admin.Patch(ctx, user, patch)).To(Succeed())
		eventually(func(g Gomega) {
			got, ok := sim.User(org, userID)
			g.Expect(ok).To(BeTrue())
			g.Expect(got.Department).To(Equal("Engineering"))
			g.Expect(c.Admin.Get(ctx, client.ObjectKeyFromObject(user), user)).To(Succeed())
			g.Expect(user.Status.ObservedGeneration).To(Equal(user.Generation))
			expectReady(g, "JumpCloudUser "+user.Name, user.Status.Conditions)
		})
	})

	It("runs JumpCloudUserOperations to completion, and deletes a finished one after its TTL", func() {
		before := sim.Count("expire")
		op := &iamv1alpha1.JumpCloudUserOperation{
			ObjectMeta: metav1.ObjectMeta{Name: "ada-expire-password", Namespace: team},
			Spec: iamv1alpha1.JumpCloudUserOperationSpec{
				UserRef: &iamv1alpha1.LocalObjectReference{Name: "ada"}, Type: iamv1alpha1.OperationExpirePassword,
			},
		}
		Expect(c.Admin.Create(ctx, op)).To(Succeed())
		eventually(func(g Gomega) {
			g.Expect(c.Admin.Get(ctx, client.ObjectKeyFromObject(op), op)).To(Succeed())
			g.Expect(op.Status.Phase).To(Equal(iamv1alpha1.OperationSucceeded), "%s", op.Status.Message)
		})

		ttl := int32(0)
		once := &iamv1alpha1.JumpCloudUserOperation{
			ObjectMeta: metav1.ObjectMeta{Name: "ada-expire-password-ttl", Namespace: team},
			Spec: iamv1alpha1.JumpCloudUserOperationSpec{
				UserRef: &iamv1alpha1.LocalObjectReference{Name: "ada"}, Type: iamv1alpha1.OperationExpirePassword,
				TTLSecondsAfterFinished: &ttl,
			},
		}
		Expect(c.Admin.Create(ctx, once)).To(Succeed())
		eventually(func(g Gomega) {
			err := c.Admin.Get(ctx, client.ObjectKeyFromObject(once), once)
			g.Expect(apierrors.IsNotFound(err)).To(BeTrue(), "the operation is deleted once finished (phase %q, error %v)", once.Status.Phase, err)
		})
		Expect(sim.Count("expire")).To(Equal(before+2), "each operation expired the password once")
	})

	It("creates a JumpCloudUserGroup, then adds the user as a member", func() {
		group := &iamv1alpha1.JumpCloudUserGroup{
			ObjectMeta: metav1.ObjectMeta{Name: "research", Namespace: team},
			Spec:       iamv1alpha1.JumpCloudUserGroupSpec{Name: "research", Description: ptrTo("Made by the install suite")},
		}
		Expect(c.Admin.Create(ctx, group)).To(Succeed())
		eventually(func(g Gomega) {
			g.Expect(c.Admin.Get(ctx, client.ObjectKeyFromObject(group), group)).To(Succeed())
			expectReady(g, "JumpCloudUserGroup "+group.Name, group.Status.Conditions)
		})
		got, ok := sim.FindGroupName(org, "research")
		Expect(ok).To(BeTrue(), "the group exists in JumpCloud")
		Expect(got.ID).To(Equal(group.Status.ID))
		groupID = got.ID

		patch := client.MergeFrom(group.DeepCopy())
		group.Spec.Members = &iamv1alpha1.GroupMembers{Users: []iamv1alpha1.GroupMember{
			{UserRef: &iamv1alpha1.LocalObjectReference{Name: "ada"}},
		}}
		Expect(c.Admin.Patch(ctx, group, patch)).To(Succeed())
		eventually(func(g Gomega) {
			g.Expect(sim.GroupMembers(org, groupID)).To(Equal([]string{userID}))
			g.Expect(c.Admin.Get(ctx, client.ObjectKeyFromObject(group), group)).To(Succeed())
			g.Expect(group.Status.ObservedGeneration).To(Equal(group.Generation))
			g.Expect(group.Status.MemberCount).To(HaveValue(BeEquivalentTo(1)))
		})
	})

	It("deletes the group: the finalizer is released and the JumpCloud group deleted", func() {
		group := &iamv1alpha1.JumpCloudUserGroup{ObjectMeta: metav1.ObjectMeta{Name: "research", Namespace: team}}
		Expect(c.Admin.Delete(ctx, group)).To(Succeed())
		eventually(func(g Gomega) {
			g.Expect(apierrors.IsNotFound(c.Admin.Get(ctx, client.ObjectKeyFromObject(group), group))).To(BeTrue())
		})
		_, ok := sim.Group(org, groupID)
		Expect(ok).To(BeFalse(), "the operator created the group, so its default deletion policy deletes it")
	})

	It("deletes the user: the finalizer is released and the default deletion policy (Suspend) applied", func() {
		user := &iamv1alpha1.JumpCloudUser{ObjectMeta: metav1.ObjectMeta{Name: "ada", Namespace: team}}
		Expect(c.Admin.Delete(ctx, user)).To(Succeed())
		eventually(func(g Gomega) {
			g.Expect(apierrors.IsNotFound(c.Admin.Get(ctx, client.ObjectKeyFromObject(user), user))).To(BeTrue())
		})
		got, ok := sim.User(org, userID)
		Expect(ok).To(BeTrue(), "Suspend keeps the JumpCloud user")
		Expect(got.State).To(Equal(jcsim.StateSuspended))
	})

	It("serves /metrics to a scraper bound to its metrics-reader ClusterRole, and to no one else", func() {
		Expect(mgr.MetricsAddr).NotTo(BeEmpty(), "the Deployment serves metrics")
		reader, err := r.find("ClusterRole", "metrics-reader")
		Expect(err).NotTo(HaveOccurred())
		const monitoring = "monitoring"
		Expect(c.Admin.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: monitoring}})).To(Succeed())
		for _, name := range []string{"prometheus", "stranger"} {
			Expect(c.Admin.Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: monitoring}})).To(Succeed())
		}
		Expect(c.Admin.Create(ctx, &rbacv1.ClusterRoleBinding{
			ObjectMeta: metav1.ObjectMeta{Name: "prometheus-metrics-reader"},
			RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: reader.GetName()},
			Subjects:   []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Name: "prometheus", Namespace: monitoring}},
		})).To(Succeed())
		prometheus, err := c.serviceAccountToken(ctx, monitoring, "prometheus")
		Expect(err).NotTo(HaveOccurred())
		stranger, err := c.serviceAccountToken(ctx, monitoring, "stranger")
		Expect(err).NotTo(HaveOccurred())

		// The manager serves a self-signed certificate (no --metrics-cert-dir), which the chart's
		// ServiceMonitor skips verifying too.
		scraper := httpClient(&tls.Config{InsecureSkipVerify: true})
		url := "https://" + mgr.MetricsAddr + "/metrics"
		eventually(func(g Gomega) {
			status, body := scrape(scraper, url, prometheus)
			g.Expect(status).To(Equal(http.StatusOK), "GET %s as a scraper bound to %s: %s", url, reader.GetName(), body)
			g.Expect(body).To(ContainSubstring(`controller_runtime_reconcile_total{controller="jumpclouduser"`))
			g.Expect(body).To(ContainSubstring("jumpcloud_operator_"))
			g.Expect(strings.Contains(body, apiKey)).To(BeFalse(), "the metrics carry the API key")
		})
		Expect(get(scraper, url, stranger)).To(Equal(http.StatusForbidden), "a ServiceAccount without the role")
		Expect(get(scraper, url, "")).To(Equal(http.StatusUnauthorized), "no token")
	})

	It("stops on SIGTERM within the grace period, releases the Lease, and never logged the API key", func() {
		Expect(mgr.Stop(grace)).To(Succeed())
		_, err := mgr.Exited()
		Expect(err).NotTo(HaveOccurred(), "the manager exits 0 on SIGTERM")
		lease := &coordinationv1.Lease{}
		Expect(c.Admin.Get(ctx, client.ObjectKey{Namespace: r.Namespace, Name: leaseName}, lease)).To(Succeed())
		Expect(lease.Spec.HolderIdentity).To(Or(BeNil(), HaveValue(BeEmpty())), "the Lease is released for the next leader")
		Expect(mgr.LogContains(apiKey)).To(BeFalse(), "the API key is in the manager's log")
	})
}

// expectReady fails g unless the conditions say Ready, saying what they say instead.
func expectReady(g Gomega, what string, conditions []metav1.Condition) {
	ready := meta.FindStatusCondition(conditions, iamv1alpha1.ConditionReady)
	g.Expect(ready).NotTo(BeNil(), "%s has no Ready condition (no status written)", what)
	g.Expect(ready.Status).To(Equal(metav1.ConditionTrue), "%s is not Ready: %s: %s", what, ready.Reason, ready.Message)
}

// flagPort is the port of a --flag=host:port argument, 0 when absent or unparsable.
func flagPort(args []string, flag string) int32 {
	for i, a := range args {
		value, ok := strings.CutPrefix(a, "--"+flag+"=")
		if !ok && a == "--"+flag && i+1 < len(args) {
			value, ok = args[i+1], true
		}
		if !ok {
			continue
		}
		_, port, err := net.SplitHostPort(value)
		if err != nil {
			return 0
		}
		n, err := strconv.ParseInt(port, 10, 32)
		if err != nil {
			return 0
		}
		return int32(n)
	}
	return 0
}

// containerPort resolves a port given by number or by name against the container's ports.
func containerPort(c corev1.Container, port intstr.IntOrString) int32 {
	if port.Type == intstr.Int {
		return port.IntVal
	}
	i := slices.IndexFunc(c.Ports, func(p corev1.ContainerPort) bool { return p.Name == port.StrVal })
	if i < 0 {
		return -1
	}
	return c.Ports[i].ContainerPort
}

func httpClient(tlsConfig *tls.Config) *http.Client {
	return &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: tlsConfig}}
}

// scrape GETs url with a bearer token (none when empty) and returns the status and body.
func scrape(c *http.Client, url, token string) (int, string) {
	req, err := http.NewRequest(http.MethodGet, url, nil)
	Expect(err).NotTo(HaveOccurred())
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, err.Error()
	}
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, err.Error()
	}
	return resp.StatusCode, string(body)
}

func get(c *http.Client, url, token string) int {
	status, _ := scrape(c, url, token)
	return status
}

func randomHex() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func ptrTo[T any](v T) *T { return &v }
