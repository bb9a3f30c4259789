package crd

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	kstatus "sigs.k8s.io/cli-utils/pkg/kstatus/status"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	iamv1alpha1 "github.com/jumpcloud-operator/jumpcloud-operator/api/v1alpha1"
	"github.com/jumpcloud-operator/jumpcloud-operator/internal/testenv"
)

const namespace = "validation"

// manifest builds a manifest of the given kind from the YAML of its spec, indented as in a file.
func manifest(kind, name, spec string) string {
	return fmt.Sprintf("apiVersion: iam.jumpcloud-operator.dev/v1alpha1\nkind: %s\nmetadata:\n  name: %s\nspec:\n%s",
		kind, name, indent(spec))
}

func indent(s string) string {
	lines := strings.Split(strings.Trim(s, "\n"), "\n")
	for i, l := range lines {
		lines[i] = "  " + l
	}
	return strings.Join(lines, "\n") + "\n"
}

func user(name, spec string) string  { return manifest("JumpCloudUser", name, spec) }
func op(name, spec string) string    { return manifest("JumpCloudUserOperation", name, spec) }
func conn(name, spec string) string  { return manifest("JumpCloudConnection", name, spec) }
func group(name, spec string) string { return manifest("JumpCloudUserGroup", name, spec) }
func cconn(name, spec string) string {
	return manifest("ClusterJumpCloudConnection", name, spec)
}

// decode turns one YAML document into an object placed in the test namespace when it is namespaced.
func decode(doc string) *unstructured.Unstructured {
	u := &unstructured.Unstructured{}
	ExpectWithOffset(2, yaml.Unmarshal([]byte(doc), &u.Object)).To(Succeed())
	if !strings.HasPrefix(u.GetKind(), "Cluster") {
		u.SetNamespace(namespace)
	}
	return u
}

func create(doc string) error { return k8sClient.Create(ctx, decode(doc)) }

// rejected asserts that the API server refused the object as invalid, naming every wanted phrase.
func rejected(err error, want ...string) {
	ExpectWithOffset(1, err).To(HaveOccurred(), "the API server accepted an invalid manifest")
	ExpectWithOffset(1, apierrors.IsInvalid(err)).To(BeTrue(), "want an Invalid error, got: %v", err)
	for _, w := range want {
		ExpectWithOffset(1, err.Error()).To(ContainSubstring(w))
	}
	GinkgoWriter.Printf("rejected as expected: %s\n", err.Error())
}

const validUser = `
username: alice
email: alice@example.com`

const validSecretRef = `
apiKeySecretRef:
  name: api-key`

var _ = BeforeEach(func() {
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: namespace}}
	Expect(client.IgnoreAlreadyExists(k8sClient.Create(ctx, ns))).To(Succeed())
})

