package templates

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"text/template"
)

// KitModule is the module path of RocketKit, which a generated service
// requires.
const KitModule = "github.com/rocketkit/rocketkit"

// service holds the files of a new service. Every file ends in ".tmpl" (so
// that go.mod and the Go files are not taken for part of this module) and
// is rendered with text/template over a Service; the suffix is dropped and
// a leading "_" becomes "." (_gitignore.tmpl is written as .gitignore).
//
//go:embed all:service
var service embed.FS

// Service describes the service to generate.
type Service struct {
	// Module is the new module's path, e.g. "github.com/acme/billing".
	// Required.
	Module string
	// Name is the service's name, used in rocketmq.service-name (and so in
	// derived group names) and the docs. Default: the last element of
	// Module, with characters a group name cannot hold replaced by '-'.
	Name string
	// KitVersion is the RocketKit version go.mod requires. Required unless
	// KitDir is set (then v0.0.0 is required and replaced).
	KitVersion string
	// KitDir, when set, is a local RocketKit checkout that go.mod's
	// replace directive points at: for development builds of the CLI and
	// for trying unreleased changes.
	KitDir string
	// Requires lists further requirements for go.mod: the versions
	// RocketKit was built and tested with, so that the service starts from
	// the same ones. The modules the generated code imports itself (fx) are
	// written as direct requirements, the rest as indirect; Tidy then drops
	// those the service does not need. Default with KitDir: the checkout's
	// requirements.
	Requires []Module
	// GoVersion is go.mod's go line. Default: the kit checkout's, or 1.26.
	GoVersion string

	goSum []byte // the kit checkout's go.sum, copied when KitDir is set
}

// Module is a module requirement.
type Module struct {
	Path, Version string
}

// directModules are the modules besides RocketKit whose packages the
// generated code imports: go.mod requires them directly.
var directModules = []string{"go.uber.org/fx"}

// templateFuncs split Service.Requires into direct and indirect
// requirements.
var templateFuncs = template.FuncMap{
	"direct": func(reqs []Module) []Module {
		return slices.DeleteFunc(slices.Clone(reqs), func(m Module) bool { return !slices.Contains(directModules, m.Path) })
	},
	"indirect": func(reqs []Module) []Module {
		return slices.DeleteFunc(slices.Clone(reqs), func(m Module) bool { return slices.Contains(directModules, m.Path) })
	},
}

