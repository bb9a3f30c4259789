package jumpcloud_test

import (
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"testing"

	"github.com/jumpcloud-operator/jumpcloud-operator/internal/jumpcloud"
	"github.com/jumpcloud-operator/jumpcloud-operator/internal/jumpcloud/jcsim"
)

// These tests run the client's group, membership and SSH key calls against the simulator.

func TestGroupLifecycle(t *testing.T) {
	e := newEnv(t)
	f := jumpcloud.GroupFields{
		Name:         jumpcloud.Ptr("Platform"),
		Description:  jumpcloud.Ptr("platform team"),
		Email:        jumpcloud.Ptr("platform@example.com"),
		Sudo:         &jumpcloud.SudoAttributes{Enabled: true, WithoutPassword: true},
		SambaEnabled: jumpcloud.Ptr(true),
		PosixGroups:  &[]jumpcloud.PosixGroup{{ID: 5001, Name: "platform"}},
		RadiusReply:  &[]jumpcloud.RadiusReply{{Name: "Session-Timeout", Value: "3600"}},
		LDAPGroups:   &[]jumpcloud.LDAPGroup{{Name: "platform"}},
	}
	created, err := e.client.CreateGroup(ctx(t), f)
	if err != nil {
		t.Fatal(err)
	}
	if len(created.ID) != 24 || created.Name != "Platform" {
		t.Fatalf("created %+v", created)
	}
	got, err := e.client.GetGroup(ctx(t), created.ID)
	if err != nil {
		t.Fatal(err)
	}
	wantAttrs := jumpcloud.GroupAttributes{
		Sudo:         jumpcloud.SudoAttributes{Enabled: true, WithoutPassword: true},
		SambaEnabled: true,
		PosixGroups:  []jumpcloud.PosixGroup{{ID: 5001, Name: "platform"}},
		RadiusReply:  []jumpcloud.RadiusReply{{Name: "Session-Timeout", Value: "3600"}},
		LDAPGroups:   []jumpcloud.LDAPGroup{{Name: "platform"}},
	}
	if got.Description != "platform team" || got.Email != "platform@example.com" || !reflect.DeepEqual(got.Attributes, wantAttrs) {
		t.Errorf("got %+v", got)
	}
	found, err := e.client.FindGroupByName(ctx(t), "Platform")
	if err != nil || found.ID != created.ID {
		t.Fatalf("found %+v err %v", found, err)
	}
	if _, err := e.client.FindGroupByName(ctx(t), "Plat*"); !jumpcloud.IsNotFound(err) {
		t.Errorf("wild card lookup: %v", err)
	}

	// A name another group has: AlreadyExists, however the simulator answers it.
	for _, code := range []int{http.StatusConflict, http.StatusBadRequest} {
		e.sim.UpdateKnobs(func(k *jcsim.Knobs) { k.GroupDuplicateStatus = code })
		if _, err := e.client.CreateGroup(ctx(t), jumpcloud.GroupFields{Name: jumpcloud.Ptr("Platform")}); !jumpcloud.IsAlreadyExists(err) {
			t.Errorf("%d: duplicate create: %v", code, err)
		}
	}

	// PUT replaces the whole group, so UpdateGroup must keep what it was not asked to change.
	other, err := e.client.CreateGroup(ctx(t), jumpcloud.GroupFields{Name: jumpcloud.Ptr("Other")})
	if err != nil {
		t.Fatal(err)
	}
	upd, err := e.client.UpdateGroup(ctx(t), created.ID, jumpcloud.GroupFields{
		Description: jumpcloud.Ptr("the platform team"),
		Sudo:        &jumpcloud.SudoAttributes{Enabled: true},
	})
	if err != nil {
		t.Fatal(err)
	}
	wantAttrs.Sudo.WithoutPassword = false
	if upd.Name != "Platform" || upd.Description != "the platform team" || upd.Email != "platform@example.com" || !reflect.DeepEqual(upd.Attributes, wantAttrs) {
		t.Errorf("updated %+v", upd)
	}
	if g, _ := e.sim.Group(jcsim.DefaultOrg, created.ID); g.Email != "platform@example.com" || g.Attributes == nil || len(g.Attributes.PosixGroups) != 1 {
		t.Errorf("stored %+v", g)
	}
	if _, err := e.client.UpdateGroup(ctx(t), other.ID, jumpcloud.GroupFields{Name: jumpcloud.Ptr("Platform")}); !jumpcloud.IsAlreadyExists(err) {
		t.Errorf("rename onto another name: %v", err)
	}
	if _, err := e.client.UpdateGroup(ctx(t), "0123456789abcdef01234567", jumpcloud.GroupFields{Description: jumpcloud.Ptr("x")}); !jumpcloud.IsNotFound(err) {
		t.Errorf("update of a missing group: %v", err)
	}

	for _, noContent := range []bool{false, true} {
		e.sim.UpdateKnobs(func(k *jcsim.Knobs) { k.GroupDeleteNoContent = noContent })
		id := created.ID
		if noContent {
			id = other.ID
		}
		if err := e.client.DeleteGroup(ctx(t), id); err != nil {
			t.Fatalf("delete (204: %v): %v", noContent, err)
		}
		if _, err := e.client.GetGroup(ctx(t), id); !jumpcloud.IsNotFound(err) {
			t.Errorf("get after delete: %v", err)
		}
		if err := e.client.DeleteGroup(ctx(t), id); !jumpcloud.IsNotFound(err) {
			t.Errorf("second delete: %v", err)
		}
	}

	// The simulator logs the same operation names the client reports.
	for _, op := range []string{jumpcloud.OpGroupCreate, jumpcloud.OpGroupGet, jumpcloud.OpGroupList, jumpcloud.OpGroupUpdate, jumpcloud.OpGroupDelete} {
		if e.sim.Count(op) == 0 {
			t.Errorf("simulator logged no %s", op)
		}
	}
	if e.obs.Requests("group-create 201") != 2 || e.obs.Requests("group-create 409") != 1 || e.obs.Requests("group-create 400") != 1 {
		t.Errorf("observed %v", e.obs.requests)
	}
}

