package connection

import (
	"context"
	"errors"
	"fmt"
	"os"
	"reflect"
	"strings"
	"sync"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/rand"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	iamv1alpha1 "github.com/jumpcloud-operator/jumpcloud-operator/api/v1alpha1"
	"github.com/jumpcloud-operator/jumpcloud-operator/internal/testenv"
)

// kube is the envtest apiserver of the tests that need one, started by the first of them and
// stopped by TestMain, so that the tests without one do not wait for it.
var kube struct {
	once sync.Once
	env  *envtest.Environment
	c    client.Client
	err  error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if kube.env != nil {
		if err := kube.env.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "stopping envtest:", err)
			code = 1
		}
	}
	os.Exit(code)
}

func kubeClient(t *testing.T) client.Client {
	t.Helper()
	kube.once.Do(func() {
		env, err := testenv.New()
		if err != nil {
			kube.err = err
			return
		}
		cfg, err := env.Start()
		if err != nil {
			kube.err = err
			return
		}
		kube.env = env
		kube.c, kube.err = client.New(cfg, client.Options{Scheme: env.Scheme})
	})
	if kube.err != nil {
		t.Fatal(kube.err)
	}
	return kube.c
}

const (
	orgA = "aaaaaaaaaaaaaaaaaaaaaaaa"
	orgB = "bbbbbbbbbbbbbbbbbbbbbbbb"
	// keysNS holds the Secrets of the cluster connections.
	keysNS = "keys"
)

func namespacedConn(name, secret, key, org string) iamv1alpha1.JumpCloudConnection {
	return iamv1alpha1.JumpCloudConnection{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: iamv1alpha1.JumpCloudConnectionSpec{
			APIKeySecretRef:    iamv1alpha1.APIKeySecretReference{Name: secret, Key: key},
			ConnectionSettings: iamv1alpha1.ConnectionSettings{OrgID: org},
		},
	}
}

func clusterConn(name, secret, key, org string, selector map[string]string) iamv1alpha1.ClusterJumpCloudConnection {
	cc := iamv1alpha1.ClusterJumpCloudConnection{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: iamv1alpha1.ClusterJumpCloudConnectionSpec{
			APIKeySecretRef:    iamv1alpha1.APIKeySecretReference{Namespace: keysNS, Name: secret, Key: key},
			ConnectionSettings: iamv1alpha1.ConnectionSettings{OrgID: org},
		},
	}
	if selector != nil {
		cc.Spec.NamespaceSelector = &metav1.LabelSelector{MatchLabels: selector}
	}
	return cc
}

// findCase is one situation a user's connection is picked in: the connections that exist, the
// labels of the user's namespace, and the user's connectionRef.
type findCase struct {
	name       string
	labels     map[string]string
	namespaced []iamv1alpha1.JumpCloudConnection
	cluster    []iamv1alpha1.ClusterJumpCloudConnection
	ref        *iamv1alpha1.ConnectionReference
	// want is the connection picked in namespace ns; nil when none is, for wantReason.
	want       func(ns string) *Source
	wantReason string
	// wantMessage is the ResolveError's message in namespace ns, as the operator reports it.
	wantMessage func(ns string) string
}

var (
	nsSelector = map[string]string{"jumpcloud": "yes"}
	refTo      = func(kind iamv1alpha1.ConnectionKind, name string) *iamv1alpha1.ConnectionReference {
		return &iamv1alpha1.ConnectionReference{Kind: kind, Name: name}
	}
	namespacedDefault = func(ns string) *Source {
		return &Source{
			Ref:                Ref{Kind: iamv1alpha1.ConnectionKindNamespaced, Namespace: ns, Name: "default"},
			Secret:             client.ObjectKey{Namespace: ns, Name: "ns-key"},
			Key:                DefaultAPIKeyKey,
			ConnectionSettings: iamv1alpha1.ConnectionSettings{OrgID: orgA},
		}
	}
	namespacedCorp = func(ns string) *Source {
		return &Source{
			Ref:                Ref{Kind: iamv1alpha1.ConnectionKindNamespaced, Namespace: ns, Name: "corp"},
			Secret:             client.ObjectKey{Namespace: ns, Name: "corp-key"},
			Key:                "token",
			ConnectionSettings: iamv1alpha1.ConnectionSettings{OrgID: orgB},
		}
	}
	clusterSource = func(name string) func(string) *Source {
		return func(string) *Source {
			return &Source{
				Ref:                Ref{Kind: iamv1alpha1.ConnectionKindCluster, Name: name},
				Secret:             client.ObjectKey{Namespace: keysNS, Name: name + "-key"},
				Key:                "cluster-token",
				ConnectionSettings: iamv1alpha1.ConnectionSettings{OrgID: orgB},
			}
		}
	}
)

