package plugin_test

import (
	"errors"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/rand"

	iamv1alpha1 "github.com/jumpcloud-operator/jumpcloud-operator/api/v1alpha1"
	"github.com/jumpcloud-operator/jumpcloud-operator/internal/connection"
	"github.com/jumpcloud-operator/jumpcloud-operator/internal/plugin"
)

// pickCase is one situation a user's connection is picked in: the connections that exist, the
// labels of the user's namespace, and the connection the user names.
type pickCase struct {
	labels map[string]string
	// namespaced names the JumpCloudConnections in the user's namespace.
	namespaced []string
	// cluster are the ClusterJumpCloudConnections, whose namespaceSelector wants selectorLabels
	// when selective.
	cluster []clusterConn
	ref     *iamv1alpha1.ConnectionReference
	// want is the connection picked in namespace ns; nil when none is, for wantReason.
	want       func(ns string) connection.Ref
	wantReason string
}

type clusterConn struct {
	name      string
	selective bool
}

var selectorLabels = map[string]string{"jumpcloud": "picked"}

func namespacedRef(name string) func(string) connection.Ref {
	return func(ns string) connection.Ref {
		return connection.Ref{Kind: iamv1alpha1.ConnectionKindNamespaced, Namespace: ns, Name: name}
	}
}

func clusterRef(name string) func(string) connection.Ref {
	return func(string) connection.Ref {
		return connection.Ref{Kind: iamv1alpha1.ConnectionKindCluster, Name: name}
	}
}

// setUp creates a new namespace and the case's connections, and returns the namespace and a
// registry in which every one of them is installed, as the connection reconcilers install a
// verified connection. The cluster connections are deleted after the spec.
func (pc pickCase) setUp() (string, *connection.Registry) {
	ns := "pick-" + rand.String(5)
	Expect(k8sClient.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns, Labels: pc.labels}})).To(Succeed())
	reg := connection.NewRegistry()
	install := func(ref connection.Ref) {
		conn, err := reg.Build(ref, "key-of-"+ref.String(), connection.SettingsFrom(iamv1alpha1.ConnectionSettings{}))
		Expect(err).NotTo(HaveOccurred())
		reg.Install(conn)
	}
	for _, name := range pc.namespaced {
		Expect(k8sClient.Create(ctx, &iamv1alpha1.JumpCloudConnection{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
			Spec:       iamv1alpha1.JumpCloudConnectionSpec{APIKeySecretRef: iamv1alpha1.APIKeySecretReference{Name: name + "-key"}},
		})).To(Succeed())
		install(connection.Ref{Kind: iamv1alpha1.ConnectionKindNamespaced, Namespace: ns, Name: name})
	}
	for _, c := range pc.cluster {
		cc := &iamv1alpha1.ClusterJumpCloudConnection{
			ObjectMeta: metav1.ObjectMeta{Name: c.name},
			Spec: iamv1alpha1.ClusterJumpCloudConnectionSpec{
				APIKeySecretRef: iamv1alpha1.APIKeySecretReference{Namespace: ns, Name: c.name + "-key"},
			},
		}
		if c.selective {
			cc.Spec.NamespaceSelector = &metav1.LabelSelector{MatchLabels: selectorLabels}
		}
		Expect(k8sClient.Create(ctx, cc)).To(Succeed())
		DeferCleanup(func() { Expect(k8sClient.Delete(ctx, cc)).To(Succeed()) })
		install(connection.Ref{Kind: iamv1alpha1.ConnectionKindCluster, Name: c.name})
	}
	return ns, reg
}