var _ = Describe("Invalid manifests", func() {
	DescribeTable("are rejected on create with a clear message",
		func(doc string, want ...string) { rejected(create(doc), want...) },

		// JumpCloudUser
		Entry("user without username", user("u1", `email: a@example.com`), "spec.username: Required value"),
		Entry("user without email", user("u2", `username: alice`), "spec.email: Required value"),
		Entry("username starting with a digit", user("u3", "username: 1alice\nemail: a@example.com"),
			"username must start with a letter and contain no whitespace or '@'"),
		Entry("username with a space", user("u4", "username: \"al ice\"\nemail: a@example.com"),
			"username must start with a letter and contain no whitespace or '@'"),
		Entry("username with an @", user("u5", "username: alice@corp\nemail: a@example.com"),
			"username must start with a letter and contain no whitespace or '@'"),
		Entry("email that is not an address", user("u6", "username: alice\nemail: alice.example.com"),
			"email must be a single address such as alice@example.com"),
		Entry("activated given as a word", user("u7", validUser+"\nactivated: \"yes\""),
			"spec.activated", "must be of type boolean"),
		Entry("unknown deletionPolicy", user("u8", validUser+"\ndeletionPolicy: Destroy"),
			`spec.deletionPolicy: Unsupported value: "Destroy"`, `"Suspend"`, `"Delete"`, `"Orphan"`),
		Entry("unknown adoptionPolicy", user("u9", validUser+"\nadoptionPolicy: Always"),
			`spec.adoptionPolicy: Unsupported value: "Always"`, `"Never"`, `"IfExists"`),
		Entry("unknown managementPolicy", user("u10", validUser+"\nmanagementPolicy: ReadOnly"),
			`spec.managementPolicy: Unsupported value: "ReadOnly"`, `"Full"`, `"ObserveOnly"`),
		Entry("ObserveOnly with a destructive deletionPolicy", user("u11", validUser+"\nmanagementPolicy: ObserveOnly\ndeletionPolicy: Delete"),
			"an ObserveOnly user is never written to JumpCloud, so deletionPolicy must be Orphan or left unset"),
		Entry("manager by name and id at once", user("u12", validUser+"\nprofile:\n  manager: {name: bob, id: 5f1b2c3d4e5f60718293a4b5}"),
			"manager needs exactly one of name (a JumpCloudUser in this namespace) or id (a JumpCloud user id)"),
		Entry("manager with neither name nor id", user("u13", validUser+"\nprofile:\n  manager: {}"),
			"manager needs exactly one of name"),
		Entry("manager id that is not a JumpCloud id", user("u14", validUser+"\nprofile:\n  manager: {id: bob}"),
			"id must be a JumpCloud user id: 24 lowercase hexadecimal characters"),
		Entry("user as its own manager", user("alice", validUser+"\nprofile:\n  manager: {name: alice}"),
			"a user cannot be its own manager"),
		Entry("passwordless sudo without sudo", user("u16", validUser+"\naccess:\n  passwordlessSudo: true"),
			"passwordlessSudo: true also needs sudo: true"),
		Entry("connectionRef of an unknown kind", user("u17", validUser+"\nconnectionRef: {kind: Secret, name: x}"),
			`spec.connectionRef.kind: Unsupported value: "Secret"`, `"JumpCloudConnection"`, `"ClusterJumpCloudConnection"`),
		Entry("connectionRef without a name", user("u18", validUser+"\nconnectionRef: {kind: JumpCloudConnection}"),
			"spec.connectionRef.name: Required value"),
		Entry("two custom attributes with one name", user("u19", validUser+"\nprofile:\n  attributes: [{name: team, value: a}, {name: team, value: b}]"),
			"spec.profile.attributes[1]: Duplicate value"),
		Entry("employeeIdentifier longer than JumpCloud allows", user("u20", validUser+"\nprofile:\n  employeeIdentifier: "+strings.Repeat("x", 257)),
			"spec.profile.employeeIdentifier: Too long: may not be more than 256"),
		Entry("phone number without a number", user("u21", validUser+"\nprofile:\n  phoneNumbers: [{type: work}]"),
			"spec.profile.phoneNumbers[0].number: Required value"),
		Entry("alternateEmail that is not an address", user("u22", validUser+"\nprofile:\n  alternateEmail: nope"),
			"alternateEmail must be a single address such as alice@example.org"),
		Entry("passwordSecretRef without a name", user("u23", validUser+"\npasswordSecretRef: {key: password}"),
			"spec.passwordSecretRef.name: Required value"),
		Entry("profile field of the wrong type", user("u24", validUser+"\nprofile:\n  firstname: 42"),
			"spec.profile.firstname", "must be of type string"),

		// JumpCloudUserOperation
		Entry("operation naming both a user and an id", op("o1", "userRef: {name: alice}\nsystemUserID: 5f1b2c3d4e5f60718293a4b5\ntype: Unlock"),
			"set exactly one of userRef (a JumpCloudUser in this namespace) or systemUserID (a JumpCloud user id)"),
		Entry("operation naming no user", op("o2", "type: Unlock"),
			"set exactly one of userRef"),
		Entry("operation of an unknown type", op("o3", "userRef: {name: alice}\ntype: Delete"),
			`spec.type: Unsupported value: "Delete"`, `"ExpirePassword"`, `"ResetMFA"`, `"Unlock"`, `"Activate"`),
		Entry("operation without a type", op("o4", "userRef: {name: alice}"),
			"spec.type: Required value"),
		Entry("resetMFA parameters on an Unlock", op("o5", "userRef: {name: alice}\ntype: Unlock\nresetMFA: {exclusionDays: 3}"),
			"resetMFA parameters are only allowed with type ResetMFA"),
		Entry("zero exclusion days", op("o6", "userRef: {name: alice}\ntype: ResetMFA\nresetMFA: {exclusionDays: 0}"),
			"spec.resetMFA.exclusionDays: Invalid value: 0: spec.resetMFA.exclusionDays in body should be greater than or equal to 1"),
		Entry("exclusion days and date together", op("o7", "userRef: {name: alice}\ntype: ResetMFA\nresetMFA: {exclusionDays: 3, exclusionUntil: \"2026-12-01T00:00:00Z\"}"),
			"set at most one of exclusionDays or exclusionUntil"),
		Entry("exclusionUntil that is not a time", op("o8", "userRef: {name: alice}\ntype: ResetMFA\nresetMFA: {exclusionUntil: tomorrow}"),
			"spec.resetMFA.exclusionUntil"),
		Entry("systemUserID that is not a JumpCloud id", op("o9", "systemUserID: alice\ntype: Unlock"),
			"systemUserID must be a JumpCloud user id: 24 lowercase hexadecimal characters"),
		Entry("connectionRef with a userRef", op("o10", "userRef: {name: alice}\nconnectionRef: {name: default}\ntype: Unlock"),
			"connectionRef is only used with systemUserID; with userRef the JumpCloudUser's connection is used"),
		Entry("negative ttlSecondsAfterFinished", op("o11", "userRef: {name: alice}\ntype: Unlock\nttlSecondsAfterFinished: -1"),
			"spec.ttlSecondsAfterFinished: Invalid value: -1: spec.ttlSecondsAfterFinished in body should be greater than or equal to 0"),
		Entry("activate parameters on an ExpirePassword", op("o12", "userRef: {name: alice}\ntype: ExpirePassword\nactivate: {sendEmail: false}"),
			"activate parameters are only allowed with type Activate"),

		// JumpCloudConnection
		Entry("namespaced connection naming another namespace", conn("c1", "apiKeySecretRef: {namespace: kube-system, name: api-key}"),
			"a JumpCloudConnection reads its API key Secret from its own namespace: remove apiKeySecretRef.namespace"),
		Entry("connection without apiKeySecretRef", conn("c2", "region: US"),
			"spec.apiKeySecretRef: Required value"),
		Entry("unknown region", conn("c3", validSecretRef+"\nregion: APAC"),
			`spec.region: Unsupported value: "APAC"`, `"US"`, `"EU"`, `"IN"`),
		Entry("plain http to a remote host", conn("c4", validSecretRef+"\nbaseURL: http://console.example.com/api"),
			"baseURL must be an https:// URL such as https://console.jumpcloud.com/api (plain http:// only to localhost or 127.0.0.0/8)"),
		Entry("baseURL that is not a URL", conn("c5", validSecretRef+"\nbaseURL: console"),
			"baseURL must be an https:// URL"),
		Entry("resync interval below 30s", conn("c6", validSecretRef+"\nresyncInterval: 5s"),
			"resyncInterval must be a duration between 30s and 24h, such as 10m or 1h30m"),
		Entry("resync interval that is not a duration", conn("c7", validSecretRef+"\nresyncInterval: often"),
			"resyncInterval must be a duration between 30s and 24h"),
		Entry("zero requests per second", conn("c8", validSecretRef+"\nrateLimit: {requestsPerSecond: 0}"),
			"spec.rateLimit.requestsPerSecond: Invalid value: 0: spec.rateLimit.requestsPerSecond in body should be greater than or equal to 1"),
		Entry("orgID that is not an organization id", conn("c9", validSecretRef+"\norgID: acme"),
			"orgID must be a JumpCloud organization id: 24 lowercase hexadecimal characters"),
		Entry("owner mark without an owner", conn("c10", validSecretRef+"\nownerMark: {attributeName: k8sOwner}"),
			"spec.ownerMark.owner: Required value"),
		Entry("owner mark whose owner has capitals and a slash", conn("c11", validSecretRef+"\nownerMark: {owner: Platform/Prod}"),
			"owner must be lowercase letters, digits, '-' and '.', starting and ending with a letter or digit, such as platform-prod"),
		Entry("owner mark attribute with a space", conn("c12", validSecretRef+"\nownerMark: {owner: prod, attributeName: \"k8s owner\"}"),
			"attributeName must be letters and digits, starting with a letter, such as k8sOwner"),
		Entry("change feed polled every second", conn("c13", validSecretRef+"\nchangeFeed: {enabled: true, interval: 1s}"),
			"changeFeed.interval must be a duration between 5s and 10m, such as 30s"),
		Entry("change feed whose safety net is shorter than its interval", conn("c14", validSecretRef+"\nchangeFeed: {enabled: true, interval: 5m, resyncInterval: 1m}"),
			"changeFeed.interval must be shorter than changeFeed.resyncInterval"),

		// SSH keys on a JumpCloudUser
		Entry("SSH key that is not an OpenSSH public key", user("k1", validUser+"\nsshKeys: [{name: laptop, publicKey: \"-----BEGIN RSA PUBLIC KEY-----\"}]"),
			"publicKey must be one line of an OpenSSH public key"),
		Entry("SSH key of two lines", user("k2", validUser+"\nsshKeys: [{name: laptop, publicKey: \"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB a@b\\nssh-ed25519 AAAA\"}]"),
			"publicKey must be one line of an OpenSSH public key"),
		Entry("two SSH keys with one name", user("k3", validUser+"\nsshKeys: [{name: laptop, publicKey: \"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB\"}, {name: laptop, publicKey: \"ssh-rsa AAAAB3NzaC1yc2E\"}]"),
			"Duplicate value"),

		// JumpCloudUserGroup
		Entry("group without a name", group("g1", "description: admins"), "spec.name: Required value"),
		Entry("group with both members and dynamic", group("g2", "name: admins\nmembers: {users: [{username: bob}]}\ndynamic: {filters: [{field: department, operator: eq, value: IT}]}"),
			"set members (a static list) or dynamic (JumpCloud computes the members), not both"),
		Entry("member naming a userRef and a username", group("g3", "name: admins\nmembers: {users: [{userRef: {name: alice}, username: alice}]}"),
			"each member needs exactly one of userRef (a JumpCloudUser in this namespace), username or id"),
		Entry("member naming nothing", group("g4", "name: admins\nmembers: {users: [{}]}"),
			"each member needs exactly one of userRef"),
		Entry("member id that is not a JumpCloud id", group("g5", "name: admins\nmembers: {users: [{id: bob}]}"),
			"id must be a JumpCloud user id: 24 lowercase hexadecimal characters"),
		Entry("sudo without password but not enabled", group("g6", "name: admins\nattributes: {sudo: {enabled: false, withoutPassword: true}}"),
			"sudo.withoutPassword: true also needs sudo.enabled: true"),
		Entry("dynamic group without filters", group("g7", "name: admins\ndynamic: {method: DynamicAutomated}"),
			"spec.dynamic.filters: Required value"),

		// ClusterJumpCloudConnection
		Entry("cluster connection without a Secret namespace", cconn("cc1", validSecretRef),
			"apiKeySecretRef.namespace is required for a ClusterJumpCloudConnection"),
		Entry("cluster connection with plain http to a private address", cconn("cc2", "apiKeySecretRef: {namespace: jumpcloud-system, name: api-key}\nbaseURL: http://10.0.0.1/api"),
			"baseURL must be an https:// URL"),
		Entry("cluster connection with a burst above the maximum", cconn("cc3", "apiKeySecretRef: {namespace: jumpcloud-system, name: api-key}\nrateLimit: {burst: 5000}"),
			"spec.rateLimit.burst: Invalid value: 5000: spec.rateLimit.burst in body should be less than or equal to 1000"),
	)

	DescribeTable("are rejected on update with a clear message",
		func(doc string, edit func(u *unstructured.Unstructured), want string) {
			u := decode(doc)
			Expect(k8sClient.Create(ctx, u)).To(Succeed())
			DeferCleanup(func() { Expect(client.IgnoreNotFound(k8sClient.Delete(ctx, u))).To(Succeed()) })
			edit(u)
			rejected(k8sClient.Update(ctx, u), want)
		},
		Entry("renaming a user", user("rename", validUser),
			func(u *unstructured.Unstructured) {
				Expect(unstructured.SetNestedField(u.Object, "alice2", "spec", "username")).To(Succeed())
			},
			"username is immutable; create a new JumpCloudUser to rename"),
		Entry("changing an operation's type", op("retype", "userRef: {name: alice}\ntype: Unlock"),
			func(u *unstructured.Unstructured) {
				Expect(unstructured.SetNestedField(u.Object, "ExpirePassword", "spec", "type")).To(Succeed())
			},
			"spec is immutable: create a new JumpCloudUserOperation instead"),
		Entry("retargeting an operation", op("retarget", "userRef: {name: alice}\ntype: Unlock"),
			func(u *unstructured.Unstructured) {
				Expect(unstructured.SetNestedField(u.Object, "bob", "spec", "userRef", "name")).To(Succeed())
			},
			"spec is immutable: create a new JumpCloudUserOperation instead"),
	)
})

