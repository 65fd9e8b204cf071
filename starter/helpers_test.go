package starter_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/rocketkit/rocketkit/internal/clienttest"
	"github.com/rocketkit/rocketkit/listener"
)

func TestMain(m *testing.M) { clienttest.VerifyMain(m) }

// inbox records what a test listener received.
type inbox struct {
	mu   sync.Mutex
	msgs []*listener.Message
	ch   chan struct{}
}

func newInbox() *inbox { return &inbox{ch: make(chan struct{}, 1)} }

func (b *inbox) add(ms ...*listener.Message) {
	b.mu.Lock()
	b.msgs = append(b.msgs, ms...)
	b.mu.Unlock()
	select {
	case b.ch <- struct{}{}:
	default:
	}
}

func (b *inbox) snapshot() []*listener.Message {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]*listener.Message(nil), b.msgs...)
}

func (b *inbox) count() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.msgs)
}

// waitFor waits until at least n messages arrived.
func (b *inbox) waitFor(t testing.TB, n int, timeout time.Duration) []*listener.Message {
	t.Helper()
	deadline := time.After(timeout)
	for b.count() < n {
		select {
		case <-b.ch:
		case <-deadline:
			t.Fatalf("received %d messages, want %d within %v", b.count(), n, timeout)
		}
	}
	return b.snapshot()
}

// waitUntil polls cond until it holds or the timeout passes.
func waitUntil(t testing.TB, timeout time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("condition not met within %v", timeout)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func bodies(ms []*listener.Message) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = string(m.Body)
	}
	return out
}

// sendCtx is a context for one send.
func sendCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}
