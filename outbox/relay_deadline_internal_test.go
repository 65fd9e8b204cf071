package outbox

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/rocketkit/rocketkit/client"
)

// hang is a timedSender or timedLookup duration: the call never finishes
// on its own, it ends only with its context.
const hang = time.Duration(-1)

// timedSender is the relay's Sender inside a synctest bubble: it records
// every send (when it started relative to the bubble's start, the keys of
// its messages, when its context's deadline falls) and takes as long as
// took says for its first message's key, or until its context ends.
type timedSender struct {
	start time.Time
	took  func(key string) time.Duration

	mu    sync.Mutex
	sends []timedSend
}

// timedSend is one send a timedSender saw.
type timedSend struct {
	at       time.Duration // started
	keys     string        // the rows' keys, space-separated
	deadline time.Duration // of its context
}

func (s *timedSender) Send(ctx context.Context, m *client.Message, _ ...client.SendOption) (*client.SendResult, error) {
	return s.SendBatch(ctx, []*client.Message{m})
}

func (s *timedSender) SendBatch(ctx context.Context, msgs []*client.Message, _ ...client.SendOption) (*client.SendResult, error) {
	var keys []string
	for _, m := range msgs {
		keys = append(keys, m.Properties[KeyProperty])
	}
	call := timedSend{at: time.Since(s.start), keys: strings.Join(keys, " "), deadline: -1}
	if d, ok := ctx.Deadline(); ok {
		call.deadline = d.Sub(s.start)
	}
	s.mu.Lock()
	s.sends = append(s.sends, call)
	s.mu.Unlock()
	if err := wait(ctx, s.took(keys[0])); err != nil {
		return nil, err
	}
	return &client.SendResult{Status: client.SendOK}, nil
}

// timedLookup is a KeyLookup that takes as long as took says for a key
// (or until its context ends) and then finds nothing.
type timedLookup struct {
	took func(key string) time.Duration
}

func (l timedLookup) LookupKey(ctx context.Context, p LookupParams) (bool, error) {
	if err := wait(ctx, l.took(p.Key)); err != nil {
		return false, err
	}
	return false, nil
}

