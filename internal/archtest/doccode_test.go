package archtest

import (
	"go/ast"
	"go/doc/comment"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// Every Go code block in a package's documentation (the package comment
// and the doc comments of exported declarations) is a copy of code that
// compiles: its lines appear, in order, each within a line of one of the
// package's test files (best an Example, which the error message asks
// for; the examples of test helpers are test code). Blank lines, lines
// that are only "..." or a comment, and trailing comments are ignored;
// runs of spaces count as one; "..." inside a line stands for anything; a
// doc's `func TestX(t *testing.T) {` matches an Example's
// `_ = func(t *testing.T) {`, and its `import x "path"` a line of an
// import block. A block counts as Go when goLooking says so; listings of
// keys, environment variables, shell commands, YAML, SQL and error
// messages do not.
func TestDocCodeIsInExamples(t *testing.T) {
	root := moduleRoot(t)
	blocks, checked := 0, 0
	for _, dir := range packageDirs(t, root) {
		docs, examples := packageDocs(t, dir)
		rel, _ := filepath.Rel(root, dir)
		for _, d := range docs {
			blocks++
			if !goLooking(d.code) {
				continue
			}
			checked++
			if missing, ok := findInExamples(d.code, examples); !ok {
				t.Errorf("%s: a code block of %s's documentation is in no Example of package %s\n"+
					"(first missing line: %q); move the code into an Example and copy it from there:\n%s",
					d.pos, d.name, rel, missing, indent(d.code))
			}
		}
	}
	if blocks < 50 || checked < 20 {
		t.Fatalf("found %d code blocks, %d of them Go: the walk is broken", blocks, checked)
	}
}

// The rule deciding which blocks are Go, on blocks the docs hold.
func TestGoLooking(t *testing.T) {
	tests := []struct {
		block string
		want  bool
	}{
		{"fx.New(starter.Module, starter.Listener(NewBillOrders))", true},
		{"app := fx.New(\n\tstarter.Module,\n)", true},
		{"func (l *X) Handle(ctx context.Context, m *listener.Message) error {\n\treturn nil\n}", true},
		{"type Config struct {\n\tA string `koanf:\"a\"`\n}", true},
		{"if err := app.Err(); err != nil {\n\tlog.Error(\"start\", \"err\", starter.Cause(err))\n}", true},
		{"listener.Orderly `topic:\"orders\" group:\"billing\"`", true},
		{"rocketmq.producer.send-message-timeout: \"abc\" is not a duration", false},
		{"ROCKETMQ_NAME_SERVER                    rocketmq.name-server", false},
		{"rocketmq.client-log-level  warn: the least level of the client's\n                           own records (debug, info, warn, error, off)", false},
		{"go run ./cmd/rocketkit new -o ../billing github.com/acme/billing", false},
		{"$ rocketkit topic create orders", false},
		{"rocketmq:\n  name-server: embedded\n  producer:\n    group: billing", false},
		{"Discard(err)   dead-lettered at once into %DLQ%group: concurrent", false},
		{"len | crc32c | version | payload", false},
		{"SELECT id FROM outbox WHERE sent_at IS NULL", false},
	}
	for _, tt := range tests {
		if got := goLooking(tt.block); got != tt.want {
			t.Errorf("goLooking(%q) = %v, want %v", tt.block, got, tt.want)
		}
	}
}

// A block is found line by line in order, each line within a line of the
// file, with "..." as a wildcard.
func TestFindInExamples(t *testing.T) {
	file := normLines("import (\n\tfx \"go.uber.org/fx\"\n)\n\nfunc ExampleX() {\n\tapp := fx.New(\n\t\tfx.NopLogger,\n\t\tstarter.Module, // the module\n\t\tfx.Invoke(func(t *T) { t.Send(ctx) }),\n\t)\n\t_ = func(t *T) {\n\t\tt.Send(ctx)\n\t}\n}\n")
	tests := []struct {
		block string
		want  bool
	}{
		{"app := fx.New(\n\tstarter.Module,\n\tfx.Invoke(func(t *T) { ... }),\n)", true},
		{"app  :=  fx.New(\n\t...\n\t// code elided\n\tstarter.Module, // with a comment\n)", true},
		{"starter.Module,\napp := fx.New(", false}, // order matters
		{"func TestOrders(t *T) {\n\tt.Send(ctx)\n}", true},
		{"import fx \"go.uber.org/fx\"\n\napp := fx.New(", true},
		{"app := fx.New(starter.Module)", false},
	}
	for _, tt := range tests {
		if _, got := findInExamples(tt.block, [][]string{file}); got != tt.want {
			t.Errorf("findInExamples(%q) = %v, want %v", tt.block, got, tt.want)
		}
	}
}

// packageDirs lists the module's directories holding non-test Go files,
// leaving out testdata, vendor, hidden directories and nested modules.
func packageDirs(t *testing.T, root string) []string {
	t.Helper()
	var dirs []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			return nil
		}
		name := d.Name()
		if path != root {
			if name == "testdata" || name == "vendor" || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") {
				return filepath.SkipDir
			}
			if _, err := os.Stat(filepath.Join(path, "go.mod")); err == nil {
				return filepath.SkipDir // a module of its own
			}
		}
		if matches, _ := filepath.Glob(filepath.Join(path, "*.go")); len(matches) > 0 {
			dirs = append(dirs, path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return dirs
}

// docBlock is one code block of a doc comment.
type docBlock struct {
	pos  token.Position
	name string // "package x" or the declaration's name
	code string
}

// packageDocs returns the code blocks of the package's doc comments and
// the normalised lines of each of its test files.
func packageDocs(t *testing.T, dir string) (docs []docBlock, examples [][]string) {
	t.Helper()
	fset := token.NewFileSet()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var p comment.Parser
	add := func(cg *ast.CommentGroup, name string) {
		if cg == nil {
			return
		}
		for _, b := range p.Parse(cg.Text()).Content {
			if code, ok := b.(*comment.Code); ok {
				docs = append(docs, docBlock{pos: fset.Position(cg.Pos()), name: name, code: code.Text})
			}
		}
	}
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".go") {
			continue
		}
		path := filepath.Join(dir, e.Name())
		if strings.HasSuffix(e.Name(), "_test.go") {
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			examples = append(examples, normLines(string(data)))
			continue
		}
		f, err := parser.ParseFile(fset, path, nil, parser.ParseComments|parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		add(f.Doc, "package "+f.Name.Name)
		for _, decl := range f.Decls {
			switch d := decl.(type) {
			case *ast.FuncDecl:
				if d.Name.IsExported() {
					add(d.Doc, d.Name.Name)
				}
			case *ast.GenDecl:
				exported := false
				for _, s := range d.Specs {
					switch s := s.(type) {
					case *ast.TypeSpec:
						if s.Name.IsExported() {
							exported = true
							add(s.Doc, s.Name.Name)
						}
					case *ast.ValueSpec:
						for _, n := range s.Names {
							exported = exported || n.IsExported()
						}
						if exported {
							add(s.Doc, s.Names[0].Name)
						}
					}
				}
				if exported {
					add(d.Doc, declName(d))
				}
			}
		}
	}
	return docs, examples
}

