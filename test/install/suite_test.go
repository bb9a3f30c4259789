// Package install runs the operator the way it ships. It renders config/default with kustomize
// and the Helm chart (charts/jumpcloud-operator) with helm template, applies every object of each
// rendering to its own envtest control plane (the CRDs first), and runs the manager binary taken
// out of the image `make image` built (dist/image) as a separate process, with the Deployment's
// arguments, authenticated with a token of the install's own ServiceAccount: what the install
// grants is all it has. Through that manager a JumpCloudUser, a JumpCloudUserOperation and a
// JumpCloudUserGroup go through their lives against the JumpCloud simulator; the manager holds the
// leader election Lease, records Events, serves metrics to an authorized scraper only, and a Pod
// made from the Deployment's template is admitted under the "restricted" Pod Security Standard.
//
// INSTALL_DROP_RULE=[<role>:]<index> removes one rule from a rendered Role or ClusterRole before
// it is applied: <role> is the end of its name (manager-role when left out, leader-election-role,
// metrics-auth-role), <index> the rule's position from 0. Every rule the operator needs makes the
// suite fail when it is removed:
//
//	INSTALL_DROP_RULE=3 go test ./test/install/ -count=1
//
// `make test` builds the image first (hack/make/image.mk); run on its own, the suite uses
// whatever dist/image holds (make image).
package install

import (
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
)

func TestInstall(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "The shipped install, run for real (kustomize and Helm, the image's manager as its ServiceAccount)")
}

// manager is the manager binary out of the image, shared by both installs.
var manager *imageManager

var _ = BeforeSuite(func() {
	logf.SetLogger(zap.New(zap.WriteTo(GinkgoWriter), zap.UseDevMode(true)))
	// Modest: a manager that cannot do its work (a rule missing) fails the suite in minutes.
	SetDefaultEventuallyTimeout(45 * time.Second)
	SetDefaultEventuallyPollingInterval(200 * time.Millisecond)

	var err error
	manager, err = extractManager(GinkgoT().TempDir())
	Expect(err).NotTo(HaveOccurred())
	By("using " + manager.describe())
})
