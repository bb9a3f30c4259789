package monitoring

import (
	"bufio"
	"fmt"
	"io"
	"strings"
)

// exposition is what a /metrics page in the Prometheus text format serves: each sample name (a
// histogram's name_bucket, name_sum and name_count separately, as PromQL sees them) with the label
// names its samples carry.
type exposition map[string]map[string]bool

// parseExposition reads the text format (version 0.0.4, what the manager serves to a scraper that
// asks for no other).
func parseExposition(r io.Reader) (exposition, error) {
	out := exposition{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 1024*1024)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		end := strings.IndexAny(line, "{ ")
		if end <= 0 {
			return nil, fmt.Errorf("not a sample: %q", line)
		}
		name := line[:end]
		labels := out[name]
		if labels == nil {
			labels = map[string]bool{}
			out[name] = labels
		}
		if line[end] != '{' {
			continue
		}
		names, _, err := matchers(line, end)
		if err != nil {
			return nil, fmt.Errorf("sample %q: %w", line, err)
		}
		for _, n := range names {
			labels[n] = true
		}
	}
	return out, sc.Err()
}
