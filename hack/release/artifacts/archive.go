package artifacts

import (
	"archive/tar"
	"cmp"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"slices"
	"time"
)

// ArchiveFile is one entry of an archive: Name inside it, the file it is copied from, and its mode.
type ArchiveFile struct {
	Name   string
	Source string
	Mode   int64
}

// WriteArchive writes a .tar.gz of files to path. The result depends only on the files' contents,
// names and modes and on modTime: entries are sorted by name, every entry has modTime, owner 0:0
// and no user or group name, and the gzip header has no name or time. So the same commit packs to
// the same bytes on any machine (given the same Go release, whose compress/flate does the packing).
func WriteArchive(path string, modTime time.Time, files []ArchiveFile) error {
	_, err := writeArchive(path, modTime, files)
	return err
}

func writeArchive(path string, modTime time.Time, files []ArchiveFile) (Artifact, error) {
	files = slices.Clone(files)
	slices.SortFunc(files, func(a, b ArchiveFile) int { return cmp.Compare(a.Name, b.Name) })
	return writeFile(path, func(w io.Writer) error {
		gz, err := gzip.NewWriterLevel(w, gzip.BestCompression)
		if err != nil {
			return err
		}
		tw := tar.NewWriter(gz)
		for _, f := range files {
			if err := addFile(tw, f, modTime.UTC().Truncate(time.Second)); err != nil {
				return err
			}
		}
		if err := tw.Close(); err != nil {
			return err
		}
		return gz.Close()
	})
}

func addFile(tw *tar.Writer, f ArchiveFile, modTime time.Time) error {
	src, err := os.Open(f.Source)
	if err != nil {
		return err
	}
	defer func() { _ = src.Close() }()
	fi, err := src.Stat()
	if err != nil {
		return err
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("%s: not a regular file", f.Source)
	}
	hdr := &tar.Header{
		Typeflag: tar.TypeReg,
		Name:     f.Name,
		Mode:     f.Mode,
		Size:     fi.Size(),
		ModTime:  modTime,
		Format:   tar.FormatUSTAR,
	}
	if err := tw.WriteHeader(hdr); err != nil {
		return fmt.Errorf("%s: %w", f.Name, err)
	}
	if _, err := io.Copy(tw, src); err != nil {
		return fmt.Errorf("%s: %w", f.Name, err)
	}
	return nil
}

// writeFile writes path through a temporary file (so a failed run leaves no half-written
// artifact) and returns its size and SHA-256.
func writeFile(path string, write func(io.Writer) error) (Artifact, error) {
	tmp := path + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return Artifact{}, err
	}
	defer func() { _ = os.Remove(tmp) }()
	h := sha256.New()
	cw := &countingWriter{w: io.MultiWriter(f, h)}
	if err := write(cw); err != nil {
		_ = f.Close()
		return Artifact{}, fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return Artifact{}, err
	}
	if err := os.Rename(tmp, path); err != nil {
		return Artifact{}, err
	}
	return Artifact{Path: path, Size: cw.n, SHA256: hex.EncodeToString(h.Sum(nil))}, nil
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
