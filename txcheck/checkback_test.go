package txcheck_test

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/rocketkit/rocketkit/broker"
	"github.com/rocketkit/rocketkit/broker/brokertest"
	"github.com/rocketkit/rocketkit/internal/backendtest"
	"github.com/rocketkit/rocketkit/outbox/outboxtest"
	"github.com/rocketkit/rocketkit/txcheck"
)

// startQuietBroker starts a broker whose periodic check-backs never fire
// during a test: only brokertest.CheckBackNow checks back.
func startQuietBroker(t testing.TB) *broker.Broker {
	return brokertest.Start(t, brokertest.WithConfig(func(c *broker.Config) {
		c.TransactionTimeout = time.Hour
		c.TransactionCheckInterval = time.Hour
		c.TransactionCheckMax = 15
	}))
}

// A local transaction returning txcheck.ErrUnknown commits (with its key)
// but leaves its message invisible; brokertest.CheckBackNow makes the
// broker check back at once, and the producer's answer from the key
// table delivers it.
func TestTxFuncUnknownCheckBackNow(t *testing.T) {
	backendtest.ForEachBackend(t, testTxFuncUnknownCheckBackNow)
}

func testTxFuncUnknownCheckBackNow(t *testing.T, kind backendtest.Backend) {
	ctx := t.Context()
	db := outboxtest.Open(t)
	createOrders(t, db.DB)
	b := startQuietBroker(t)
	topic := uniqueName("tx_unknown")
	p := startProducer(t, kind.Open(t, b), testConfig(uniqueName("pg")), db)
	rec := startConsumer(t, b, topic)

	res, err := p.SendInTransaction(ctx, topic, "o-1", func(ctx context.Context, tx *sql.Tx) error {
		if err := insertOrder("o-1")(ctx, tx); err != nil {
			return err
		}
		return fmt.Errorf("awaiting approval: %w", txcheck.ErrUnknown)
	})
	if err != nil || res.State != txcheck.Unknown || res.Key == "" {
		t.Fatalf("send: %+v, %v; want state unknown and no error", res, err)
	}
	if !orderExists(t, db.DB, "o-1") || !keyRecorded(t, db.DB, res.Key) {
		t.Fatalf("the local transaction did not commit")
	}
	// The half message is stored before the local transaction runs and
	// an unknown outcome leaves it so: nothing reached the topic.
	if n := b.Stats().PendingTransactions[topic]; n != 1 {
		t.Fatalf("%d half messages pending, want 1", n)
	}
	if n := len(rec.snapshot()); n != 0 {
		t.Fatalf("delivered %d before the check-back", n)
	}
	checks := b.Stats().TransactionChecks

	if n := brokertest.CheckBackNow(t, b, topic); n != 1 {
		t.Fatalf("CheckBackNow sent %d checks, want 1", n)
	}
	if got := b.Stats().TransactionChecks - checks; got != 1 {
		t.Errorf("TransactionChecks grew by %d, want 1", got)
	}
	if keys := rec.waitFor(t, 1, 30*time.Second); !slices.Equal(keys, []string{res.Key}) {
		t.Errorf("delivered %v, want %s", keys, res.Key)
	}
	waitUntil(t, 30*time.Second, "no half message pending", func() bool { return b.Stats().PendingTransactions[topic] == 0 })
}
