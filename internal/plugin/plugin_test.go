package plugin_test

import (
	"encoding/json"
	"errors"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/rand"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	iamv1alpha1 "github.com/jumpcloud-operator/jumpcloud-operator/api/v1alpha1"
)

// listAnswer is list -o json.
type listAnswer struct {
	TotalCount int              `json:"totalCount"`
	Results    []map[string]any `json:"results"`
}

func parseList(out string) listAnswer {
	var a listAnswer
	ExpectWithOffset(1, json.Unmarshal([]byte(out), &a)).To(Succeed(), out)
	return a
}

func usernames(a listAnswer) []string {
	var out []string
	for _, r := range a.Results {
		out = append(out, r["username"].(string))
	}
	return out
}

// queryOf parses a logged request's query string.
func queryOf(raw string) url.Values {
	q, err := url.ParseQuery(raw)
	ExpectWithOffset(1, err).NotTo(HaveOccurred())
	return q
}

var _ = Describe("list", func() {
	BeforeEach(func() { sim.ResetLog() })

	It("prints a table of the users a filter selects, through the namespace's default connection", func() {
		r := run("list", "--filter", "department:$eq:Research")
		Expect(r.code).To(Equal(0), r.stderr)
		lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
		Expect(lines).To(HaveLen(3))
		Expect(strings.Fields(lines[0])).To(Equal([]string{"ID", "USERNAME", "EMAIL", "NAME", "DEPARTMENT", "STATE", "LOCKED", "MFA"}))
		Expect(strings.Fields(lines[1])).To(Equal([]string{grace.ID, "grace.hopper", "grace@example.com", "Grace", "Hopper", "Research", "ACTIVATED", "false", "NOT_ENROLLED"}))
		Expect(lines[2]).To(ContainSubstring("alan_turing"))
		Expect(r.stderr).To(BeEmpty())

		q := queryOf(lastRequest("list").Query)
		Expect(q.Get("filter")).To(Equal("department:$eq:Research"))
		Expect(q.Get("limit")).To(Equal("100"))
	})

	It("prints JSON in JumpCloud's field names, and a locked account as locked", func() {
		r := run("list", "--filter", "username:$eq:ada", "-o", "json")
		Expect(r.code).To(Equal(0), r.stderr)
		a := parseList(r.stdout)
		Expect(a.TotalCount).To(Equal(1))
		Expect(a.Results).To(HaveLen(1))
		Expect(a.Results[0]).To(HaveKeyWithValue("_id", ada.ID))
		Expect(a.Results[0]).To(HaveKeyWithValue("email", "ada@example.com"))
		Expect(a.Results[0]).To(HaveKeyWithValue("account_locked", true))
		Expect(a.Results[0]).To(HaveKeyWithValue("state", "ACTIVATED"))
	})

	It("prints YAML", func() {
		r := run("list", "--filter", "username:$eq:stan", "-o", "yaml")
		Expect(r.code).To(Equal(0), r.stderr)
		var a listAnswer
		Expect(yaml.Unmarshal([]byte(r.stdout), &a)).To(Succeed())
		Expect(a.Results).To(ConsistOf(HaveKeyWithValue("state", "STAGED")))
	})

	It("ORs the filters with --or", func() {
		r := run("list", "--filter", "department:$eq:Analytics", "--filter", "department:$eq:Onboarding", "--or", "-o", "json")
		Expect(r.code).To(Equal(0), r.stderr)
		Expect(usernames(parseList(r.stdout))).To(ContainElements("ada", "stan"))
		for _, res := range parseList(r.stdout).Results {
			Expect(res["department"]).To(BeElementOf("Analytics", "Onboarding"))
		}
		q := queryOf(lastRequest("list").Query)
		Expect(q.Get("filter[or][0]")).To(Equal("department:$eq:Analytics"))
		Expect(q.Get("filter[or][1]")).To(Equal("department:$eq:Onboarding"))
		Expect(q.Has("filter")).To(BeFalse())
	})

	It("ANDs the filters without --or", func() {
		r := run("list", "--filter", "department:$eq:Research", "--filter", "lastname:$eq:Turing", "-o", "json")
		Expect(r.code).To(Equal(0), r.stderr)
		Expect(usernames(parseList(r.stdout))).To(Equal([]string{"alan_turing"}))
		q := queryOf(lastRequest("list").Query)
		Expect(q.Get("filter[0]")).To(Equal("department:$eq:Research"))
		Expect(q.Get("filter[1]")).To(Equal("lastname:$eq:Turing"))
	})

	It("takes $in with several values", func() {
		r := run("list", "--filter", "username:$in:ada|stan", "-o", "json")
		Expect(r.code).To(Equal(0), r.stderr)
		Expect(usernames(parseList(r.stdout))).To(ConsistOf("ada", "stan"))
	})

	It("sorts, descending with -, several fields comma or space separated", func() {
		r := run("list", "--filter", "department:$eq:Field Sales", "--sort", "-username,email", "-o", "json")
		Expect(r.code).To(Equal(0), r.stderr)
		Expect(usernames(parseList(r.stdout))).To(Equal([]string{"john_doe", "John-Doe"}))
		Expect(queryOf(lastRequest("list").Query).Get("sort")).To(Equal("-username email"))

		r = run("list", "--filter", "department:$eq:Field Sales", "--sort", "username email", "-o", "json")
		Expect(r.code).To(Equal(0), r.stderr)
		Expect(usernames(parseList(r.stdout))).To(Equal([]string{"John-Doe", "john_doe"}))
		Expect(queryOf(lastRequest("list").Query).Get("sort")).To(Equal("username email"))
	})

	It("selects fields: JumpCloud returns only those, the table shows only those", func() {
		r := run("list", "--filter", "username:$eq:grace.hopper", "--fields", "username,department")
		Expect(r.code).To(Equal(0), r.stderr)
		Expect(r.stdout).To(Equal("ID                         USERNAME       DEPARTMENT\n" + grace.ID + "   grace.hopper   Research\n"))
		Expect(queryOf(lastRequest("list").Query).Get("fields")).To(Equal("username department"))

		r = run("list", "--filter", "username:$eq:grace.hopper", "--fields", "username,jobTitle", "-o", "json")
		Expect(r.code).To(Equal(0), r.stderr)
		Expect(parseList(r.stdout).Results).To(ConsistOf(Equal(map[string]any{
			"_id": grace.ID, "username": "grace.hopper", "jobTitle": "Rear Admiral",
		})))
	})

	It("warns about fields it cannot show", func() {
		r := run("list", "--filter", "username:$eq:ada", "--fields", "username,public_key")
		Expect(r.code).To(Equal(0), r.stderr)
		Expect(r.stderr).To(ContainSubstring("does not show the field(s) public_key"))
		Expect(strings.Fields(strings.Split(r.stdout, "\n")[0])).To(Equal([]string{"ID", "USERNAME"}))
	})

	It("pages with --limit and --skip, and says where the next page starts", func() {
		r := run("list", "--sort", "username", "--limit", "5", "--skip", "2", "-o", "json")
		Expect(r.code).To(Equal(0), r.stderr)
		a := parseList(r.stdout)
		Expect(a.Results).To(HaveLen(5))
		total := sim.UserCount(org)
		Expect(a.TotalCount).To(Equal(total))
		Expect(r.stderr).To(Equal("Showing users 3-7 of " + strconv.Itoa(total) + "; next page: --skip 7, or read them all with --all.\n"))
		q := queryOf(lastRequest("list").Query)
		Expect(q.Get("limit")).To(Equal("5"))
		Expect(q.Get("skip")).To(Equal("2"))
	})

	It("reads every page with --all", func() {
		r := run("list", "--all", "--fields", "username", "-o", "json")
		Expect(r.code).To(Equal(0), r.stderr)
		a := parseList(r.stdout)
		Expect(a.Results).To(HaveLen(sim.UserCount(org)))
		Expect(a.TotalCount).To(Equal(sim.UserCount(org)))
		Expect(sim.Count("list")).To(Equal(2), "126 users in pages of 100")
		Expect(r.stderr).To(BeEmpty())
	})

	It("searches text with --search, on the search endpoint, combined with filters", func() {
		r := run("list", "--search", "HOPP", "-o", "json")
		Expect(r.code).To(Equal(0), r.stderr)
		Expect(usernames(parseList(r.stdout))).To(Equal([]string{"grace.hopper"}))
		req := lastRequest("search")
		Expect(req.Method).To(Equal("POST"))
		Expect(req.Fields).To(ContainElement("searchFilter"))
		Expect(sim.Count("list")).To(Equal(0))

		r = run("list", "--search", "example.com", "--search-fields", "email", "--filter", "department:$eq:Field Sales", "-o", "json")
		Expect(r.code).To(Equal(0), r.stderr)
		Expect(usernames(parseList(r.stdout))).To(ConsistOf("john_doe", "John-Doe"))
		Expect(lastRequest("search").Fields).To(ContainElements("searchFilter", "filter"))

		r = run("list", "--search", "hopper", "--search-fields", "email", "-o", "json")
		Expect(r.code).To(Equal(0), r.stderr)
		Expect(parseList(r.stdout).Results).To(BeEmpty(), "hopper is not in any email")
	})

	It("refuses contradictory flags before calling JumpCloud", func() {
		for _, args := range [][]string{
			{"list", "--limit", "500"},
			{"list", "--all", "--sort", "username"},
			{"list", "--search", "x", "--sort", "username"},
			{"list", "--or", "--filter", "a:$eq:b"},
			{"list", "--filter", "department=IT"},
			{"list", "-o", "wide"},
		} {
			r := run(args...)
			Expect(r.code).To(Equal(1), "%v", args)
			Expect(r.stderr).To(HavePrefix("error: "))
		}
		Expect(sim.Count("*")).To(Equal(0))
	})
})

