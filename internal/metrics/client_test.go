package metrics

import (
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/jumpcloud-operator/jumpcloud-operator/internal/jumpcloud"
)

func TestClientObservesRequests(t *testing.T) {
	c := NewClient()
	c.ObserveRequest(jumpcloud.OpCreate, 200, 40*time.Millisecond)
	c.ObserveRequest(jumpcloud.OpCreate, 429, 20*time.Millisecond)
	c.ObserveRequest(jumpcloud.OpGet, 0, 30*time.Second)

	want := `
# HELP jumpcloud_operator_jumpcloud_requests_total HTTP requests to the JumpCloud API, by operation and status code (code="error" when no answer arrived). Every attempt counts, retries included.
# TYPE jumpcloud_operator_jumpcloud_requests_total counter
jumpcloud_operator_jumpcloud_requests_total{code="200",operation="create"} 1
jumpcloud_operator_jumpcloud_requests_total{code="429",operation="create"} 1
jumpcloud_operator_jumpcloud_requests_total{code="error",operation="get"} 1
`
	if err := testutil.CollectAndCompare(c, strings.NewReader(want), namespace+"_jumpcloud_requests_total"); err != nil {
		t.Error(err)
	}
	want = `
# HELP jumpcloud_operator_jumpcloud_request_duration_seconds Duration of HTTP requests to the JumpCloud API, by operation: one attempt, from sending to the end of the answer, without client-side rate-limit waits or retry pauses.
# TYPE jumpcloud_operator_jumpcloud_request_duration_seconds histogram
jumpcloud_operator_jumpcloud_request_duration_seconds_bucket{operation="create",le="0.01"} 0
jumpcloud_operator_jumpcloud_request_duration_seconds_bucket{operation="create",le="0.025"} 1
jumpcloud_operator_jumpcloud_request_duration_seconds_bucket{operation="create",le="0.05"} 2
jumpcloud_operator_jumpcloud_request_duration_seconds_bucket{operation="create",le="0.1"} 2
jumpcloud_operator_jumpcloud_request_duration_seconds_bucket{operation="create",le="0.25"} 2
jumpcloud_operator_jumpcloud_request_duration_seconds_bucket{operation="create",le="0.5"} 2
jumpcloud_operator_jumpcloud_request_duration_seconds_bucket{operation="create",le="1"} 2
jumpcloud_operator_jumpcloud_request_duration_seconds_bucket{operation="create",le="2.5"} 2
jumpcloud_operator_jumpcloud_request_duration_seconds_bucket{operation="create",le="5"} 2
jumpcloud_operator_jumpcloud_request_duration_seconds_bucket{operation="create",le="10"} 2
jumpcloud_operator_jumpcloud_request_duration_seconds_bucket{operation="create",le="30"} 2
jumpcloud_operator_jumpcloud_request_duration_seconds_bucket{operation="create",le="+Inf"} 2
jumpcloud_operator_jumpcloud_request_duration_seconds_sum{operation="create"} 0.06
jumpcloud_operator_jumpcloud_request_duration_seconds_count{operation="create"} 2
jumpcloud_operator_jumpcloud_request_duration_seconds_bucket{operation="get",le="0.01"} 0
jumpcloud_operator_jumpcloud_request_duration_seconds_bucket{operation="get",le="0.025"} 0
jumpcloud_operator_jumpcloud_request_duration_seconds_bucket{operation="get",le="0.05"} 0
jumpcloud_operator_jumpcloud_request_duration_seconds_bucket{operation="get",le="0.1"} 0
jumpcloud_operator_jumpcloud_request_duration_seconds_bucket{operation="get",le="0.25"} 0
jumpcloud_operator_jumpcloud_request_duration_seconds_bucket{operation="get",le="0.5"} 0
jumpcloud_operator_jumpcloud_request_duration_seconds_bucket{operation="get",le="1"} 0
jumpcloud_operator_jumpcloud_request_duration_seconds_bucket{operation="get",le="2.5"} 0
jumpcloud_operator_jumpcloud_request_duration_seconds_bucket{operation="get",le="5"} 0
jumpcloud_operator_jumpcloud_request_duration_seconds_bucket{operation="get",le="10"} 0
jumpcloud_operator_jumpcloud_request_duration_seconds_bucket{operation="get",le="30"} 1
jumpcloud_operator_jumpcloud_request_duration_seconds_bucket{operation="get",le="+Inf"} 1
jumpcloud_operator_jumpcloud_request_duration_seconds_sum{operation="get"} 30
jumpcloud_operator_jumpcloud_request_duration_seconds_count{operation="get"} 1
`
	if err := testutil.CollectAndCompare(c, strings.NewReader(want), namespace+"_jumpcloud_request_duration_seconds"); err != nil {
		t.Error(err)
	}
}

