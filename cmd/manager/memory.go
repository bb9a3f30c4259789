package main

import (
	"fmt"
	"os"
	"runtime/debug"
	"strconv"
)

// defaultGCPercent is the garbage collector's target when GOGC does not set one: the heap may grow
// by half of what is live between two collections rather than by Go's default of all of it. The
// operator's live heap is mostly its caches, which stay put: at 10,000 users (make bench) this
// keeps its resident memory about a fifth lower for a few more seconds of CPU while it adopts
// them, and little more afterwards. GOGC overrides it.
const defaultGCPercent = 50

// memoryLimitShare is the part of the container's memory limit given to the Go runtime as its soft
// memory limit; the rest covers what the runtime does not count (the binary's code) and overshoot.
const memoryLimitShare = 0.9

// setMemoryDefaults sets the garbage collector's target (defaultGCPercent) unless GOGC sets one,
// and a soft memory limit of 90% of the container's memory limit unless GOMEMLIMIT sets one: the
// Deployment passes the container's limit in MEMORY_LIMIT (bytes, through the downward API). Near
// the limit the collector then runs more often rather than let the container be killed. It
// returns the GC percent and the memory limit in force (-1 and math.MaxInt64 when unlimited).
func setMemoryDefaults() (gcPercent int, memoryLimit int64, err error) {
	if _, ok := os.LookupEnv("GOGC"); !ok {
		debug.SetGCPercent(defaultGCPercent)
	}
	gcPercent = debug.SetGCPercent(-1)
	debug.SetGCPercent(gcPercent)
	if _, ok := os.LookupEnv("GOMEMLIMIT"); !ok {
		if v := os.Getenv("MEMORY_LIMIT"); v != "" {
			limit, err := strconv.ParseInt(v, 10, 64)
			if err != nil || limit <= 0 {
				return 0, 0, fmt.Errorf("MEMORY_LIMIT=%q is not a number of bytes", v)
			}
			debug.SetMemoryLimit(int64(float64(limit) * memoryLimitShare))
		}
	}
	return gcPercent, debug.SetMemoryLimit(-1), nil
}
