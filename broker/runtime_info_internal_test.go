package broker

import (
	"testing"
	"time"

	"github.com/rocketkit/rocketkit/broker/store"
)

// The runtime counters' rates and daily totals, driven by hand: putTps is
// messages per second over each window measured up to now, and the
// totals at local midnight become "today morning", the day before's
// "yesterday morning".
func TestRuntimeStatsRatesAndMidnight(t *testing.T) {
	var c store.Counters
	boot := time.Date(2026, 12, 6, 23, 50, 0, 0, time.Local)
	r := newRuntimeStats(func() store.Counters { return c }, boot)

	// 100 puts a second for 700 s, then silence for 30 s.
	now := boot
	for range 700 {
		now = now.Add(time.Second)
		c.PutMessages += 100
		c.GotMessages += 50
		r.sample(now)
	}
	put, got := r.tps(now, c)
	if put != "100.0 100.0 100.0" || got != "50.0 50.0 50.0" {
		t.Errorf("steady rates: putTps %q getTransferredTps %q", put, got)
	}
	for range 30 {
		now = now.Add(time.Second)
		r.sample(now)
	}
	put, _ = r.tps(now, c)
	if put != "0.0 50.0 95.0" {
		t.Errorf("after 30 quiet seconds putTps = %q, want \"0.0 50.0 95.0\"", put)
	}
	if len(r.samples) != 601 {
		t.Errorf("%d samples kept, want 601 (ten minutes)", len(r.samples))
	}

	// The broker ran through midnight at 00:00 (600 s after boot).
	yPut, tPut, yGot, tGot := r.daily()
	if yPut != 0 || tPut != 60000 || yGot != 0 || tGot != 30000 {
		t.Errorf("after one midnight: yesterday %d/%d, today %d/%d; want 0/0 and the totals at midnight 60000/30000",
			yPut, yGot, tPut, tGot)
	}
	now = now.Add(24 * time.Hour)
	c.PutMessages += 5
	r.sample(now)
	if yPut, tPut, _, _ := r.daily(); yPut != 60000 || tPut != 70005 {
		t.Errorf("after a second midnight: yesterday %d, today %d; want 60000 and 70005", yPut, tPut)
	}

	// A broker younger than a window reports the rate since it started.
	young := newRuntimeStats(func() store.Counters { return c }, boot)
	put, _ = young.tps(boot.Add(2*time.Second), store.Counters{PutMessages: 10})
	if put != "5.0 5.0 5.0" {
		t.Errorf("2 s after boot with 10 puts: putTps %q, want \"5.0 5.0 5.0\"", put)
	}
	if got := javaRuntime(49*time.Hour + 3*time.Minute + 4*time.Second); got != "[ 2 days, 1 hours, 3 minutes, 4 seconds ]" {
		t.Errorf("javaRuntime = %q", got)
	}
	if got := humanBytes(1536); got != "1.5 KiB" {
		t.Errorf("humanBytes(1536) = %q", got)
	}
}