var _ = Describe("The samples in config/samples", func() {
	root, err := testenv.RepoRoot()
	if err != nil {
		panic(err)
	}
	files, err := filepath.Glob(filepath.Join(root, "config", "samples", "iam_*.yaml"))
	if err != nil || len(files) == 0 {
		panic(fmt.Sprintf("no samples found: %v", err))
	}

	for _, file := range files {
		It("accepts "+filepath.Base(file), func() {
			data, err := os.ReadFile(file)
			Expect(err).NotTo(HaveOccurred())
			for doc := range strings.SplitSeq(string(data), "\n---\n") {
				u := decode(doc)
				Expect(k8sClient.Create(ctx, u)).To(Succeed())
				DeferCleanup(func() { Expect(client.IgnoreNotFound(k8sClient.Delete(ctx, u))).To(Succeed()) })
			}
		})
	}

	It("applies the user defaults", func() {
		Expect(create(user("defaults", validUser))).To(Succeed())
		var got iamv1alpha1.JumpCloudUser
		Expect(k8sClient.Get(ctx, client.ObjectKey{Namespace: namespace, Name: "defaults"}, &got)).To(Succeed())
		Expect(got.Spec.Activated).To(HaveValue(BeTrue()))
		Expect(got.Spec.Locked).To(HaveValue(BeFalse()))
		Expect(got.Spec.AdoptionPolicy).To(Equal(iamv1alpha1.AdoptionPolicyNever))
		Expect(got.Spec.ManagementPolicy).To(Equal(iamv1alpha1.ManagementPolicyFull))
		Expect(got.Spec.DeletionPolicy).To(BeEmpty(), "left to the operator's --default-deletion-policy")
	})

	It("applies the nested defaults of references and parameters", func() {
		Expect(create(user("nested", validUser+"\nconnectionRef: {name: team-a}\npasswordSecretRef: {name: pw}\nactivation: {}"))).To(Succeed())
		var u iamv1alpha1.JumpCloudUser
		Expect(k8sClient.Get(ctx, client.ObjectKey{Namespace: namespace, Name: "nested"}, &u)).To(Succeed())
		Expect(u.Spec.ConnectionRef.Kind).To(Equal(iamv1alpha1.ConnectionKindNamespaced))
		Expect(u.Spec.PasswordSecretRef.Key).To(Equal("password"))
		Expect(u.Spec.Activation.SendEmail).To(HaveValue(BeTrue()))

		Expect(create(op("activate", "userRef: {name: nested}\ntype: Activate\nactivate: {}"))).To(Succeed())
		var o iamv1alpha1.JumpCloudUserOperation
		Expect(k8sClient.Get(ctx, client.ObjectKey{Namespace: namespace, Name: "activate"}, &o)).To(Succeed())
		Expect(o.Spec.Activate.SendEmail).To(HaveValue(BeTrue()))
	})

	It("applies the connection defaults", func() {
		Expect(create(conn("defaults", validSecretRef))).To(Succeed())
		var c iamv1alpha1.JumpCloudConnection
		Expect(k8sClient.Get(ctx, client.ObjectKey{Namespace: namespace, Name: "defaults"}, &c)).To(Succeed())
		Expect(c.Spec.APIKeySecretRef.Key).To(Equal("api-key"))
		Expect(c.Spec.Region).To(Equal(iamv1alpha1.RegionUS))
		Expect(c.Spec.RateLimit).To(Equal(&iamv1alpha1.RateLimit{RequestsPerSecond: 10, Burst: 20}))
		Expect(c.Spec.ResyncInterval.Duration.String()).To(Equal("10m0s"))
		Expect(c.Spec.AllowAdoption).To(BeFalse())
	})
})

var _ = Describe("A resource the operator has not acted on", func() {
	It("reads as InProgress to kstatus, never as healthy", func() {
		for i, doc := range []string{
			user("fresh", validUser),
			op("fresh", "userRef: {name: fresh}\ntype: Unlock"),
			conn("fresh", validSecretRef),
			cconn("fresh", "apiKeySecretRef: {namespace: jumpcloud-system, name: api-key}"),
		} {
			u := decode(doc)
			Expect(k8sClient.Create(ctx, u)).To(Succeed())
			DeferCleanup(func() { Expect(client.IgnoreNotFound(k8sClient.Delete(ctx, u))).To(Succeed()) })
			got := &unstructured.Unstructured{}
			got.SetGroupVersionKind(u.GroupVersionKind())
			Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(u), got)).To(Succeed())
			res, err := kstatus.Compute(got)
			Expect(err).NotTo(HaveOccurred())
			Expect(res.Status).To(Equal(kstatus.InProgressStatus), "case %d (%s): %s", i, u.GetKind(), res.Message)
		}
	})
})
