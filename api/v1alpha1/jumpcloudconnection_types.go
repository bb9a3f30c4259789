package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Region is a JumpCloud data region.
// +kubebuilder:validation:Enum=US;EU;IN
type Region string

const (
	// RegionUS is https://console.jumpcloud.com/api.
	RegionUS Region = "US"
	// RegionEU is https://console.eu.jumpcloud.com/api.
	RegionEU Region = "EU"
	// RegionIN is https://console.in.jumpcloud.com/api.
	RegionIN Region = "IN"
)

// RateLimit bounds the requests one connection sends to JumpCloud, shared by every resource that
// uses the connection.
type RateLimit struct {
	// requestsPerSecond is the sustained request rate. Defaults to 10.
	// +kubebuilder:default=10
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=1000
	// +optional
	RequestsPerSecond int32 `json:"requestsPerSecond,omitempty"`
	// burst is how many requests may be sent at once above the sustained rate. Defaults to 20.
	// +kubebuilder:default=20
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=1000
	// +optional
	Burst int32 `json:"burst,omitempty"`
}

// ConnectionSettings are the settings both connection kinds share.
type ConnectionSettings struct {
	// orgID is the JumpCloud organization id, sent as x-org-id. Required for multi-tenant (MTP)
	// administrators' keys; leave empty for a single-organization key.
	// +kubebuilder:validation:MaxLength=24
	// +kubebuilder:validation:XValidation:rule="self == '' || self.matches('^[0-9a-f]{24}$')",message="orgID must be a JumpCloud organization id: 24 lowercase hexadecimal characters"
	// +optional
	OrgID string `json:"orgID,omitempty"`

	// region is the JumpCloud data region: US (https://console.jumpcloud.com/api), EU or IN.
	// Ignored when baseURL is set. Defaults to US.
	// +kubebuilder:default=US
	// +optional
	Region Region `json:"region,omitempty"`

	// baseURL overrides region with an explicit API root, including the /api part, such as
	// https://console.jumpcloud.com/api or a simulator's http://127.0.0.1:8080/api. Plain http is
	// only allowed to the loopback interface.
	// +kubebuilder:validation:MaxLength=2048
	// +kubebuilder:validation:XValidation:rule="self == '' || (isURL(self) && (url(self).getScheme() == 'https' || (url(self).getScheme() == 'http' && (url(self).getHostname() == 'localhost' || url(self).getHostname() == '::1' || url(self).getHostname().startsWith('127.')))))",message="baseURL must be an https:// URL such as https://console.jumpcloud.com/api (plain http:// only to localhost or 127.0.0.0/8)"
	// +optional
	BaseURL string `json:"baseURL,omitempty"`

	// rateLimit bounds the request rate to JumpCloud for all resources using this connection.
	// Defaults to 10 requests per second with a burst of 20.
	// +kubebuilder:default={}
	// +optional
	RateLimit *RateLimit `json:"rateLimit,omitempty"`

	// resyncInterval is how often every user is compared with JumpCloud to correct drift (with
	// jitter, so that users are not all checked at once). Between 30s and 24h; defaults to 10m.
	// +kubebuilder:default="10m"
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:XValidation:rule="self.matches('^([0-9]+(ns|us|ms|s|m|h))+$') && duration(self) >= duration('30s') && duration(self) <= duration('24h')",message="resyncInterval must be a duration between 30s and 24h, such as 10m or 1h30m"
	// +optional
	ResyncInterval *metav1.Duration `json:"resyncInterval,omitempty"`

	// allowAdoption lets JumpCloudUsers with adoptionPolicy IfExists take over existing JumpCloud
	// users through this connection. Defaults to false.
	// +kubebuilder:default=false
	// +optional
	AllowAdoption bool `json:"allowAdoption,omitempty"`

	// ownerMark marks every JumpCloud user the operator creates through this connection as this
	// installation's, in the create call itself: a custom attribute whose value is
	// "<owner>/<namespace>/<name>". With it, a JumpCloudUser whose status was lost (the cluster
	// rebuilt from Git, a restore from a backup without status) finds its JumpCloud user again and
	// takes it back without adoption and without any write, while a user marked for another owner
	// or resource, or not marked, is still refused unless adopted. Users created or adopted before
	// the mark was set get it on their next pass. Unset: no mark is written or read.
	// +optional
	OwnerMark *OwnerMark `json:"ownerMark,omitempty"`

	// changeFeed turns on the change feed: the operator polls JumpCloud's Directory Insights
	// events for changes to users and groups made outside it (an administrator in the console)
	// and corrects just the resources they name, within about one interval instead of one to two
	// resync intervals. Directory Insights depends on the JumpCloud plan: when JumpCloud refuses
	// it, the operator falls back to the periodic comparison alone. Off by default.
	// +optional
	ChangeFeed *ChangeFeed `json:"changeFeed,omitempty"`
}

