package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
)

// results is what bench.json holds.
type results struct {
	Started      time.Time      `json:"started"`
	TotalSeconds float64        `json:"totalSeconds"`
	Config       resultsConfig  `json:"config"`
	Creates      *createsResult `json:"creates,omitempty"`
	Latency      *latencyResult `json:"latency,omitempty"`
	Steady       *steadyResult  `json:"steady,omitempty"`
	Memory       *memoryResult  `json:"memory,omitempty"`
	Feed         *feedResult    `json:"feed,omitempty"`
	ManagerLog   string         `json:"managerLog"`
}

type resultsConfig struct {
	Creates                 int     `json:"creates"`
	SteadyUsers             int     `json:"steadyUsers"`
	LatencyRuns             int     `json:"latencyRuns"`
	ResyncInterval          string  `json:"resyncInterval"`
	MaxConcurrentReconciles int     `json:"maxConcurrentReconciles"`
	SimLatency              string  `json:"simLatency"`
	SimRateLimitRPS         float64 `json:"simRateLimitRPS"`
	SimRateLimitBurst       int     `json:"simRateLimitBurst"`
}

// callCounts are the requests a simulator answered in some period.
type callCounts struct {
	Total           int            `json:"total"`
	Writes          int            `json:"writes"`
	TooManyRequests int            `json:"tooManyRequests"`
	ByOp            map[string]int `json:"byOp"`
}

type createsResult struct {
	Users                    int        `json:"users"`
	Calls                    callCounts `json:"calls"`
	CallsPerCreatedUser      float64    `json:"callsPerCreatedUser"`
	ApplySeconds             float64    `json:"applySeconds"`
	ConvergenceSeconds       float64    `json:"convergenceSeconds"`
	FloorSeconds             float64    `json:"floorSeconds"`
	ConvergenceOverFloor     float64    `json:"convergenceOverFloor"`
	TooManyRequests          int        `json:"tooManyRequests"`
	SimulatorUsersAfterwards int        `json:"simulatorUsersAfterwards"`
}

type latencyResult struct {
	Runs            int     `json:"runs"`
	P50Millis       float64 `json:"p50Millis"`
	P95Millis       float64 `json:"p95Millis"`
	MinMillis       float64 `json:"minMillis"`
	MaxMillis       float64 `json:"maxMillis"`
	CallsPerApply   float64 `json:"callsPerApply"`
	TooManyRequests int     `json:"tooManyRequests"`
}

type windowResult struct {
	From  time.Time  `json:"from"`
	To    time.Time  `json:"to"`
	Calls callCounts `json:"calls"`
}

type steadyResult struct {
	Users                    int        `json:"users"`
	ResyncIntervalSeconds    float64    `json:"resyncIntervalSeconds"`
	ConvergenceSeconds       float64    `json:"convergenceSeconds"`
	AdoptionCalls            callCounts `json:"adoptionCalls"`
	SimulatorUsersAfterwards int        `json:"simulatorUsersAfterwards"`
	// Bulk is one resync interval in bulk mode; BulkBound is ⌈N/100⌉ + 2.
	Bulk      windowResult `json:"bulk"`
	BulkBound int          `json:"bulkBound"`
	// PerResource is one resync interval in per-resource mode; the window holds exactly one read
	// of every user when PerResourceWindowExact.
	PerResource               *windowResult `json:"perResource,omitempty"`
	PerResourceStartupSeconds float64       `json:"perResourceStartupSeconds,omitempty"`
	PerResourceWindowExact    bool          `json:"perResourceWindowExact,omitempty"`
	PerResourceMemory         *memoryResult `json:"perResourceMemory,omitempty"`
	BulkOverPerResource       float64       `json:"bulkOverPerResource,omitempty"`
}

