package txcheck_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/rocketkit/rocketkit/internal/backendtest"
	"github.com/rocketkit/rocketkit/outbox"
	"github.com/rocketkit/rocketkit/outbox/outboxtest"
	"github.com/rocketkit/rocketkit/transport"
	"github.com/rocketkit/rocketkit/txcheck"
)

// unknownChecker never decides: the broker keeps checking until its
// maximum and then discards the half message.
type unknownChecker struct{}

func (unknownChecker) Check(context.Context, txcheck.CheckParams) (txcheck.State, error) {
	return txcheck.Unknown, nil
}

// A committed local transaction whose outcome never reached the broker,
// and whose check-backs went unanswered until the broker discarded the
// half message, is re-sent by the sweeper, by key, exactly once; a
// delivered one is only verified.
func TestSweeperResendsDiscardedMessage(t *testing.T) {
	backendtest.ForEachBackend(t, testSweeperResendsDiscardedMessage)
}

func testSweeperResendsDiscardedMessage(t *testing.T, kind backendtest.Backend) {
	ctx := t.Context()
	db := outboxtest.Open(t)
	createOrders(t, db.DB)
	b := startBroker(t, 2)
	topic := uniqueName("tx_sweep")
	cfg := testConfig(uniqueName("pg_sweep"))
	be := kind.Open(t, b)
	p := startProducer(t, be, cfg, db, txcheck.WithChecker(topic, unknownChecker{}))
	rec := startConsumer(t, b, topic)

	lost := true
	txcheck.SetAfterLocal(p, func(_ string, st txcheck.State) txcheck.State {
		if lost {
			return txcheck.Unknown // as if END_TRANSACTION never arrived
		}
		return st
	})
	limbo, err := p.SendInTransaction(ctx, topic+":created", "limbo", insertOrder("o-limbo"))
	if err != nil || limbo.State != txcheck.Unknown {
		t.Fatalf("send: %+v, %v", limbo, err)
	}
	lost = false
	fine, err := p.SendInTransaction(ctx, topic+":created", "fine", insertOrder("o-fine"))
	if err != nil || fine.State != txcheck.Commit {
		t.Fatalf("send: %+v, %v", fine, err)
	}
	waitUntil(t, 15*time.Second, "the half message discarded", func() bool { return b.Stats().DiscardedTransactions == 1 })
	rec.waitFor(t, 1, 10*time.Second)

	sender := startOutboxProducer(t, be)
	sw, err := txcheck.NewSweeper(cfg, db, sender, outboxtest.KeyLookup(t, b.Addr()))
	if err != nil {
		t.Fatal(err)
	}
	if s, err := sw.Sweep(ctx); err != nil || s.Verified+s.Resent != 0 {
		t.Fatalf("sweep before Sweeper.After: %+v, %v", s, err)
	}
	time.Sleep(cfg.Sweeper.After)
	s, err := sw.Sweep(ctx)
	if err != nil || s.Verified != 1 || s.Resent != 1 {
		t.Fatalf("sweep: %+v, %v; want 1 verified and 1 re-sent", s, err)
	}
	if s, err := sw.Sweep(ctx); err != nil || s.Verified+s.Resent != 0 {
		t.Fatalf("second sweep: %+v, %v; want nothing left", s, err)
	}
	rec.waitFor(t, 2, 10*time.Second)
	time.Sleep(500 * time.Millisecond)
	got := rec.snapshot()
	slices.Sort(got)
	want := []string{limbo.Key, fine.Key}
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("delivered %v, want each of %v once", got, want)
	}
}

// One producer serves flows in two databases: each topic's local
// transaction runs, and its check-back is answered, in its own database.
func TestRoutesByTopic(t *testing.T) {
	backendtest.ForEachBackend(t, testRoutesByTopic)
}

func testRoutesByTopic(t *testing.T, kind backendtest.Backend) {
	ctx := t.Context()
	dbA, dbB := outboxtest.Open(t), outboxtest.Open(t)
	createOrders(t, dbA.DB)
	createOrders(t, dbB.DB)
	b := startBroker(t, 50)
	topicA, topicB := uniqueName("tx_a"), uniqueName("tx_b")
	p := startProducer(t, kind.Open(t, b), testConfig(uniqueName("pg_routes")), dbA, txcheck.WithRoute(topicB, dbB))
	txcheck.SetAfterLocal(p, func(string, txcheck.State) txcheck.State { return txcheck.Unknown })
	recA, recB := startConsumer(t, b, topicA), startConsumer(t, b, topicB)
	ra, err := p.SendInTransaction(ctx, topicA, "a", insertOrder("a-1"))
	if err != nil {
		t.Fatal(err)
	}
	rb, err := p.SendInTransaction(ctx, topicB, "b", insertOrder("b-1"))
	if err != nil {
		t.Fatal(err)
	}
	if !orderExists(t, dbA.DB, "a-1") || orderExists(t, dbA.DB, "b-1") || !orderExists(t, dbB.DB, "b-1") {
		t.Fatalf("local transactions ran in the wrong database")
	}
	if !keyRecorded(t, dbA.DB, ra.Key) || !keyRecorded(t, dbB.DB, rb.Key) {
		t.Fatalf("keys recorded in the wrong database")
	}
	// Both outcomes were reported unknown: check-backs decide, per topic.
	if got := recA.waitFor(t, 1, 15*time.Second); got[0] != ra.Key {
		t.Errorf("topic A delivered %v", got)
	}
	if got := recB.waitFor(t, 1, 15*time.Second); got[0] != rb.Key {
		t.Errorf("topic B delivered %v", got)
	}
}

// startOutboxProducer returns an outbox producer on be for the sweeper's
// re-sends, closed at test end.
func startOutboxProducer(t testing.TB, be transport.Backend) *outbox.Producer {
	t.Helper()
	p, err := outbox.NewProducer(be, outbox.ProducerConfig{Group: uniqueName("resend")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close() })
	return p
}