func declName(d *ast.GenDecl) string {
	switch s := d.Specs[0].(type) {
	case *ast.TypeSpec:
		return s.Name.Name
	case *ast.ValueSpec:
		return s.Names[0].Name
	}
	return d.Tok.String()
}

var (
	// goSigns are what Go code has and prose, listings and shell do not:
	// a short declaration, a func literal or declaration, a type
	// declaration, a struct tag, a qualified call (fx.New(, m.Decode().
	goSigns = regexp.MustCompile(":=|\\bfunc\\b|^\\s*type \\w+|`\\w+:\"|\\b[a-zA-Z_]\\w*\\.[A-Z]\\w*[(\\[{]")
	// notGo are blocks of another language: a shell prompt or command,
	// SQL, or YAML (a line that is only "key:").
	notGo = regexp.MustCompile(`(?m)^\s*(\$ |go (run|test|build|install|tool) |(SELECT|INSERT|UPDATE|DELETE|CREATE) |[\w.-]+:\s*$)`)
)

// goLooking reports whether a code block is Go.
func goLooking(block string) bool {
	return goSigns.MatchString(block) && !notGo.MatchString(strings.ReplaceAll(block, "default:", ""))
}

// findInExamples reports whether the block's lines appear in order, each
// within a line, in one of the files; if not, it returns the first line
// that the file matching most of the block lacks.
func findInExamples(block string, files [][]string) (missing string, ok bool) {
	var pats []*regexp.Regexp
	var lines []string
	for _, l := range normLines(block) {
		if l == "..." || l == "" {
			continue
		}
		parts := strings.Split(l, "...")
		for i, p := range parts {
			parts[i] = regexp.QuoteMeta(p)
		}
		pats = append(pats, regexp.MustCompile(strings.Join(parts, ".*")))
		lines = append(lines, l)
	}
	if len(pats) == 0 {
		return "", true
	}
	best := 0
	for _, f := range files {
		i := 0
		for _, fl := range f {
			if i < len(pats) && pats[i].MatchString(fl) {
				i++
			}
		}
		if i == len(pats) {
			return "", true
		}
		best = max(best, i)
	}
	return lines[best], false
}

// testFunc is the head of a test function or of a function literal an
// Example assigns to _: docs show `func TestOrders(t *testing.T) {`,
// examples, which cannot declare tests, `_ = func(t *testing.T) {`.
var testFunc = regexp.MustCompile(`^(_ = func|func (Test|Benchmark|Fuzz)\w*)\(`)

// importLine is a single import in a doc, `import name "path"`; in a
// file it is a line of the import block, `name "path"`.
var importLine = regexp.MustCompile(`^import ((\w+ )?")`)

// normLines trims each line, drops its trailing comment and comment-only
// lines, collapses runs of spaces, makes a test function's head that of a
// function literal and a single import a line of an import block.
func normLines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		l = strings.Join(strings.Fields(stripComment(l)), " ")
		l = testFunc.ReplaceAllString(l, "func(")
		l = importLine.ReplaceAllString(l, "$1")
		if l != "" {
			out = append(out, l)
		}
	}
	return out
}

// stripComment cuts a line comment off l, outside string literals.
func stripComment(l string) string {
	var quote byte
	for i := 0; i < len(l); i++ {
		c := l[i]
		switch {
		case quote != 0:
			if c == '\\' && quote != '`' {
				i++
			} else if c == quote {
				quote = 0
			}
		case c == '"' || c == '`' || c == '\'':
			quote = c
		case c == '/' && i+1 < len(l) && l[i+1] == '/':
			return l[:i]
		}
	}
	return l
}

func indent(s string) string {
	return "\t" + strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n\t")
}
