package controller

import (
	"crypto/ed25519"
	"encoding/base64"
	"encoding/binary"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	iamv1alpha1 "github.com/jumpcloud-operator/jumpcloud-operator/api/v1alpha1"
)

// sshKey returns an OpenSSH ed25519 public key line made from seed, with a comment.
func sshKey(seed byte, comment string) string {
	pub := ed25519.NewKeyFromSeed(append(make([]byte, 31), seed)).Public().(ed25519.PublicKey)
	var blob []byte
	for _, part := range [][]byte{[]byte("ssh-ed25519"), pub} {
		blob = binary.BigEndian.AppendUint32(blob, uint32(len(part)))
		blob = append(blob, part...)
	}
	return "ssh-ed25519 " + base64.StdEncoding.EncodeToString(blob) + " " + comment
}

// simKeys returns the material (type and base64) of a simulator user's SSH keys.
func (f *fixture) simKeys(id string) []string {
	var keys []string
	for _, k := range f.simUser(id).SSHKeys {
		keys = append(keys, sshKeyMaterial(k.PublicKey))
	}
	return keys
}

var _ = Describe("SSH keys", func() {
	var f *fixture
	BeforeEach(func() { f = newFixture() })

	It("adds them, rotates a key by adding the new one before deleting the old, and removes them all with []", func() {
		old, fresh, other := sshKey(1, "alice@old"), sshKey(2, "alice@new"), sshKey(3, "alice@desk")
		u := f.user("keyed")
		u.Spec.SSHKeys = []iamv1alpha1.SSHPublicKey{{Name: "laptop", PublicKey: old}, {Name: "desk", PublicKey: other}}
		u.Spec.Access = &iamv1alpha1.UserAccess{AllowPublicKey: ptr(true)}
		Expect(k8sClient.Create(ctx, u)).To(Succeed())
		id := f.ready("keyed").Status.ID
		Eventually(func() []string { return f.simKeys(id) }).Should(ConsistOf(sshKeyMaterial(old), sshKeyMaterial(other)))
		Expect(f.simUser(id).AllowPublicKey).To(BeTrue())
		Expect(f.sim.Count("sshkey-add")).To(Equal(2))

		By("rotating the laptop key")
		f.sim.ResetLog()
		f.edit("keyed", func(u *iamv1alpha1.JumpCloudUser) { u.Spec.SSHKeys[0].PublicKey = fresh })
		Eventually(func() []string { return f.simKeys(id) }).Should(ConsistOf(sshKeyMaterial(fresh), sshKeyMaterial(other)))
		var order []string
		for _, r := range f.sim.Requests() {
			if r.Op == "sshkey-add" || r.Op == "sshkey-delete" {
				order = append(order, r.Op)
			}
		}
		Expect(order).To(Equal([]string{"sshkey-add", "sshkey-delete"}), "the new key is there before the old one goes")
		f.ready("keyed")

		By("renaming a key changes nothing in JumpCloud")
		f.sim.ResetLog()
		f.edit("keyed", func(u *iamv1alpha1.JumpCloudUser) { u.Spec.SSHKeys[1].Name = "workstation" })
		f.ready("keyed")
		f.resync("keyed")
		Expect(f.sim.Count("sshkey-add") + f.sim.Count("sshkey-delete")).To(BeZero())

		By("a key added in the console is removed")
		_, err := f.sim.AddSSHKey(f.org, id, "console", sshKey(9, "intruder"))
		Expect(err).NotTo(HaveOccurred())
		f.resync("keyed")
		Eventually(func() []string { return f.simKeys(id) }).Should(ConsistOf(sshKeyMaterial(fresh), sshKeyMaterial(other)))

		By("[] removes them all")
		// As kubectl applies "sshKeys: []" (a typed Go client would drop the empty list).
		Expect(k8sClient.Patch(ctx, f.get("keyed"), client.RawPatch(types.MergePatchType, []byte(`{"spec":{"sshKeys":[]}}`)))).To(Succeed())
		Eventually(func() []string { return f.simKeys(id) }).Should(BeEmpty())
		Expect(conditionOf(f.ready("keyed").Status.Conditions, iamv1alpha1.ConditionSynced).Reason).To(Equal(iamv1alpha1.ReasonInSync))
	})

	It("leaves JumpCloud's keys alone when the spec does not set sshKeys", func() {
		Expect(k8sClient.Create(ctx, f.user("unkeyed"))).To(Succeed())
		id := f.ready("unkeyed").Status.ID
		_, err := f.sim.AddSSHKey(f.org, id, "console", sshKey(7, "bob@console"))
		Expect(err).NotTo(HaveOccurred())
		f.sim.ResetLog()
		f.resync("unkeyed")
		Expect(f.simKeys(id)).To(ConsistOf(sshKeyMaterial(sshKey(7, ""))))
		Expect(f.sim.Count("sshkey-add") + f.sim.Count("sshkey-delete") + f.sim.Count("sshkey-list")).To(BeZero())
	})
})
