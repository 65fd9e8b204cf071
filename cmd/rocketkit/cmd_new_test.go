package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/rocketkit/rocketkit/internal/clienttest"
)

// `rocketkit new` writes the service against this checkout (found from
// the working directory, as for any development build of the CLI), offline
// (GOPROXY=off), with go.mod and go.sum as `go mod tidy` leaves them: tidy
// -diff finds nothing to change and the service builds. The templates
// package's tests also test and run what Generate writes.
func TestNewWritesService(t *testing.T) {
	for _, kv := range clienttest.GoEnv() { // the real HOME, for the go command's caches
		if home, ok := strings.CutPrefix(kv, "HOME="); ok {
			t.Setenv("HOME", home)
		}
	}
	t.Setenv("GOPROXY", "off")
	t.Setenv("GOWORK", "off")
	dir := filepath.Join(t.TempDir(), "billing")
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"new", "-o", dir, "github.com/acme/billing"}, &stdout, &stderr)
	if code != exitOK {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr.String())
	}
	gomod, err := os.ReadFile(filepath.Join(dir, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	root, _ := filepath.Abs("../..")
	if !strings.Contains(string(gomod), "replace github.com/rocketkit/rocketkit => "+filepath.ToSlash(root)+"\n") {
		t.Errorf("go.mod does not point at this checkout %s:\n%s", root, gomod)
	}
	for _, f := range []string{"main.go", "greeting.go", "greeting_test.go", "config.yaml", "go.sum"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("%s not written: %v", f, err)
		}
	}
	if !strings.Contains(stdout.String(), "go run .") || !strings.Contains(stdout.String(), "running go mod tidy") {
		t.Errorf("stdout (want the tidy step and the next steps):\n%s", stdout.String())
	}
	if !regexp.MustCompile(`(?m)^\tgo\.uber\.org/fx v\S+$`).Match(gomod) {
		t.Errorf("go.mod does not require fx directly:\n%s", gomod)
	}
	for _, args := range [][]string{{"mod", "tidy", "-diff"}, {"build", "./..."}} {
		cmd := exec.CommandContext(t.Context(), "go", args...)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("go %s in the new service: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
}

func TestNewRefusesBadInput(t *testing.T) {
	occupied := t.TempDir()
	if err := os.WriteFile(filepath.Join(occupied, "x"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		args    []string
		wantErr string
	}{
		{"no module", []string{"new"}, "want exactly one module path"},
		{"two modules", []string{"new", "a.com/x", "b.com/y"}, "want exactly one module path"},
		{"bad module", []string{"new", "-o", filepath.Join(t.TempDir(), "x"), "github.com/acme/bill ing"}, "is not valid"},
		{"bad version", []string{"new", "-o", filepath.Join(t.TempDir(), "x"), "-kit-version", "latest", "github.com/acme/billing"}, "not a semantic version"},
		{"occupied dir", []string{"new", "-o", occupied, "github.com/acme/billing"}, "not empty"},
		{"bad flag", []string{"new", "-nope", "github.com/acme/billing"}, "flag provided but not defined"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if code := run(context.Background(), tt.args, &stdout, &stderr); code != exitUsage {
				t.Errorf("exit %d, want %d", code, exitUsage)
			}
			if !strings.Contains(stderr.String(), tt.wantErr) {
				t.Errorf("stderr %q, want it to contain %q", stderr.String(), tt.wantErr)
			}
		})
	}
}
