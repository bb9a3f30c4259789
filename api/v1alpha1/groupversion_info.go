// Package v1alpha1 contains the API types of the iam.jumpcloud-operator.dev group: JumpCloudUser,
// JumpCloudUserOperation, JumpCloudConnection and ClusterJumpCloudConnection.
// +kubebuilder:object:generate=true
// +groupName=iam.jumpcloud-operator.dev
package v1alpha1

import (
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/scheme"
)

var (
	// GroupVersion is the group and version used to register these objects.
	GroupVersion = schema.GroupVersion{Group: "iam.jumpcloud-operator.dev", Version: "v1alpha1"}

	// SchemeBuilder is used to add Go types to the GroupVersionKind scheme.
	SchemeBuilder = &scheme.Builder{GroupVersion: GroupVersion}

	// AddToScheme adds the types in this group-version to the given scheme.
	AddToScheme = SchemeBuilder.AddToScheme
)
