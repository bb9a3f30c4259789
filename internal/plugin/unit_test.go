package plugin

import (
	"strings"
	"testing"

	iamv1alpha1 "github.com/jumpcloud-operator/jumpcloud-operator/api/v1alpha1"
	"github.com/jumpcloud-operator/jumpcloud-operator/internal/jumpcloud"
)

func TestResourceName(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"alice", "alice"},
		{"Alice.Liddell", "alice.liddell"},
		{"john_doe", "john-doe"},
		{"_x_", "x"},
		{"a..b", "a.b"},
		{"a-.b", "a.b"},
		{"jürgen", "j-rgen"},
		{"___", ""},
		{"", ""},
		{strings.Repeat("a", 300), strings.Repeat("a", 253)},
		{strings.Repeat("a", 252) + "_b", strings.Repeat("a", 252)},
	} {
		if got := resourceName(c.in); got != c.want {
			t.Errorf("resourceName(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestResourceNamesAreUniqueWhateverTheOrder(t *testing.T) {
	users := []jumpcloud.User{
		{ID: "000000000000000000000001", Username: "john_doe"},
		{ID: "000000000000000000000002", Username: "John-Doe"},
		{ID: "000000000000000000000003", Username: "alice"},
		{ID: "000000000000000000000004", Username: "__"},
	}
	want := map[string]string{
		"000000000000000000000001": "john-doe-000000000000000000000001",
		"000000000000000000000002": "john-doe-000000000000000000000002",
		"000000000000000000000003": "alice",
		"000000000000000000000004": "user-000000000000000000000004",
	}
	for _, order := range [][]int{{0, 1, 2, 3}, {3, 2, 1, 0}} {
		var in []jumpcloud.User
		for _, i := range order {
			in = append(in, users[i])
		}
		got := resourceNames(in)
		for id, name := range want {
			if got[id] != name {
				t.Errorf("order %v: name of %s = %q, want %q", order, id, got[id], name)
			}
		}
	}
}

func TestParseConnectionRef(t *testing.T) {
	for _, c := range []struct {
		in      string
		want    *iamv1alpha1.ConnectionReference
		wantErr bool
	}{
		{in: ""},
		{in: "corp", want: &iamv1alpha1.ConnectionReference{Kind: iamv1alpha1.ConnectionKindNamespaced, Name: "corp"}},
		{in: "JumpCloudConnection/corp", want: &iamv1alpha1.ConnectionReference{Kind: iamv1alpha1.ConnectionKindNamespaced, Name: "corp"}},
		{in: "clusterjumpcloudconnection/corp", want: &iamv1alpha1.ConnectionReference{Kind: iamv1alpha1.ConnectionKindCluster, Name: "corp"}},
		{in: "Secret/corp", wantErr: true},
		{in: "ClusterJumpCloudConnection/", wantErr: true},
		{in: "ClusterJumpCloudConnection/a/b", wantErr: true},
	} {
		got, err := parseConnectionRef(c.in)
		if (err != nil) != c.wantErr {
			t.Errorf("parseConnectionRef(%q) error = %v, want error %v", c.in, err, c.wantErr)
			continue
		}
		if (got == nil) != (c.want == nil) || (got != nil && *got != *c.want) {
			t.Errorf("parseConnectionRef(%q) = %+v, want %+v", c.in, got, c.want)
		}
	}
}

func TestImportedProfile(t *testing.T) {
	names := map[string]string{"aaaaaaaaaaaaaaaaaaaaaaaa": "boss", "cccccccccccccccccccccccc": "self"}
	u := jumpcloud.User{ID: "cccccccccccccccccccccccc", Manager: "aaaaaaaaaaaaaaaaaaaaaaaa", Firstname: "C"}
	p, warnings := importedProfile(&u, names)
	if p.Manager == nil || p.Manager.Name != "boss" || len(warnings) != 0 {
		t.Errorf("an imported manager is referenced by name: %+v %v", p.Manager, warnings)
	}

	u.Manager = "bbbbbbbbbbbbbbbbbbbbbbbb"
	if p, _ = importedProfile(&u, names); p.Manager == nil || p.Manager.ID != u.Manager {
		t.Errorf("a manager not imported is referenced by id: %+v", p.Manager)
	}

	u.Manager = u.ID
	if p, _ = importedProfile(&u, names); p.Manager == nil || p.Manager.ID != u.ID || p.Manager.Name != "" {
		t.Errorf("a user who is their own manager is referenced by id (a name would break the CEL rule): %+v", p.Manager)
	}

	u.Manager = "not-an-id"
	if p, warnings = importedProfile(&u, names); p.Manager != nil || len(warnings) != 1 {
		t.Errorf("an unusable manager is left out with a warning: %+v %v", p.Manager, warnings)
	}

	bare := jumpcloud.User{ID: "dddddddddddddddddddddddd"}
	if p, _ = importedProfile(&bare, names); p != nil {
		t.Errorf("a user without profile fields gets no profile, got %+v", p)
	}

	odd := jumpcloud.User{
		PhoneNumbers: []jumpcloud.PhoneNumber{{ID: "1", Type: "work", Number: "1"}, {Type: "", Number: "2"}},
		Addresses:    []jumpcloud.Address{{ID: "1", Type: ""}},
		Attributes:   []jumpcloud.Attribute{{Name: "a", Value: "1"}, {Name: "a", Value: "2"}, {Name: "", Value: "3"}},
	}
	p, warnings = importedProfile(&odd, names)
	if len(p.PhoneNumbers) != 1 || p.PhoneNumbers[0] != (iamv1alpha1.PhoneNumber{Type: "work", Number: "1"}) ||
		len(p.Addresses) != 0 || len(p.Attributes) != 1 || len(warnings) != 4 {
		t.Errorf("entries the CRD would reject are left out with warnings: %+v %v", p, warnings)
	}
}

func TestSelectionFlags(t *testing.T) {
	for _, c := range []struct {
		name string
		s    selection
		ok   bool
	}{
		{"defaults", selection{limit: 100}, true},
		{"zero limit", selection{limit: 0}, false},
		{"limit above a page", selection{limit: 101}, false},
		{"all pages of 50", selection{limit: 50, all: true}, true},
		{"all with skip", selection{limit: 100, all: true, skip: 1}, false},
		{"all with sort", selection{limit: 100, all: true, sort: []string{"username"}}, false},
		{"search with sort", selection{limit: 100, search: []string{"x"}, sort: []string{"username"}}, false},
		{"search fields alone", selection{limit: 100, searchFields: []string{"email"}}, false},
		{"or with one filter", selection{limit: 100, or: true, filters: []string{"a:$eq:b"}}, false},
		{"bad operator", selection{limit: 100, filters: []string{"a:$like:b"}}, false},
		{"value with colons", selection{limit: 100, filters: []string{"created:$gt:2026-01-01T00:00:00Z"}}, true},
	} {
		if _, err := c.s.parsed(); (err == nil) != c.ok {
			t.Errorf("%s: error %v, want ok %v", c.name, err, c.ok)
		}
	}
}

func TestSplitList(t *testing.T) {
	got := strings.Join(splitList([]string{"-created, username", "email\tdepartment", ""}), "|")
	if got != "-created|username|email|department" {
		t.Errorf("splitList = %q", got)
	}
}