var (
	modulePathRE = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9._~-]*(/[a-zA-Z0-9._~-]+)*$`)
	nameUnsafeRE = regexp.MustCompile(`[^a-zA-Z0-9_-]+`)
	versionRE    = regexp.MustCompile(`^v[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$`)
)

// normalize checks s and fills in its defaults.
func (s Service) normalize() (Service, error) {
	var errs []error
	if s.Module == "" {
		errs = append(errs, errors.New("module path is required (e.g. github.com/acme/billing)"))
	} else if !modulePathRE.MatchString(s.Module) || strings.Contains(s.Module, "..") || strings.HasSuffix(s.Module, ".") {
		errs = append(errs, fmt.Errorf("module path %q is not valid: use letters, digits and ._~- in /-separated elements, e.g. github.com/acme/billing", s.Module))
	}
	if s.Name == "" && s.Module != "" {
		s.Name = strings.Trim(nameUnsafeRE.ReplaceAllString(path.Base(s.Module), "-"), "-")
	}
	if s.Name == "" || nameUnsafeRE.MatchString(s.Name) || len(s.Name) > 100 {
		errs = append(errs, fmt.Errorf("service name %q is not valid: 1 to 100 of a-z A-Z 0-9 _ -", s.Name))
	}
	switch {
	case s.KitDir != "":
		abs, err := filepath.Abs(s.KitDir)
		if err != nil {
			errs = append(errs, fmt.Errorf("kit directory: %w", err))
		} else if data, ok := kitGoMod(abs); !ok {
			errs = append(errs, fmt.Errorf("kit directory %s is not a RocketKit checkout (no go.mod for %s)", abs, KitModule))
		} else {
			s.KitDir = filepath.ToSlash(abs)
			goLine, reqs := parseGoMod(data)
			if s.GoVersion == "" {
				s.GoVersion = goLine
			}
			if s.Requires == nil {
				s.Requires = reqs
			}
			if sum, err := os.ReadFile(filepath.Join(abs, "go.sum")); err == nil {
				s.goSum = sum
			}
		}
		if s.KitVersion == "" {
			s.KitVersion = "v0.0.0"
		}
	case s.KitVersion == "":
		errs = append(errs, errors.New("a RocketKit version to require is needed (or a local checkout to use instead)"))
	}
	if s.KitVersion != "" && !versionRE.MatchString(s.KitVersion) {
		errs = append(errs, fmt.Errorf("RocketKit version %q is not a semantic version such as v0.3.1", s.KitVersion))
	}
	if s.GoVersion == "" {
		s.GoVersion = "1.26"
	}
	return s, errors.Join(errs...)
}

// kitGoMod returns the go.mod of dir if dir is the root of a RocketKit
// checkout.
func kitGoMod(dir string) ([]byte, bool) {
	data, err := os.ReadFile(filepath.Join(dir, "go.mod"))
	return data, err == nil && bytes.Contains(data, []byte("module "+KitModule+"\n"))
}

// FindCheckout returns the root of the RocketKit checkout that contains dir
// (dir itself or a parent), or "" if there is none.
func FindCheckout(dir string) string {
	for {
		if _, ok := kitGoMod(dir); ok {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}

// parseGoMod returns a go.mod's go version and its requirements.
func parseGoMod(data []byte) (goVersion string, reqs []Module) {
	inBlock := false
	for _, line := range strings.Split(string(data), "\n") {
		line, _, _ = strings.Cut(line, "//")
		f := strings.Fields(line)
		switch {
		case len(f) == 2 && f[0] == "go":
			goVersion = f[1]
		case len(f) == 2 && f[0] == "require" && f[1] == "(":
			inBlock = true
		case inBlock && len(f) == 1 && f[0] == ")":
			inBlock = false
		case inBlock && len(f) == 2:
			reqs = append(reqs, Module{Path: f[0], Version: f[1]})
		case len(f) == 3 && f[0] == "require":
			reqs = append(reqs, Module{Path: f[1], Version: f[2]})
		}
	}
	return goVersion, reqs
}

// Generate writes the files of the service s into dir, which must not
// exist or be empty, and returns their paths relative to dir, sorted. It
// refuses bad input (module path, name, version, kit directory) before
// writing anything. go.mod and go.sum start from the kit's requirements
// and checksums; Tidy then trims them to what the service needs.
func Generate(dir string, s Service) ([]string, error) {
	s, err := s.normalize()
	if err != nil {
		return nil, err
	}
	if entries, err := os.ReadDir(dir); err == nil && len(entries) > 0 {
		return nil, fmt.Errorf("%s is not empty; generate into a new directory", dir)
	} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	files, err := render(s)
	if err != nil {
		return nil, err
	}
	if s.goSum != nil {
		// The same versions as the kit checkout, so the same checksums:
		// the service builds without downloading anything.
		files["go.sum"] = s.goSum
	}
	var written []string
	for name, content := range files {
		target := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
			return nil, err
		}
		if err := os.WriteFile(target, content, 0o644); err != nil {
			return nil, err
		}
		written = append(written, name)
	}
	sort.Strings(written)
	return written, nil
}

// render renders every template of the service, keyed by output path.
func render(s Service) (map[string][]byte, error) {
	out := map[string][]byte{}
	err := fs.WalkDir(service, "service", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel := strings.TrimSuffix(strings.TrimPrefix(p, "service/"), ".tmpl")
		if base := path.Base(rel); strings.HasPrefix(base, "_") {
			rel = path.Join(path.Dir(rel), "."+base[1:])
		}
		src, err := service.ReadFile(p)
		if err != nil {
			return err
		}
		t, err := template.New(p).Option("missingkey=error").Funcs(templateFuncs).Parse(string(src))
		if err != nil {
			return fmt.Errorf("template %s: %w", p, err)
		}
		var buf bytes.Buffer
		if err := t.Execute(&buf, s); err != nil {
			return fmt.Errorf("template %s: %w", p, err)
		}
		out[rel] = buf.Bytes()
		return nil
	})
	return out, err
}