// ChangeFeed configures the polling of JumpCloud's Directory Insights events.
// +kubebuilder:validation:XValidation:rule="!has(self.interval) || !has(self.resyncInterval) || duration(self.interval) < duration(self.resyncInterval)",message="changeFeed.interval must be shorter than changeFeed.resyncInterval"
type ChangeFeed struct {
	// enabled turns the feed on.
	// +kubebuilder:default=false
	// +optional
	Enabled bool `json:"enabled,omitempty"`

	// interval is the pause between two polls of the events: one call each when nothing
	// changed. Between 5s and 10m; defaults to 30s.
	// +kubebuilder:default="30s"
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:XValidation:rule="self.matches('^([0-9]+(ns|us|ms|s|m|h))+$') && duration(self) >= duration('5s') && duration(self) <= duration('10m')",message="changeFeed.interval must be a duration between 5s and 10m, such as 30s"
	// +optional
	Interval *metav1.Duration `json:"interval,omitempty"`

	// resyncInterval replaces the connection's resyncInterval while the feed works: the periodic
	// comparison of every user stays as the safety net for what the feed cannot see, and may run
	// less often. Between 30s and 24h; defaults to 1h. When the feed is refused or failing, the
	// connection's resyncInterval applies again.
	// +kubebuilder:default="1h"
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:XValidation:rule="self.matches('^([0-9]+(ns|us|ms|s|m|h))+$') && duration(self) >= duration('30s') && duration(self) <= duration('24h')",message="changeFeed.resyncInterval must be a duration between 30s and 24h, such as 1h"
	// +optional
	ResyncInterval *metav1.Duration `json:"resyncInterval,omitempty"`
}

// OwnerMark names the installation that owns what it creates in JumpCloud.
type OwnerMark struct {
	// owner is a stable name of this installation, the same after the cluster is rebuilt (a
	// cluster's UIDs are not), such as "platform-prod". Installations that share a JumpCloud
	// organization must use different owners.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:XValidation:rule="self.matches('^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$')",message="owner must be lowercase letters, digits, '-' and '.', starting and ending with a letter or digit, such as platform-prod"
	Owner string `json:"owner"`

	// attributeName is the JumpCloud custom attribute that carries the mark, visible to
	// administrators in the console. It is left out of profile.attributes management. Defaults
	// to k8sOwner (letters and digits only, which JumpCloud's console accepts for attribute names).
	// +kubebuilder:default=k8sOwner
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:XValidation:rule="self.matches('^[A-Za-z][A-Za-z0-9]*$')",message="attributeName must be letters and digits, starting with a letter, such as k8sOwner"
	// +optional
	AttributeName string `json:"attributeName,omitempty"`
}

// JumpCloudConnectionSpec is how resources in one namespace reach JumpCloud.
type JumpCloudConnectionSpec struct {
	// apiKeySecretRef names the Secret key holding the JumpCloud API key. The Secret must be in the
	// connection's own namespace.
	// +required
	// +kubebuilder:validation:XValidation:rule="!has(self.__namespace__) || self.__namespace__ == ''",message="a JumpCloudConnection reads its API key Secret from its own namespace: remove apiKeySecretRef.namespace (a ClusterJumpCloudConnection can read another namespace)"
	APIKeySecretRef APIKeySecretReference `json:"apiKeySecretRef"`

	ConnectionSettings `json:",inline"`
}