// findCases are the situations the operator and kubectl-jumpcloud must agree on.
var findCases = []findCase{{
	name:       "the namespaced default comes before the cluster default",
	namespaced: []iamv1alpha1.JumpCloudConnection{namespacedConn("default", "ns-key", "", orgA)},
	cluster:    []iamv1alpha1.ClusterJumpCloudConnection{clusterConn("default", "default-key", "cluster-token", orgB, nil)},
	want:       namespacedDefault,
}, {
	name:       "the cluster default where the namespace has no default",
	namespaced: []iamv1alpha1.JumpCloudConnection{namespacedConn("corp", "corp-key", "token", orgB)},
	cluster:    []iamv1alpha1.ClusterJumpCloudConnection{clusterConn("default", "default-key", "cluster-token", orgB, nil)},
	want:       clusterSource("default"),
}, {
	name: "an explicit JumpCloudConnection rather than the default",
	namespaced: []iamv1alpha1.JumpCloudConnection{
		namespacedConn("default", "ns-key", "", orgA), namespacedConn("corp", "corp-key", "token", orgB)},
	ref:  refTo(iamv1alpha1.ConnectionKindNamespaced, "corp"),
	want: namespacedCorp,
}, {
	name:       "a reference without a kind names a JumpCloudConnection",
	namespaced: []iamv1alpha1.JumpCloudConnection{namespacedConn("corp", "corp-key", "token", orgB)},
	cluster:    []iamv1alpha1.ClusterJumpCloudConnection{clusterConn("corp", "corp-key", "cluster-token", orgB, nil)},
	ref:        refTo("", "corp"),
	want:       namespacedCorp,
}, {
	name:       "an explicit ClusterJumpCloudConnection rather than the namespaced default",
	namespaced: []iamv1alpha1.JumpCloudConnection{namespacedConn("default", "ns-key", "", orgA)},
	cluster:    []iamv1alpha1.ClusterJumpCloudConnection{clusterConn("corp", "corp-key", "cluster-token", orgB, nil)},
	ref:        refTo(iamv1alpha1.ConnectionKindCluster, "corp"),
	want:       clusterSource("corp"),
}, {
	name:    "a namespaceSelector admits a namespace with the labels",
	labels:  nsSelector,
	cluster: []iamv1alpha1.ClusterJumpCloudConnection{clusterConn("default", "default-key", "cluster-token", orgB, nsSelector)},
	want:    clusterSource("default"),
}, {
	name:       "a namespaceSelector refuses an explicit reference",
	cluster:    []iamv1alpha1.ClusterJumpCloudConnection{clusterConn("selective", "selective-key", "cluster-token", orgB, nsSelector)},
	ref:        refTo(iamv1alpha1.ConnectionKindCluster, "selective"),
	wantReason: iamv1alpha1.ReasonNamespaceNotAllowed,
	wantMessage: func(ns string) string {
		return "ClusterJumpCloudConnection selective does not allow namespace " + ns + " (namespaceSelector jumpcloud=yes)"
	},
}, {
	name:       "a namespaceSelector refuses the cluster default",
	cluster:    []iamv1alpha1.ClusterJumpCloudConnection{clusterConn("default", "default-key", "cluster-token", orgB, nsSelector)},
	wantReason: iamv1alpha1.ReasonNamespaceNotAllowed,
	wantMessage: func(ns string) string {
		return "ClusterJumpCloudConnection default does not allow namespace " + ns + " (namespaceSelector jumpcloud=yes)"
	},
}, {
	name:       "no connection at all",
	namespaced: []iamv1alpha1.JumpCloudConnection{namespacedConn("corp", "corp-key", "token", orgB)},
	wantReason: iamv1alpha1.ReasonConnectionNotFound,
	wantMessage: func(ns string) string {
		return `no connection: create a JumpCloudConnection named "default" in namespace ` + ns +
			` or a ClusterJumpCloudConnection named "default", or set spec.connectionRef`
	},
}, {
	name:       "a missing JumpCloudConnection is not replaced by the default",
	namespaced: []iamv1alpha1.JumpCloudConnection{namespacedConn("default", "ns-key", "", orgA)},
	cluster:    []iamv1alpha1.ClusterJumpCloudConnection{clusterConn("corp", "corp-key", "cluster-token", orgB, nil)},
	ref:        refTo(iamv1alpha1.ConnectionKindNamespaced, "corp"),
	wantReason: iamv1alpha1.ReasonConnectionNotFound,
	wantMessage: func(ns string) string {
		return "JumpCloudConnection " + ns + "/corp does not exist"
	},
}, {
	name:       "a missing ClusterJumpCloudConnection is not replaced by the default",
	namespaced: []iamv1alpha1.JumpCloudConnection{namespacedConn("corp", "corp-key", "token", orgB)},
	cluster:    []iamv1alpha1.ClusterJumpCloudConnection{clusterConn("default", "default-key", "cluster-token", orgB, nil)},
	ref:        refTo(iamv1alpha1.ConnectionKindCluster, "corp"),
	wantReason: iamv1alpha1.ReasonConnectionNotFound,
	wantMessage: func(string) string {
		return "ClusterJumpCloudConnection corp does not exist"
	},
}}

