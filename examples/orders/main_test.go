package main

import (
	"bytes"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"
)

// The example is the README's main job: it must run end to end and print
// what .validate.yml expects.
func TestOrdersExampleOrderly(t *testing.T) {
	spec, err := os.ReadFile(".validate.yml")
	if err != nil {
		t.Fatal(err)
	}
	var expected string
	for _, line := range strings.Split(string(spec), "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "expected_output:"); ok {
			expected = strings.Trim(strings.TrimSpace(v), `'"`)
		}
	}
	if expected == "" {
		t.Fatal(".validate.yml has no expected_output")
	}
	var out bytes.Buffer
	if err := run(t.Context(), &out, 30, time.Minute); err != nil {
		t.Fatalf("run: %v\n%s", err, out.String())
	}
	if !regexp.MustCompile(expected).MatchString(out.String()) {
		t.Errorf("output does not match %q:\n%s", expected, out.String())
	}
}
