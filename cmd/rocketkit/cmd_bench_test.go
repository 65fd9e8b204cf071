package main

import (
	"fmt"
	"os"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/rocketkit/rocketkit/broker/brokertest"
)

// bench produce in each mode, then bench consume of what was sent, against
// the embedded broker. Counts and the summaries' shape are checked, never
// speeds.
func TestBenchProduceConsume(t *testing.T) {
	b := brokertest.Start(t)
	ns := b.Addr()

	out := mustRun(t, "bench", "produce", "-n", ns, "-t", "bench-sync", "--count", "300", "-w", "3", "-s", "64", "--keys")
	wantContains(t, "produce sync", out, "produce summary", "sync, 3 threads, 64-byte bodies", "300 sent, 0 errors",
		"msg/s", "send latency", "p50 ", "p90 ", "p99 ", "max ")
	out = mustRun(t, "bench", "produce", "-n", ns, "-t", "bench-async", "--count", "200", "--mode", "async", "--inflight", "16")
	wantContains(t, "produce async", out, "async, 4 threads", "200 sent, 0 errors", "send latency", "p99 ")
	out = mustRun(t, "bench", "produce", "-n", ns, "-t", "bench-oneway", "--count", "50", "--mode", "oneway", "-w", "1")
	wantContains(t, "produce oneway", out, "oneway, 1 threads", "50 sent", "send call time", "p50 ")
	out = mustRun(t, "bench", "produce", "-n", ns, "-t", "bench-rate", "--count", "30", "--rate", "1000", "-w", "2")
	wantContains(t, "produce --rate", out, "30 sent, 0 errors")
	out = mustRun(t, "bench", "produce", "-n", ns, "-t", "bench-timed", "--duration", "300ms", "-w", "1")
	wantContains(t, "produce --duration", out, "produce summary", "send latency")

	// What sync and async sends acknowledged is stored.
	wantContains(t, "topicStatus", mustRun(t, "admin", "topicStatus", "-n", ns, "-t", "bench-sync"), "Messages stored: 300 in 4 queues")
	wantContains(t, "topicStatus", mustRun(t, "admin", "topicStatus", "-n", ns, "-t", "bench-async"), "Messages stored: 200 in 4 queues")

	// --keys: each message can be looked up by its key.
	key := fmt.Sprintf("bench-%d-7", os.Getpid())
	wantContains(t, "queryMsgByKey", mustRun(t, "admin", "queryMsgByKey", "-n", ns, "-t", "bench-sync", "-k", key), "#Message ID")

	out = mustRun(t, "bench", "consume", "-n", ns, "-t", "bench-sync", "-g", "bench-readers", "--count", "300", "--duration", "2m")
	wantContains(t, "consume", out, "consume summary", "group bench-readers", "end-to-end latency", "p50 ", "p90 ", "p99 ", "max ")
	m := regexp.MustCompile(`(\d+) received`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("consume summary lacks the count:\n%s", out)
	}
	if n, _ := strconv.Atoi(m[1]); n < 300 {
		t.Errorf("received %d, want 300 (or more, with redeliveries):\n%s", n, out)
	}
	if regexp.MustCompile(`without bench produce's send time`).MatchString(out) {
		t.Errorf("bench's own messages lack their send time:\n%s", out)
	}

	// --client official runs the same on the official Go client.
	out = mustRun(t, "bench", "produce", "--client", "official", "-n", ns, "-t", "bench-official", "--count", "40", "-w", "2")
	wantContains(t, "produce --client official", out, "40 sent, 0 errors", "client official")
	out = mustRun(t, "bench", "consume", "--client", "official", "-n", ns, "-t", "bench-official", "-g", "bench-official-readers",
		"--count", "40", "--duration", "2m")
	wantContains(t, "consume --client official", out, "consume summary", "end-to-end latency")
}

func TestBenchErrors(t *testing.T) {
	for _, tt := range []struct {
		name   string
		args   []string
		code   int
		stderr []string
	}{
		{"no command", []string{"bench"}, exitUsage, []string{"say produce or consume", "Usage: rocketkit bench produce|consume"}},
		{"unknown command", []string{"bench", "publish"}, exitUsage, []string{`unknown command "publish": want produce or consume`}},
		{"bad mode", []string{"bench", "produce", "--mode", "fast"}, exitUsage, []string{`--mode "fast": want sync, async or oneway`}},
		{"bad size", []string{"bench", "produce", "-s", "0"}, exitUsage, []string{"-s/--size must be"}},
		{"bad threads", []string{"bench", "consume", "-w", "0"}, exitUsage, []string{"-w/--threads must be at least 1"}},
		{"bad from", []string{"bench", "consume", "--from", "middle"}, exitUsage, []string{`--from "middle": want first or last`}},
		{"produce-only flag", []string{"bench", "consume", "--mode", "sync"}, exitUsage, []string{"flag provided but not defined: -mode"}},
		{"unreachable name server", []string{"bench", "produce", "-n", "127.0.0.1:1", "--count", "1"}, exitFailure,
			[]string{"cannot reach name server 127.0.0.1:1"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := runCLI(t, tt.args...)
			if code != tt.code {
				t.Errorf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tt.code, out, errOut)
			}
			wantContains(t, "stderr", errOut, tt.stderr...)
		})
	}
	out := mustRun(t, "bench", "produce", "-h")
	wantContains(t, "bench produce -h", out, "Usage: rocketkit bench produce", "-threads", "-mode", "-count", "-duration")
}

func TestLatencyHist(t *testing.T) {
	var h latencyHist
	for i := 1; i <= 1000; i++ {
		h.record(time.Duration(i) * time.Microsecond)
	}
	for _, tt := range []struct {
		q    float64
		want time.Duration
	}{{0.5, 500 * time.Microsecond}, {0.9, 900 * time.Microsecond}, {0.99, 990 * time.Microsecond}} {
		got := h.quantile(tt.q)
		if diff := got - tt.want; diff < -tt.want/25 || diff > tt.want/25 {
			t.Errorf("q%.2f = %v, want %v within 4%%", tt.q, got, tt.want)
		}
	}
	if h.quantile(1) != time.Millisecond || h.max != time.Millisecond {
		t.Errorf("max %v, want 1ms", h.max)
	}
	for v := uint64(0); v < 1<<40; v = v*3/2 + 1 {
		got := histValue(histBucket(v))
		if diff := int64(got) - int64(v); diff < -int64(v/32)-1 || diff > int64(v/32)+1 {
			t.Errorf("value %d lands in a bucket centred on %d", v, got)
		}
	}
	var empty latencyHist
	if empty.quantile(0.5) != 0 || empty.percentiles() != "- (no messages)" {
		t.Errorf("empty histogram: %v %q", empty.quantile(0.5), empty.percentiles())
	}
	if got := fmtLatency(1234567 * time.Nanosecond); got != "1.23ms" {
		t.Errorf("fmtLatency = %q", got)
	}
}