// The plugin must reach JumpCloud through the connection the operator would use for the same
// user, or refuse for the same reason.
var _ = Describe("the connection picked", func() {
	DescribeTable("is the operator's",
		func(pc pickCase) {
			ns, reg := pc.setUp()

			picked, pluginErr := plugin.FindConnection(ctx, k8sClient, ns, pc.ref)
			found, findErr := connection.Find(ctx, k8sClient, ns, pc.ref)
			conn, resolveErr := connection.Resolve(ctx, k8sClient, reg, ns, pc.ref)
			if pc.want != nil {
				Expect(pluginErr).NotTo(HaveOccurred())
				Expect(findErr).NotTo(HaveOccurred())
				Expect(resolveErr).NotTo(HaveOccurred())
				Expect(picked.Ref).To(Equal(pc.want(ns)))
				Expect(conn.Ref).To(Equal(picked.Ref), "the operator's pick")
				Expect(picked).To(Equal(found), "the same Secret, key and settings")
				return
			}
			var pluginRE, operatorRE *connection.ResolveError
			Expect(errors.As(pluginErr, &pluginRE)).To(BeTrue(), "the plugin refuses: %v", pluginErr)
			Expect(errors.As(resolveErr, &operatorRE)).To(BeTrue(), "the operator refuses: %v", resolveErr)
			Expect(pluginRE.Reason).To(Equal(pc.wantReason))
			Expect(pluginRE).To(Equal(operatorRE))
			Expect(findErr).To(Equal(resolveErr))
			Expect(pluginErr.Error()).To(ContainSubstring("--api-key-env"), "the plugin offers the way round")
		},
		Entry("the namespaced default, before the cluster default", pickCase{
			namespaced: []string{"default"},
			cluster:    []clusterConn{{name: "default"}},
			want:       namespacedRef("default"),
		}),
		Entry("the cluster default where the namespace has no default", pickCase{
			namespaced: []string{"corp"},
			cluster:    []clusterConn{{name: "default"}},
			want:       clusterRef("default"),
		}),
		Entry("an explicit JumpCloudConnection, before the defaults", pickCase{
			namespaced: []string{"default", "corp"},
			cluster:    []clusterConn{{name: "default"}},
			ref:        &iamv1alpha1.ConnectionReference{Kind: iamv1alpha1.ConnectionKindNamespaced, Name: "corp"},
			want:       namespacedRef("corp"),
		}),
		Entry("an explicit ClusterJumpCloudConnection, before the namespaced default", pickCase{
			namespaced: []string{"default"},
			cluster:    []clusterConn{{name: "pick-corp"}},
			ref:        &iamv1alpha1.ConnectionReference{Kind: iamv1alpha1.ConnectionKindCluster, Name: "pick-corp"},
			want:       clusterRef("pick-corp"),
		}),
		Entry("a cluster connection whose namespaceSelector admits the namespace", pickCase{
			labels:  selectorLabels,
			cluster: []clusterConn{{name: "pick-selective", selective: true}},
			ref:     &iamv1alpha1.ConnectionReference{Kind: iamv1alpha1.ConnectionKindCluster, Name: "pick-selective"},
			want:    clusterRef("pick-selective"),
		}),
		Entry("none when a named connection's namespaceSelector refuses the namespace", pickCase{
			cluster:    []clusterConn{{name: "pick-selective", selective: true}},
			ref:        &iamv1alpha1.ConnectionReference{Kind: iamv1alpha1.ConnectionKindCluster, Name: "pick-selective"},
			wantReason: iamv1alpha1.ReasonNamespaceNotAllowed,
		}),
		Entry("none when the cluster default's namespaceSelector refuses the namespace", pickCase{
			cluster:    []clusterConn{{name: "default", selective: true}},
			wantReason: iamv1alpha1.ReasonNamespaceNotAllowed,
		}),
		Entry("none when there is no connection at all", pickCase{
			namespaced: []string{"corp"},
			wantReason: iamv1alpha1.ReasonConnectionNotFound,
		}),
		Entry("none when a named JumpCloudConnection is missing: the default does not stand in", pickCase{
			namespaced: []string{"default"},
			ref:        &iamv1alpha1.ConnectionReference{Kind: iamv1alpha1.ConnectionKindNamespaced, Name: "corp"},
			wantReason: iamv1alpha1.ReasonConnectionNotFound,
		}),
		Entry("none when a named ClusterJumpCloudConnection is missing: the default does not stand in", pickCase{
			cluster:    []clusterConn{{name: "default"}},
			ref:        &iamv1alpha1.ConnectionReference{Kind: iamv1alpha1.ConnectionKindCluster, Name: "pick-corp"},
			wantReason: iamv1alpha1.ReasonConnectionNotFound,
		}),
	)
})
