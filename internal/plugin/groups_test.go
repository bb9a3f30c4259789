package plugin_test

import (
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/rand"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"

	iamv1alpha1 "github.com/jumpcloud-operator/jumpcloud-operator/api/v1alpha1"
	"github.com/jumpcloud-operator/jumpcloud-operator/internal/jumpcloud/jcsim"
)

// addGroup stores a group in the simulator as the console would.
func addGroup(g jcsim.Group, members ...string) jcsim.Group {
	out, err := sim.AddGroup(org, g, members...)
	ExpectWithOffset(1, err).NotTo(HaveOccurred())
	return out
}

// groupAnswer is one group of groups list -o json, or groups get -o json.
type groupAnswer struct {
	ID               string `json:"id"`
	Name             string `json:"name"`
	Description      string `json:"description"`
	Email            string `json:"email"`
	MembershipMethod string `json:"membershipMethod"`
	MemberQuery      *struct {
		QueryType string              `json:"queryType"`
		Filters   []map[string]string `json:"filters"`
	} `json:"memberQuery"`
	Attributes struct {
		Sudo struct {
			Enabled         bool `json:"enabled"`
			WithoutPassword bool `json:"withoutPassword"`
		} `json:"sudo"`
		SambaEnabled bool                `json:"sambaEnabled"`
		PosixGroups  []map[string]any    `json:"posixGroups"`
		Radius       map[string]any      `json:"radius"`
		LDAPGroups   []map[string]string `json:"ldapGroups"`
	} `json:"attributes"`
	MemberCount *int `json:"memberCount"`
	Members     []struct {
		ID       string `json:"id"`
		Username string `json:"username"`
	} `json:"members"`
}

func parseGroups(out string) []groupAnswer {
	var a []groupAnswer
	ExpectWithOffset(1, json.Unmarshal([]byte(out), &a)).To(Succeed(), out)
	return a
}

// importedGroups parses groups import's YAML stream.
func importedGroups(out string) []iamv1alpha1.JumpCloudUserGroup {
	var groups []iamv1alpha1.JumpCloudUserGroup
	dec := utilyaml.NewYAMLOrJSONDecoder(strings.NewReader(out), 4096)
	for {
		var g iamv1alpha1.JumpCloudUserGroup
		err := dec.Decode(&g)
		if errors.Is(err, io.EOF) {
			return groups
		}
		ExpectWithOffset(1, err).NotTo(HaveOccurred())
		if g.Name != "" {
			groups = append(groups, g)
		}
	}
}

// tableRows splits a table into its rows, each into its cells (cells hold no spaces here).
func tableRows(out string) [][]string {
	var rows [][]string
	for line := range strings.SplitSeq(strings.TrimSpace(out), "\n") {
		rows = append(rows, strings.Fields(line))
	}
	return rows
}

