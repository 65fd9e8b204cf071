package outbox_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/apache/rocketmq-client-go/v2/consumer"
	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/rocketkit/rocketkit/broker"
	"github.com/rocketkit/rocketkit/internal/clienttest"
	"github.com/rocketkit/rocketkit/outbox"
)

// uniqueName gives client objects, groups and topics their own names.
var uniqueName = clienttest.UniqueName

// uniqueTopic is uniqueName for topics (no dashes needed, but allowed).
var uniqueTopic = clienttest.UniqueName

// startProducer starts an outbox producer against b.
func startProducer(t testing.TB, b *broker.Broker) *outbox.Producer {
	t.Helper()
	p, err := outbox.NewProducer(outbox.ProducerConfig{
		NameServers: []string{b.Addr()}, Group: uniqueName("pg"), InstanceName: uniqueName("p"),
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Shutdown() })
	return p
}

// testConfig is a relay configuration with short intervals for tests.
func testConfig(table string) outbox.Config {
	return outbox.Config{
		Table: table,
		Relay: outbox.RelayConfig{
			PollInterval: 20 * time.Millisecond,
			Lease:        4 * time.Second,
			SendTimeout:  time.Second,
			RetryBackoff: 100 * time.Millisecond,
		},
	}
}

// startRelay starts a relay and closes it at test end.
func startRelay(t testing.TB, db *sql.DB, cfg outbox.Config, sender outbox.Sender, lookup outbox.KeyLookup, opts ...outbox.Option) *outbox.Relay {
	t.Helper()
	r, err := outbox.NewRelay(cfg, db, sender, lookup, opts...)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := r.Close(); err != nil {
			t.Errorf("close relay: %v", err)
		}
	})
	return r
}

// got is one delivery seen by a test consumer.
type got struct {
	Key      string
	Entity   string
	Seq      int
	Body     string
	Tag      string
	Queue    int
	Offset   int64
	MsgKeys  string
	Sharding string
	Props    map[string]string
	Born     int64
	Stored   int64
}

// payload is the body the tests publish.
type payload struct {
	Entity string `json:"entity"`
	Seq    int    `json:"seq"`
	Note   string `json:"note,omitempty"`
}

// recorder collects deliveries.
type recorder struct {
	mu   sync.Mutex
	msgs []got
	ch   chan struct{}
}

func newRecorder() *recorder { return &recorder{ch: make(chan struct{}, 1)} }

func (r *recorder) add(m *primitive.MessageExt) {
	var p payload
	_ = json.Unmarshal(m.Body, &p)
	r.mu.Lock()
	r.msgs = append(r.msgs, got{
		Key: m.GetProperty(outbox.KeyProperty), Entity: p.Entity, Seq: p.Seq, Body: string(m.Body),
		Tag: m.GetTags(), Queue: m.Queue.QueueId, Offset: m.QueueOffset, MsgKeys: m.GetKeys(),
		Sharding: m.GetShardingKey(), Props: m.GetProperties(), Born: m.BornTimestamp, Stored: m.StoreTimestamp,
	})
	r.mu.Unlock()
	select {
	case r.ch <- struct{}{}:
	default:
	}
}

func (r *recorder) snapshot() []got {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]got(nil), r.msgs...)
}

// distinct counts distinct stored messages (queue, offset) seen.
func (r *recorder) distinct() int {
	seen := map[string]bool{}
	for _, m := range r.snapshot() {
		seen[strconv.Itoa(m.Queue)+"/"+strconv.FormatInt(m.Offset, 10)] = true
	}
	return len(seen)
}

// waitDistinct waits until n distinct stored messages were delivered.
func (r *recorder) waitDistinct(t testing.TB, n int, timeout time.Duration) []got {
	t.Helper()
	deadline := time.After(timeout)
	for r.distinct() < n {
		select {
		case <-r.ch:
		case <-time.After(100 * time.Millisecond):
		case <-deadline:
			t.Fatalf("received %d distinct messages, want %d within %v", r.distinct(), n, timeout)
		}
	}
	return r.snapshot()
}

// startConsumer consumes topic into a recorder (concurrent push consumer;
// order is checked by queue offset, not by arrival).
func startConsumer(t testing.TB, b *broker.Broker, topic string, rec *recorder, handle func(context.Context, *primitive.MessageExt) error) {
	t.Helper()
	// Shut down at test end once settled (see clienttest.Consumer).
	c := clienttest.NewConsumer(t, b,
		consumer.WithNameServer(primitive.NamesrvAddr{b.Addr()}),
		consumer.WithGroupName(uniqueName("cg")),
		consumer.WithInstance(uniqueName("c")),
		consumer.WithConsumeFromWhere(consumer.ConsumeFromFirstOffset),
	)
	err := c.Subscribe(topic, consumer.MessageSelector{Type: consumer.TAG, Expression: "*"},
		func(ctx context.Context, msgs ...*primitive.MessageExt) (consumer.ConsumeResult, error) {
			for _, m := range msgs {
				if handle != nil {
					if err := handle(ctx, m); err != nil {
						return consumer.ConsumeRetryLater, err
					}
				}
				rec.add(m)
			}
			return consumer.ConsumeSuccess, nil
		})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
}

// waitBacklog waits until the relay sent everything.
func waitBacklog(t testing.TB, r *outbox.Relay, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		n, err := r.Backlog(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("backlog still %d after %v", n, timeout)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// countRows counts rows of table matching where.
func countRows(t testing.TB, db *sql.DB, table, where string) int {
	t.Helper()
	var n int
	q := "SELECT COUNT(*) FROM `" + table + "`"
	if where != "" {
		q += " WHERE " + where
	}
	if err := db.QueryRow(q).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}
