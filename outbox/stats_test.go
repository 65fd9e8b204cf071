package outbox_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/rocketkit/rocketkit/broker/brokertest"
	"github.com/rocketkit/rocketkit/internal/backendtest"
	"github.com/rocketkit/rocketkit/outbox"
	"github.com/rocketkit/rocketkit/outbox/outboxtest"
)

// sumMetrics adds up what a relay reports through outbox.Metrics.
type sumMetrics struct {
	mu  sync.Mutex
	sum outbox.RelayStats
}

var _ outbox.Metrics = (*sumMetrics)(nil)

func (m *sumMetrics) Relayed(d outbox.RelayStats) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sum.Claimed += d.Claimed
	m.sum.Sent += d.Sent
	m.sum.Found += d.Found
	m.sum.Retried += d.Retried
	m.sum.Compensated += d.Compensated
	m.sum.Failed += d.Failed
	m.sum.Released += d.Released
	m.sum.Pruned += d.Pruned
}

func (m *sumMetrics) total() outbox.RelayStats {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.sum
}

// waitStats waits until the relay's stats satisfy ok.
func waitStats(t testing.TB, r *outbox.Relay, timeout time.Duration, what string, ok func(outbox.RelayStats) bool) {
	t.Helper()
	eventually(t, timeout, func() bool { return ok(r.Stats()) },
		func() string { return fmt.Sprintf("stats %+v, want %s", r.Stats(), what) })
}

// checkMetrics fails t unless what the relay reported to its Metrics adds
// up to its Stats (but Batches, which Metrics does not report). The relay
// must be closed: nothing is counted any more.
func checkMetrics(t testing.TB, r *outbox.Relay, m *sumMetrics) {
	t.Helper()
	want := r.Stats()
	want.Batches = 0
	if got := m.total(); got != want {
		t.Errorf("metrics added up to %+v, stats say %+v", got, want)
	}
}

// The relay's counts: N rows published and relayed show Sent N, a backlog
// of 0 and nothing retried or compensated; a send that failed shows the
// row failed, then retried (compensated: the broker did not have it); a
// send that failed after the broker stored it shows the row found by key
// (compensated) and not sent again. Metrics receives the same counts.
func TestRelayStats(t *testing.T) {
	ctx := t.Context()
	db := outboxtest.Open(t)
	b := brokertest.Start(t)
	p := newProducer(t, backendtest.Native(t, b))
	lookup := outboxtest.KeyLookup(t, b.Addr())

	t.Run("sent", func(t *testing.T) {
		const n = 25
		cfg := testConfig("outbox_stats_sent")
		topic := uniqueTopic("ob_stats")
		createTopic(t, b, topic)
		pub := migrateAndPublisher(t, db, cfg)
		for i := range n {
			msg := outbox.Message{Destination: topic, ShardingKey: fmt.Sprint("e", i%3), Payload: payload{Seq: i}}
			if err := pub.Publish(ctx, db, msg); err != nil {
				t.Fatal(err)
			}
		}
		m := &sumMetrics{}
		r := startRelay(t, db.DB, cfg, p, lookup, outbox.WithMetrics(m))
		waitStats(t, r, 60*time.Second, fmt.Sprintf("sent %d", n), func(s outbox.RelayStats) bool { return s.Sent >= n })
		if err := r.Close(); err != nil {
			t.Fatal(err)
		}
		if backlog, err := r.Backlog(ctx); err != nil || backlog != 0 {
			t.Errorf("backlog %d, %v; want 0", backlog, err)
		}
		s := r.Stats()
		if s.Sent != n || s.Claimed != n || s.Retried != 0 || s.Found != 0 || s.Compensated != 0 || s.Failed != 0 {
			t.Errorf("stats %+v: want %d claimed and sent, nothing failed, retried or compensated", s, n)
		}
		checkMetrics(t, r, m)
	})

	for _, tc := range []struct {
		name    string
		stored  bool // the failed send reached the broker
		want    outbox.RelayStats
		wantMsg string
	}{
		{"retried", false, outbox.RelayStats{Sent: 1, Retried: 1, Compensated: 1, Failed: 1}, "failed, retried, compensated once, sent once"},
		{"found", true, outbox.RelayStats{Sent: 0, Found: 1, Compensated: 1, Failed: 1}, "failed, found on the broker, compensated once, never sent"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testConfig("outbox_stats_" + tc.name)
			topic := uniqueTopic("ob_stats")
			createTopic(t, b, topic)
			pub := migrateAndPublisher(t, db, cfg)
			if err := pub.Publish(ctx, db, outbox.Message{Destination: topic, Payload: payload{Seq: 1}}); err != nil {
				t.Fatal(err)
			}
			flaky := &flakySender{Sender: p, failN: 1, lost: func(int) bool { return tc.stored }}
			m := &sumMetrics{}
			r := startRelay(t, db.DB, cfg, flaky, lookup, outbox.WithMetrics(m))
			waitStats(t, r, 60*time.Second, "the row settled", func(s outbox.RelayStats) bool { return s.Sent+s.Found >= 1 })
			if err := r.Close(); err != nil {
				t.Fatal(err)
			}
			if backlog, err := r.Backlog(ctx); err != nil || backlog != 0 {
				t.Errorf("backlog %d, %v; want 0", backlog, err)
			}
			s := r.Stats()
			got := outbox.RelayStats{Sent: s.Sent, Found: s.Found, Retried: s.Retried, Compensated: s.Compensated, Failed: s.Failed}
			if got != tc.want {
				t.Errorf("stats %+v: want %s (%+v)", s, tc.wantMsg, tc.want)
			}
			checkMetrics(t, r, m)
		})
	}
}

// migrateAndPublisher creates cfg's tables and returns a publisher to them.
func migrateAndPublisher(t testing.TB, db *outboxtest.DB, cfg outbox.Config) *outbox.Publisher {
	t.Helper()
	if err := outbox.Migrate(t.Context(), db, cfg); err != nil {
		t.Fatal(err)
	}
	pub, err := outbox.NewPublisher(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return pub
}