type memoryResult struct {
	RSSMiB     float64 `json:"rssMiB"`
	PeakRSSMiB float64 `json:"peakRSSMiB"`
	// RSSAnonMiB is the part of RSSMiB the process allocated (heap, stacks, runtime); RSSFileMiB
	// the part mapped from files (mostly the binary's code).
	RSSAnonMiB   float64 `json:"rssAnonMiB"`
	RSSFileMiB   float64 `json:"rssFileMiB"`
	HeapInuseMiB float64 `json:"heapInuseMiB"`
	HeapAllocMiB float64 `json:"heapAllocMiB"`
	// HeapIdleMiB is heap memory the runtime holds without using it, of which HeapReleasedMiB
	// was returned to the OS; NextGCMiB is the heap size at which the next GC starts; SysMiB is
	// all memory the runtime obtained from the OS.
	HeapIdleMiB     float64 `json:"heapIdleMiB"`
	HeapReleasedMiB float64 `json:"heapReleasedMiB"`
	NextGCMiB       float64 `json:"nextGCMiB"`
	SysMiB          float64 `json:"sysMiB"`
	Goroutines      int     `json:"goroutines"`
	// CPUSeconds is the CPU time the manager used since it started (the garbage collector's
	// share of it grows as GOGC shrinks).
	CPUSeconds float64 `json:"cpuSeconds"`
	// ConvergedRSSMiB is the RSS when every user had just become Ready (scenario (b)).
	ConvergedRSSMiB float64        `json:"convergedRSSMiB,omitempty"`
	HeapProfiles    []*heapProfile `json:"heapProfiles,omitempty"`
}

// memoryBounds are the manager's memory bounds in scenario (d) for a number of users: its RSS
// after the resync interval and its peak (VmHWM) over the whole run, in MiB. ok is false above
// the largest size with a promise.
func memoryBounds(users int) (rss, peak float64, ok bool) {
	switch {
	case users <= 10000:
		return 150, 170, true
	case users <= 50000:
		return 600, 600, true
	}
	return 0, 0, false
}

// row is one line of the table; bound is empty for figures without one.
type row struct {
	metric, value, bound string
	ok                   *bool
}

func check(ok bool) *bool { return &ok }

