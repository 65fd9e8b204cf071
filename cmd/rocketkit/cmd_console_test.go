package main

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/rocketkit/rocketkit/internal/clienttest"
)

// runLines runs the CLI with args on its own goroutine and returns its
// stdout lines, its exit code (when it ends) and a stop function that
// cancels it and waits.
func runLines(t *testing.T, args ...string) (lines <-chan string, code <-chan int, stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	pr, pw := io.Pipe()
	ln, ex := make(chan string, 16), make(chan int, 1)
	var stderr clienttest.LockedBuffer
	go func() {
		ex <- run(ctx, args, pw, &stderr)
		pw.Close()
	}()
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			ln <- sc.Text()
		}
		close(ln)
	}()
	var once bool
	stop = func() {
		if !once {
			once = true
			cancel()
			if c := <-ex; c != exitOK {
				t.Errorf("rocketkit %s exited %d; stderr:\n%s", strings.Join(args, " "), c, &stderr)
			}
		}
	}
	t.Cleanup(stop)
	return ln, ex, stop
}

// line waits for a stdout line starting with prefix and returns the rest.
func line(t *testing.T, lines <-chan string, prefix string) string {
	t.Helper()
	timeout := time.After(60 * time.Second)
	for {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("stdout ended before a %q line", prefix)
			}
			if rest, ok := strings.CutPrefix(l, prefix); ok {
				return rest
			}
		case <-timeout:
			t.Fatalf("no %q line after 60s", prefix)
		}
	}
}

func httpGet(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %s", url, resp.StatusCode, b)
	}
	return string(b)
}

// `rocketkit broker --http` serves the console beside the broker, and
// `rocketkit console -n` serves it against that broker from outside; both
// stop cleanly on cancel.
func TestConsoleCommands(t *testing.T) {
	lines, _, stopBroker := runLines(t, "broker", "--listen", "127.0.0.1:0", "--data", t.TempDir(), "--http", "127.0.0.1:0", "--log-level", "error")
	addr, _, _ := strings.Cut(line(t, lines, "rocketkit broker listening on "), " ")
	web := line(t, lines, "rocketkit console on ")
	if got := httpGet(t, web+"/api/cluster"); !strings.Contains(got, `"role":"MASTER"`) || !strings.Contains(got, addr) {
		t.Fatalf("the broker's console /api/cluster: %s", got)
	}
	if got := httpGet(t, web+"/"); !strings.Contains(got, "RocketKit console") {
		t.Fatalf("the broker's console page: %s", got)
	}
	if got := httpGet(t, web+"/metrics"); !strings.Contains(got, "# TYPE ") {
		t.Fatalf("the broker's /metrics: %s", got)
	}

	clines, _, stopConsole := runLines(t, "console", "-n", addr, "--http", "127.0.0.1:0", "--sample", "100ms")
	web2 := line(t, clines, "rocketkit console on ")
	if got := httpGet(t, web2+"/api/session"); !strings.Contains(got, `"canSend":true`) {
		t.Fatalf("rocketkit console /api/session: %s", got)
	}
	if got := httpGet(t, web2+"/api/topics?system=1"); !strings.Contains(got, `"total":`) {
		t.Fatalf("rocketkit console /api/topics: %s", got)
	}
	if got := httpGet(t, web2+"/metrics"); !strings.Contains(got, "# TYPE ") {
		t.Fatalf("rocketkit console /metrics: %s", got)
	}
	stopConsole()
	stopBroker()
}

// A console on an address other hosts can reach is refused without
// --insecure: it has no login of its own.
func TestConsoleRefusesExposure(t *testing.T) {
	for _, args := range [][]string{
		{"console", "-n", "127.0.0.1:1", "--http", "0.0.0.0:0"},
		{"broker", "--listen", "127.0.0.1:0", "--data", t.TempDir(), "--http", ":0"},
	} {
		var stdout, stderr strings.Builder
		code := run(t.Context(), args, &stdout, &stderr)
		if code == exitOK || !strings.Contains(stderr.String(), "refusing to serve the console") {
			t.Errorf("rocketkit %s: exit %d, stderr %q; want a refusal", strings.Join(args, " "), code, stderr.String())
		}
	}
}
