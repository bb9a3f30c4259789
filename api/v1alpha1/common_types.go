package v1alpha1

// ConnectionKind names one of the two connection kinds a resource can point at.
// +kubebuilder:validation:Enum=JumpCloudConnection;ClusterJumpCloudConnection
type ConnectionKind string

const (
	// ConnectionKindNamespaced is the namespaced JumpCloudConnection.
	ConnectionKindNamespaced ConnectionKind = "JumpCloudConnection"
	// ConnectionKindCluster is the cluster-scoped ClusterJumpCloudConnection.
	ConnectionKindCluster ConnectionKind = "ClusterJumpCloudConnection"
)

// DefaultConnectionName is the name of the connection used when a resource names none: first the
// JumpCloudConnection with this name in the resource's namespace, then the ClusterJumpCloudConnection.
const DefaultConnectionName = "default"

// ConnectionReference points at the JumpCloud connection (API key, organization, rate limit) a
// resource uses.
type ConnectionReference struct {
	// kind is JumpCloudConnection (in the same namespace as the referring resource) or
	// ClusterJumpCloudConnection. Defaults to JumpCloudConnection.
	// +kubebuilder:default=JumpCloudConnection
	// +optional
	Kind ConnectionKind `json:"kind,omitempty"`

	// name of the connection.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Name string `json:"name"`
}

// LocalObjectReference names an object in the same namespace.
type LocalObjectReference struct {
	// name of the object in the same namespace.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Name string `json:"name"`
}

// SecretKeyReference selects one key of a Secret in the same namespace as the referring resource.
type SecretKeyReference struct {
	// name of the Secret, in the same namespace as this resource.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Name string `json:"name"`

	// key within the Secret's data. Defaults to "password".
	// +kubebuilder:default=password
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +optional
	Key string `json:"key,omitempty"`
}

// APIKeySecretReference selects the key of a Secret that holds a JumpCloud API key.
type APIKeySecretReference struct {
	// namespace of the Secret. Required for a ClusterJumpCloudConnection; a JumpCloudConnection always
	// reads the Secret from its own namespace and must leave this empty.
	// +kubebuilder:validation:MaxLength=63
	// +optional
	Namespace string `json:"namespace,omitempty"`

	// name of the Secret.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Name string `json:"name"`

	// key within the Secret's data that holds the API key. Defaults to "api-key".
	// +kubebuilder:default=api-key
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +optional
	Key string `json:"key,omitempty"`
}