// ClusterJumpCloudConnectionSpec is how resources in any allowed namespace reach JumpCloud.
type ClusterJumpCloudConnectionSpec struct {
	// apiKeySecretRef names the Secret key holding the JumpCloud API key, with its namespace.
	// +required
	// +kubebuilder:validation:XValidation:rule="has(self.__namespace__) && self.__namespace__ != ''",message="apiKeySecretRef.namespace is required for a ClusterJumpCloudConnection"
	APIKeySecretRef APIKeySecretReference `json:"apiKeySecretRef"`

	ConnectionSettings `json:",inline"`

	// namespaceSelector limits the namespaces whose resources may use this connection. Unset allows
	// every namespace; {} also matches every namespace.
	// +optional
	NamespaceSelector *metav1.LabelSelector `json:"namespaceSelector,omitempty"`
}

// JumpCloudConnectionStatus is the observed state of a connection.
type JumpCloudConnectionStatus struct {
	// observedGeneration is the generation last verified.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`
	// lastVerifiedTime is when JumpCloud last accepted the API key.
	// +optional
	LastVerifiedTime *metav1.Time `json:"lastVerifiedTime,omitempty"`
	// conditions: Ready is True when JumpCloud accepted the API key through a cheap API call.
	// +listType=map
	// +listMapKey=type
	// +optional
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}

// JumpCloudConnection holds the API key and settings that resources in its namespace use to reach
// JumpCloud.
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=jcconn,categories=jumpcloud
// +kubebuilder:printcolumn:name="Region",type=string,JSONPath=`.spec.region`
// +kubebuilder:printcolumn:name="Org",type=string,JSONPath=`.spec.orgID`
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
// +kubebuilder:printcolumn:name="Base URL",type=string,JSONPath=`.spec.baseURL`,priority=1
type JumpCloudConnection struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec is the connection's API key and settings.
	// +required
	Spec JumpCloudConnectionSpec `json:"spec"`

	// status says whether JumpCloud accepts the key.
	// The default observedGeneration of -1 makes a resource the operator has not acted on yet read
	// as in progress (kstatus), instead of healthy.
	// +kubebuilder:default={"observedGeneration":-1}
	// +optional
	Status JumpCloudConnectionStatus `json:"status,omitempty"`
}

// JumpCloudConnectionList contains a list of JumpCloudConnection.
// +kubebuilder:object:root=true
type JumpCloudConnectionList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []JumpCloudConnection `json:"items"`
}

// ClusterJumpCloudConnection holds an API key and settings that resources in any allowed namespace
// can use to reach JumpCloud.
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:scope=Cluster,shortName=cjcconn,categories=jumpcloud
// +kubebuilder:printcolumn:name="Region",type=string,JSONPath=`.spec.region`
// +kubebuilder:printcolumn:name="Org",type=string,JSONPath=`.spec.orgID`
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
// +kubebuilder:printcolumn:name="Base URL",type=string,JSONPath=`.spec.baseURL`,priority=1
type ClusterJumpCloudConnection struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec is the connection's API key and settings.
	// +required
	Spec ClusterJumpCloudConnectionSpec `json:"spec"`

	// status says whether JumpCloud accepts the key.
	// The default observedGeneration of -1 makes a resource the operator has not acted on yet read
	// as in progress (kstatus), instead of healthy.
	// +kubebuilder:default={"observedGeneration":-1}
	// +optional
	Status JumpCloudConnectionStatus `json:"status,omitempty"`
}

// ClusterJumpCloudConnectionList contains a list of ClusterJumpCloudConnection.
// +kubebuilder:object:root=true
type ClusterJumpCloudConnectionList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []ClusterJumpCloudConnection `json:"items"`
}

func init() {
	SchemeBuilder.Register(&JumpCloudConnection{}, &JumpCloudConnectionList{},
		&ClusterJumpCloudConnection{}, &ClusterJumpCloudConnectionList{})
}
