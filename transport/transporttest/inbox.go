package transporttest

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/rocketkit/rocketkit/client"
)

// delivery is one message as a handler saw it.
type delivery struct {
	m  *client.MessageExt
	by string // which consumer
	at time.Time
}

// inbox records what handlers saw, for the subtest to wait on.
type inbox struct {
	mu      sync.Mutex
	got     []delivery
	changed chan struct{} // closed and replaced on every delivery
}

func newInbox() *inbox { return &inbox{changed: make(chan struct{})} }

// handler returns a handler that records each message as seen by `by` and
// answers result(m) for it (ConsumeSuccess when result is nil); a batch's
// result is the first message's that is not ConsumeSuccess.
func (in *inbox) handler(by string, result func(m *client.MessageExt) client.ConsumeResult) client.Handler {
	return func(_ context.Context, msgs []*client.MessageExt) client.ConsumeResult {
		res := client.ConsumeSuccess
		for _, m := range msgs {
			in.add(delivery{m: m, by: by, at: time.Now()})
			if result != nil {
				if r := result(m); r != client.ConsumeSuccess && res == client.ConsumeSuccess {
					res = r
				}
			}
		}
		return res
	}
}

func (in *inbox) add(d delivery) {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.got = append(in.got, d)
	close(in.changed)
	in.changed = make(chan struct{})
}

// all returns the deliveries so far.
func (in *inbox) all() []delivery {
	in.mu.Lock()
	defer in.mu.Unlock()
	return slices.Clone(in.got)
}

// wait waits until cond holds for the deliveries so far and returns them;
// it fails the subtest, naming what, after timeout.
func (in *inbox) wait(t *testing.T, timeout time.Duration, what string, cond func([]delivery) bool) []delivery {
	t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		in.mu.Lock()
		got, changed := slices.Clone(in.got), in.changed
		in.mu.Unlock()
		if cond(got) {
			return got
		}
		select {
		case <-changed:
		case <-deadline.C:
			t.Fatalf("waited %v for %s; %d deliveries: %s", timeout, what, len(got), bodies(got))
		}
	}
}

// waitBodies waits until every body in want was delivered at least once.
func (in *inbox) waitBodies(t *testing.T, timeout time.Duration, want ...string) []delivery {
	t.Helper()
	return in.wait(t, timeout, "bodies "+quoteAll(want), func(ds []delivery) bool {
		seen := map[string]bool{}
		for _, d := range ds {
			seen[string(d.m.Body)] = true
		}
		for _, w := range want {
			if !seen[w] {
				return false
			}
		}
		return true
	})
}

// count returns how many deliveries have body.
func count(ds []delivery, body string) int {
	n := 0
	for _, d := range ds {
		if string(d.m.Body) == body {
			n++
		}
	}
	return n
}

// byBody returns the deliveries of body, in order.
func byBody(ds []delivery, body string) []delivery {
	var out []delivery
	for _, d := range ds {
		if string(d.m.Body) == body {
			out = append(out, d)
		}
	}
	return out
}

func quoteAll(ss []string) string {
	out := "["
	for i, s := range ss {
		if i > 0 {
			out += " "
		}
		out += `"` + s + `"`
	}
	return out + "]"
}
