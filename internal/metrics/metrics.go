// Package metrics owns the operator's own Prometheus metrics: the JumpCloud API calls of the
// clients (requests, latency, retries, client-side rate-limit waits) and the JumpCloudUsers,
// JumpCloudUserGroups and JumpCloudUserOperations of the cluster. Setup registers them with controller-runtime's
// registry, so the manager serves them on /metrics next to its own. docs/metrics.md lists them.
//
// No label ever holds a name, username, email, id or secret: label values come from small fixed
// sets (operations, status codes, states, condition statuses and reasons, types, phases) plus
// the namespace.
package metrics

import (
	"github.com/prometheus/client_golang/prometheus"
	ctrl "sigs.k8s.io/controller-runtime"
)

// namespace prefixes every metric name.
const namespace = "jumpcloud_operator"

// Setup registers the operator's metrics with reg (controller-runtime's metrics.Registry, to have
// the manager serve them) and adds the resource metrics to mgr. It returns the client metrics:
// set them as the Observer of the connection registry, so that every JumpCloud client reports.
func Setup(mgr ctrl.Manager, reg prometheus.Registerer) (*Client, error) {
	client := NewClient()
	resources := NewResources(mgr.GetCache())
	if err := mgr.Add(resources); err != nil {
		return nil, err
	}
	for _, c := range []prometheus.Collector{client, resources} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return client, nil
}
