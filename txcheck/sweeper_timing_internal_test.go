package txcheck

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/rocketkit/rocketkit/client"
	"github.com/rocketkit/rocketkit/outbox"
)

// fakeTable is the key table (sweepTable) inside a synctest bubble, where
// time is virtual. A key is due, as in the SQL, when it is unverified and
// was committed more than the sweep's after ago; marks commit only when
// the sweep's function returns nil. Times are relative to start.
type fakeTable struct {
	start  time.Time
	failAt map[int]bool // sweepDue calls (by number) that fail

	mu     sync.Mutex
	keys   []*fakeKey // by commit time
	sweeps []time.Duration
	marks  []fakeMark
	prunes []time.Duration
}

type fakeKey struct {
	key     string
	created time.Time
	done    bool
}

// fakeMark is a committed mark: when, which key, re-sent or verified.
type fakeMark struct {
	at     time.Duration
	key    string
	resent bool
}

var _ sweepTable = (*fakeTable)(nil)

// commit records key as committed at the current (virtual) time plus age
// ago.
func (f *fakeTable) commit(key string, age time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.keys = append(f.keys, &fakeKey{key: key, created: time.Now().Add(-age)})
	slices.SortFunc(f.keys, func(a, b *fakeKey) int { return a.created.Compare(b.created) })
}

func (f *fakeTable) sweepDue(ctx context.Context, after time.Duration, limit int, fn func(context.Context, []*due, markFunc) error) (int, error) {
	f.mu.Lock()
	i := len(f.sweeps)
	f.sweeps = append(f.sweeps, time.Since(f.start))
	var rows []*due
	for _, k := range f.keys {
		if !k.done && k.created.Before(time.Now().Add(-after)) && len(rows) < limit {
			rows = append(rows, &due{rec: outbox.Record{Key: k.key, Topic: "orders"}, created: float64(k.created.Unix())})
		}
	}
	f.mu.Unlock()
	if f.failAt[i] {
		return 0, errors.New("lock wait timeout")
	}
	if len(rows) == 0 {
		return 0, nil
	}
	var marks []fakeMark
	err := fn(ctx, rows, func(_ context.Context, key string, resent bool) error {
		marks = append(marks, fakeMark{time.Since(f.start), key, resent})
		return nil
	})
	if err == nil {
		f.mu.Lock()
		for _, m := range marks {
			for _, k := range f.keys {
				if k.key == m.key {
					k.done = true
				}
			}
		}
		f.marks = append(f.marks, marks...)
		f.mu.Unlock()
	}
	return len(rows), err
}

func (f *fakeTable) prune(context.Context, time.Duration) (int64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.prunes = append(f.prunes, time.Since(f.start))
	return 0, nil
}

// fakeBroker is the broker as the sweeper sees it: a key lookup (that
// can hang until its ctx ends) and a sender.
type fakeBroker struct {
	mu     sync.Mutex
	stored map[string]bool
	hang   map[string]bool // the key's next lookup hangs
}

var (
	_ outbox.KeyLookup = (*fakeBroker)(nil)
	_ outbox.Sender    = (*fakeBroker)(nil)
)

func (b *fakeBroker) LookupKey(ctx context.Context, p outbox.LookupParams) (bool, error) {
	b.mu.Lock()
	hang, found := b.hang[p.Key], b.stored[p.Key]
	delete(b.hang, p.Key)
	b.mu.Unlock()
	if hang {
		<-ctx.Done()
		return false, ctx.Err()
	}
	return found, nil
}

func (b *fakeBroker) Send(_ context.Context, msg *client.Message, _ ...client.SendOption) (*client.SendResult, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.stored[msg.Properties[outbox.KeyProperty]] = true
	return &client.SendResult{Status: client.SendOK}, nil
}

func (b *fakeBroker) SendBatch(context.Context, []*client.Message, ...client.SendOption) (*client.SendResult, error) {
	return nil, errors.New("the sweeper sends no batches")
}

// The sweeper's timing, in virtual time: it sweeps when started and then
// every Sweeper.Interval (a slow sweep or a failed one does not shift the
// schedule); a key younger than Sweeper.After is left alone, and on the
// first sweep after it is older it is verified (found on the broker) or
// re-sent; a lookup that hangs is abandoned after SendTimeout and its key
// tried again on the next sweep.
func TestSweeperVirtualTime(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const after, interval, sendTimeout = 15 * time.Minute, time.Minute, 3 * time.Second
		cfg := Config{SendTimeout: sendTimeout, Sweeper: SweeperConfig{After: after, Interval: interval}}
		b := &fakeBroker{stored: map[string]bool{"delivered": true, "slow": true}, hang: map[string]bool{"slow": true}}
		sw, err := NewSweeper(cfg, noDB{}, b, b)
		if err != nil {
			t.Fatal(err)
		}
		f := &fakeTable{start: time.Now(), failAt: map[int]bool{3: true}}
		sw.table = f
		f.commit("delivered", after+7*time.Minute)
		f.commit("lost", after+6*time.Minute)
		f.commit("slow", after+5*time.Minute)
		f.commit("young", after-30*time.Second)

		if err := sw.Start(t.Context()); err != nil {
			t.Fatal(err)
		}
		time.Sleep(5*time.Minute + 30*time.Second)
		f.commit("late", 0) // due after 20m30s
		time.Sleep(16 * time.Minute)
		if err := sw.Close(); err != nil {
			t.Fatal(err)
		}

		var sweeps []time.Duration
		for at := time.Duration(0); at <= 21*time.Minute; at += interval {
			sweeps = append(sweeps, at)
		}
		if !slices.Equal(f.sweeps, sweeps) {
			t.Errorf("swept at %v, want %v", f.sweeps, sweeps)
		}
		prunes := slices.Delete(slices.Clone(sweeps), 3, 4) // after every sweep that did not fail
		prunes[0] = sendTimeout                             // when the first ended
		if !slices.Equal(f.prunes, prunes) {
			t.Errorf("pruned at %v, want %v", f.prunes, prunes)
		}
		want := []fakeMark{
			{sendTimeout, "delivered", false}, // the first sweep waited for the hanging lookup
			{sendTimeout, "lost", true},
			{interval, "slow", false},
			{interval, "young", true},
			{21 * time.Minute, "late", true},
		}
		if !slices.Equal(f.marks, want) {
			t.Errorf("marks:\n got %v\nwant %v", f.marks, want)
		}
		if s := sw.Stats(); s.Verified != 2 || s.Resent != 3 {
			t.Errorf("stats %+v, want 2 verified and 3 re-sent", s)
		}
	})
}

// noDB satisfies NewSweeper; the fake table never reaches it.
type noDB struct{ outbox.Beginner }