var _ = Describe("groups", func() {
	// sfx makes the spec's group names unique: the simulator's groups outlive a spec.
	var sfx string
	var eng, research jcsim.Group

	BeforeEach(func() {
		sim.ResetLog()
		sfx = rand.String(6)
		eng = addGroup(jcsim.Group{
			Name: "eng-" + sfx, Description: "Engineers", Email: "eng-" + sfx + "@example.com",
			MembershipMethod: jcsim.MembershipStatic,
			Attributes: &jcsim.GroupAttributes{
				Sudo:         &jcsim.GroupSudo{Enabled: true, WithoutPassword: true},
				SambaEnabled: ptr(true),
				PosixGroups:  []jcsim.PosixGroup{{ID: 1001, Name: "eng"}},
				Radius:       &jcsim.GroupRadius{Reply: []jcsim.RadiusReply{{Name: "Filter-Id", Value: "eng"}}},
			},
		}, grace.ID, alan.ID, ada.ID)
		research = addGroup(jcsim.Group{
			Name: "research-" + sfx, MembershipMethod: jcsim.MembershipAutomated,
			MemberQuery: &jcsim.MemberQuery{QueryType: "FilterQuery", Filters: []jcsim.MemberFilter{
				{Field: "department", Operator: "eq", Value: "Research"},
			}},
		})
	})

	Describe("list", func() {
		It("prints a table of the groups a filter selects, without reading members", func() {
			r := run("groups", "list", "--filter", "name:search:"+sfx, "--sort", "name")
			Expect(r.code).To(Equal(0), r.stderr)
			Expect(tableRows(r.stdout)).To(Equal([][]string{
				{"ID", "NAME", "MEMBERSHIP", "DESCRIPTION"},
				{eng.ID, eng.Name, "STATIC", "Engineers"},
				{research.ID, research.Name, "DYNAMIC_AUTOMATED", "<none>"},
			}))
			Expect(r.stderr).To(BeEmpty())
			q := queryOf(lastRequest("group-list").Query)
			Expect(q.Get("filter")).To(Equal("name:search:" + sfx))
			Expect(q.Get("sort")).To(Equal("name"))
			Expect(q.Get("limit")).To(Equal("100"))
			Expect(sim.Count("member-list")).To(BeZero(), "members are only read with --count-members")
		})

		It("counts the members with --count-members, also of a dynamic group", func() {
			r := run("groups", "list", "--filter", "name:search:"+sfx, "--sort", "-name", "--count-members")
			Expect(r.code).To(Equal(0), r.stderr)
			Expect(tableRows(r.stdout)).To(Equal([][]string{
				{"ID", "NAME", "MEMBERSHIP", "MEMBERS", "DESCRIPTION"},
				{research.ID, research.Name, "DYNAMIC_AUTOMATED", "2", "<none>"},
				{eng.ID, eng.Name, "STATIC", "3", "Engineers"},
			}))
			Expect(sim.Count("member-list")).To(Equal(2))
		})

		It("prints JSON in JumpCloud's v2 field names, and YAML; a filter may carry the user filters' $", func() {
			r := run("groups", "list", "--filter", "name:$eq:"+eng.Name, "-o", "json")
			Expect(r.code).To(Equal(0), r.stderr)
			groups := parseGroups(r.stdout)
			Expect(groups).To(HaveLen(1))
			g := groups[0]
			Expect(g.ID).To(Equal(eng.ID))
			Expect(g.Email).To(Equal(eng.Email))
			Expect(g.MembershipMethod).To(Equal("STATIC"))
			Expect(g.Attributes.Sudo.Enabled).To(BeTrue())
			Expect(g.Attributes.Sudo.WithoutPassword).To(BeTrue())
			Expect(g.Attributes.SambaEnabled).To(BeTrue())
			Expect(g.Attributes.PosixGroups).To(ConsistOf(map[string]any{"id": 1001.0, "name": "eng"}))
			Expect(g.Attributes.Radius).To(Equal(map[string]any{"reply": []any{map[string]any{"name": "Filter-Id", "value": "eng"}}}))
			Expect(g.MemberCount).To(BeNil())
			Expect(queryOf(lastRequest("group-list").Query).Get("filter")).To(Equal("name:eq:" + eng.Name))

			r = run("groups", "list", "--filter", "name:eq:"+research.Name, "--count-members", "-o", "yaml")
			Expect(r.code).To(Equal(0), r.stderr)
			var y []groupAnswer
			Expect(yaml.Unmarshal([]byte(r.stdout), &y)).To(Succeed())
			Expect(y).To(HaveLen(1))
			Expect(*y[0].MemberCount).To(Equal(2))
			Expect(y[0].MemberQuery.Filters).To(Equal([]map[string]string{{"field": "department", "operator": "eq", "value": "Research"}}))
		})

		It("pages with --limit and --skip, says a full page may not be the last, and reads every page with --all", func() {
			r := run("groups", "list", "--filter", "name:search:"+sfx, "--sort", "name", "--limit", "1", "-o", "json")
			Expect(r.code).To(Equal(0), r.stderr)
			Expect(parseGroups(r.stdout)).To(ConsistOf(HaveField("Name", eng.Name)))
			Expect(r.stderr).To(Equal("Showing groups 1-1; more may follow: next page --skip 1, or read them all with --all.\n"))

			r = run("groups", "list", "--filter", "name:search:"+sfx, "--sort", "name", "--limit", "1", "--skip", "1", "-o", "json")
			Expect(r.code).To(Equal(0), r.stderr)
			Expect(parseGroups(r.stdout)).To(ConsistOf(HaveField("Name", research.Name)))
			Expect(queryOf(lastRequest("group-list").Query).Get("skip")).To(Equal("1"))

			sim.ResetLog()
			r = run("groups", "list", "--filter", "name:search:"+sfx, "--all", "--limit", "1", "-o", "json")
			Expect(r.code).To(Equal(0), r.stderr)
			Expect(parseGroups(r.stdout)).To(HaveLen(2))
			Expect(r.stderr).To(BeEmpty())
			Expect(sim.Count("group-list")).To(Equal(3), "pages of one until a short page")
		})

		It("refuses bad flags before calling JumpCloud", func() {
			for _, c := range []struct {
				args []string
				msg  string
			}{
				{[]string{"groups", "list", "--limit", "500"}, "--limit is at most 100"},
				{[]string{"groups", "list", "--all", "--sort", "name"}, "cannot be combined with --sort"},
				{[]string{"groups", "list", "--all", "--skip", "3"}, "cannot be combined with --skip"},
				{[]string{"groups", "list", "--filter", "name=eng"}, "want field:op:value"},
				{[]string{"groups", "list", "--filter", "name:like:eng"}, "the operator is not one of"},
				{[]string{"groups", "list", "--filter", "name:eq:a,b"}, "cannot contain a comma"},
				{[]string{"groups", "list", "-o", "wide"}, "--output must be table, yaml or json"},
				{[]string{"groups", "get"}, "accepts 1 arg(s)"},
				{[]string{"groups", "import"}, "name the groups to import"},
				{[]string{"groups", "import", "eng", "--all"}, "not both"},
				{[]string{"groups", "import", "eng", "--connection-ref", "Secret/x"}, "the kind must be"},
			} {
				r := run(c.args...)
				Expect(r.code).To(Equal(1), "%v", c.args)
				Expect(r.stderr).To(HavePrefix("error: "), "%v", c.args)
				Expect(r.stderr).To(ContainSubstring(c.msg), "%v", c.args)
			}
			Expect(sim.Count("*")).To(BeZero())
		})

		It("bypasses the cluster with --api-key-env", func() {
			GinkgoT().Setenv("JC_TEST_API_KEY", apiKey)
			r := run("groups", "list", "--kubeconfig", filepath.Join(GinkgoT().TempDir(), "absent"),
				"--api-key-env", "JC_TEST_API_KEY", "--base-url", simURL, "--filter", "name:eq:"+eng.Name, "-o", "json")
			Expect(r.code).To(Equal(0), r.stderr)
			Expect(parseGroups(r.stdout)).To(ConsistOf(HaveField("ID", eng.ID)))
		})
	})

	Describe("get", func() {
		It("describes a group by name: attributes and members with their usernames", func() {
			r := run("groups", "get", eng.Name)
			Expect(r.code).To(Equal(0), r.stderr)
			Expect(r.stdout).To(Equal(strings.Join([]string{
				"ID:             " + eng.ID,
				"Name:           " + eng.Name,
				"Description:    Engineers",
				"Email:          " + eng.Email,
				"Membership:     STATIC",
				"Sudo:           enabled, without password",
				"Samba enabled:  true",
				"POSIX groups:   eng (1001)",
				"RADIUS reply:   Filter-Id=eng",
				"Members:        3",
				"  ID                         USERNAME",
				"  " + ada.ID + "   ada",
				"  " + alan.ID + "   alan_turing",
				"  " + grace.ID + "   grace.hopper",
				"",
			}, "\n")))
			Expect(queryOf(lastRequest("group-list").Query).Get("filter")).To(Equal("name:eq:" + eng.Name))
			Expect(sim.Count("member-list")).To(Equal(1))
			Expect(sim.Count("list")).To(Equal(1), "the usernames are looked up in one list")
			Expect(queryOf(lastRequest("list").Query).Get("fields")).To(Equal("username"))
			Expect(sim.Count("get")).To(BeZero())
		})

		It("gets a dynamic group by id as YAML, with the members JumpCloud computed", func() {
			r := run("groups", "get", research.ID, "-o", "yaml")
			Expect(r.code).To(Equal(0), r.stderr)
			var g groupAnswer
			Expect(yaml.Unmarshal([]byte(r.stdout), &g)).To(Succeed())
			Expect(g.Name).To(Equal(research.Name))
			Expect(g.MembershipMethod).To(Equal("DYNAMIC_AUTOMATED"))
			Expect(g.MemberQuery.QueryType).To(Equal("FilterQuery"))
			Expect(*g.MemberCount).To(Equal(2))
			Expect(g.Members).To(HaveLen(2))
			Expect(g.Members[0].ID).To(Equal(alan.ID))
			Expect(g.Members[0].Username).To(Equal("alan_turing"))
			Expect(g.Members[1].Username).To(Equal("grace.hopper"))
			Expect(sim.Count("group-list")).To(BeZero(), "an id is read directly")

			r = run("groups", "get", research.Name)
			Expect(r.code).To(Equal(0), r.stderr)
			Expect(r.stdout).To(ContainSubstring("Member query:   department eq \"Research\"\n"))
		})

		It("reads every page of a group of more than 100 members, each member once", func() {
			ids := make([]string, 0, len(seeded))
			for _, u := range seeded {
				ids = append(ids, u.ID)
			}
			big := addGroup(jcsim.Group{Name: "big-" + sfx}, ids...)
			r := run("groups", "get", big.Name, "-o", "json")
			Expect(r.code).To(Equal(0), r.stderr)
			var g groupAnswer
			Expect(json.Unmarshal([]byte(r.stdout), &g)).To(Succeed())
			Expect(*g.MemberCount).To(Equal(len(seeded)))
			Expect(g.Members).To(HaveLen(len(seeded)))
			byID := map[string]string{}
			for _, m := range g.Members {
				byID[m.ID] = m.Username
			}
			for _, u := range seeded {
				Expect(byID).To(HaveKeyWithValue(u.ID, u.Username))
			}
			Expect(sim.Count("member-list")).To(Equal(2), "120 members in pages of 100")
			Expect(sim.Count("list")).To(Equal(2), "120 usernames looked up 100 at a time")
			Expect(sim.Count("get")).To(BeZero())

			sim.ResetLog()
			r = run("groups", "list", "--filter", "name:eq:"+big.Name, "--count-members")
			Expect(r.code).To(Equal(0), r.stderr)
			Expect(tableRows(r.stdout)[1]).To(Equal([]string{big.ID, big.Name, "NOTSET", strconv.Itoa(len(seeded)), "<none>"}))
			Expect(sim.Count("member-list")).To(Equal(2))
		})

		It("reads the users one by one when the list by id is refused, and shows an unreadable member by id", func() {
			sim.InjectFault(jcsim.Fault{Op: "list", Code: 400})
			sim.InjectFault(jcsim.Fault{Op: "get", Code: 403})
			r := run("groups", "get", eng.ID, "-o", "json")
			Expect(r.code).To(Equal(0), r.stderr)
			var g groupAnswer
			Expect(json.Unmarshal([]byte(r.stdout), &g)).To(Succeed())
			Expect(g.Members).To(HaveLen(3))
			Expect(g.Members[0].Username).To(Equal("ada"))
			Expect(g.Members[1].Username).To(Equal("alan_turing"))
			Expect(g.Members[2].ID).To(Equal(grace.ID))
			Expect(g.Members[2].Username).To(BeEmpty(), "the API key may not read her")
			Expect(sim.Count("list")).To(Equal(1))
			Expect(sim.Count("get")).To(Equal(3), "one read per member")
		})

		It("says when there is no such group", func() {
			r := run("groups", "get", "no-such-group-"+sfx)
			Expect(r.code).To(Equal(1))
			Expect(r.stderr).To(Equal("error: no JumpCloud user group has the name or id \"no-such-group-" + sfx + "\"\n"))
			r = run("groups", "get", "0123456789abcdef01234567")
			Expect(r.code).To(Equal(1))
			Expect(r.stderr).To(Equal("error: no JumpCloud user group has the name or id \"0123456789abcdef01234567\"\n"))
		})
	})

	Describe("import", func() {
		var target string

		BeforeEach(func() {
			target = "plugin-groups-" + rand.String(5)
			createNamespace(target)
			createDefaultConnection(target)
			// grace is managed in the target namespace: the operator has recorded her id.
			ju := &iamv1alpha1.JumpCloudUser{
				ObjectMeta: metav1.ObjectMeta{Namespace: target, Name: "grace"},
				Spec:       iamv1alpha1.JumpCloudUserSpec{Username: "grace.hopper", Email: "grace@example.com"},
			}
			Expect(k8sClient.Create(ctx, ju)).To(Succeed())
			ju.Status.ID = grace.ID
			Expect(k8sClient.Status().Update(ctx, ju)).To(Succeed())
		})

		It("writes an ObserveOnly static group with its current members, by userRef where a JumpCloudUser has the id, which the apiserver accepts", func() {
			r := run("groups", "import", eng.Name, "-n", target)
			Expect(r.code).To(Equal(0), r.stderr)
			Expect(r.stderr).To(BeEmpty())
			Expect(r.stdout).To(HavePrefix("---\napiVersion: iam.jumpcloud-operator.dev/v1alpha1\nkind: JumpCloudUserGroup\n"))
			Expect(r.stdout).NotTo(ContainSubstring("status"))
			groups := importedGroups(r.stdout)
			Expect(groups).To(HaveLen(1))
			g := groups[0]
			Expect(g.Name).To(Equal(eng.Name))
			Expect(g.Namespace).To(Equal(target))
			Expect(g.Spec).To(Equal(iamv1alpha1.JumpCloudUserGroupSpec{
				Name:        eng.Name,
				Description: ptr("Engineers"),
				Email:       ptr(eng.Email),
				Attributes: &iamv1alpha1.GroupAttributes{
					Sudo:         &iamv1alpha1.GroupSudo{Enabled: true, WithoutPassword: true},
					SambaEnabled: ptr(true),
					PosixGroups:  []iamv1alpha1.PosixGroup{{ID: 1001, Name: "eng"}},
					Radius:       &iamv1alpha1.GroupRadius{Reply: []iamv1alpha1.RadiusReply{{Name: "Filter-Id", Value: "eng"}}},
				},
				Members: &iamv1alpha1.GroupMembers{
					Policy: iamv1alpha1.MembershipAuthoritative,
					Users: []iamv1alpha1.GroupMember{
						{UserRef: &iamv1alpha1.LocalObjectReference{Name: "grace"}},
						{Username: "ada"},
						{Username: "alan_turing"},
					},
				},
				DeletionPolicy:   iamv1alpha1.GroupDeletionPolicyOrphan,
				AdoptionPolicy:   iamv1alpha1.AdoptionPolicyIfExists,
				ManagementPolicy: iamv1alpha1.ManagementPolicyObserveOnly,
			}))
			Expect(k8sClient.Create(ctx, &g)).To(Succeed(), "the apiserver accepts the manifest")
			Expect(sim.Count("list")).To(Equal(1), "only the members without a JumpCloudUser are looked up")
		})

		It("refers to a member whose user cannot be read by id", func() {
			sim.InjectFault(jcsim.Fault{Op: "list", Code: 400})
			sim.InjectFault(jcsim.Fault{Op: "get", Code: 403})
			r := run("groups", "import", eng.ID, "-n", target)
			Expect(r.code).To(Equal(0), r.stderr)
			groups := importedGroups(r.stdout)
			Expect(groups).To(HaveLen(1))
			Expect(groups[0].Spec.Members.Users).To(Equal([]iamv1alpha1.GroupMember{
				{UserRef: &iamv1alpha1.LocalObjectReference{Name: "grace"}},
				{Username: "ada"},
				{ID: alan.ID},
			}))
			Expect(k8sClient.Create(ctx, &groups[0])).To(Succeed())
			Expect(sim.Count("get")).To(Equal(2), "grace has a JumpCloudUser: she is not looked up")
		})

		It("imports a dynamic group as dynamic, without reading its members, and sets connectionRef", func() {
			review := addGroup(jcsim.Group{
				Name: "Review " + sfx, MembershipMethod: jcsim.MembershipReviewRequired,
				MemberQuery: &jcsim.MemberQuery{QueryType: "FilterQuery", Filters: []jcsim.MemberFilter{
					{Field: "department", Operator: "ne", Value: "Sales"},
					{Field: "jobTitle", Operator: "eq", Value: "Researcher"},
				}},
			})
			r := run("groups", "import", research.Name, review.ID, research.ID, "-n", target, "--connection-ref", "corp")
			Expect(r.code).To(Equal(0), r.stderr)
			groups := importedGroups(r.stdout)
			Expect(groups).To(HaveLen(2), "a group named twice is imported once")
			Expect(groups[0].Name).To(Equal(research.Name))
			Expect(groups[0].Spec.Members).To(BeNil())
			Expect(groups[0].Spec.Dynamic).To(Equal(&iamv1alpha1.DynamicMembership{
				Method:  iamv1alpha1.DynamicAutomated,
				Filters: []iamv1alpha1.DynamicFilter{{Field: "department", Operator: "eq", Value: "Research"}},
			}))
			Expect(groups[1].Name).To(Equal("review-" + sfx))
			Expect(groups[1].Spec.Dynamic.Method).To(Equal(iamv1alpha1.DynamicReviewRequired))
			Expect(groups[1].Spec.Dynamic.Filters).To(HaveLen(2))
			for i := range groups {
				Expect(groups[i].Spec.ConnectionRef).To(Equal(&iamv1alpha1.ConnectionReference{Kind: iamv1alpha1.ConnectionKindNamespaced, Name: "corp"}))
				Expect(groups[i].Spec.ManagementPolicy).To(Equal(iamv1alpha1.ManagementPolicyObserveOnly))
				Expect(groups[i].Spec.Attributes).To(BeNil())
				Expect(k8sClient.Create(ctx, &groups[i])).To(Succeed())
			}
			Expect(sim.Count("member-list")).To(BeZero())
		})

		It("imports every group with --all into one file each, names colliding groups by id, and the apiserver accepts them all", func() {
			a := addGroup(jcsim.Group{Name: "Team " + sfx}, johnDoe.ID)
			b := addGroup(jcsim.Group{Name: "team_" + sfx}, johnDoe2.ID)
			addGroup(jcsim.Group{Name: "###" + strings.ToUpper(sfx) + "_"})
			// Once per suite: the simulator's group names are unique.
			stars := addGroup(jcsim.Group{Name: "***"})
			dir := filepath.Join(GinkgoT().TempDir(), "groups")
			r := run("groups", "import", "--all", "-n", target, "--out", dir)
			Expect(r.code).To(Equal(0), r.stderr)
			entries, err := os.ReadDir(dir)
			Expect(err).NotTo(HaveOccurred())
			Expect(entries).To(HaveLen(len(sim.Groups(org))))
			Expect(strings.Fields(r.stdout)).To(HaveLen(len(entries)))
			names := map[string]bool{}
			for _, e := range entries {
				b, err := os.ReadFile(filepath.Join(dir, e.Name()))
				Expect(err).NotTo(HaveOccurred())
				var g iamv1alpha1.JumpCloudUserGroup
				Expect(yaml.UnmarshalStrict(b, &g)).To(Succeed(), e.Name())
				Expect(e.Name()).To(Equal(g.Name + ".yaml"))
				Expect(k8sClient.Create(ctx, &g)).To(Succeed(), "the apiserver accepts %s", e.Name())
				names[g.Name] = true
			}
			Expect(names).To(HaveKey("team-" + sfx + "-" + a.ID))
			Expect(names).To(HaveKey("team-" + sfx + "-" + b.ID))
			Expect(names).To(HaveKey(sfx))
			Expect(names).To(HaveKey("group-"+stars.ID), "a name with nothing usable left")
		})
	})

	It("has a description and examples for every groups command", func() {
		for _, c := range []string{"groups", "groups list", "groups get", "groups import"} {
			r := run(append(strings.Fields(c), "--help")...)
			Expect(r.code).To(Equal(0))
			Expect(r.stdout).To(ContainSubstring("Usage:\n  kubectl jumpcloud " + c))
			Expect(r.stdout).To(ContainSubstring("Examples:\n  # "))
			Expect(r.stdout).To(ContainSubstring("Global Flags:"))
		}
	})
})
