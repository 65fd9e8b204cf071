package client

import (
	"sync"
	"time"
)

// faultTracker remembers brokers that just failed a send, so producers
// prefer other brokers for a while (Java's latency fault tolerance, reduced
// to its effect: a failed broker is avoided for backoff, doubling per
// consecutive failure up to 8x, and forgiven on its next success).
type faultTracker struct {
	backoff time.Duration // <= 0: never avoid

	mu     sync.Mutex
	faults map[string]fault // by broker name; guarded by mu
}

type fault struct {
	until    time.Time
	failures int
}

func newFaultTracker(backoff time.Duration) *faultTracker {
	return &faultTracker{backoff: backoff, faults: make(map[string]fault)}
}

// failed records a failed send to broker. Failures while the broker is
// being avoided already (the sends that were in flight when it failed)
// count as the same failure: only one after the avoidance ended doubles
// it, so one crash does not shut a broker out for 8x the backoff.
func (t *faultTracker) failed(broker string, now time.Time) {
	if t.backoff <= 0 {
		return
	}
	t.mu.Lock()
	f, known := t.faults[broker]
	if !known || now.After(f.until) {
		f.failures = min(f.failures+1, 4)
		f.until = now.Add(t.backoff << (f.failures - 1))
		t.faults[broker] = f
	}
	t.mu.Unlock()
}

// succeeded forgives broker.
func (t *faultTracker) succeeded(broker string) {
	t.mu.Lock()
	if len(t.faults) > 0 {
		delete(t.faults, broker)
	}
	t.mu.Unlock()
}

// available reports whether broker is not being avoided at now.
func (t *faultTracker) available(broker string, now time.Time) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	f, ok := t.faults[broker]
	return !ok || now.After(f.until)
}
