package artifacts

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Checksummed reports whether checksums.txt lists a file of this name: the archives (ours and the
// Helm chart's .tgz) and the SBOM.
func Checksummed(name string) bool {
	return strings.HasSuffix(name, ".tar.gz") || strings.HasSuffix(name, ".tgz") || strings.HasSuffix(name, ".cdx.json")
}

// writeChecksums writes dir/checksums.txt in the format of sha256sum (`sha256sum -c checksums.txt`
// checks it): one "<hex>  <name>" line per checksummed file in dir, sorted by name.
func writeChecksums(dir string) (Artifact, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return Artifact{}, err
	}
	var names []string
	for _, e := range entries {
		if e.Type().IsRegular() && Checksummed(e.Name()) {
			names = append(names, e.Name())
		}
	}
	slices.Sort(names)
	var b strings.Builder
	for _, name := range names {
		sum, err := SHA256File(filepath.Join(dir, name))
		if err != nil {
			return Artifact{}, err
		}
		fmt.Fprintf(&b, "%s  %s\n", sum, name)
	}
	return writeFile(filepath.Join(dir, ChecksumsName), func(w io.Writer) error {
		_, err := io.WriteString(w, b.String())
		return err
	})
}

// SHA256File returns the hex SHA-256 of the file at path.
func SHA256File(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer func() { _ = f.Close() }()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