// setUp creates the case's namespace (a new one) and connections, and returns the
// namespace, a registry in which every connection of the case is installed, as the connection
// reconcilers install a verified one, and the settings of each as stored (with the schema's
// defaults). The cluster connections are deleted when the test ends.
func (fc *findCase) setUp(ctx context.Context, t *testing.T, c client.Client, i int) (string, *Registry, map[Ref]iamv1alpha1.ConnectionSettings) {
	t.Helper()
	ns := fmt.Sprintf("find-%d-%s", i, rand.String(5))
	if err := c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns, Labels: fc.labels}}); err != nil {
		t.Fatal(err)
	}
	reg := NewRegistry()
	stored := map[Ref]iamv1alpha1.ConnectionSettings{}
	install := func(ref Ref, s iamv1alpha1.ConnectionSettings) {
		stored[ref] = s
		conn, err := reg.Build(ref, "key-of-"+ref.String(), SettingsFrom(iamv1alpha1.ConnectionSettings{}))
		if err != nil {
			t.Fatal(err)
		}
		reg.Install(conn)
	}
	for _, nc := range fc.namespaced {
		obj := nc.DeepCopy()
		obj.Namespace = ns
		if err := c.Create(ctx, obj); err != nil {
			t.Fatal(err)
		}
		install(Ref{Kind: iamv1alpha1.ConnectionKindNamespaced, Namespace: ns, Name: obj.Name}, obj.Spec.ConnectionSettings)
	}
	for _, cc := range fc.cluster {
		obj := cc.DeepCopy()
		if err := c.Create(ctx, obj); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			if err := c.Delete(context.Background(), obj); err != nil {
				t.Error(err)
			}
		})
		install(Ref{Kind: iamv1alpha1.ConnectionKindCluster, Name: obj.Name}, obj.Spec.ConnectionSettings)
	}
	return ns, reg, stored
}

// TestFindIsWhatResolveUses runs every case through Find (what kubectl-jumpcloud calls, and what
// the connection reconcilers read the key of) and Resolve (what the user and operation
// reconcilers call): both pick the same connection, or refuse with the same ResolveError.
func TestFindIsWhatResolveUses(t *testing.T) {
	c := kubeClient(t)
	ctx := context.Background()
	for i, fc := range findCases {
		t.Run(fc.name, func(t *testing.T) {
			ns, reg, stored := fc.setUp(ctx, t, c, i)

			src, findErr := Find(ctx, c, ns, fc.ref)
			conn, resolveErr := Resolve(ctx, c, reg, ns, fc.ref)
			if fc.want != nil {
				if findErr != nil || resolveErr != nil {
					t.Fatalf("Find: %v; Resolve: %v", findErr, resolveErr)
				}
				want := fc.want(ns)
				if src.ConnectionSettings.OrgID != want.ConnectionSettings.OrgID {
					t.Errorf("Find's settings have orgID %q, want %q", src.ConnectionSettings.OrgID, want.ConnectionSettings.OrgID)
				}
				want.ConnectionSettings = stored[want.Ref]
				if !reflect.DeepEqual(src, want) {
					t.Errorf("Find = %+v, want %+v", src, want)
				}
				if conn.Ref != src.Ref {
					t.Errorf("Resolve picked %s, Find %s", conn.Ref, src.Ref)
				}
				_, err := Resolve(ctx, c, NewRegistry(), ns, fc.ref)
				var re *ResolveError
				if !errors.As(err, &re) || re.Reason != iamv1alpha1.ReasonConnectionNotReady || !re.Waiting ||
					re.Message != "waiting for "+src.Ref.String()+" to become Ready" {
					t.Errorf("Resolve before %s is verified: %v", src.Ref, err)
				}
				return
			}
			var fre, rre *ResolveError
			if !errors.As(findErr, &fre) || !errors.As(resolveErr, &rre) {
				t.Fatalf("want ResolveErrors; Find: %v (%+v); Resolve: %v (%+v)", findErr, src, resolveErr, conn)
			}
			want := &ResolveError{Reason: fc.wantReason, Message: fc.wantMessage(ns)}
			if !reflect.DeepEqual(fre, want) || !reflect.DeepEqual(rre, want) {
				t.Errorf("Find: %+v; Resolve: %+v; want %+v", fre, rre, want)
			}
		})
	}
}

