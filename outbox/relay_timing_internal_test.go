package outbox

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// fakeLoop stands in for the relay's table and broker work (relayLoop)
// inside a synctest bubble, where time is virtual: it records when each
// call came, relative to the bubble's start, and answers from scripts
// indexed by call number.
type fakeLoop struct {
	start   time.Time
	claimFn func(i int) (*batch, error)
	procFn  func(i int) processResult
	pruneFn func(i int) (int64, error)

	mu     sync.Mutex
	claims []claimCall
	procs  int
	prunes []time.Duration
}

// claimCall is one claim: when, and whether it scanned for dead leases.
type claimCall struct {
	at       time.Duration
	withDead bool
}

var _ relayLoop = (*fakeLoop)(nil)

func (f *fakeLoop) claim(_ context.Context, withDead bool) (*batch, error) {
	f.mu.Lock()
	i := len(f.claims)
	f.claims = append(f.claims, claimCall{time.Since(f.start), withDead})
	f.mu.Unlock()
	if f.claimFn == nil {
		return nil, nil
	}
	return f.claimFn(i)
}

func (f *fakeLoop) process(context.Context, *batch) processResult {
	f.mu.Lock()
	i := f.procs
	f.procs++
	f.mu.Unlock()
	if f.procFn == nil {
		return processResult{}
	}
	return f.procFn(i)
}

func (f *fakeLoop) Prune(context.Context) (int64, error) {
	f.mu.Lock()
	i := len(f.prunes)
	f.prunes = append(f.prunes, time.Since(f.start))
	f.mu.Unlock()
	if f.pruneFn == nil {
		return 0, nil
	}
	return f.pruneFn(i)
}

// rowsBatch is a claimed batch of n rows (the fake never looks inside).
func rowsBatch(n int) *batch { return &batch{rows: make([]*row, n)} }

// runVirtual runs a relay with cfg over f for the virtual duration d (Run,
// then cancel) and returns Run's error. It must be called in a bubble.
func runVirtual(t *testing.T, cfg Config, f *fakeLoop, d time.Duration) error {
	t.Helper()
	cfg.Relay.SkipMigrations = true
	r, err := NewRelay(cfg, noDB{}, noSender{}, ResendUnknown)
	if err != nil {
		t.Fatal(err)
	}
	r.loop = f
	f.start = time.Now()
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	time.Sleep(d)
	cancel()
	return <-done
}

// noDB and noSender satisfy NewRelay; the fake loop never reaches them.
type noDB struct{ Beginner }
type noSender struct{ Sender }

const ms = time.Millisecond