func TestDynamicGroupQueryRoundTrips(t *testing.T) {
	e := newEnv(t)
	for _, q := range []jumpcloud.MemberQuery{
		{QueryType: jumpcloud.QueryTypeFilterQuery, Filters: []jumpcloud.MemberQueryFilter{{Field: "department", Operator: "eq", Value: "Sales"}}},
		{Filters: []jumpcloud.MemberQueryFilter{{Field: "department", Operator: "eq", Value: "Sales"}}},
	} {
		name := "sales-" + q.QueryType
		g, err := e.client.CreateGroup(ctx(t), jumpcloud.GroupFields{
			Name: jumpcloud.Ptr(name), MembershipMethod: jumpcloud.Ptr(jumpcloud.MembershipDynamicAutomated), MemberQuery: &q,
		})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		// An update of another field sends the stored query back in the form it was given.
		if _, err := e.client.UpdateGroup(ctx(t), g.ID, jumpcloud.GroupFields{Description: jumpcloud.Ptr("dyn")}); err != nil {
			t.Fatalf("%s: update: %v", name, err)
		}
		got, err := e.client.GetGroup(ctx(t), g.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.MembershipMethod != jumpcloud.MembershipDynamicAutomated || got.MemberQuery == nil || got.Description != "dyn" ||
			got.MemberQuery.QueryType != q.QueryType || !slices.Equal(got.MemberQuery.Filters, q.Filters) {
			t.Errorf("%s: got %+v query %+v", name, got, got.MemberQuery)
		}
	}
}

func TestAllGroupsAndFindByNameReadEveryPage(t *testing.T) {
	e := newEnv(t)
	for i := range 250 {
		if _, err := e.sim.AddGroup(jcsim.DefaultOrg, jcsim.Group{Name: fmt.Sprintf("group-%03d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.sim.AddGroup(jcsim.DefaultOrg, jcsim.Group{Name: "Sales, EMEA"}); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for g, err := range e.client.AllGroups(ctx(t), jumpcloud.GroupListOptions{}) {
		if err != nil {
			t.Fatal(err)
		}
		seen[g.ID] = true
	}
	if len(seen) != 251 || e.sim.Count(jumpcloud.OpGroupList) != 3 {
		t.Errorf("%d groups in %d lists", len(seen), e.sim.Count(jumpcloud.OpGroupList))
	}
	n := 0
	for _, err := range e.client.AllGroups(ctx(t), jumpcloud.GroupListOptions{Filter: []jumpcloud.V2Filter{{Field: "name", Op: jumpcloud.V2Ge, Value: "group-150"}}}) {
		if err != nil {
			t.Fatal(err)
		}
		n++
	}
	if n != 100 {
		t.Errorf("filtered: %d groups", n)
	}
	for _, name := range []string{"group-249", "Sales, EMEA"} {
		if g, err := e.client.FindGroupByName(ctx(t), name); err != nil || g.Name != name {
			t.Errorf("%s: %+v %v", name, g, err)
		}
	}
	page, err := e.client.ListGroups(ctx(t), jumpcloud.GroupListOptions{})
	if err != nil || len(page) != 10 {
		t.Errorf("default page: %d groups, %v", len(page), err)
	}
}

func TestMembersAgainstSimulator(t *testing.T) {
	e := newEnv(t)
	users, err := e.sim.SeedUsers(jcsim.DefaultOrg, 251)
	if err != nil {
		t.Fatal(err)
	}
	ids := make([]string, 0, 250)
	for _, u := range users[:250] {
		ids = append(ids, u.ID)
	}
	big, err := e.sim.AddGroup(jcsim.DefaultOrg, jcsim.Group{Name: "big"}, ids...)
	if err != nil {
		t.Fatal(err)
	}
	members, err := e.client.GroupMembers(ctx(t), big.ID)
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(members)
	slices.Sort(ids)
	if !slices.Equal(members, ids) || e.sim.Count(jumpcloud.OpMemberList) != 3 {
		t.Errorf("%d members in %d requests", len(members), e.sim.Count(jumpcloud.OpMemberList))
	}

	small, err := e.sim.AddGroup(jcsim.DefaultOrg, jcsim.Group{Name: "small"}, users[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	groups, err := e.client.UserGroups(ctx(t), users[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(groups)
	want := []string{big.ID, small.ID}
	slices.Sort(want)
	if !slices.Equal(groups, want) || e.sim.Count(jumpcloud.OpMemberOf) != 1 {
		t.Errorf("memberof %v, want %v", groups, want)
	}

	// Adding a member twice and removing a non-member are done, however the simulator answers.
	newcomer := users[250].ID
	isMember := func() bool {
		m, _ := e.sim.GroupMembers(jcsim.DefaultOrg, small.ID)
		return slices.Contains(m, newcomer)
	}
	for _, code := range []int{http.StatusConflict, http.StatusBadRequest, http.StatusNoContent} {
		e.sim.UpdateKnobs(func(k *jcsim.Knobs) { k.MemberExistsStatus = code })
		for range 2 {
			if err := e.client.AddGroupMember(ctx(t), small.ID, newcomer); err != nil {
				t.Fatalf("add (exists: %d): %v", code, err)
			}
		}
		if !isMember() {
			t.Fatal("not a member after add")
		}
		if err := e.client.RemoveGroupMember(ctx(t), small.ID, newcomer); err != nil {
			t.Fatal(err)
		}
	}
	for _, code := range []int{http.StatusNotFound, http.StatusBadRequest, http.StatusConflict, http.StatusNoContent} {
		e.sim.UpdateKnobs(func(k *jcsim.Knobs) { k.MemberMissingStatus = code })
		if err := e.client.AddGroupMember(ctx(t), small.ID, newcomer); err != nil {
			t.Fatal(err)
		}
		for range 2 {
			if err := e.client.RemoveGroupMember(ctx(t), small.ID, newcomer); err != nil {
				t.Fatalf("remove (missing: %d): %v", code, err)
			}
		}
		if isMember() {
			t.Fatal("still a member after remove")
		}
	}
	if e.obs.Requests("member-add 204") == 0 || e.obs.Requests("member-remove 204") == 0 || e.sim.Count(jumpcloud.OpMemberRemove) == 0 {
		t.Errorf("observed %v", e.obs.requests)
	}

	// Real failures stay errors.
	if err := e.client.AddGroupMember(ctx(t), small.ID, "0123456789abcdef01234567"); !jumpcloud.IsNotFound(err) {
		t.Errorf("unknown user: %v", err)
	}
	if err := e.client.AddGroupMember(ctx(t), "0123456789abcdef01234567", newcomer); !jumpcloud.IsNotFound(err) {
		t.Errorf("unknown group: %v", err)
	}
	if _, err := e.client.GroupMembers(ctx(t), "0123456789abcdef01234567"); !jumpcloud.IsNotFound(err) {
		t.Errorf("members of an unknown group: %v", err)
	}
	dyn, err := e.client.CreateGroup(ctx(t), jumpcloud.GroupFields{
		Name: jumpcloud.Ptr("dyn"), MembershipMethod: jumpcloud.Ptr(jumpcloud.MembershipDynamicAutomated),
		MemberQuery: &jumpcloud.MemberQuery{QueryType: jumpcloud.QueryTypeFilterQuery, Filters: []jumpcloud.MemberQueryFilter{{Field: "department", Operator: "eq", Value: "Sales"}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, code := range []int{http.StatusBadRequest, http.StatusForbidden, http.StatusConflict} {
		e.sim.UpdateKnobs(func(k *jcsim.Knobs) { k.DynamicMemberEditStatus = code })
		if err := e.client.AddGroupMember(ctx(t), dyn.ID, newcomer); err == nil {
			t.Errorf("%d: adding to a dynamic group succeeded", code)
		}
		if err := e.client.RemoveGroupMember(ctx(t), dyn.ID, newcomer); err == nil {
			t.Errorf("%d: removing from a dynamic group succeeded", code)
		}
	}
}

func TestMemberAndGroupRetriesAgainstSimulator(t *testing.T) {
	e := newEnv(t)
	u := e.createUser(t, "rita")
	g, err := e.sim.AddGroup(jcsim.DefaultOrg, jcsim.Group{Name: "g"})
	if err != nil {
		t.Fatal(err)
	}
	// The add is stored, then the connection drops: the retry meets "already a member".
	e.sim.InjectFault(jcsim.Fault{Op: jumpcloud.OpMemberAdd, Drop: true, AfterCommit: true})
	if err := e.client.AddGroupMember(ctx(t), g.ID, u.ID); err != nil {
		t.Fatal(err)
	}
	if e.sim.Count(jumpcloud.OpMemberAdd) != 2 || !slices.Equal(e.obs.Retries(), []string{"member-add connection"}) {
		t.Errorf("%d adds, retries %v", e.sim.Count(jumpcloud.OpMemberAdd), e.obs.Retries())
	}
	e.sim.FailNext(jumpcloud.OpMemberRemove, 2, http.StatusServiceUnavailable)
	if err := e.client.RemoveGroupMember(ctx(t), g.ID, u.ID); err != nil {
		t.Fatal(err)
	}
	if m, _ := e.sim.GroupMembers(jcsim.DefaultOrg, g.ID); len(m) != 0 || e.sim.Count(jumpcloud.OpMemberRemove) != 3 {
		t.Errorf("members %v after %d removes", m, e.sim.Count(jumpcloud.OpMemberRemove))
	}
	e.sim.FailNext(jumpcloud.OpMemberList, 1, http.StatusBadGateway)
	if _, err := e.client.GroupMembers(ctx(t), g.ID); err != nil {
		t.Fatal(err)
	}

	// A group create is never retried: the caller looks it up.
	e.sim.InjectFault(jcsim.Fault{Op: jumpcloud.OpGroupCreate, Drop: true, AfterCommit: true})
	if _, err := e.client.CreateGroup(ctx(t), jumpcloud.GroupFields{Name: jumpcloud.Ptr("h")}); !jumpcloud.IsUnavailable(err) {
		t.Fatalf("err = %v", err)
	}
	if e.sim.Count(jumpcloud.OpGroupCreate) != 1 {
		t.Errorf("%d creates", e.sim.Count(jumpcloud.OpGroupCreate))
	}
	if _, err := e.client.FindGroupByName(ctx(t), "h"); err != nil {
		t.Errorf("the committed group: %v", err)
	}
	e.sim.FailNext(jumpcloud.OpGroupCreate, 1, http.StatusTooManyRequests)
	if _, err := e.client.CreateGroup(ctx(t), jumpcloud.GroupFields{Name: jumpcloud.Ptr("i")}); !jumpcloud.IsRateLimited(err) || e.sim.Count(jumpcloud.OpGroupCreate) != 2 {
		t.Errorf("err = %v after %d creates", err, e.sim.Count(jumpcloud.OpGroupCreate))
	}
	e.sim.FailNext(jumpcloud.OpGroupDelete, 1, http.StatusServiceUnavailable)
	if err := e.client.DeleteGroup(ctx(t), g.ID); err != nil || e.sim.Count(jumpcloud.OpGroupDelete) != 2 {
		t.Errorf("err = %v after %d deletes", err, e.sim.Count(jumpcloud.OpGroupDelete))
	}
}

func TestSSHKeysAgainstSimulator(t *testing.T) {
	e := newEnv(t)
	u := e.createUser(t, "sam")
	pub := jcsim.FakePublicKey("sam@laptop")
	k, err := e.client.AddSSHKey(ctx(t), u.ID, "laptop", pub)
	if err != nil {
		t.Fatal(err)
	}
	if len(k.ID) != 24 || k.Name != "laptop" || k.PublicKey != pub || k.CreateDate == nil {
		t.Errorf("key %+v", k)
	}
	keys, err := e.client.ListSSHKeys(ctx(t), u.ID)
	if err != nil || len(keys) != 1 || keys[0].ID != k.ID || keys[0].PublicKey != pub {
		t.Fatalf("keys %+v err %v", keys, err)
	}

	// Duplicates: AlreadyExists whichever status the simulator uses; a malformed key: Validation.
	for _, code := range []int{http.StatusBadRequest, http.StatusConflict} {
		e.sim.UpdateKnobs(func(kn *jcsim.Knobs) { kn.DuplicateSSHKeyStatus = code })
		if _, err := e.client.AddSSHKey(ctx(t), u.ID, "again", pub); !jumpcloud.IsAlreadyExists(err) {
			t.Errorf("%d: duplicate: %v", code, err)
		}
	}
	if _, err := e.client.AddSSHKey(ctx(t), u.ID, "bad", "ssh-ed25519 not-base64!"); !jumpcloud.IsValidation(err) {
		t.Errorf("malformed key: %v", err)
	}
	if _, err := e.client.AddSSHKey(ctx(t), "0123456789abcdef01234567", "laptop", pub); !jumpcloud.IsNotFound(err) {
		t.Errorf("unknown user: %v", err)
	}

	// An add is never retried.
	e.sim.FailNext(jumpcloud.OpSSHKeyAdd, 1, http.StatusServiceUnavailable)
	before := e.sim.Count(jumpcloud.OpSSHKeyAdd)
	if _, err := e.client.AddSSHKey(ctx(t), u.ID, "desk", jcsim.FakePublicKey("sam@desk")); !jumpcloud.IsUnavailable(err) || e.sim.Count(jumpcloud.OpSSHKeyAdd) != before+1 {
		t.Errorf("err = %v, %d adds", err, e.sim.Count(jumpcloud.OpSSHKeyAdd)-before)
	}

	// A delete is retried, and a key already gone is deleted.
	e.sim.FailNext(jumpcloud.OpSSHKeyDelete, 1, http.StatusBadGateway)
	if err := e.client.DeleteSSHKey(ctx(t), u.ID, k.ID); err != nil {
		t.Fatal(err)
	}
	if err := e.client.DeleteSSHKey(ctx(t), u.ID, k.ID); err != nil {
		t.Errorf("second delete: %v", err)
	}
	if keys, err := e.client.ListSSHKeys(ctx(t), u.ID); err != nil || len(keys) != 0 {
		t.Errorf("keys %+v err %v", keys, err)
	}
	if e.sim.Count(jumpcloud.OpSSHKeyDelete) != 3 || e.sim.Count(jumpcloud.OpSSHKeyList) != 2 {
		t.Errorf("counts %v", e.sim.Counts())
	}
	if _, err := e.client.ListSSHKeys(ctx(t), "0123456789abcdef01234567"); !jumpcloud.IsNotFound(err) {
		t.Errorf("keys of an unknown user: %v", err)
	}
}