var _ = Describe("get", func() {
	BeforeEach(func() { sim.ResetLog() })

	It("gets a user by id with selected fields", func() {
		r := run("get", grace.ID, "--fields", "email,costCenter")
		Expect(r.code).To(Equal(0), r.stderr)
		Expect(r.stdout).To(Equal("ID                         EMAIL               COSTCENTER\n" + grace.ID + "   grace@example.com   4711\n"))
		req := lastRequest("get")
		Expect(req.UserID).To(Equal(grace.ID))
		Expect(queryOf(req.Query).Get("fields")).To(Equal("email costCenter"))
	})

	It("gets a user by username, as JSON and YAML", func() {
		r := run("get", "alan_turing", "-o", "json")
		Expect(r.code).To(Equal(0), r.stderr)
		var u map[string]any
		Expect(json.Unmarshal([]byte(r.stdout), &u)).To(Succeed())
		Expect(u).To(HaveKeyWithValue("_id", alan.ID))
		Expect(u).To(HaveKeyWithValue("manager", grace.ID))
		Expect(u["addresses"]).To(ConsistOf(HaveKeyWithValue("locality", "Milton Keynes")))
		Expect(sim.Count("list")).To(Equal(1), "the username was looked up")

		r = run("get", ada.ID, "-o", "yaml", "--fields", "account_locked")
		Expect(r.code).To(Equal(0), r.stderr)
		Expect(r.stdout).To(Equal("_id: " + ada.ID + "\naccount_locked: true\n"))
	})

	It("says when there is no such user", func() {
		r := run("get", "0123456789abcdef01234567")
		Expect(r.code).To(Equal(1))
		Expect(r.stderr).To(Equal("error: no JumpCloud user has the id 0123456789abcdef01234567\n"))
		r = run("get", "nobody")
		Expect(r.code).To(Equal(1))
		Expect(r.stderr).To(Equal("error: no JumpCloud user has the username \"nobody\"\n"))
	})
})

