package starter_test

import (
	"context"
	"database/sql"
	"strings"
	"sync"
	"testing"
	"time"

	_ "github.com/go-sql-driver/mysql"
	"github.com/rocketkit/rocketkit/listener"
	"github.com/rocketkit/rocketkit/outbox"
	"github.com/rocketkit/rocketkit/outbox/outboxtest"
	"github.com/rocketkit/rocketkit/starter"
	"github.com/rocketkit/rocketkit/starter/startertest"
	"go.uber.org/fx"
)

type outboxSeen struct{ ch chan string }

type invoicesListener struct {
	listener.Concurrent `topic:"outbox-invoices" tags:"issued"`
	seen                *outboxSeen
}

func (l *invoicesListener) Handle(_ context.Context, m *listener.Message) error {
	l.seen.ch <- string(m.Body)
	return nil
}

// starter.Outbox runs the relay in the app's lifecycle: a message published
// in a committed transaction reaches a listener; a rolled-back one never
// does.
func TestOutboxInApp(t *testing.T) {
	db := outboxtest.Open(t)
	seen := &outboxSeen{ch: make(chan string, 4)}
	var pub *outbox.Publisher
	startertest.New(t,
		startertest.Fx(
			starter.Outbox(outbox.Config{}),
			fx.Supply(db.DB, seen),
			fx.Populate(&pub),
		),
		startertest.Listener(func(s *outboxSeen) *invoicesListener { return &invoicesListener{seen: s} }),
	)
	ctx := t.Context()
	for _, commit := range []bool{false, true} {
		body := "rolled-back"
		if commit {
			body = "committed"
		}
		err := outbox.WithTx(ctx, db.DB, func(ctx context.Context, tx *sql.Tx) error {
			if err := pub.Publish(ctx, tx, outbox.Message{Destination: "outbox-invoices:issued", Payload: []byte(body)}); err != nil {
				return err
			}
			if !commit {
				return context.Canceled // any error rolls back
			}
			return nil
		})
		if commit != (err == nil) {
			t.Fatalf("WithTx(commit=%v): %v", commit, err)
		}
	}
	select {
	case got := <-seen.ch:
		if got != "committed" {
			t.Fatalf("listener got %q, want the committed message", got)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the committed outbox message never reached the listener")
	}
	select {
	case got := <-seen.ch:
		t.Errorf("unexpected second delivery %q", got)
	case <-time.After(500 * time.Millisecond):
	}
}

// outboxCounts is a Metrics that also measures the outbox relay.
type outboxCounts struct {
	mu  sync.Mutex
	sum outbox.RelayStats
}

var (
	_ starter.Metrics       = (*outboxCounts)(nil)
	_ starter.OutboxMetrics = (*outboxCounts)(nil)
)

func (*outboxCounts) Sent(starter.SendEvent)  {}
func (*outboxCounts) Handled(listener.Result) {}

func (c *outboxCounts) OutboxRelayed(d outbox.RelayStats) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sum.Sent += d.Sent
	c.sum.Retried += d.Retried
	c.sum.Compensated += d.Compensated
	c.sum.Failed += d.Failed
}

func (c *outboxCounts) sent() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.sum.Sent
}

// The relay starter.Outbox runs is observable from the app: after N
// publishes, *starter.OutboxRelay shows sent N and a backlog of 0, and the
// app's Metrics, an OutboxMetrics, was told of the N rows sent.
func TestOutboxRelayObservable(t *testing.T) {
	db := outboxtest.Open(t)
	counts := &outboxCounts{}
	var (
		pub *outbox.Publisher
		obs *starter.OutboxRelay
	)
	startertest.New(t,
		startertest.Fx(
			starter.Outbox(outbox.Config{Table: "outbox_observed"}),
			fx.Supply(db.DB),
			fx.Provide(func() starter.Metrics { return counts }),
			fx.Populate(&pub, &obs),
		),
	)
	ctx := t.Context()
	const n = 12
	for i := range n {
		err := outbox.WithTx(ctx, db.DB, func(ctx context.Context, tx *sql.Tx) error {
			return pub.Publish(ctx, tx, outbox.Message{Destination: "outbox-observed", Payload: []byte{byte(i)}})
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(30 * time.Second)
	for obs.Stats().Sent < n || counts.sent() < n {
		if time.Now().After(deadline) {
			t.Fatalf("stats %+v, metrics saw %d sent; want %d", obs.Stats(), counts.sent(), n)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if backlog, err := obs.Backlog(ctx); err != nil || backlog != 0 {
		t.Errorf("backlog %d, %v; want 0", backlog, err)
	}
	if s := obs.Stats(); s.Sent != n || s.Retried != 0 || s.Compensated != 0 {
		t.Errorf("stats %+v: want %d sent, nothing retried or compensated", s, n)
	}
	if obs.Relay() == nil {
		t.Errorf("no relay while the app runs")
	}
}

// An outbox that cannot start says so with one "outbox:" prefix.
func TestOutboxStartErrorOnePrefix(t *testing.T) {
	db := outboxtest.Open(t)
	_, err := startertest.Start(t,
		startertest.Fx(
			starter.Outbox(outbox.Config{Table: "outbox_bad", SchemaTable: "nosuchdb.rocketkit_schema"}),
			fx.Supply(db.DB),
		),
	)
	if err == nil {
		t.Fatal("the app started with a bad outbox table")
	}
	text := starter.Cause(err).Error()
	if !strings.Contains(text, "outbox:") || strings.Count(text, "outbox:") != 1 {
		t.Errorf("start error %q: want one outbox: prefix", text)
	}
}
