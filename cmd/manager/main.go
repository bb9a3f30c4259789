/*
Copyright 2026 The jumpcloud-operator Authors.

Licensed under the Apache License, Version 2.0 (the "License");
you may not use this file except in compliance with the License.
You may obtain a copy of the License at

    http://www.apache.org/licenses/LICENSE-2.0

Unless required by applicable law or agreed to in writing, software
distributed under the License is distributed on an "AS IS" BASIS,
WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
See the License for the specific language governing permissions and
limitations under the License.
*/

// Command manager runs the jumpcloud-operator: the controllers that make JumpCloud match the
// JumpCloudUser, JumpCloudUserOperation and connection resources of a cluster.
package main

import (
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"time"

	// Import all Kubernetes client auth plugins (e.g. Azure, GCP, OIDC, etc.)
	// so that the manager can run against any cluster the kubeconfig can reach.
	_ "k8s.io/client-go/plugin/pkg/client/auth"

	"k8s.io/apimachinery/pkg/runtime"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"
	"sigs.k8s.io/controller-runtime/pkg/metrics/filters"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	iamv1alpha1 "github.com/jumpcloud-operator/jumpcloud-operator/api/v1alpha1"
	"github.com/jumpcloud-operator/jumpcloud-operator/internal/connection"
	"github.com/jumpcloud-operator/jumpcloud-operator/internal/controller"
	"github.com/jumpcloud-operator/jumpcloud-operator/internal/metrics"
)

// Version is the operator's version, set at build time with -ldflags "-X main.Version=...".
var Version = "dev"

// leaderElectionID names the Lease that replicas of the manager compete for.
const leaderElectionID = "jumpcloud-operator.iam.jumpcloud-operator.dev"

var (
	scheme   = runtime.NewScheme()
	setupLog = ctrl.Log.WithName("setup")
)

func init() {
	utilruntime.Must(clientgoscheme.AddToScheme(scheme))
	utilruntime.Must(iamv1alpha1.AddToScheme(scheme))
}

// The manager's event recorder (mgr.GetEventRecorder) writes events.k8s.io/v1 Events next to the
// objects it reports on; the reconcilers' own permissions sit beside each of them.
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch

