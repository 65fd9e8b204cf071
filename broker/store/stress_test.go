//go:build stress

package store

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/rocketkit/rocketkit/protocol/message"
)

// TestStressMillionMessages appends 1M 1 KiB messages (8 queues, a
// UNIQ_KEY and a KEYS key each) and reports RSS, heap and reopen times.
// Run with: go test -tags stress -run Million -v ./broker/store/
func TestStressMillionMessages(t *testing.T) {
	dir := t.TempDir()
	s := openStore(t, Config{Dir: dir})
	body := strings.Repeat("x", 1024)
	start := time.Now()
	batch := make([]Entry, 0, 16)
	for i := range 1_000_000 {
		m := msg{topic: "Stress", queue: int32(i % 8), tags: "A", keys: []string{fmt.Sprintf("order-%d", i)},
			uniq: fmt.Sprintf("C0A80001000000000000%012x", i), body: body}
		batch = append(batch, m.entry())
		if len(batch) == cap(batch) {
			if _, err := s.Append(context.Background(), batch); err != nil {
				t.Fatal(err)
			}
			batch = batch[:0]
		}
	}
	t.Logf("appended 1M in %v", time.Since(start))
	report(t, "after append")
	for _, k := range []string{"order-5", "order-999999"} {
		offs, err := s.QueryByKey("Stress", k, 4, 0, 0)
		if err != nil || len(offs) != 1 {
			t.Fatalf("query %s: %v %v", k, offs, err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	start = time.Now()
	s = openStore(t, Config{Dir: dir})
	t.Logf("clean reopen in %v", time.Since(start))
	report(t, "after reopen")
	crash := t.TempDir()
	copyDir(t, dir, crash)
	_ = os.WriteFile(crash+"/abort", nil, 0o644)
	start = time.Now()
	c := openStore(t, Config{Dir: crash})
	t.Logf("crash reopen in %v", time.Since(start))
	if _, max := c.QueueRange("Stress", 7); max != 125000 {
		t.Fatalf("max %d", max)
	}
	offs, err := c.QueryByKey("Stress", "C0A80001000000000000"+fmt.Sprintf("%012x", 77), 4, 0, 0)
	if err != nil || len(offs) != 1 {
		t.Fatalf("query after crash: %v %v", offs, err)
	}
	_ = message.MagicCode
}

func report(t *testing.T, what string) {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	b, _ := os.ReadFile("/proc/self/status")
	rss := ""
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "VmRSS") || strings.HasPrefix(l, "VmHWM") {
			rss += strings.Join(strings.Fields(l), " ") + "; "
		}
	}
	t.Logf("%s: heap in use %d MiB; %s", what, ms.HeapInuse>>20, rss)
}