// wait lets d pass (forever for hang) unless ctx ends first: then it
// returns ctx's error.
func wait(ctx context.Context, d time.Duration) error {
	var done <-chan time.Time
	if d >= 0 {
		done = time.After(d)
	}
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// The deadlines of a batch's sends, in virtual time (Lease 4s, SendTimeout
// 1s, one row per send): every send and key lookup is cut at SendTimeout,
// and counts as failed (a lookup: unresolved, holding its key back); no
// send starts later than Lease - 2×SendTimeout after the claim, the rows
// left then are not attempted (released, not failed); a failed send stops
// its queue's later sends; so a batch's sends are over by Lease -
// SendTimeout, before another relay may take the lease over.
func TestRelaySendDeadlinesVirtualTime(t *testing.T) {
	const sec = time.Second
	errCut := context.DeadlineExceeded
	tests := []struct {
		name     string
		rows     []string                 // key per row: "a1" is row 1 of sharding key a; "?a1" its outcome is unknown
		took     map[string]time.Duration // how long a row's send takes (0: at once)
		lookup   map[string]time.Duration // how long a row's key lookup takes
		want     []timedSend              // keys and start; deadline is start + 1s unless set
		outcomes []outcome
		failed   int
		err      error
		done     time.Duration // when deliver returned
	}{
		{
			name: "no send starts after lease - 2×send-timeout",
			rows: []string{"a1", "a2", "a3", "a4", "a5"},
			took: map[string]time.Duration{"a1": 900 * ms, "a2": 900 * ms, "a3": 900 * ms, "a4": 900 * ms, "a5": 900 * ms},
			want: []timedSend{{at: 0, keys: "a1"}, {at: 900 * ms, keys: "a2"}, {at: 1800 * ms, keys: "a3"}},
			// a4 would start at 2.7s, after the 2s cut-off.
			outcomes: []outcome{sentNow, sentNow, sentNow, notAttempted, notAttempted},
			done:     2700 * ms,
		},
		{
			name: "a send that does not finish is cut at send-timeout and stops its queue",
			rows: []string{"a1", "a2", "a3", "b1", "b2"},
			took: map[string]time.Duration{"a2": hang},
			want: []timedSend{{at: 0, keys: "a1"}, {at: 0, keys: "a2"}, {at: 0, keys: "b1"}, {at: 0, keys: "b2"}},
			// a3 waits behind the failed a2; key b's queue goes on.
			outcomes: []outcome{sentNow, sendFailed, notAttempted, sentNow, sentNow},
			failed:   1, err: errCut,
			done: 1 * sec,
		},
		{
			name: "a send started just before the cut-off ends before lease - send-timeout",
			rows: []string{"a1", "a2", "a3", "a4"},
			took: map[string]time.Duration{"a1": 900 * ms, "a2": 900 * ms, "a3": hang},
			want: []timedSend{{at: 0, keys: "a1"}, {at: 900 * ms, keys: "a2"}, {at: 1800 * ms, keys: "a3"}},
			// a3 starts at 1.8s and is cut at 2.8s, before 3s.
			outcomes: []outcome{sentNow, sentNow, sendFailed, notAttempted},
			failed:   1, err: errCut,
			done: 2800 * ms,
		},
		{
			name:   "a key lookup that does not finish is cut at send-timeout and holds its key back",
			rows:   []string{"?a1", "a2", "?b1", "b2", "c1"},
			lookup: map[string]time.Duration{"a1": hang, "b1": 300 * ms},
			// Lookups first: b1 not found at 0.3s, a1 cut at 1s; then
			// the sends, b1 again, and nothing of key a.
			want:     []timedSend{{at: 1 * sec, keys: "b1"}, {at: 1 * sec, keys: "b2"}, {at: 1 * sec, keys: "c1"}},
			outcomes: []outcome{unresolved, notAttempted, sentNow, sentNow, sentNow},
			done:     1 * sec,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				took := func(key string) time.Duration { return tt.took[key] }
				lookupTook := func(key string) time.Duration { return tt.lookup[key] }
				cfg := Config{Relay: RelayConfig{Lease: 4 * time.Second, SendTimeout: time.Second,
					MaxBatchMessages: 1, SkipMigrations: true}}
				start := time.Now()
				s := &timedSender{start: start, took: took}
				r, err := NewRelay(cfg, noDB{}, s, timedLookup{took: lookupTook})
				if err != nil {
					t.Fatal(err)
				}
				b := &batch{start: start}
				for i, k := range tt.rows {
					unknown := k[0] == '?'
					if unknown {
						k = k[1:]
					}
					sk := k[:1]
					b.rows = append(b.rows, &row{id: int64(i + 1), key: k, topic: "T", shardingKey: sk,
						hash: int64(sk[0]), payload: []byte(`{}`), unknown: unknown})
				}
				// The context process gives deliver: it ends a
				// SendTimeout before the lease.
				ctx, cancel := context.WithDeadline(t.Context(), start.Add(cfg.Relay.Lease-cfg.Relay.SendTimeout))
				defer cancel()
				outcomes, res := r.deliver(ctx, b)
				done := time.Since(start)

				want := slices.Clone(tt.want)
				for i := range want {
					want[i].deadline = want[i].at + time.Second
				}
				got := slices.Clone(s.sends)
				slices.SortFunc(got, func(x, y timedSend) int {
					return cmp.Or(cmp.Compare(x.at, y.at), cmp.Compare(x.keys, y.keys))
				})
				if !slices.Equal(got, want) {
					t.Errorf("sends (start, keys, deadline):\n got %v\nwant %v", got, want)
				}
				if !slices.Equal(outcomes, tt.outcomes) {
					t.Errorf("outcomes %v, want %v", outcomes, tt.outcomes)
				}
				if res.failed != tt.failed || !errors.Is(res.err, tt.err) || (tt.err == nil) != (res.err == nil) {
					t.Errorf("result: %d failed, error %v; want %d failed, error %v", res.failed, res.err, tt.failed, tt.err)
				}
				if done != tt.done {
					t.Errorf("deliver returned at %v, want %v", done, tt.done)
				}
			})
		})
	}
}
