// Package rbac pins the operator's permissions and the manager's pod hardening. The ClusterRole is
// generated from the +kubebuilder:rbac markers (make manifests); this test diffs it against the list
// below, which was reviewed down to what the code uses, so that any new permission is a deliberate,
// reviewed change to this file.
package rbac

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"sigs.k8s.io/yaml"

	"github.com/jumpcloud-operator/jumpcloud-operator/internal/testenv"
)

// managerRole is every permission of the generated ClusterRole manager-role, one line per API
// group, resource and verb, with why the code needs it.
var managerRole = []string{
	// connection.Resolve reads namespace labels for a ClusterJumpCloudConnection's
	// namespaceSelector, through the manager's cache (so list and watch).
	"core namespaces get", "core namespaces list", "core namespaces watch",
	// API keys and passwords are read with a direct GET (never cached); Secret metadata is watched
	// (WatchesMetadata) so that a rotated key or a changed password is noticed, which needs list
	// and watch.
	"core secrets get", "core secrets list", "core secrets watch",
	// The event recorder (events.k8s.io/v1).
	"events.k8s.io events create", "events.k8s.io events patch",
	// Connections are only read; their status is written.
	"iam.jumpcloud-operator.dev clusterjumpcloudconnections get",
	"iam.jumpcloud-operator.dev clusterjumpcloudconnections list",
	"iam.jumpcloud-operator.dev clusterjumpcloudconnections watch",
	"iam.jumpcloud-operator.dev jumpcloudconnections get",
	"iam.jumpcloud-operator.dev jumpcloudconnections list",
	"iam.jumpcloud-operator.dev jumpcloudconnections watch",
	// Operations are read, and deleted once ttlSecondsAfterFinished has passed.
	"iam.jumpcloud-operator.dev jumpclouduseroperations delete",
	"iam.jumpcloud-operator.dev jumpclouduseroperations get",
	"iam.jumpcloud-operator.dev jumpclouduseroperations list",
	"iam.jumpcloud-operator.dev jumpclouduseroperations watch",
	// Users are read and patched (the finalizer, written on the object itself: the operator sets
	// no ownerReferences, so the finalizers subresource is never checked; test/install shows it).
	"iam.jumpcloud-operator.dev jumpcloudusers get",
	"iam.jumpcloud-operator.dev jumpcloudusers list",
	"iam.jumpcloud-operator.dev jumpcloudusers patch",
	"iam.jumpcloud-operator.dev jumpcloudusers update",
	"iam.jumpcloud-operator.dev jumpcloudusers watch",
	// Groups likewise: read and patched (the finalizer), never created or deleted.
	"iam.jumpcloud-operator.dev jumpcloudusergroups get",
	"iam.jumpcloud-operator.dev jumpcloudusergroups list",
	"iam.jumpcloud-operator.dev jumpcloudusergroups patch",
	"iam.jumpcloud-operator.dev jumpcloudusergroups update",
	"iam.jumpcloud-operator.dev jumpcloudusergroups watch",
	"iam.jumpcloud-operator.dev jumpcloudusergroups/status get",
	"iam.jumpcloud-operator.dev jumpcloudusergroups/status patch",
	"iam.jumpcloud-operator.dev jumpcloudusergroups/status update",
	// Status of the other four kinds (written with merge patches).
	"iam.jumpcloud-operator.dev clusterjumpcloudconnections/status get",
	"iam.jumpcloud-operator.dev clusterjumpcloudconnections/status patch",
	"iam.jumpcloud-operator.dev clusterjumpcloudconnections/status update",
	"iam.jumpcloud-operator.dev jumpcloudconnections/status get",
	"iam.jumpcloud-operator.dev jumpcloudconnections/status patch",
	"iam.jumpcloud-operator.dev jumpcloudconnections/status update",
	"iam.jumpcloud-operator.dev jumpclouduseroperations/status get",
	"iam.jumpcloud-operator.dev jumpclouduseroperations/status patch",
	"iam.jumpcloud-operator.dev jumpclouduseroperations/status update",
	"iam.jumpcloud-operator.dev jumpcloudusers/status get",
	"iam.jumpcloud-operator.dev jumpcloudusers/status patch",
	"iam.jumpcloud-operator.dev jumpcloudusers/status update",
}

// leaderElectionRole is the namespaced Role for leader election: controller-runtime's Lease lock,
// and the events it records about the lease.
var leaderElectionRole = []string{
	"coordination.k8s.io leases create", "coordination.k8s.io leases delete", "coordination.k8s.io leases get",
	"coordination.k8s.io leases list", "coordination.k8s.io leases patch", "coordination.k8s.io leases update",
	"coordination.k8s.io leases watch",
	"core events create", "core events patch",
}

func read(t *testing.T, rel string, into any) {
	t.Helper()
	root, err := testenv.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(root, rel))
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.UnmarshalStrict(data, into); err != nil {
		t.Fatalf("%s: %v", rel, err)
	}
}

// flatten turns rules into sorted "group resource verb" lines; names and non-resource URLs, which
// the operator never needs, are reported as such.
func flatten(t *testing.T, rules []rbacv1.PolicyRule) []string {
	t.Helper()
	var out []string
	for _, r := range rules {
		if len(r.ResourceNames) > 0 || len(r.NonResourceURLs) > 0 {
			t.Errorf("unexpected resourceNames or nonResourceURLs in %+v", r)
		}
		for _, g := range r.APIGroups {
			if g == "" {
				g = "core"
			}
			for _, res := range r.Resources {
				for _, v := range r.Verbs {
					out = append(out, fmt.Sprintf("%s %s %s", g, res, v))
				}
			}
		}
	}
	slices.Sort(out)
	return out
}

