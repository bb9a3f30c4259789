package metrics

import (
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/jumpcloud-operator/jumpcloud-operator/internal/jumpcloud"
)

// codeNoAnswer is the code label of an attempt that got no HTTP answer (connection refused or
// reset, timeout).
const codeNoAnswer = "error"

// Client holds the metrics of the JumpCloud clients. It is the jumpcloud.Observer handed to every
// client, so one set of series covers all connections.
type Client struct {
	requests      *prometheus.CounterVec
	duration      *prometheus.HistogramVec
	retries       *prometheus.CounterVec
	rateLimitWait prometheus.Histogram
}

var _ jumpcloud.Observer = (*Client)(nil)

// NewClient returns unregistered JumpCloud client metrics.
func NewClient() *Client {
	return &Client{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: namespace + "_jumpcloud_requests_total",
			Help: "HTTP requests to the JumpCloud API, by operation and status code (code=\"error\" when no answer arrived). Every attempt counts, retries included.",
		}, []string{"operation", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: namespace + "_jumpcloud_request_duration_seconds",
			Help: "Duration of HTTP requests to the JumpCloud API, by operation: one attempt, from sending to the end of the answer, without client-side rate-limit waits or retry pauses.",
			// From a fast answer (10 ms) to the default per-attempt timeout (30 s).
			Buckets: []float64{0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30},
		}, []string{"operation"}),
		retries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: namespace + "_jumpcloud_retries_total",
			Help: "Retries of JumpCloud API requests, by operation and reason (429, 502, 503, 504, connection, timeout).",
		}, []string{"operation", "reason"}),
		rateLimitWait: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: namespace + "_jumpcloud_rate_limit_wait_seconds",
			Help: "Time requests waited for the client-side rate limiter of their connection (only waits over 1 ms are observed).",
			// A token at the default 10 requests/s is 100 ms away; a long queue waits much longer.
			Buckets: []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60},
		}),
	}
}

// ObserveRequest implements jumpcloud.Observer.
func (c *Client) ObserveRequest(operation string, statusCode int, duration time.Duration) {
	code := codeNoAnswer
	if statusCode != 0 {
		code = strconv.Itoa(statusCode)
	}
	c.requests.WithLabelValues(operation, code).Inc()
	c.duration.WithLabelValues(operation).Observe(duration.Seconds())
}

// ObserveRetry implements jumpcloud.Observer.
func (c *Client) ObserveRetry(operation, reason string) {
	c.retries.WithLabelValues(operation, reason).Inc()
}

// ObserveRateLimitWait implements jumpcloud.Observer.
func (c *Client) ObserveRateLimitWait(duration time.Duration) {
	c.rateLimitWait.Observe(duration.Seconds())
}

// Describe implements prometheus.Collector.
func (c *Client) Describe(ch chan<- *prometheus.Desc) {
	c.requests.Describe(ch)
	c.duration.Describe(ch)
	c.retries.Describe(ch)
	c.rateLimitWait.Describe(ch)
}

// Collect implements prometheus.Collector.
func (c *Client) Collect(ch chan<- prometheus.Metric) {
	c.requests.Collect(ch)
	c.duration.Collect(ch)
	c.retries.Collect(ch)
	c.rateLimitWait.Collect(ch)
}
