package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// heapProfile is one heap profile of the manager, saved beside the results.
type heapProfile struct {
	// When names the moment: "converged" (every user just became Ready, near the peak) or
	// "steady" (after the measured resync interval).
	When string `json:"when"`
	Path string `json:"path"`
	// Top is the head of `go tool pprof -top -inuse_space`: the allocation sites holding the
	// most memory, as pprof prints them (flat, flat%, sum%, cum, cum%, function).
	Top []string `json:"top"`
}

// profileTopN is how many allocation sites a profile's Top keeps.
const profileTopN = 15

// heapProfile saves the manager's heap profile (after a GC, so that it counts live memory only)
// to the results' directory as bench-heap-<users>-<when>.pb.gz, and reads its top allocation
// sites with go tool pprof. It returns nil without error when the bench takes no profiles.
func (b *bench) heapProfile(when string) (*heapProfile, error) {
	if b.pprofPort == 0 {
		return nil, nil
	}
	ctx, cancel := context.WithTimeout(b.ctx, 2*time.Minute)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet,
		fmt.Sprintf("http://127.0.0.1:%d/debug/pprof/heap?gc=1", b.pprofPort), nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("heap profile: HTTP %d", resp.StatusCode)
	}
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	path, err := filepath.Abs(filepath.Join(filepath.Dir(b.cfg.out),
		fmt.Sprintf("bench-heap-%d-%s-%s.pb.gz", b.cfg.steadyUsers, b.mode, when)))
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, err
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		return nil, err
	}
	p := &heapProfile{When: when, Path: path}
	if p.Top, err = pprofTop(ctx, path, profileTopN); err != nil {
		// The profile is saved; only its summary is missing.
		logf("Could not summarize %s: %v", path, err)
	}
	return p, nil
}

// pprofTop returns the header and the first n rows of `go tool pprof -top -inuse_space`.
func pprofTop(ctx context.Context, path string, n int) ([]string, error) {
	cmd := exec.CommandContext(ctx, "go", "tool", "pprof", "-top", "-inuse_space", fmt.Sprintf("-nodecount=%d", n), path)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("go tool pprof: %w: %s", err, stderr.String())
	}
	var lines []string
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		line := strings.TrimRight(sc.Text(), " ")
		// Skip the preamble (File, Type, Time); keep the totals line, the column header and rows.
		if strings.HasPrefix(line, "File:") || strings.HasPrefix(line, "Type:") || strings.HasPrefix(line, "Time:") || line == "" {
			continue
		}
		lines = append(lines, line)
	}
	return lines, sc.Err()
}

// printProfiles prints the top allocation sites of each heap profile.
func printProfiles(w io.Writer, profiles []*heapProfile) {
	for _, p := range profiles {
		fmt.Fprintf(w, "\nHeap in use, %s (%s):\n", p.When, p.Path)
		for _, line := range p.Top {
			fmt.Fprintf(w, "  %s\n", line)
		}
	}
}
