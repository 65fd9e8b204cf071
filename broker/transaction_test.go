package broker_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/apache/rocketmq-client-go/v2/producer"
	"github.com/rocketkit/rocketkit/broker"
	"github.com/rocketkit/rocketkit/broker/brokertest"
)

// fastChecks makes transaction check-backs start after 300 ms and repeat
// every 200 ms.
func fastChecks(maxChecks int) brokertest.Option {
	return brokertest.WithConfig(func(c *broker.Config) {
		c.TransactionTimeout = 300 * time.Millisecond
		c.TransactionCheckInterval = 200 * time.Millisecond
		c.TransactionCheckMax = maxChecks
	})
}

// txListener decides local transactions by tag and answers checks from
// check (nil = unknown); it counts the checks it answered per message body.
type txListener struct {
	execute func(*primitive.Message) primitive.LocalTransactionState
	check   func(*primitive.MessageExt) primitive.LocalTransactionState
	mu      sync.Mutex
	checked map[string]int
}

func (l *txListener) ExecuteLocalTransaction(m *primitive.Message) primitive.LocalTransactionState {
	return l.execute(m)
}

func (l *txListener) CheckLocalTransaction(m *primitive.MessageExt) primitive.LocalTransactionState {
	l.mu.Lock()
	if l.checked == nil {
		l.checked = map[string]int{}
	}
	l.checked[string(m.Body)]++
	l.mu.Unlock()
	if l.check == nil {
		return primitive.UnkonwnState
	}
	return l.check(m)
}

func (l *txListener) checks(body string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.checked[body]
}

type txProducer interface {
	Start() error
	Shutdown() error
	SendMessageInTransaction(ctx context.Context, msg *primitive.Message) (*primitive.TransactionSendResult, error)
}

func startTxProducer(t testing.TB, b *broker.Broker, group string, l *txListener) txProducer {
	t.Helper()
	p, err := producer.NewTransactionProducer(l,
		producer.WithNameServer(primitive.NamesrvAddr{b.Addr()}),
		producer.WithGroupName(group),
		producer.WithInstanceName(uniqueName("tx")), // its own instance: wire doc §11.6
	)
	if err != nil {
		t.Fatalf("new transaction producer: %v", err)
	}
	if err := p.Start(); err != nil {
		t.Fatalf("start transaction producer: %v", err)
	}
	t.Cleanup(func() { _ = p.Shutdown() })
	return p
}

// S12 (the study's experiments, listed in examples/scenarios): nine
// transactional sends. TagA rolls back and is never delivered, TagB
// commits and is delivered at once, TagC stays unknown until a check-back
// answers commit.
func TestTransactionOutcomes(t *testing.T) {
	b := brokertest.Start(t, fastChecks(15))
	topic, group := uniqueName("t_tx"), uniqueName("pg_tx")
	var checkCommits atomic.Bool
	l := &txListener{
		execute: func(m *primitive.Message) primitive.LocalTransactionState {
			switch m.GetTags() {
			case "TagA":
				return primitive.RollbackMessageState
			case "TagB":
				return primitive.CommitMessageState
			}
			return primitive.UnkonwnState
		},
		check: func(*primitive.MessageExt) primitive.LocalTransactionState {
			if checkCommits.Load() {
				return primitive.CommitMessageState
			}
			return primitive.UnkonwnState
		},
	}
	p := startTxProducer(t, b, group, l)
	r := newReceived()
	startConsumer(t, b, uniqueName("g_tx"), topic, "*", r)

	for i := range 9 {
		tag := []string{"TagA", "TagB", "TagC"}[i%3]
		msg := primitive.NewMessage(topic, []byte(fmt.Sprintf("%s-%d", tag, i))).WithTag(tag)
		res, err := p.SendMessageInTransaction(context.Background(), msg)
		if err != nil || res.Status != primitive.SendOK {
			t.Fatalf("transactional send %d: %v %v", i, res, err)
		}
	}
	r.waitFor(t, 3, 10*time.Second)
	// Checks run; TagC is still unknown, so nothing more is delivered.
	waitUntil(t, 15*time.Second, func() bool { return l.checks("TagC-2") > 0 })
	got := bodies(r.snapshot())
	slices.Sort(got)
	if want := []string{"TagB-1", "TagB-4", "TagB-7"}; !slices.Equal(got, want) {
		t.Fatalf("delivered before any commit by check: %v, want %v", got, want)
	}
	if pending := b.Stats().PendingTransactions[topic]; pending != 3 {
		t.Errorf("pending half messages on %s: %d, want 3 (the TagC ones)", topic, pending)
	}

	checkCommits.Store(true)
	r.waitFor(t, 6, 10*time.Second)
	quietWindow(500 * time.Millisecond)
	got = bodies(r.snapshot())
	slices.Sort(got)
	if want := []string{"TagB-1", "TagB-4", "TagB-7", "TagC-2", "TagC-5", "TagC-8"}; !slices.Equal(got, want) {
		t.Errorf("delivered %v, want %v (TagA rolled back, never delivered)", got, want)
	}
	waitUntil(t, 10*time.Second, func() bool { return b.Stats().PendingTransactions[topic] == 0 })
}

