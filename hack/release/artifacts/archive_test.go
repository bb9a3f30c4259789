package artifacts

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestWriteArchiveIsReproducible(t *testing.T) {
	modTime := time.Date(2026, 1, 2, 3, 4, 5, 600, time.FixedZone("CET", 3600))
	var archives [][]byte
	for i, stamp := range []time.Time{time.Unix(1, 0), time.Now()} {
		src := t.TempDir()
		bin, license := filepath.Join(src, "prog"), filepath.Join(src, "COPYING")
		for _, f := range []string{bin, license} {
			if err := os.WriteFile(f, []byte("contents of "+filepath.Base(f)), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.Chtimes(f, stamp, stamp); err != nil {
				t.Fatal(err)
			}
		}
		files := []ArchiveFile{{Name: "prog", Source: bin, Mode: 0o755}, {Name: "LICENSE", Source: license, Mode: 0o644}}
		if i == 1 {
			files[0], files[1] = files[1], files[0]
		}
		out := filepath.Join(t.TempDir(), "a.tar.gz")
		if err := WriteArchive(out, modTime, files); err != nil {
			t.Fatal(err)
		}
		data, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		archives = append(archives, data)
	}
	if !bytes.Equal(archives[0], archives[1]) {
		t.Fatal("the same files packed at different times or in another order give different archives")
	}

	gz, err := gzip.NewReader(bytes.NewReader(archives[0]))
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(gz)
	var got []string
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, hdr.Name)
		if !hdr.ModTime.Equal(modTime.Truncate(time.Second)) || hdr.Uid != 0 || hdr.Uname != "" {
			t.Errorf("%s: time %v, owner %d %q; want %v, 0 and no name", hdr.Name, hdr.ModTime, hdr.Uid, hdr.Uname, modTime)
		}
		wantMode := map[string]int64{"LICENSE": 0o644, "prog": 0o755}[hdr.Name]
		if hdr.Mode != wantMode {
			t.Errorf("%s: mode %o; want %o", hdr.Name, hdr.Mode, wantMode)
		}
	}
	if len(got) != 2 || got[0] != "LICENSE" || got[1] != "prog" {
		t.Errorf("entries %q; want LICENSE, prog", got)
	}
}

func TestWriteArchiveLeavesNothingOnError(t *testing.T) {
	out := filepath.Join(t.TempDir(), "a.tar.gz")
	err := WriteArchive(out, time.Unix(0, 0), []ArchiveFile{{Name: "prog", Source: filepath.Join(t.TempDir(), "missing")}})
	if err == nil {
		t.Fatal("packing a missing file succeeded")
	}
	entries, _ := os.ReadDir(filepath.Dir(out))
	if len(entries) != 0 {
		t.Errorf("left %v behind", entries)
	}
}

func TestParsePlatforms(t *testing.T) {
	got, err := ParsePlatforms(" linux/amd64,darwin/arm64  linux/amd64 ")
	if err != nil {
		t.Fatal(err)
	}
	if want := []Platform{{"linux", "amd64"}, {"darwin", "arm64"}}; len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("got %v; want %v", got, want)
	}
	for _, bad := range []string{"", "linux", "linux/", "/amd64", "linux/amd64/v2"} {
		if _, err := ParsePlatforms(bad); err == nil {
			t.Errorf("ParsePlatforms(%q) succeeded", bad)
		}
	}
}

func TestSBOMSerial(t *testing.T) {
	a, b := sbomSerial("v1.0.0"), sbomSerial("v1.0.1")
	if a != sbomSerial("v1.0.0") || a == b {
		t.Errorf("serials %s, %s: want one per version", a, b)
	}
	// A version 5 UUID with the RFC 4122 variant.
	if len(a) != len("urn:uuid:")+36 || a[len("urn:uuid:")+14] != '5' || !bytes.ContainsAny([]byte{a[len("urn:uuid:")+19]}, "89ab") {
		t.Errorf("serial %s is not a version 5 UUID URN", a)
	}
}