// The worker's timing, in virtual time: the claim-error backoff doubles
// from 50ms up to MaxRetryBackoff and resets on success; a failed send
// backs off from RetryBackoff/4, doubling up to MaxRetryBackoff, and
// resets on success; an idle worker polls every PollInterval, a small
// batch waits BatchWait, a backlog is claimed again at once; dead leases
// are scanned for at most every deadScanEvery (and again after a failed
// scan).
func TestRelayBackoffVirtualTime(t *testing.T) {
	errDeadlock := errors.New("deadlock found")
	tests := []struct {
		name    string
		relay   RelayConfig
		claim   func(i int) (*batch, error)
		process func(i int) processResult
		run     time.Duration
		want    []claimCall
	}{
		{
			name:  "claim errors double from 50ms to max-retry-backoff and reset on success",
			relay: RelayConfig{PollInterval: 200 * ms, RetryBackoff: 400 * ms, MaxRetryBackoff: time.Second},
			claim: func(i int) (*batch, error) {
				if i < 7 || i == 8 || i == 9 {
					return nil, errDeadlock
				}
				return nil, nil
			},
			run: 4150 * ms,
			want: []claimCall{
				{0, true}, {50 * ms, true}, {150 * ms, true}, {350 * ms, true}, {750 * ms, true},
				{1550 * ms, true}, {2550 * ms, true}, // capped at 1s
				{3550 * ms, true},  // success: idle, poll
				{3750 * ms, false}, // error: back to 50ms
				{3800 * ms, false}, {3900 * ms, false},
				{4100 * ms, true}, // 550ms since the last scan
			},
		},
		{
			name:  "an idle worker polls every poll-interval and scans dead leases every 500ms",
			relay: RelayConfig{PollInterval: 100 * ms},
			run:   1050 * ms,
			want: []claimCall{
				{0, true}, {100 * ms, false}, {200 * ms, false}, {300 * ms, false}, {400 * ms, false},
				{500 * ms, true}, {600 * ms, false}, {700 * ms, false}, {800 * ms, false}, {900 * ms, false},
				{1000 * ms, true},
			},
		},
		{
			name:  "a backlog is claimed again at once, scanning dead leases once",
			relay: RelayConfig{BatchSize: 4, PollInterval: 100 * ms},
			claim: func(i int) (*batch, error) {
				if i < 3 {
					return rowsBatch(4), nil
				}
				return nil, nil
			},
			run: 550 * ms,
			want: []claimCall{
				{0, true}, {0, false}, {0, false}, {0, false},
				{100 * ms, false}, {200 * ms, false}, {300 * ms, false}, {400 * ms, false}, {500 * ms, true},
			},
		},
		{
			name: "failed sends back off from retry-backoff/4 to max-retry-backoff and reset on success",
			relay: RelayConfig{BatchSize: 10, BatchWait: 30 * ms, PollInterval: 200 * ms,
				RetryBackoff: 400 * ms, MaxRetryBackoff: time.Second},
			claim: func(int) (*batch, error) { return rowsBatch(1), nil },
			process: func(i int) processResult {
				if i < 6 || i == 7 {
					return processResult{failed: 1, err: errors.New("send failed")}
				}
				return processResult{}
			},
			run: 3650 * ms,
			want: []claimCall{
				{0, true}, {100 * ms, false}, {300 * ms, false}, {700 * ms, true}, {1500 * ms, true},
				{2500 * ms, true}, // capped at 1s
				{3500 * ms, true}, // sent: a small batch waits batch-wait
				{3530 * ms, false},
				{3630 * ms, false}, // failed: back to 100ms
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				cfg := Config{Relay: tt.relay}
				cfg.Relay.Workers = 1
				cfg.Relay.Retention = -1
				f := &fakeLoop{claimFn: tt.claim, procFn: tt.process}
				if err := runVirtual(t, cfg, f, tt.run); err != nil {
					t.Fatalf("Run: %v", err)
				}
				if !slices.Equal(f.claims, tt.want) {
					t.Errorf("claims (at, with dead leases):\n got %v\nwant %v", f.claims, tt.want)
				}
			})
		})
	}
}

// The pruner runs every PruneInterval, whatever the worker does, and goes
// on after a failed prune; a closed database stops the relay.
func TestRelayPruneVirtualTime(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cfg := Config{Relay: RelayConfig{Workers: 1, PollInterval: 7 * time.Second, Retention: time.Hour,
			PruneInterval: time.Minute}}
		f := &fakeLoop{pruneFn: func(i int) (int64, error) {
			if i == 1 {
				return 0, errors.New("lock wait timeout")
			}
			return 10, nil
		}}
		if err := runVirtual(t, cfg, f, 210*time.Second); err != nil {
			t.Fatalf("Run: %v", err)
		}
		if want := []time.Duration{time.Minute, 2 * time.Minute, 3 * time.Minute}; !slices.Equal(f.prunes, want) {
			t.Errorf("pruned at %v, want %v", f.prunes, want)
		}
	})
	synctest.Test(t, func(t *testing.T) {
		cfg := Config{Relay: RelayConfig{Workers: 1, PollInterval: 7 * time.Second, Retention: time.Hour,
			PruneInterval: time.Minute}}
		f := &fakeLoop{pruneFn: func(int) (int64, error) { return 0, ErrDBClosed }}
		err := runVirtual(t, cfg, f, time.Hour)
		if !errors.Is(err, ErrDBClosed) {
			t.Fatalf("Run = %v, want ErrDBClosed", err)
		}
		if want := []time.Duration{time.Minute}; !slices.Equal(f.prunes, want) {
			t.Errorf("pruned at %v, want %v (then the relay stops)", f.prunes, want)
		}
	})
}
