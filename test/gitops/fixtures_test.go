package gitops

import (
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	kstatus "sigs.k8s.io/cli-utils/pkg/kstatus/status"
	"sigs.k8s.io/yaml"

	iamv1alpha1 "github.com/jumpcloud-operator/jumpcloud-operator/api/v1alpha1"
)

// Argo CD health statuses.
const (
	healthy     = "Healthy"
	progressing = "Progressing"
	degraded    = "Degraded"
)

// fixture is an object in testdata/, in a state the operator puts it in, with what Argo CD (through
// config/argocd) and Flux (through kstatus) make of it.
type fixture struct {
	file    string
	health  string // Argo CD health status
	message string // Argo CD health message
	kstatus kstatus.Status
}

var fixtures = []fixture{
	// JumpCloudUser
	{"user-fresh.yaml", progressing, "Waiting for the operator to act on this user", kstatus.InProgressStatus},
	{"user-waiting-connection.yaml", progressing, "waiting for ClusterJumpCloudConnection default to become Ready", kstatus.InProgressStatus},
	{"user-unreachable-after-edit.yaml", progressing, "jumpcloud update user: unavailable (HTTP 503)", kstatus.InProgressStatus},
	{"user-ready.yaml", healthy, "JumpCloud user 5f1b2c3d4e5f60718293a4b5 matches the spec", kstatus.CurrentStatus},
	{"user-lockedout.yaml", healthy, "LockedOut: JumpCloud locked the account (for example after failed logins); " +
		"unlock it with the unlock annotation or a JumpCloudUserOperation", kstatus.CurrentStatus},
	{"user-observeonly-drifted.yaml", healthy, "Observed JumpCloud user 5f1b2c3d4e5f60718293a4b5 (ObserveOnly: the Synced condition reports drift); " +
		"Drifted: JumpCloud differs from the spec in: email, lastname", kstatus.CurrentStatus},
	{"user-paused.yaml", healthy, "Paused: the operator observes this user but writes nothing", kstatus.CurrentStatus},
	{"user-stalled-alreadyexists.yaml", degraded, `JumpCloud user "erin" already exists (5f1b2c3d4e5f60718293a4b6) and adoptionPolicy is Never; ` +
		"set adoptionPolicy: IfExists on a connection with allowAdoption to take it over", kstatus.FailedStatus},
	{"user-stalled-then-edited.yaml", progressing, "Waiting for the operator to act on generation 2", kstatus.InProgressStatus},
	// Argo CD reports any object being deleted as Progressing ("Pending deletion") before it runs a
	// health script; kstatus calls it Terminating.
	{"user-deleting.yaml", progressing, "Applying deletionPolicy Suspend", kstatus.TerminatingStatus},

	// JumpCloudUserGroup
	{"group-fresh.yaml", progressing, "Waiting for the operator to act on this group", kstatus.InProgressStatus},
	{"group-members-pending.yaml", progressing, "waiting for 1 members to be JumpCloud users: " +
		"userRef bob (the JumpCloudUser has no JumpCloud id yet)", kstatus.InProgressStatus},
	{"group-member-gone.yaml", progressing, "waiting for 1 members to be JumpCloud users: userRef bob (no such JumpCloudUser)", kstatus.InProgressStatus},
	{"group-ready.yaml", healthy, "JumpCloud group 6a2b3c4d5e6f708192a3b4c5 matches the spec", kstatus.CurrentStatus},
	{"group-observeonly-drifted.yaml", healthy, "Observed JumpCloud group 6a2b3c4d5e6f708192a3b4c5 (ObserveOnly: the Synced condition reports drift); " +
		"Drifted: JumpCloud differs from the spec in: description", kstatus.CurrentStatus},
	{"group-paused.yaml", healthy, "Paused: the operator observes this group but writes nothing", kstatus.CurrentStatus},
	{"group-stalled-alreadyexists.yaml", degraded, `JumpCloud group "platform" already exists (6a2b3c4d5e6f708192a3b4c6) and adoptionPolicy is Never; ` +
		"set adoptionPolicy: IfExists on a connection with allowAdoption to take it over", kstatus.FailedStatus},
	{"group-stalled-managedelsewhere.yaml", degraded, `JumpCloud group "platform" is already managed by JumpCloudUserGroup team-b/platform`, kstatus.FailedStatus},
	{"group-stalled-notfound.yaml", degraded, `JumpCloud has no group "Engineering"`, kstatus.FailedStatus},
	{"group-stalled-then-edited.yaml", progressing, "Waiting for the operator to act on generation 2", kstatus.InProgressStatus},
	{"group-deleting.yaml", progressing, "Applying deletionPolicy Delete", kstatus.TerminatingStatus},

	// JumpCloudUserOperation
	{"operation-fresh.yaml", progressing, "Pending: waiting for the operator", kstatus.InProgressStatus},
	{"operation-pending.yaml", progressing, "Pending: waiting for JumpCloudUser alice to be created in JumpCloud", kstatus.InProgressStatus},
	{"operation-running.yaml", progressing, "Running: calling JumpCloud (attempt 1)", kstatus.InProgressStatus},
	{"operation-succeeded.yaml", healthy, "ResetMFA succeeded on JumpCloud user 5f1b2c3d4e5f60718293a4b5", kstatus.CurrentStatus},
	{"operation-failed.yaml", degraded, "the operator stopped while the MFA reset was in flight; " +
		"it may or may not have reached JumpCloud, and it is not repeated", kstatus.FailedStatus},

	// JumpCloudConnection and ClusterJumpCloudConnection
	{"connection-fresh.yaml", progressing, "Waiting for the operator to verify the API key", kstatus.InProgressStatus},
	{"connection-ready.yaml", healthy, "JumpCloud accepted the API key", kstatus.CurrentStatus},
	{"connection-keyrejected.yaml", degraded, "JumpCloud rejected the API key or organization: " +
		"jumpcloud list users: unauthorized (HTTP 401): invalid API key", kstatus.FailedStatus},
	{"connection-unreachable.yaml", progressing, "cannot reach JumpCloud: jumpcloud list users: unavailable (HTTP 503)", kstatus.InProgressStatus},
	{"clusterconnection-ready.yaml", healthy, "JumpCloud accepted the API key", kstatus.CurrentStatus},
}

