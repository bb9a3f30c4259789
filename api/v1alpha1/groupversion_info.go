// Package v1alpha1 contains the API types of the iam.jumpcloud-operator.dev group: JumpCloudUser,
// JumpCloudUserOperation, JumpCloudConnection and ClusterJumpCloudConnection.
// +kubebuilder:object:generate=true
// +groupName=iam.jumpcloud-operator.dev
package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

var (
	// GroupVersion is the group and version used to register these objects.
	GroupVersion = schema.GroupVersion{Group: "iam.jumpcloud-operator.dev", Version: "v1alpha1"}

	// SchemeBuilder collects the functions that add this group-version's types to a scheme.
	SchemeBuilder = &schemeBuilder{}

	// AddToScheme adds the types in this group-version to the given scheme.
	AddToScheme = SchemeBuilder.AddToScheme
)

// schemeBuilder registers the kinds of this package with only apimachinery as a dependency, so
// that the API package stays cheap to import.
type schemeBuilder struct{ objects []runtime.Object }

// Register adds objects to the set registered by AddToScheme.
func (b *schemeBuilder) Register(objects ...runtime.Object) {
	b.objects = append(b.objects, objects...)
}

// AddToScheme registers the objects and the group-version's meta types with s.
func (b *schemeBuilder) AddToScheme(s *runtime.Scheme) error {
	s.AddKnownTypes(GroupVersion, b.objects...)
	metav1.AddToGroupVersion(s, GroupVersion)
	return nil
}