func main() {
	var (
		metricsAddr           string
		metricsCertDir        string
		secureMetrics         bool
		enableHTTP2           bool
		probeAddr             string
		pprofAddr             string
		enableLeaderElection  bool
		leaderElectionNS      string
		leaseDuration         = 15 * time.Second
		renewDeadline         = 10 * time.Second
		retryPeriod           = 2 * time.Second
		defaultDeletionPolicy = iamv1alpha1.DeletionPolicySuspend
	)
	// --kubeconfig is registered by controller-runtime on flag.CommandLine and read by GetConfigOrDie.
	flag.StringVar(&metricsAddr, "metrics-bind-address", "0",
		"The address the metrics endpoint binds to, e.g. :8443 (HTTPS) or :8080 (with --metrics-secure=false). "+
			"0 disables the metrics endpoint; config/default enables it on :8443.")
	flag.BoolVar(&secureMetrics, "metrics-secure", true,
		"Serve metrics over HTTPS, to callers that are authenticated and authorized for GET /metrics. "+
			"Use --metrics-secure=false for plain HTTP.")
	flag.StringVar(&metricsCertDir, "metrics-cert-dir", "",
		"Directory holding tls.crt and tls.key for the metrics endpoint. Empty means a self-signed certificate.")
	flag.BoolVar(&enableHTTP2, "enable-http2", false,
		"Serve HTTP/2 on the metrics endpoint. Off by default against the HTTP/2 Stream Cancellation and "+
			"Rapid Reset vulnerabilities.")
	flag.StringVar(&probeAddr, "health-probe-bind-address", ":8081", "The address the /healthz and /readyz endpoints bind to.")
	flag.StringVar(&pprofAddr, "pprof-bind-address", "0",
		"The address Go's pprof endpoints (/debug/pprof/) bind to, e.g. 127.0.0.1:6060. 0 disables them. "+
			"They are served over plain HTTP without authentication: bind them to loopback only.")
	flag.BoolVar(&enableLeaderElection, "leader-elect", false,
		"Enable leader election, so that only one replica of the manager is active at a time.")
	flag.StringVar(&leaderElectionNS, "leader-election-namespace", "",
		"Namespace of the leader election Lease. Empty means the manager's own namespace; "+
			"set it when running outside the cluster with --leader-elect.")
	flag.DurationVar(&leaseDuration, "leader-election-lease-duration", leaseDuration,
		"How long a standby waits, after the leader last renewed the Lease, before it takes over (a leader that "+
			"was killed releases nothing).")
	flag.DurationVar(&renewDeadline, "leader-election-renew-deadline", renewDeadline,
		"How long the leader keeps trying to renew the Lease (for example while the API server is unreachable) "+
			"before it gives up and the process exits, as kube-controller-manager does; its replacement then takes over.")
	flag.DurationVar(&retryPeriod, "leader-election-retry-period", retryPeriod,
		"How often replicas try to acquire or renew the Lease.")
	flag.Var(deletionPolicyFlag{&defaultDeletionPolicy}, "default-deletion-policy",
		"The `policy` applied in JumpCloud when a JumpCloudUser without spec.deletionPolicy is deleted: "+
			"Suspend, Delete or Orphan.")
	driftDetection, userConcurrency := controller.DriftDetectionBulk, controller.DefaultUserConcurrency
	flag.Func("drift-detection",
		"How resyncs observe JumpCloud: bulk (default; one paginated list of all users per connection and "+
			"resync interval, compared with each JumpCloudUser) or per-resource (one GET per JumpCloudUser and resync).",
		func(v string) error {
			switch d := controller.DriftDetection(v); d {
			case controller.DriftDetectionBulk, controller.DriftDetectionPerResource:
				driftDetection = d
				return nil
			}
			return fmt.Errorf("must be %s or %s", controller.DriftDetectionBulk, controller.DriftDetectionPerResource)
		})
	flag.IntVar(&userConcurrency, "max-concurrent-reconciles", controller.DefaultUserConcurrency,
		"How many JumpCloudUsers are reconciled in parallel. Each connection's rate limit still bounds its calls.")
	zapOpts := zap.Options{}
	zapOpts.BindFlags(flag.CommandLine)
	flag.Parse()

	ctrl.SetLogger(zap.New(zap.UseFlagOptions(&zapOpts)))
	gcPercent, memoryLimit, err := setMemoryDefaults()
	if err != nil {
		setupLog.Error(err, "Failed to set the memory limit")
		os.Exit(1)
	}

	var tlsOpts []func(*tls.Config)
	if !enableHTTP2 {
		tlsOpts = append(tlsOpts, func(c *tls.Config) { c.NextProtos = []string{"http/1.1"} })
	}
	metricsOpts := metricsserver.Options{
		BindAddress:   metricsAddr,
		SecureServing: secureMetrics,
		CertDir:       metricsCertDir,
		TLSOpts:       tlsOpts,
	}
	if secureMetrics {
		// Only callers allowed to GET /metrics (config/rbac/metrics_reader_role.yaml) may scrape.
		metricsOpts.FilterProvider = filters.WithAuthenticationAndAuthorization
	}

	mgr, err := ctrl.NewManager(ctrl.GetConfigOrDie(), ctrl.Options{
		Scheme:                  scheme,
		Metrics:                 metricsOpts,
		HealthProbeBindAddress:  probeAddr,
		PprofBindAddress:        pprofAddr,
		LeaderElection:          enableLeaderElection,
		LeaderElectionID:        leaderElectionID,
		LeaderElectionNamespace: leaderElectionNS,
		LeaseDuration:           &leaseDuration,
		RenewDeadline:           &renewDeadline,
		RetryPeriod:             &retryPeriod,
		// The process exits as soon as the manager stops, so stepping down at once is safe, and
		// it lets the next leader start without waiting for the lease to expire.
		LeaderElectionReleaseOnCancel: true,
		Cache:                         cacheOptions(),
	})
	if err != nil {
		setupLog.Error(err, "Failed to create manager")
		os.Exit(1)
	}

	// The operator's metrics are served with controller-runtime's on /metrics (docs/metrics.md);
	// every JumpCloud client the connection registry builds reports its calls to them.
	observer, err := metrics.Setup(mgr, ctrlmetrics.Registry)
	if err != nil {
		setupLog.Error(err, "Failed to set up metrics")
		os.Exit(1)
	}
	registry := connection.NewRegistry()
	registry.Observer = observer

	if err := controller.Setup(mgr, controller.Options{Registry: registry, DefaultDeletionPolicy: defaultDeletionPolicy,
		DriftDetection: driftDetection, UserConcurrency: userConcurrency}); err != nil {
		setupLog.Error(err, "Failed to set up the reconcilers")
		os.Exit(1)
	}

	if err := mgr.AddHealthzCheck("healthz", healthz.Ping); err != nil {
		setupLog.Error(err, "Failed to set up health check")
		os.Exit(1)
	}
	// Ready once the informers the controllers started have synced: a manager whose RBAC cannot
	// list what it watches never becomes Ready, so such a rollout stops instead of running idle.
	// (A standby replica starts no controllers: it is Ready while it waits for the lease.)
	if err := mgr.AddReadyzCheck("readyz", func(req *http.Request) error {
		if !mgr.GetCache().WaitForCacheSync(req.Context()) {
			return errors.New("the informer caches have not synced")
		}
		return nil
	}); err != nil {
		setupLog.Error(err, "Failed to set up ready check")
		os.Exit(1)
	}

	setupLog.Info("Starting manager", "version", Version, "defaultDeletionPolicy", defaultDeletionPolicy,
		"gcPercent", gcPercent, "memoryLimit", memoryLimit)
	if err := mgr.Start(ctrl.SetupSignalHandler()); err != nil {
		setupLog.Error(err, "Failed to run manager")
		os.Exit(1)
	}
}