var _ = Describe("connections", func() {
	BeforeEach(func() { sim.ResetLog() })

	It("uses a named ClusterJumpCloudConnection, and the cluster default where the namespace has none", func() {
		other := "plugin-cluster-" + rand.String(5)
		createNamespace(other)
		r := run("list", "--limit", "1", "-n", other)
		Expect(r.code).To(Equal(1))
		Expect(r.stderr).To(ContainSubstring(`no connection: neither a JumpCloudConnection "default" in namespace ` + other))

		createSecret(other, "key", apiKey)
		corp := &iamv1alpha1.ClusterJumpCloudConnection{
			ObjectMeta: metav1.ObjectMeta{Name: "corp-" + other},
			Spec: iamv1alpha1.ClusterJumpCloudConnectionSpec{
				APIKeySecretRef:    iamv1alpha1.APIKeySecretReference{Namespace: other, Name: "key"},
				ConnectionSettings: iamv1alpha1.ConnectionSettings{BaseURL: simURL},
			},
		}
		Expect(k8sClient.Create(ctx, corp)).To(Succeed())
		r = run("get", "ada", "--fields", "username", "-n", other, "--cluster-connection", corp.Name)
		Expect(r.code).To(Equal(0), r.stderr)
		Expect(r.stdout).To(ContainSubstring(ada.ID))

		def := corp.DeepCopy()
		def.ObjectMeta = metav1.ObjectMeta{Name: iamv1alpha1.DefaultConnectionName}
		Expect(k8sClient.Create(ctx, def)).To(Succeed())
		DeferCleanup(func() { Expect(k8sClient.Delete(ctx, def)).To(Succeed()) })
		r = run("get", "ada", "--fields", "username", "-n", other)
		Expect(r.code).To(Equal(0), r.stderr)
		Expect(r.stdout).To(ContainSubstring(ada.ID))
	})

	It("respects a ClusterJumpCloudConnection's namespaceSelector", func() {
		other := "plugin-selector-" + rand.String(5)
		createNamespace(other)
		createSecret(other, "key", apiKey)
		cc := &iamv1alpha1.ClusterJumpCloudConnection{
			ObjectMeta: metav1.ObjectMeta{Name: "selective-" + other},
			Spec: iamv1alpha1.ClusterJumpCloudConnectionSpec{
				APIKeySecretRef:    iamv1alpha1.APIKeySecretReference{Namespace: other, Name: "key"},
				ConnectionSettings: iamv1alpha1.ConnectionSettings{BaseURL: simURL},
				NamespaceSelector:  &metav1.LabelSelector{MatchLabels: map[string]string{"jumpcloud": "yes"}},
			},
		}
		Expect(k8sClient.Create(ctx, cc)).To(Succeed())
		r := run("list", "--limit", "1", "-n", other, "--cluster-connection", cc.Name)
		Expect(r.code).To(Equal(1))
		Expect(r.stderr).To(ContainSubstring("does not allow namespace " + other))
	})

	It("uses a named JumpCloudConnection with its orgID", func() {
		Expect(k8sClient.Create(ctx, &iamv1alpha1.JumpCloudConnection{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "wrong-org"},
			Spec: iamv1alpha1.JumpCloudConnectionSpec{
				APIKeySecretRef:    iamv1alpha1.APIKeySecretReference{Name: "jumpcloud-api-key"},
				ConnectionSettings: iamv1alpha1.ConnectionSettings{BaseURL: simURL, OrgID: "0123456789abcdef01234567"},
			},
		})).To(Succeed())
		r := run("list", "--limit", "1", "--connection", "wrong-org")
		Expect(r.code).To(Equal(1))
		Expect(r.stderr).To(Equal("error: jumpcloud list: NotFound (HTTP 404): Organization not found (check the connection's orgID, or --org-id)\n"))
		Expect(sim.Count("list")).To(Equal(1), "the connection's settings were used")

		r = run("list", "--limit", "1", "--connection", "missing")
		Expect(r.code).To(Equal(1))
		Expect(r.stderr).To(ContainSubstring("reading JumpCloudConnection plugin/missing"))
	})

	It("explains a Secret the caller may not read, without bypassing RBAC", func() {
		r := runAs(viewerKubeconfig, "list", "--limit", "1")
		Expect(r.code).To(Equal(1))
		Expect(r.stderr).To(ContainSubstring("JumpCloudConnection plugin/default: you may not read its API key Secret plugin/jumpcloud-api-key"))
		Expect(r.stderr).To(ContainSubstring("--api-key-env"))
		Expect(sim.Count("*")).To(Equal(0))
	})

	It("explains a rejected API key", func() {
		createSecret(ns, "revoked", "revoked-key")
		Expect(k8sClient.Create(ctx, &iamv1alpha1.JumpCloudConnection{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "revoked"},
			Spec: iamv1alpha1.JumpCloudConnectionSpec{
				APIKeySecretRef:    iamv1alpha1.APIKeySecretReference{Name: "revoked"},
				ConnectionSettings: iamv1alpha1.ConnectionSettings{BaseURL: simURL},
			},
		})).To(Succeed())
		r := run("list", "--connection", "revoked")
		Expect(r.code).To(Equal(1))
		Expect(r.stderr).To(ContainSubstring("Unauthorized (HTTP 401)"))
		Expect(r.stderr).To(ContainSubstring("JumpCloud refused the API key"))
		Expect(r.stderr).NotTo(ContainSubstring("revoked-key"))
	})

	It("bypasses the cluster with --api-key-env and --base-url", func() {
		GinkgoT().Setenv("JC_TEST_API_KEY", apiKey+"\n")
		r := run("list", "--kubeconfig", filepath.Join(GinkgoT().TempDir(), "absent"),
			"--api-key-env", "JC_TEST_API_KEY", "--base-url", simURL, "--filter", "username:$eq:ada", "-o", "json")
		Expect(r.code).To(Equal(0), r.stderr)
		Expect(usernames(parseList(r.stdout))).To(Equal([]string{"ada"}))

		r = run("list", "--api-key-env", "JC_TEST_UNSET_VARIABLE", "--base-url", simURL)
		Expect(r.code).To(Equal(1))
		Expect(r.stderr).To(Equal("error: environment variable JC_TEST_UNSET_VARIABLE (--api-key-env) is unset or empty\n"))

		r = run("list", "--api-key-env", "JC_TEST_API_KEY", "--connection", "default")
		Expect(r.code).To(Equal(1))
		Expect(r.stderr).To(ContainSubstring("cannot be combined with --connection"))
	})

	It("refuses plain http to anything but loopback", func() {
		GinkgoT().Setenv("JC_TEST_API_KEY", apiKey)
		r := run("list", "--api-key-env", "JC_TEST_API_KEY", "--base-url", "http://jumpcloud.example.com/api")
		Expect(r.code).To(Equal(1))
		Expect(r.stderr).To(ContainSubstring("plain http is only allowed to loopback hosts"))
	})
})