// loadObject reads a YAML manifest into the form Argo CD and kstatus work on (numbers as int64).
func loadObject(t *testing.T, path string) *unstructured.Unstructured {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return decodeObject(t, path, data)
}

func decodeObject(t *testing.T, name string, data []byte) *unstructured.Unstructured {
	t.Helper()
	js, err := yaml.YAMLToJSON(data)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	u := &unstructured.Unstructured{}
	if err := u.UnmarshalJSON(js); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return u
}

// typedObject returns an empty API object of the fixture's kind, for strict decoding.
func typedObject(kind string) any {
	switch kind {
	case "JumpCloudUser":
		return &iamv1alpha1.JumpCloudUser{}
	case "JumpCloudUserGroup":
		return &iamv1alpha1.JumpCloudUserGroup{}
	case "JumpCloudUserOperation":
		return &iamv1alpha1.JumpCloudUserOperation{}
	case "JumpCloudConnection":
		return &iamv1alpha1.JumpCloudConnection{}
	case "ClusterJumpCloudConnection":
		return &iamv1alpha1.ClusterJumpCloudConnection{}
	}
	return nil
}

// apiKinds returns the kinds the API package registers in iam.jumpcloud-operator.dev/v1alpha1,
// sorted, without their lists: a kind added there fails the tests that use this until it has a
// health check and fixtures.
func apiKinds(t *testing.T) []string {
	t.Helper()
	scheme := runtime.NewScheme()
	if err := iamv1alpha1.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	pkg := reflect.TypeFor[iamv1alpha1.JumpCloudUser]().PkgPath()
	var kinds []string
	for kind, typ := range scheme.KnownTypes(iamv1alpha1.GroupVersion) {
		if typ.PkgPath() == pkg && !strings.HasSuffix(kind, "List") {
			kinds = append(kinds, kind)
		}
	}
	slices.Sort(kinds)
	return kinds
}

// TestFixtures keeps testdata/ honest: every file is in the table above, and every fixture decodes
// strictly (no unknown or misspelt field) into the API type of its kind, so its shape is one the
// operator can write.
func TestFixtures(t *testing.T) {
	files, err := filepath.Glob("testdata/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var listed []string
	for _, f := range fixtures {
		listed = append(listed, f.file)
	}
	for _, file := range files {
		if !slices.Contains(listed, filepath.Base(file)) {
			t.Errorf("%s has no entry in the fixtures table", file)
		}
	}
	kinds := map[string]bool{}
	for _, f := range fixtures {
		t.Run(strings.TrimSuffix(f.file, ".yaml"), func(t *testing.T) {
			path := filepath.Join("testdata", f.file)
			u := loadObject(t, path)
			kinds[u.GetKind()] = true
			if u.GroupVersionKind().GroupVersion() != iamv1alpha1.GroupVersion {
				t.Errorf("apiVersion %s, want %s", u.GetAPIVersion(), iamv1alpha1.GroupVersion)
			}
			typed := typedObject(u.GetKind())
			if typed == nil {
				t.Fatalf("unknown kind %s", u.GetKind())
			}
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if err := yaml.UnmarshalStrict(data, typed); err != nil {
				t.Errorf("not a %s: %v", u.GetKind(), err)
			}
		})
	}
	for _, kind := range apiKinds(t) {
		if !kinds[kind] {
			t.Errorf("no fixture of kind %s", kind)
		}
	}
}