// TestFindPassesAPIErrorsThrough: an error that says nothing about the connection (here a
// canceled context) is no ResolveError, so that the caller retries instead of reporting it.
func TestFindPassesAPIErrorsThrough(t *testing.T) {
	c := kubeClient(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Find(ctx, c, "anywhere", nil)
	var re *ResolveError
	if err == nil || errors.As(err, &re) {
		t.Errorf("Find with a canceled context: %v", err)
	}
}

func TestReadAPIKey(t *testing.T) {
	c := kubeClient(t)
	ctx := context.Background()
	ns := "read-api-key-" + rand.String(5)
	if err := c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil {
		t.Fatal(err)
	}
	const value = "read-api-key-secret-value-7f3a"
	if err := c.Create(ctx, &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "keys"},
		StringData: map[string]string{DefaultAPIKeyKey: value, "other": value + "-other", "empty": ""},
	}); err != nil {
		t.Fatal(err)
	}
	src := func(secret, key string) *Source {
		return &Source{Ref: Ref{Kind: iamv1alpha1.ConnectionKindNamespaced, Namespace: ns, Name: "default"},
			Secret: client.ObjectKey{Namespace: ns, Name: secret}, Key: key}
	}
	for _, tc := range []struct {
		name    string
		src     *Source
		want    string
		wantErr string
	}{
		{name: "the default key", src: src("keys", DefaultAPIKeyKey), want: value},
		{name: "an unset key is the default key", src: src("keys", ""), want: value},
		{name: "another key", src: src("keys", "other"), want: value + "-other"},
		{name: "a missing Secret", src: src("absent", ""), wantErr: `Secret ` + ns + `/absent does not exist`},
		{name: "a missing key", src: src("keys", "nope"), wantErr: `Secret ` + ns + `/keys has no key "nope"`},
		{name: "an empty value", src: src("keys", "empty"), wantErr: `Secret ` + ns + `/keys has no key "empty"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ReadAPIKey(ctx, c, tc.src)
			if tc.wantErr == "" {
				if err != nil || got != tc.want {
					t.Errorf("ReadAPIKey = %q, %v; want %q", got, err, tc.want)
				}
				return
			}
			var missing *MissingAPIKeyError
			if !errors.As(err, &missing) || err.Error() != tc.wantErr || got != "" {
				t.Errorf("ReadAPIKey = %q, %v; want a MissingAPIKeyError %q", got, err, tc.wantErr)
			}
			if err != nil && strings.Contains(err.Error(), value) {
				t.Error("the error carries the key")
			}
		})
	}

	ctx, cancel := context.WithCancel(ctx)
	cancel()
	var missing *MissingAPIKeyError
	if _, err := ReadAPIKey(ctx, c, src("keys", "")); err == nil || errors.As(err, &missing) {
		t.Errorf("a failed read is no MissingAPIKeyError: %v", err)
	}
}

func TestSourcesOfObjects(t *testing.T) {
	nc := namespacedConn("default", "ns-key", "", orgA)
	nc.Namespace = "team-a"
	// The schema refuses a namespace here; the Secret stays in the connection's own namespace.
	nc.Spec.APIKeySecretRef.Namespace = "elsewhere"
	if got, want := NamespacedSource(&nc), namespacedDefault("team-a"); !reflect.DeepEqual(got, want) {
		t.Errorf("NamespacedSource = %+v, want %+v", got, want)
	}
	cc := clusterConn("corp", "corp-key", "cluster-token", orgB, nil)
	if got, want := ClusterSource(&cc), clusterSource("corp")(""); !reflect.DeepEqual(got, want) {
		t.Errorf("ClusterSource = %+v, want %+v", got, want)
	}
	if KeyName("") != "api-key" || KeyName("token") != "token" {
		t.Errorf("KeyName: %q, %q", KeyName(""), KeyName("token"))
	}
}
