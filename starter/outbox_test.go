package starter_test

import (
	"context"
	"database/sql"
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