// importedUsers parses import's YAML stream.
func importedUsers(out string) []iamv1alpha1.JumpCloudUser {
	var users []iamv1alpha1.JumpCloudUser
	dec := utilyaml.NewYAMLOrJSONDecoder(strings.NewReader(out), 4096)
	for {
		var u iamv1alpha1.JumpCloudUser
		err := dec.Decode(&u)
		if errors.Is(err, io.EOF) {
			return users
		}
		ExpectWithOffset(1, err).NotTo(HaveOccurred())
		if u.Name != "" {
			users = append(users, u)
		}
	}
}

var _ = Describe("import", func() {
	BeforeEach(func() { sim.ResetLog() })

	It("writes ObserveOnly JumpCloudUsers with the profile and the manager by name, which the apiserver accepts", func() {
		target := "plugin-import-" + rand.String(5)
		createNamespace(target)
		createDefaultConnection(target)
		r := run("import", "--filter", "department:$eq:Research", "-n", target)
		Expect(r.code).To(Equal(0), r.stderr)
		Expect(r.stdout).To(HavePrefix("---\napiVersion: iam.jumpcloud-operator.dev/v1alpha1\nkind: JumpCloudUser\n"))
		Expect(r.stdout).NotTo(ContainSubstring("status"))
		Expect(r.stdout).NotTo(ContainSubstring("creationTimestamp"))
		users := importedUsers(r.stdout)
		Expect(users).To(HaveLen(2))
		byName := map[string]iamv1alpha1.JumpCloudUser{}
		for _, u := range users {
			Expect(u.Namespace).To(Equal(target))
			Expect(u.Spec.ManagementPolicy).To(Equal(iamv1alpha1.ManagementPolicyObserveOnly))
			Expect(u.Spec.AdoptionPolicy).To(Equal(iamv1alpha1.AdoptionPolicyIfExists))
			Expect(u.Spec.DeletionPolicy).To(Equal(iamv1alpha1.DeletionPolicyOrphan))
			Expect(u.Spec.ConnectionRef).To(BeNil())
			byName[u.Name] = u
		}
		Expect(byName).To(HaveKey("grace.hopper"))
		Expect(byName).To(HaveKey("alan-turing"))

		g := byName["grace.hopper"].Spec
		Expect(g.Username).To(Equal("grace.hopper"))
		Expect(g.Email).To(Equal("grace@example.com"))
		Expect(*g.Activated).To(BeTrue())
		Expect(*g.Locked).To(BeFalse())
		Expect(*g.Profile.Firstname).To(Equal("Grace"))
		Expect(*g.Profile.JobTitle).To(Equal("Rear Admiral"))
		Expect(*g.Profile.CostCenter).To(Equal("4711"))
		Expect(*g.Profile.EmployeeIdentifier).To(Equal("E-1906"))
		Expect(g.Profile.Middlename).To(BeNil(), "empty fields are left out")
		Expect(g.Profile.Manager).To(BeNil())
		Expect(g.Profile.PhoneNumbers).To(Equal([]iamv1alpha1.PhoneNumber{{Type: "work", Number: "+1 555 1906"}}))
		Expect(g.Profile.Attributes).To(Equal([]iamv1alpha1.Attribute{{Name: "team", Value: "compilers"}}))

		a := byName["alan-turing"].Spec
		Expect(a.Profile.Manager).To(Equal(&iamv1alpha1.ManagerReference{Name: "grace.hopper"}))
		Expect(a.Profile.Addresses).To(ConsistOf(iamv1alpha1.Address{Type: "work", StreetAddress: "Bletchley Park", Locality: "Milton Keynes", Country: "GB"}))

		for i := range users {
			Expect(k8sClient.Create(ctx, &users[i])).To(Succeed(), "the apiserver accepts %s", users[i].Name)
		}
		Expect(sim.Count("list")).To(Equal(1))
		Expect(queryOf(lastRequest("list").Query).Has("fields")).To(BeFalse(), "import reads every field")
	})

	It("references a manager who is not imported by JumpCloud id; locked and staged users stay so", func() {
		r := run("import", "--filter", "username:$in:alan_turing|ada|stan")
		Expect(r.code).To(Equal(0), r.stderr)
		users := importedUsers(r.stdout)
		Expect(users).To(HaveLen(3))
		for _, u := range users {
			switch u.Spec.Username {
			case "alan_turing":
				Expect(u.Spec.Profile.Manager).To(Equal(&iamv1alpha1.ManagerReference{ID: grace.ID}))
			case "ada":
				Expect(*u.Spec.Locked).To(BeTrue())
				Expect(*u.Spec.Activated).To(BeTrue())
			case "stan":
				Expect(*u.Spec.Activated).To(BeFalse())
				Expect(u.Spec.Profile.Department).To(Equal(ptr("Onboarding")))
			}
			Expect(u.Namespace).To(Equal(ns))
		}
		target := "plugin-import-" + rand.String(5)
		createNamespace(target)
		for i := range users {
			users[i].Namespace = target
			Expect(k8sClient.Create(ctx, &users[i])).To(Succeed())
		}
	})

	It("gives users whose names collide their JumpCloud id, writes one file each with --out, and sets connectionRef", func() {
		dir := filepath.Join(GinkgoT().TempDir(), "users")
		r := run("import", "--filter", "department:$eq:Field Sales", "--out", dir, "--connection-ref", "ClusterJumpCloudConnection/corp")
		Expect(r.code).To(Equal(0), r.stderr)
		want := []string{"john-doe-" + johnDoe.ID, "john-doe-" + johnDoe2.ID}
		entries, err := os.ReadDir(dir)
		Expect(err).NotTo(HaveOccurred())
		var files []string
		for _, e := range entries {
			files = append(files, e.Name())
		}
		Expect(files).To(ConsistOf(want[0]+".yaml", want[1]+".yaml"))
		Expect(strings.Fields(r.stdout)).To(ConsistOf(filepath.Join(dir, want[0]+".yaml"), filepath.Join(dir, want[1]+".yaml")))

		b, err := os.ReadFile(filepath.Join(dir, want[0]+".yaml"))
		Expect(err).NotTo(HaveOccurred())
		Expect(string(b)).NotTo(HavePrefix("---"))
		var u iamv1alpha1.JumpCloudUser
		Expect(yaml.UnmarshalStrict(b, &u)).To(Succeed())
		Expect(u.Name).To(Equal(want[0]))
		Expect(u.Spec.Username).To(Equal("john_doe"))
		Expect(u.Spec.ConnectionRef).To(Equal(&iamv1alpha1.ConnectionReference{Kind: iamv1alpha1.ConnectionKindCluster, Name: "corp"}))
		Expect(k8sClient.Create(ctx, &u)).To(Succeed())
	})

	It("imports every user with --all, and says when a page leaves users out", func() {
		r := run("import", "--all")
		Expect(r.code).To(Equal(0), r.stderr)
		Expect(importedUsers(r.stdout)).To(HaveLen(sim.UserCount(org)))
		Expect(r.stderr).To(BeEmpty())

		r = run("import", "--limit", "2")
		Expect(r.code).To(Equal(0), r.stderr)
		Expect(importedUsers(r.stdout)).To(HaveLen(2))
		Expect(r.stderr).To(ContainSubstring("Showing users 1-2 of"))
	})

	It("rejects a malformed --connection-ref", func() {
		r := run("import", "--connection-ref", "Secret/x")
		Expect(r.code).To(Equal(1))
		Expect(r.stderr).To(ContainSubstring("the kind must be JumpCloudConnection or ClusterJumpCloudConnection"))
	})
})

