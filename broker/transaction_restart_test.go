package broker_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/rocketkit/rocketkit/broker"
	"github.com/rocketkit/rocketkit/broker/brokertest"
)

// TestTransactionReplayAcrossRestarts settles transactions every way and
// restarts the broker twice: the op log replay must leave exactly the
// unsettled half messages pending (a skipped replay would leave all eight
// and every committed one would be checked back and delivered again), and
// what a check-back committed after the first restart must stay settled
// after the second.
func TestTransactionReplayAcrossRestarts(t *testing.T) {
	dir := t.TempDir()
	opt := brokertest.WithConfig(func(c *broker.Config) {
		c.DataDir = dir
		c.TransactionTimeout = 300 * time.Millisecond
		c.TransactionCheckInterval = 200 * time.Millisecond
	})
	topic, group := uniqueName("t_txreplay"), uniqueName("pg_txreplay")
	byPrefix := func(m *primitive.Message) primitive.LocalTransactionState {
		switch body := string(m.Body); {
		case strings.HasPrefix(body, "commit"):
			return primitive.CommitMessageState
		case strings.HasPrefix(body, "rollback"):
			return primitive.RollbackMessageState
		default:
			return primitive.UnkonwnState
		}
	}

	b := brokertest.Start(t, opt)
	p := startTxProducer(t, b, group, &txListener{execute: byPrefix}) // checks answer unknown
	for _, body := range []string{"commit-1", "rollback-1", "pending-1", "commit-2", "rollback-2", "pending-2", "commit-3", "rollback-3"} {
		if _, err := p.SendMessageInTransaction(context.Background(), primitive.NewMessage(topic, []byte(body))); err != nil {
			t.Fatal(err)
		}
	}
	// END_TRANSACTION is one-way: the sends return before it is handled.
	waitUntil(t, 10*time.Second, func() bool { return b.Stats().PendingTransactions[topic] == 2 })
	_ = p.Shutdown()
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}

	b2 := brokertest.Start(t, opt)
	if n := b2.Stats().PendingTransactions[topic]; n != 2 {
		t.Fatalf("pending after the first restart: %d, want exactly the 2 unsettled", n)
	}
	l := &txListener{execute: byPrefix,
		check: func(*primitive.MessageExt) primitive.LocalTransactionState { return primitive.CommitMessageState }}
	p2 := startTxProducer(t, b2, group, l)
	// The official producer registers with the brokers of the topics it
	// sent to: one more send makes it reachable for check-backs.
	if _, err := p2.SendMessageInTransaction(context.Background(), primitive.NewMessage(topic, []byte("commit-4"))); err != nil {
		t.Fatal(err)
	}
	r := newReceived()
	c := startConsumer(t, b2, uniqueName("g_txreplay"), topic, "*", r)
	want := []string{"commit-1", "commit-2", "commit-3", "commit-4", "pending-1", "pending-2"}
	r.waitFor(t, len(want), 30*time.Second)
	waitUntil(t, 10*time.Second, func() bool { return b2.Stats().PendingTransactions[topic] == 0 })
	for _, body := range []string{"commit-1", "rollback-1", "commit-2"} {
		if n := l.checks(body); n != 0 {
			t.Errorf("%s, settled before the restart, was checked back %d times", body, n)
		}
	}
	_ = c.Shutdown()
	_ = p2.Shutdown()
	got := bodies(r.snapshot())
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Fatalf("delivered %v, want %v once each", got, want)
	}
	if err := b2.Close(); err != nil {
		t.Fatal(err)
	}

	b3 := brokertest.Start(t, opt)
	if n := b3.Stats().PendingTransactions[topic]; n != 0 {
		t.Errorf("pending after the second restart: %d, want 0 (the check-back commits were logged)", n)
	}
	r3 := newReceived()
	startConsumer(t, b3, uniqueName("g_txreplay3"), topic, "*", r3)
	r3.waitFor(t, len(want), 30*time.Second)
	got = bodies(r3.snapshot())
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("a new group after the second restart reads %v, want %v", got, want)
	}
}