// diff fails with the lines missing from got and the lines got has in excess.
func diff(t *testing.T, what string, got, want []string) {
	t.Helper()
	want = slices.Sorted(slices.Values(want))
	var extra, missing []string
	for _, g := range got {
		if !slices.Contains(want, g) {
			extra = append(extra, g)
		}
	}
	for _, w := range want {
		if !slices.Contains(got, w) {
			missing = append(missing, w)
		}
	}
	if len(extra)+len(missing) > 0 {
		t.Errorf("%s differs from the reviewed list.\n  granted but not reviewed (remove the marker, or add it here with a reason):\n    %s\n  reviewed but no longer granted (remove it here):\n    %s",
			what, strings.Join(extra, "\n    "), strings.Join(missing, "\n    "))
	}
	if dups := len(got) - len(slices.Compact(slices.Clone(got))); dups > 0 {
		t.Errorf("%s grants %d permissions twice", what, dups)
	}
}

func TestManagerRoleIsTheReviewedList(t *testing.T) {
	var role rbacv1.ClusterRole
	read(t, "config/rbac/role.yaml", &role)
	if role.Name != "manager-role" {
		t.Errorf("role.yaml names %q, want manager-role", role.Name)
	}
	got := flatten(t, role.Rules)
	diff(t, "config/rbac/role.yaml", got, managerRole)
	for _, g := range got {
		if strings.Contains(g, "*") {
			t.Errorf("wildcard permission %q", g)
		}
	}
}

func TestLeaderElectionRoleIsTheReviewedList(t *testing.T) {
	var role rbacv1.Role
	read(t, "config/rbac/leader_election_role.yaml", &role)
	diff(t, "config/rbac/leader_election_role.yaml", flatten(t, role.Rules), leaderElectionRole)
}

// TestOperatorNeverWritesSecretsOrDeletesUsers states the properties the list above keeps, so that
// a change to it cannot drop them unnoticed.
func TestOperatorNeverWritesSecretsOrDeletesUsers(t *testing.T) {
	for _, p := range managerRole {
		f := strings.Fields(p)
		group, res, verb := f[0], f[1], f[2]
		switch {
		case group == "core" && res == "secrets" && verb != "get" && verb != "list" && verb != "watch":
			t.Errorf("the operator must never write Secrets: %q", p)
		case (res == "jumpcloudusers" || res == "jumpcloudusergroups") && (verb == "delete" || verb == "create"):
			t.Errorf("the operator must never create or delete JumpCloudUsers or JumpCloudUserGroups (people own them): %q", p)
		case strings.HasSuffix(res, "connections") && verb != "get" && verb != "list" && verb != "watch":
			t.Errorf("the operator must never change a connection's spec: %q", p)
		case group != "core" && group != "events.k8s.io" && group != "iam.jumpcloud-operator.dev":
			t.Errorf("permission outside the operator's groups: %q", p)
		}
	}
}

// TestManagerPodIsHardened checks the Deployment in config/manager: the "restricted" Pod Security
// Standard and more (read-only root filesystem, no capabilities, bounded resources).
func TestManagerPodIsHardened(t *testing.T) {
	root, err := testenv.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(root, "config/manager/manager.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var dep *appsv1.Deployment
	for doc := range strings.SplitSeq(string(data), "\n---\n") {
		var d appsv1.Deployment
		if err := yaml.Unmarshal([]byte(doc), &d); err != nil {
			t.Fatal(err)
		}
		if d.Kind == "Deployment" {
			dep = &d
		}
	}
	if dep == nil {
		t.Fatal("no Deployment in config/manager/manager.yaml")
	}
	if !strings.Contains(string(data), "pod-security.kubernetes.io/enforce: restricted") {
		t.Error("the manager's namespace does not enforce the restricted Pod Security Standard")
	}
	pod := dep.Spec.Template.Spec
	if pod.SecurityContext == nil || pod.SecurityContext.RunAsNonRoot == nil || !*pod.SecurityContext.RunAsNonRoot {
		t.Error("pod securityContext.runAsNonRoot is not true")
	}
	if pod.SecurityContext == nil || pod.SecurityContext.SeccompProfile == nil || pod.SecurityContext.SeccompProfile.Type != "RuntimeDefault" {
		t.Error("pod securityContext.seccompProfile is not RuntimeDefault")
	}
	if pod.HostNetwork || pod.HostPID || pod.HostIPC {
		t.Error("the pod shares a host namespace")
	}
	if pod.ServiceAccountName != "controller-manager" {
		t.Errorf("serviceAccountName %q, want controller-manager", pod.ServiceAccountName)
	}
	for _, c := range pod.Containers {
		sc := c.SecurityContext
		switch {
		case sc == nil:
			t.Fatalf("container %s has no securityContext", c.Name)
		case sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation:
			t.Errorf("container %s: allowPrivilegeEscalation is not false", c.Name)
		case sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem:
			t.Errorf("container %s: readOnlyRootFilesystem is not true", c.Name)
		case sc.Privileged != nil && *sc.Privileged:
			t.Errorf("container %s is privileged", c.Name)
		case sc.Capabilities == nil || !slices.Equal(sc.Capabilities.Drop, []corev1.Capability{"ALL"}) || len(sc.Capabilities.Add) > 0:
			t.Errorf("container %s: capabilities are not drop [ALL] with none added", c.Name)
		}
		if c.Resources.Limits.Memory().IsZero() || c.Resources.Limits.Cpu().IsZero() {
			t.Errorf("container %s has no CPU or memory limit", c.Name)
		}
	}
}