var _ = Describe("operations", func() {
	var namespace string

	BeforeEach(func() {
		namespace = "plugin-ops-" + rand.String(5)
		createNamespace(namespace)
		Expect(k8sClient.Create(ctx, &iamv1alpha1.JumpCloudUser{
			ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: "alice"},
			Spec:       iamv1alpha1.JumpCloudUserSpec{Username: "alice", Email: "alice@example.com"},
		})).To(Succeed())
	})

	// operationFor waits for the one operation in the namespace to exist.
	operationFor := func() *iamv1alpha1.JumpCloudUserOperation {
		var list iamv1alpha1.JumpCloudUserOperationList
		EventuallyWithOffset(1, func(g Gomega) {
			g.Expect(k8sClient.List(ctx, &list, client.InNamespace(namespace))).To(Succeed())
			g.Expect(list.Items).To(HaveLen(1))
		}).Should(Succeed())
		return &list.Items[0]
	}

	// finish sets the operation's outcome as the operator would.
	finish := func(op *iamv1alpha1.JumpCloudUserOperation, phase iamv1alpha1.OperationPhase, reason, message string) {
		now := metav1.Now()
		op.Status.Phase, op.Status.Message, op.Status.Attempts, op.Status.CompletionTime = phase, message, 1, &now
		status := metav1.ConditionTrue
		if phase == iamv1alpha1.OperationFailed {
			status = metav1.ConditionFalse
		}
		op.Status.Conditions = []metav1.Condition{{Type: iamv1alpha1.ConditionReady, Status: status, Reason: reason, Message: message, LastTransitionTime: now}}
		ExpectWithOffset(1, k8sClient.Status().Update(ctx, op)).To(Succeed())
	}

	start := func(args ...string) <-chan result {
		done := make(chan result, 1)
		go func() {
			defer GinkgoRecover()
			done <- run(args...)
		}()
		return done
	}

	It("unlock creates a JumpCloudUserOperation, waits for it and prints the result", func() {
		done := start("unlock", "alice", "-n", namespace)
		op := operationFor()
		Expect(op.Name).To(HavePrefix("alice-unlock-"))
		Expect(op.Spec.Type).To(Equal(iamv1alpha1.OperationUnlock))
		Expect(op.Spec.UserRef).To(Equal(&iamv1alpha1.LocalObjectReference{Name: "alice"}))
		Expect(op.Spec.SystemUserID).To(BeEmpty())
		Consistently(done, "200ms").ShouldNot(Receive(), "it waits for the result")

		finish(op, iamv1alpha1.OperationSucceeded, iamv1alpha1.ReasonSucceeded, "unlocked")
		var r result
		Eventually(done).Should(Receive(&r))
		Expect(r.code).To(Equal(0))
		Expect(r.stdout).To(Equal("jumpclouduseroperation.iam.jumpcloud-operator.dev/" + op.Name + " created\nSucceeded: unlocked\n"))
		Expect(r.stderr).To(Equal("Waiting up to 2m0s for the operator to run it...\n"))
		Expect(sim.Count("unlock")).To(BeZero(), "the operator, not the plugin, calls JumpCloud")
	})

	It("exits 1 when the operation Failed, naming the reason", func() {
		done := start("expire-password", "alice", "-n", namespace, "--timeout", "1m")
		op := operationFor()
		Expect(op.Name).To(HavePrefix("alice-expire-password-"))
		Expect(op.Spec.Type).To(Equal(iamv1alpha1.OperationExpirePassword))
		finish(op, iamv1alpha1.OperationFailed, iamv1alpha1.ReasonUserNotFound, "the JumpCloud user does not exist")
		var r result
		Eventually(done).Should(Receive(&r))
		Expect(r.code).To(Equal(1))
		Expect(r.stdout).To(HaveSuffix("\nFailed: the JumpCloud user does not exist\n"))
		Expect(r.stderr).To(HaveSuffix("error: JumpCloudUserOperation " + namespace + "/" + op.Name + " failed (reason UserNotFound)\n"))
	})

	It("exits 2 when the wait times out", func() {
		r := run("activate", "alice", "-n", namespace, "--timeout", "300ms", "--send-email=false")
		Expect(r.code).To(Equal(2))
		op := operationFor()
		Expect(op.Spec.Activate).To(Equal(&iamv1alpha1.ActivateParameters{SendEmail: ptr(false)}))
		Expect(r.stderr).To(ContainSubstring("timed out after 300ms waiting for JumpCloudUserOperation " + namespace + "/" + op.Name + " (phase Pending)"))
		Expect(r.stderr).To(ContainSubstring("kubectl get jcop " + op.Name + " -n " + namespace + " -w"))
	})

	It("with --no-wait prints the name and returns at once", func() {
		r := run("reset-mfa", "alice", "-n", namespace, "--exclusion-days", "7", "--ttl", "1h", "--no-wait")
		Expect(r.code).To(Equal(0), r.stderr)
		op := operationFor()
		Expect(r.stdout).To(Equal("jumpclouduseroperation.iam.jumpcloud-operator.dev/" + op.Name + " created\n"))
		Expect(r.stderr).To(BeEmpty())
		Expect(op.Name).To(HavePrefix("alice-reset-mfa-"))
		Expect(op.Spec.Type).To(Equal(iamv1alpha1.OperationResetMFA))
		Expect(op.Spec.ResetMFA).NotTo(BeNil())
		Expect(*op.Spec.ResetMFA.ExclusionDays).To(Equal(int32(7)))
		Expect(*op.Spec.TTLSecondsAfterFinished).To(Equal(int32(3600)))
	})

	It("reset-mfa takes --exclusion-until; a JumpCloud id with --id and a connection", func() {
		r := run("reset-mfa", "--id", ada.ID, "--cluster-connection", "corp", "-n", namespace,
			"--exclusion-until", "2026-12-01T00:00:00Z", "--no-wait")
		Expect(r.code).To(Equal(0), r.stderr)
		op := operationFor()
		Expect(op.Name).To(HavePrefix(ada.ID + "-reset-mfa-"))
		Expect(op.Spec.UserRef).To(BeNil())
		Expect(op.Spec.SystemUserID).To(Equal(ada.ID))
		Expect(op.Spec.ConnectionRef).To(Equal(&iamv1alpha1.ConnectionReference{Kind: iamv1alpha1.ConnectionKindCluster, Name: "corp"}))
		Expect(op.Spec.ResetMFA.ExclusionUntil.UTC().Format("2006-01-02T15:04:05Z")).To(Equal("2026-12-01T00:00:00Z"))
	})

	It("refuses what the operator could not run, before creating anything", func() {
		for _, c := range []struct {
			args []string
			msg  string
		}{
			{[]string{"unlock", "bob"}, "JumpCloudUser bob not found in namespace " + namespace},
			{[]string{"unlock"}, "name the user"},
			{[]string{"unlock", "alice", "--id", ada.ID}, "either USER (a JumpCloudUser) or --id"},
			{[]string{"unlock", "--id", "ADA"}, "is not a JumpCloud user id"},
			{[]string{"unlock", "alice", "--connection", "default"}, "only go with --id"},
			{[]string{"reset-mfa", "alice", "--exclusion-days", "400"}, "between 1 and 365"},
			{[]string{"reset-mfa", "alice", "--exclusion-until", "tomorrow"}, "is not an RFC 3339 time"},
			{[]string{"reset-mfa", "alice", "--exclusion-days", "3", "--exclusion-until", "2026-12-01T00:00:00Z"}, "none of the others can be"},
		} {
			r := run(append(c.args, "-n", namespace)...)
			Expect(r.code).To(Equal(1), "%v", c.args)
			Expect(r.stderr).To(ContainSubstring(c.msg), "%v", c.args)
		}
		var list iamv1alpha1.JumpCloudUserOperationList
		Expect(k8sClient.List(ctx, &list, client.InNamespace(namespace))).To(Succeed())
		Expect(list.Items).To(BeEmpty())
	})
})

var _ = Describe("help", func() {
	It("has a short and long description and an example for every command", func() {
		for _, c := range []string{"list", "get", "import", "expire-password", "reset-mfa", "unlock", "activate"} {
			r := run(c, "--help")
			Expect(r.code).To(Equal(0))
			Expect(r.stdout).To(ContainSubstring("Usage:\n  kubectl jumpcloud " + c))
			Expect(r.stdout).To(ContainSubstring("Examples:\n  # "))
			Expect(r.stdout).To(ContainSubstring("Global Flags:"))
		}
		r := run("-n", ns, "--help")
		Expect(r.code).To(Equal(0))
		Expect(r.stdout).To(ContainSubstring("The API key is never printed."))
	})
})

func ptr[T any](v T) *T { return &v }