func (r *results) rows() []row {
	var rows []row
	if c := r.Creates; c != nil {
		rows = append(rows,
			row{fmt.Sprintf("(a) calls per created user (%d users, %d calls: %s)", c.Users, c.Calls.Total, ops(c.Calls.ByOp)),
				fmt.Sprintf("%.3f", c.CallsPerCreatedUser), "≤ 1.05", check(c.CallsPerCreatedUser <= 1.05)},
			row{fmt.Sprintf("(a) convergence ÷ rate-limit floor (%.1fs ÷ %.0fs)", c.ConvergenceSeconds, c.FloorSeconds),
				fmt.Sprintf("%.3f", c.ConvergenceOverFloor), "≤ 1.15", check(c.ConvergenceOverFloor <= 1.15)},
			row{"(a) 429 answers", fmt.Sprint(c.TooManyRequests), "0", check(c.TooManyRequests == 0)},
		)
	}
	if s := r.Steady; s != nil {
		rows = append(rows,
			row{fmt.Sprintf("(b) bulk: calls per resync, %d users (%s)", s.Users, ops(s.Bulk.Calls.ByOp)),
				fmt.Sprint(s.Bulk.Calls.Total), fmt.Sprintf("≤ %d", s.BulkBound), check(s.Bulk.Calls.Total <= s.BulkBound)},
			row{"(b) bulk: writes per resync", fmt.Sprint(s.Bulk.Calls.Writes), "0", check(s.Bulk.Calls.Writes == 0)},
			row{"(b) bulk: 429 answers", fmt.Sprint(s.Bulk.Calls.TooManyRequests), "0", check(s.Bulk.Calls.TooManyRequests == 0)},
			row{fmt.Sprintf("(b) adoption of %d existing users: calls (%s), seconds", s.Users, ops(s.AdoptionCalls.ByOp)),
				fmt.Sprintf("%d, %.0fs", s.AdoptionCalls.Total, s.ConvergenceSeconds), "", nil},
		)
		if p := s.PerResource; p != nil {
			note := ""
			if !s.PerResourceWindowExact {
				note = " (start-up over 0.7 of an interval: window inexact)"
			}
			rows = append(rows,
				row{fmt.Sprintf("(e) per-resource: calls per resync (%s)%s", ops(p.Calls.ByOp), note), fmt.Sprint(p.Calls.Total), "", nil},
				row{"(e) per-resource: writes per resync", fmt.Sprint(p.Calls.Writes), "", nil},
				row{"(b÷e) bulk ÷ per-resource calls", fmt.Sprintf("%.4f (1/%.0f)", s.BulkOverPerResource, 1/s.BulkOverPerResource), "", nil},
			)
		}
	}
	if l := r.Latency; l != nil {
		rows = append(rows,
			row{fmt.Sprintf("(c) apply→Ready p50 / p95 (%d runs, %.2f calls each)", l.Runs, l.CallsPerApply),
				fmt.Sprintf("%.0f ms / %.0f ms", l.P50Millis, l.P95Millis), "", nil},
		)
	}
	if m := r.Memory; m != nil {
		rssRow := row{fmt.Sprintf("(d) manager RSS at %d users, after the interval (at convergence %.0f MiB)", r.Config.SteadyUsers, m.ConvergedRSSMiB),
			fmt.Sprintf("%.0f MiB", m.RSSMiB), "", nil}
		peakRow := row{fmt.Sprintf("(d) manager peak RSS at %d users", r.Config.SteadyUsers), fmt.Sprintf("%.0f MiB", m.PeakRSSMiB), "", nil}
		if rss, peak, ok := memoryBounds(r.Config.SteadyUsers); ok {
			rssRow.bound, rssRow.ok = fmt.Sprintf("≤ %.0f MiB", rss), check(m.RSSMiB <= rss)
			peakRow.bound, peakRow.ok = fmt.Sprintf("≤ %.0f MiB", peak), check(m.PeakRSSMiB <= peak)
		}
		rows = append(rows, rssRow, peakRow,
			row{"(d) manager heap in use / allocated / next GC", fmt.Sprintf("%.0f / %.0f / %.0f MiB", m.HeapInuseMiB, m.HeapAllocMiB, m.NextGCMiB), "", nil},
			row{"(d) manager heap idle / released, runtime total", fmt.Sprintf("%.0f / %.0f, %.0f MiB", m.HeapIdleMiB, m.HeapReleasedMiB, m.SysMiB), "", nil},
			row{"(d) manager RSS anonymous / file-backed", fmt.Sprintf("%.0f / %.0f MiB", m.RSSAnonMiB, m.RSSFileMiB), "", nil},
			row{"(d) manager CPU time since its start", fmt.Sprintf("%.0fs", m.CPUSeconds), "", nil},
		)
		if p := r.Steady; p != nil && p.PerResourceMemory != nil {
			rows = append(rows, row{"(d) per-resource mode: RSS / heap in use",
				fmt.Sprintf("%.0f MiB / %.0f MiB", p.PerResourceMemory.RSSMiB, p.PerResourceMemory.HeapInuseMiB), "", nil})
		}
	}
	if f := r.Feed; f != nil {
		rows = append(rows, f.rows()...)
	}
	// The change feed (f) waits for the timers of (b)'s interval and for the periodic comparison.
	limit := 15 * time.Minute
	if r.Feed != nil {
		limit = 30 * time.Minute
	}
	rows = append(rows, row{"bench wall time", fmt.Sprintf("%.0fs", r.TotalSeconds), fmt.Sprintf("< %.0f min", limit.Minutes()), check(r.TotalSeconds < limit.Seconds())})
	return rows
}

func ops(m map[string]int) string {
	var parts []string
	for _, op := range []string{"create", "list", "get", "update", "search", "delete", "suspend", "activate", "unlock", "expire", "resetmfa", "unknown"} {
		if n := m[op]; n > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", op, n))
		}
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}

func (r *results) print(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "\nMETRIC\tVALUE\tBOUND\t")
	for _, row := range r.rows() {
		verdict := ""
		if row.ok != nil {
			verdict = "ok"
			if !*row.ok {
				verdict = "NOT MET"
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", row.metric, row.value, row.bound, verdict)
	}
	_ = tw.Flush()
	if m := r.Memory; m != nil {
		printProfiles(w, m.HeapProfiles)
	}
	if s := r.Steady; s != nil && s.PerResourceMemory != nil {
		printProfiles(w, s.PerResourceMemory.HeapProfiles)
	}
}

// failed names the rows whose bound is not met.
func (r *results) failed() []string {
	var out []string
	for _, row := range r.rows() {
		if row.ok != nil && !*row.ok {
			out = append(out, row.metric)
		}
	}
	return out
}
