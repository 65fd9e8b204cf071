package archtest

import (
	"bytes"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// maxLines is the longest a non-test Go file may be.
const maxLines = 600

// moduleRoot finds the directory holding go.mod above this package.
func moduleRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test's directory")
		}
		dir = parent
	}
}

func TestNoLongSourceFiles(t *testing.T) {
	root := moduleRoot(t)
	checked := 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			switch d.Name() {
			case ".git", "testdata", "node_modules":
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		checked++
		if n := bytes.Count(data, []byte("\n")); n > maxLines {
			rel, _ := filepath.Rel(root, path)
			t.Errorf("%s has %d lines, more than %d: split it by concept", rel, n, maxLines)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked < 100 {
		t.Fatalf("checked only %d files under %s: the walk is broken", checked, root)
	}
}

// brokerFiles parses package broker's files, tests included.
func brokerFiles(t *testing.T) map[string]*ast.File {
	t.Helper()
	dir := filepath.Join(moduleRoot(t), "broker")
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	files := map[string]*ast.File{}
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".go") {
			continue
		}
		f, err := parser.ParseFile(fset, filepath.Join(dir, e.Name()), nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		if f.Name.Name == "broker" {
			files[e.Name()] = f
		}
	}
	return files
}

func TestBrokerHandlersAreUsedOnlyByTheirOwnFile(t *testing.T) {
	files := brokerFiles(t)
	declaredIn := map[string]string{} // name -> handler file
	for name, f := range files {
		if !strings.HasPrefix(name, "handle_") {
			continue
		}
		for _, d := range f.Decls {
			if fd, ok := d.(*ast.FuncDecl); ok && fd.Name.Name != "init" {
				declaredIn[fd.Name.Name] = name
			}
		}
	}
	if len(declaredIn) < 20 {
		t.Fatalf("found only %d handler functions: the scan is broken", len(declaredIn))
	}
	for name, f := range files {
		ast.Inspect(f, func(n ast.Node) bool {
			var ident string
			switch x := n.(type) {
			case *ast.SelectorExpr:
				ident = x.Sel.Name
			case *ast.Ident:
				ident = x.Name
			default:
				return true
			}
			if owner, ok := declaredIn[ident]; ok && owner != name {
				t.Errorf("%s uses %s, declared in %s: move what handlers share into a core file", name, ident, owner)
			}
			return true
		})
	}
}

func TestBrokerComponentsHoldNoBroker(t *testing.T) {
	files := brokerFiles(t)
	for _, name := range []string{"delay_level.go", "delay_time.go", "transaction.go", "pull_hold.go", "put.go"} {
		f := files[name]
		if f == nil {
			t.Fatalf("broker/%s is gone: update this test", name)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			st, ok := n.(*ast.StructType)
			if !ok {
				return true
			}
			for _, field := range st.Fields.List {
				if star, ok := field.Type.(*ast.StarExpr); ok {
					if id, ok := star.X.(*ast.Ident); ok && id.Name == "Broker" {
						t.Errorf("a struct in broker/%s holds a *Broker: give it the narrow dependency it needs", name)
					}
				}
			}
			return true
		})
	}
}
