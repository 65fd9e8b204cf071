package main

import (
	"bufio"
	"bytes"
	"context"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

// validation is .validate.yml, in the format of Watermill's
// _examples/*/.validate_example.yml.
type validation struct {
	ValidationCmd  string `yaml:"validation_cmd"`
	Timeout        int    `yaml:"timeout"`
	ExpectedOutput string `yaml:"expected_output"`
}

// TestValidateExample runs the example as .validate.yml says and checks
// that a line of its output matches the expected regular expression.
func TestValidateExample(t *testing.T) {
	raw, err := os.ReadFile(".validate.yml")
	if err != nil {
		t.Fatal(err)
	}
	var v validation
	if err := yaml.Unmarshal(raw, &v); err != nil {
		t.Fatalf("parse .validate.yml: %v", err)
	}
	if v.ValidationCmd == "" || v.Timeout <= 0 || v.ExpectedOutput == "" {
		t.Fatalf(".validate.yml is incomplete: %+v", v)
	}
	want, err := regexp.Compile(v.ExpectedOutput)
	if err != nil {
		t.Fatalf("expected_output: %v", err)
	}

	args := strings.Fields(v.ValidationCmd)
	if args[0] == "go" {
		// The go command that runs this test: go test puts its own
		// GOROOT/bin first on the test's PATH.
		args[0], err = exec.LookPath("go")
		if err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(t.Context(), time.Duration(v.Timeout)*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, args[0], args[1:]...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s: %v after %v\nstdout:\n%s\nstderr:\n%s", v.ValidationCmd, err, time.Since(start), &stdout, &stderr)
	}
	sc := bufio.NewScanner(&stdout)
	for sc.Scan() {
		if want.MatchString(sc.Text()) {
			return
		}
	}
	t.Fatalf("no line of the output matches %q\nstdout:\n%s\nstderr:\n%s", v.ExpectedOutput, &stdout, &stderr)
}

// TestRun runs the example in-process and checks every invoice.
func TestRun(t *testing.T) {
	var out bytes.Buffer
	if err := run(t.Context(), &out); err != nil {
		t.Fatalf("run: %v\n%s", err, &out)
	}
	for _, line := range []string{
		"invoice INV-order-1 for order-1: 42.00 EUR",
		"invoice INV-order-2 for order-2: 19.99 EUR",
		"invoice INV-order-3 for order-3: 5.00 EUR",
		"processed 3 orders through RocketMQ",
	} {
		if !strings.Contains(out.String(), line+"\n") {
			t.Errorf("output lacks %q:\n%s", line, &out)
		}
	}
}
