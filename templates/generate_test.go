package templates_test

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rocketkit/rocketkit/templates"
)

// kitDir is this checkout, which generated services are pointed at.
func kitDir(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestGenerateRefusesBadInput(t *testing.T) {
	tests := []struct {
		name    string
		svc     templates.Service
		wantErr string
	}{
		{"no module", templates.Service{KitVersion: "v0.1.0"}, "module path is required"},
		{"space in module", templates.Service{Module: "github.com/acme/my service", KitVersion: "v0.1.0"}, "is not valid"},
		{"dot-dot in module", templates.Service{Module: "github.com/../billing", KitVersion: "v0.1.0"}, "is not valid"},
		{"illegal name", templates.Service{Module: "github.com/acme/billing", Name: "bill ing", KitVersion: "v0.1.0"}, "service name"},
		{"no version", templates.Service{Module: "github.com/acme/billing"}, "version to require"},
		{"bad version", templates.Service{Module: "github.com/acme/billing", KitVersion: "1.2"}, "not a semantic version"},
		{"not a kit checkout", templates.Service{Module: "github.com/acme/billing", KitDir: t.TempDir()}, "not a RocketKit checkout"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "svc")
			files, err := templates.Generate(dir, tt.svc)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Generate: %v, want an error containing %q", err, tt.wantErr)
			}
			if files != nil {
				t.Errorf("files %v reported on error", files)
			}
			if _, err := os.Stat(dir); !os.IsNotExist(err) {
				t.Errorf("%s was created despite the error (%v)", dir, err)
			}
		})
	}
}

func TestGenerateRefusesNonEmptyDir(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "keep.txt"), []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := templates.Generate(dir, templates.Service{Module: "example.com/billing", KitVersion: "v0.1.0"})
	if err == nil || !strings.Contains(err.Error(), "not empty") {
		t.Fatalf("Generate into a non-empty dir: %v", err)
	}
	if data, _ := os.ReadFile(filepath.Join(dir, "keep.txt")); string(data) != "mine" {
		t.Errorf("existing file changed to %q", data)
	}
}

func TestGenerateWritesRequestedVersion(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "billing")
	files, err := templates.Generate(dir, templates.Service{Module: "github.com/acme/billing.v2", KitVersion: "v0.4.1"})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{".gitignore", "README.md", "config.yaml", "go.mod", "greeting.go", "greeting_test.go", "main.go"}
	if !slices.Equal(files, want) {
		t.Errorf("files %v, want %v", files, want)
	}
	gomod, _ := os.ReadFile(filepath.Join(dir, "go.mod"))
	if !strings.Contains(string(gomod), "module github.com/acme/billing.v2\n") ||
		!strings.Contains(string(gomod), "require github.com/rocketkit/rocketkit v0.4.1") ||
		strings.Contains(string(gomod), "replace") {
		t.Errorf("go.mod:\n%s", gomod)
	}
	config, _ := os.ReadFile(filepath.Join(dir, "config.yaml"))
	if !strings.Contains(string(config), "service-name: billing-v2\n") {
		t.Errorf("config.yaml does not name the service billing-v2:\n%s", config)
	}
}

// The generated service, tidied, builds, passes its own tests, and runs on
// the embedded broker: it logs the greeting it sent itself, and stops
// cleanly on SIGTERM. Generated against this checkout, it needs nothing
// beyond the module cache the kit's own build filled (GOPROXY=off: no
// network). Generate already writes fx as the direct requirement tidy
// makes it; Tidy leaves go.mod and go.sum as `go mod tidy` does (-diff
// finds nothing more).
func TestGeneratedServiceBuildsTestsAndRuns(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "billing")
	if _, err := templates.Generate(dir, templates.Service{Module: "github.com/acme/billing", KitDir: kitDir(t)}); err != nil {
		t.Fatal(err)
	}
	direct := func() string { // go.mod's first require block
		t.Helper()
		gomod, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err != nil {
			t.Fatal(err)
		}
		_, block, _ := strings.Cut(string(gomod), "require (")
		block, _, _ = strings.Cut(block, ")")
		return block
	}
	generated := direct()
	if !strings.Contains(generated, "go.uber.org/fx") || strings.Contains(generated, "indirect") {
		t.Errorf("go.mod's first require block is not RocketKit and fx:%s", generated)
	}
	t.Setenv("GOPROXY", "off")
	var tidyOut strings.Builder
	if err := templates.Tidy(t.Context(), dir, &tidyOut); err != nil {
		t.Fatalf("%v\n%s", err, tidyOut.String())
	}
	if tidied := direct(); tidied != generated {
		t.Errorf("tidy changed the direct requirements from%s\nto%s", generated, tidied)
	}
	gocmd := func(args ...string) {
		t.Helper()
		cmd := exec.Command("go", args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GOFLAGS=", "GOPROXY=off", "GOWORK=off", "GOTOOLCHAIN=local")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	if out, err := exec.Command("gofmt", "-l", dir).CombinedOutput(); err != nil || len(out) > 0 {
		t.Errorf("generated Go files need gofmt: %s %v", out, err)
	}
	gocmd("mod", "tidy", "-diff")
	gocmd("vet", "./...")
	gocmd("test", "-count=1", "./...")
	gocmd("build", "-o", "billing", ".")

	// Both lines, in either order: the listener may log the greeting before
	// the start hook that sent it has seen the broker's answer.
	runUntilSignal(t, dir, "greeting received", "billing started")
	if _, err := os.Stat(filepath.Join(dir, "data")); err != nil {
		t.Errorf("the embedded broker's data dir ./data was not created: %v", err)
	}
	// A signal while the start hooks still run (the broker is up, the
	// greeting may not be sent yet) also stops it cleanly.
	runUntilSignal(t, dir, "embedded RocketMQ broker started")
}

// runUntilSignal runs the service built in dir until its log has shown
// every one of want, then sends SIGTERM and requires a clean stop: exit
// status 0 and the "billing stopped" line.
func runUntilSignal(t *testing.T, dir string, want ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	svc := exec.CommandContext(ctx, filepath.Join(dir, "billing"))
	svc.Dir = dir
	stderr, err := svc.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.Start(); err != nil {
		t.Fatal(err)
	}
	var log []string
	missing := slices.Clone(want)
	lines := bufio.NewScanner(stderr)
	for len(missing) > 0 && lines.Scan() {
		log = append(log, lines.Text())
		missing = slices.DeleteFunc(missing, func(w string) bool { return strings.Contains(lines.Text(), w) })
	}
	if len(missing) > 0 {
		_ = svc.Process.Kill()
		_ = svc.Wait()
		t.Fatalf("the service did not log %q; its log:\n%s", missing, strings.Join(log, "\n"))
	}
	rest := make(chan []string)
	go func() { // keep draining so the service never blocks on its log
		var more []string
		for lines.Scan() {
			more = append(more, lines.Text())
		}
		rest <- more
	}()
	if err := svc.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	log = append(log, <-rest...)
	if err := svc.Wait(); err != nil {
		t.Errorf("service exit after SIGTERM: %v, want a clean stop; its log:\n%s", err, strings.Join(log, "\n"))
	}
	if !strings.Contains(strings.Join(log, "\n"), "billing stopped") {
		t.Errorf("the service did not log its clean stop; its log:\n%s", strings.Join(log, "\n"))
	}
}
