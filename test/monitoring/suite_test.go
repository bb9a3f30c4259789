// Package monitoring checks the Grafana dashboard (config/grafana) and the alert rules
// (config/prometheus) against the operator: every metric and label a panel or an alert uses is
// one that the manager's /metrics endpoint serves, scraped from a manager wired as cmd/manager
// wires it and run against envtest and the JumpCloud simulator. It also checks that the rules are
// documented (docs/monitoring.md) and that the PrometheusRule holds the same rules as the rules
// file promtool tests.
package monitoring

import (
	"context"
	"fmt"
	"net"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	"github.com/jumpcloud-operator/jumpcloud-operator/internal/connection"
	"github.com/jumpcloud-operator/jumpcloud-operator/internal/controller"
	"github.com/jumpcloud-operator/jumpcloud-operator/internal/jumpcloud"
	"github.com/jumpcloud-operator/jumpcloud-operator/internal/metrics"
	"github.com/jumpcloud-operator/jumpcloud-operator/internal/testenv"
)

var (
	env        *envtest.Environment
	k8sClient  client.Client
	ctx        context.Context
	cancel     context.CancelFunc
	metricsURL string
	root       string
)

func TestMonitoring(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "Monitoring suite (dashboard and alerts against the served metrics)")
}

// The manager is wired as cmd/manager wires it (the operator's metrics on controller-runtime's
// registry, their observer on the connection registry) and serves /metrics over plain HTTP, as
// `make run` with --metrics-secure=false does.
var _ = BeforeSuite(func() {
	logf.SetLogger(zap.New(zap.WriteTo(GinkgoWriter), zap.UseDevMode(true)))
	SetDefaultEventuallyTimeout(30 * time.Second)
	SetDefaultEventuallyPollingInterval(100 * time.Millisecond)
	ctx, cancel = context.WithCancel(context.Background())

	var err error
	root, err = testenv.RepoRoot()
	Expect(err).NotTo(HaveOccurred())
	env, err = testenv.New()
	Expect(err).NotTo(HaveOccurred())
	cfg, err := env.Start()
	Expect(err).NotTo(HaveOccurred())
	k8sClient, err = client.New(cfg, client.Options{Scheme: env.Scheme})
	Expect(err).NotTo(HaveOccurred())

	addr := fmt.Sprintf("127.0.0.1:%d", freePort())
	metricsURL = "http://" + addr + "/metrics"
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		Scheme:                 env.Scheme,
		Metrics:                metricsserver.Options{BindAddress: addr},
		HealthProbeBindAddress: "0",
	})
	Expect(err).NotTo(HaveOccurred())
	obs, err := metrics.Setup(mgr, ctrlmetrics.Registry)
	Expect(err).NotTo(HaveOccurred())
	reg := connection.NewRegistry()
	reg.Observer = obs
	reg.ClientOptions = func(o *jumpcloud.Options) {
		o.RetryBaseDelay, o.RetryMaxDelay, o.MaxRetries = 5*time.Millisecond, 50*time.Millisecond, 3
	}
	Expect(controller.Setup(mgr, controller.Options{Registry: reg, OperationRetryDelay: 20 * time.Millisecond})).To(Succeed())
	go func() {
		defer GinkgoRecover()
		Expect(mgr.Start(ctx)).To(Succeed())
	}()
})

var _ = AfterSuite(func() {
	if cancel != nil {
		cancel()
	}
	if env != nil {
		Expect(env.Stop()).To(Succeed())
	}
})

func freePort() int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	Expect(err).NotTo(HaveOccurred())
	defer func() { _ = l.Close() }()
	addr, ok := l.Addr().(*net.TCPAddr)
	Expect(ok).To(BeTrue())
	return addr.Port
}
