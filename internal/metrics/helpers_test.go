package metrics

import (
	"fmt"
	"slices"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
)

// series gathers g into "name{label="value",...}" -> value, labels sorted by name. A histogram
// gives its sample count as name_count and its sum as name_sum.
func series(g prometheus.Gatherer) (map[string]float64, error) {
	mfs, err := g.Gather()
	if err != nil {
		return nil, err
	}
	out := map[string]float64{}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			var labels []string
			for _, l := range m.GetLabel() {
				labels = append(labels, fmt.Sprintf("%s=%q", l.GetName(), l.GetValue()))
			}
			slices.Sort(labels)
			suffix := "{" + strings.Join(labels, ",") + "}"
			if h := m.GetHistogram(); h != nil {
				out[mf.GetName()+"_count"+suffix] = float64(h.GetSampleCount())
				out[mf.GetName()+"_sum"+suffix] = h.GetSampleSum()
				continue
			}
			out[mf.GetName()+suffix] = m.GetCounter().GetValue() + m.GetGauge().GetValue()
		}
	}
	return out, nil
}

// gather registers c alone in a pedantic registry (which checks Describe against Collect) and
// gathers it.
func gather(c prometheus.Collector) (map[string]float64, error) {
	reg := prometheus.NewPedanticRegistry()
	if err := reg.Register(c); err != nil {
		return nil, err
	}
	return series(reg)
}
