package metrics

import (
	"bytes"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// operationNames returns the values of the Op constants of the JumpCloud client (package
// internal/jumpcloud): the values the operation label can take.
func operationNames(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob("../jumpcloud/*.go")
	if err != nil {
		t.Fatal(err)
	}
	var ops []string
	fset := token.NewFileSet()
	for _, file := range files {
		if strings.HasSuffix(file, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, file, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, decl := range f.Decls {
			gd, ok := decl.(*ast.GenDecl)
			if !ok || gd.Tok != token.CONST {
				continue
			}
			for _, spec := range gd.Specs {
				vs := spec.(*ast.ValueSpec)
				for i, name := range vs.Names {
					if !strings.HasPrefix(name.Name, "Op") || i >= len(vs.Values) {
						continue
					}
					if lit, ok := vs.Values[i].(*ast.BasicLit); ok && lit.Kind == token.STRING {
						op, err := strconv.Unquote(lit.Value)
						if err != nil {
							t.Fatal(err)
						}
						ops = append(ops, op)
					}
				}
			}
		}
	}
	return ops
}

// TestDocsListEveryOperation keeps the operation label values in docs/metrics.md complete: every
// operation the client reports is listed there.
func TestDocsListEveryOperation(t *testing.T) {
	ops := operationNames(t)
	if len(ops) < 20 {
		t.Fatalf("found only the operations %v in internal/jumpcloud", ops)
	}
	doc, err := os.ReadFile("../../docs/metrics.md")
	if err != nil {
		t.Fatal(err)
	}
	start := bytes.Index(doc, []byte("\n- `operation`:"))
	if start < 0 {
		t.Fatal("docs/metrics.md has no list of the operation label values")
	}
	section := doc[start+1:]
	if end := bytes.Index(section, []byte("\n- ")); end >= 0 {
		section = section[:end]
	}
	for _, op := range ops {
		if !bytes.Contains(section, []byte("`"+op+"`")) {
			t.Errorf("docs/metrics.md does not list the operation %q", op)
		}
	}
}