func TestClientObservesRetriesAndWaits(t *testing.T) {
	c := NewClient()
	c.ObserveRetry(jumpcloud.OpUpdate, jumpcloud.RetryReasonTooManyRequests)
	c.ObserveRetry(jumpcloud.OpUpdate, jumpcloud.RetryReasonTooManyRequests)
	c.ObserveRetry(jumpcloud.OpList, jumpcloud.RetryReasonConnection)
	c.ObserveRateLimitWait(150 * time.Millisecond)
	c.ObserveRateLimitWait(2 * time.Second)

	if got := testutil.ToFloat64(c.retries.WithLabelValues(jumpcloud.OpUpdate, "429")); got != 2 {
		t.Errorf("update retries on 429 = %v, want 2", got)
	}
	if got := testutil.ToFloat64(c.retries.WithLabelValues(jumpcloud.OpList, "connection")); got != 1 {
		t.Errorf("list retries on connection = %v, want 1", got)
	}
	if n := testutil.CollectAndCount(c, namespace+"_jumpcloud_retries_total"); n != 2 {
		t.Errorf("retry series = %d, want 2", n)
	}
	want := `
# HELP jumpcloud_operator_jumpcloud_rate_limit_wait_seconds Time requests waited for the client-side rate limiter of their connection (only waits over 1 ms are observed).
# TYPE jumpcloud_operator_jumpcloud_rate_limit_wait_seconds histogram
jumpcloud_operator_jumpcloud_rate_limit_wait_seconds_bucket{le="0.005"} 0
jumpcloud_operator_jumpcloud_rate_limit_wait_seconds_bucket{le="0.01"} 0
jumpcloud_operator_jumpcloud_rate_limit_wait_seconds_bucket{le="0.025"} 0
jumpcloud_operator_jumpcloud_rate_limit_wait_seconds_bucket{le="0.05"} 0
jumpcloud_operator_jumpcloud_rate_limit_wait_seconds_bucket{le="0.1"} 0
jumpcloud_operator_jumpcloud_rate_limit_wait_seconds_bucket{le="0.25"} 1
jumpcloud_operator_jumpcloud_rate_limit_wait_seconds_bucket{le="0.5"} 1
jumpcloud_operator_jumpcloud_rate_limit_wait_seconds_bucket{le="1"} 1
jumpcloud_operator_jumpcloud_rate_limit_wait_seconds_bucket{le="2.5"} 2
jumpcloud_operator_jumpcloud_rate_limit_wait_seconds_bucket{le="5"} 2
jumpcloud_operator_jumpcloud_rate_limit_wait_seconds_bucket{le="10"} 2
jumpcloud_operator_jumpcloud_rate_limit_wait_seconds_bucket{le="30"} 2
jumpcloud_operator_jumpcloud_rate_limit_wait_seconds_bucket{le="60"} 2
jumpcloud_operator_jumpcloud_rate_limit_wait_seconds_bucket{le="+Inf"} 2
jumpcloud_operator_jumpcloud_rate_limit_wait_seconds_sum 2.15
jumpcloud_operator_jumpcloud_rate_limit_wait_seconds_count 2
`
	if err := testutil.CollectAndCompare(c, strings.NewReader(want), namespace+"_jumpcloud_rate_limit_wait_seconds"); err != nil {
		t.Error(err)
	}
}

// The metrics pass the registry's consistency checks and prometheus' naming lint.
func TestClientLint(t *testing.T) {
	c := NewClient()
	c.ObserveRequest(jumpcloud.OpCreate, 201, time.Millisecond)
	c.ObserveRetry(jumpcloud.OpCreate, jumpcloud.RetryReasonServiceUnavailable)
	c.ObserveRateLimitWait(time.Second)
	problems, err := testutil.CollectAndLint(c)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("%s: %s", p.Metric, p.Text)
	}
}