// A half message nobody resolves is discarded after the maximum number of
// checks, and never delivered.
func TestTransactionDiscardedAfterMaxChecks(t *testing.T) {
	b := brokertest.Start(t, fastChecks(2))
	topic, group := uniqueName("t_txmax"), uniqueName("pg_txmax")
	l := &txListener{execute: func(*primitive.Message) primitive.LocalTransactionState { return primitive.UnkonwnState }}
	p := startTxProducer(t, b, group, l)
	r := newReceived()
	startConsumer(t, b, uniqueName("g_txmax"), topic, "*", r)
	if _, err := p.SendMessageInTransaction(context.Background(), primitive.NewMessage(topic, []byte("limbo"))); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, 15*time.Second, func() bool { return b.Stats().DiscardedTransactions == 1 })
	// The client answers the last check on its own time: wait for it.
	waitUntil(t, 15*time.Second, func() bool { return l.checks("limbo") >= 2 })
	quietWindow(500 * time.Millisecond)
	if n := l.checks("limbo"); n != 2 {
		t.Errorf("checked %d times, want exactly TransactionCheckMax = 2", n)
	}
	if n := r.count(); n != 0 {
		t.Errorf("discarded transaction delivered %d times", n)
	}
	if pending := b.Stats().PendingTransactions[topic]; pending != 0 {
		t.Errorf("discarded message still pending: %d", pending)
	}
}

// A producer that replaced the one that sent the half message (same group)
// answers its check-back. The client heartbeats only brokers it knows from
// the routes of topics it sent to, so the successor is reachable once it
// has sent something, as a restarted service does.
func TestTransactionCheckAfterProducerReplaced(t *testing.T) {
	b := brokertest.Start(t, fastChecks(50))
	topic, group := uniqueName("t_txrepl"), uniqueName("pg_txrepl")
	first := startTxProducer(t, b, group, &txListener{
		execute: func(*primitive.Message) primitive.LocalTransactionState { return primitive.UnkonwnState },
	})
	if _, err := first.SendMessageInTransaction(context.Background(), primitive.NewMessage(topic, []byte("orphan"))); err != nil {
		t.Fatal(err)
	}
	if err := first.Shutdown(); err != nil {
		t.Fatal(err)
	}
	successor := &txListener{
		execute: func(*primitive.Message) primitive.LocalTransactionState { return primitive.CommitMessageState },
		check:   func(*primitive.MessageExt) primitive.LocalTransactionState { return primitive.CommitMessageState },
	}
	next := startTxProducer(t, b, group, successor)
	r := newReceived()
	startConsumer(t, b, uniqueName("g_txrepl"), topic, "*", r)
	if _, err := next.SendMessageInTransaction(context.Background(), primitive.NewMessage(topic, []byte("next"))); err != nil {
		t.Fatal(err)
	}
	r.waitFor(t, 2, 20*time.Second)
	got := bodies(r.snapshot())
	slices.Sort(got)
	if !slices.Equal(got, []string{"next", "orphan"}) || successor.checks("orphan") == 0 {
		t.Errorf("got %v after %d checks by the successor, want the orphan committed by its check", got, successor.checks("orphan"))
	}
}

// Pending half messages survive a broker restart and are checked after it.
func TestTransactionPendingSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	opt := brokertest.WithConfig(func(c *broker.Config) {
		c.DataDir = dir
		c.TransactionTimeout = 300 * time.Millisecond
		c.TransactionCheckInterval = 200 * time.Millisecond
	})
	b := brokertest.Start(t, opt)
	topic, group := uniqueName("t_txrestart"), uniqueName("pg_txrestart")
	p := startTxProducer(t, b, group, &txListener{
		execute: func(*primitive.Message) primitive.LocalTransactionState { return primitive.UnkonwnState },
	})
	if _, err := p.SendMessageInTransaction(context.Background(), primitive.NewMessage(topic, []byte("survivor"))); err != nil {
		t.Fatal(err)
	}
	_ = p.Shutdown()
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	b2 := brokertest.Start(t, opt)
	if n := b2.Stats().PendingTransactions[topic]; n != 1 {
		t.Fatalf("pending after restart: %d, want 1", n)
	}
	l := &txListener{
		execute: func(*primitive.Message) primitive.LocalTransactionState { return primitive.CommitMessageState },
		check:   func(*primitive.MessageExt) primitive.LocalTransactionState { return primitive.CommitMessageState },
	}
	p2 := startTxProducer(t, b2, group, l)
	r := newReceived()
	startConsumer(t, b2, uniqueName("g_txrestart"), topic, "*", r)
	if _, err := p2.SendMessageInTransaction(context.Background(), primitive.NewMessage(topic, []byte("after"))); err != nil {
		t.Fatal(err)
	}
	r.waitFor(t, 2, 20*time.Second)
	if got := bodies(r.snapshot()); !slices.Contains(got, "survivor") || l.checks("survivor") == 0 {
		t.Errorf("got %v, want the half message committed by a check after the restart", got)
	}
}
