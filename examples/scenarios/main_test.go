package main

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

// Every scenario this program can replay runs and reports ok; S17 says
// what to do instead.
func TestScenarios(t *testing.T) {
	var out bytes.Buffer
	if err := run(t.Context(), &out, "", time.Minute); err != nil {
		t.Fatalf("run: %v\n%s", err, out.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != len(scenarios)+1 || !strings.HasPrefix(lines[0], "embedded broker on 127.0.0.1:") {
		t.Fatalf("want the broker line and one line per scenario:\n%s", out.String())
	}
	for i, s := range scenarios {
		line := lines[i+1]
		status := "ok"
		if s.id == "S17" {
			status = "n/a"
		}
		if fields := strings.Fields(strings.TrimPrefix(line, s.id)); !strings.HasPrefix(line, s.id+" ") || len(fields) == 0 || fields[0] != status {
			t.Errorf("%s: want %s, got %q", s.id, status, line)
		}
	}
	t.Log("\n" + out.String())
}
