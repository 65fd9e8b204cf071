package outbox_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rocketkit/rocketkit/admin"
	"github.com/rocketkit/rocketkit/broker"
	"github.com/rocketkit/rocketkit/client"
	"github.com/rocketkit/rocketkit/internal/backendtest"
	"github.com/rocketkit/rocketkit/internal/clienttest"
	"github.com/rocketkit/rocketkit/outbox"
	"github.com/rocketkit/rocketkit/protocol/message"
	"github.com/rocketkit/rocketkit/transport"
)

// uniqueName gives client objects, groups and topics their own names.
var uniqueName = clienttest.UniqueName

// uniqueTopic is uniqueName for topics (no dashes needed, but allowed).
var uniqueTopic = clienttest.UniqueName

// startProducer returns an outbox producer on a Native backend of b.
func startProducer(t testing.TB, b *broker.Broker) *outbox.Producer {
	t.Helper()
	return newProducer(t, backendtest.Native(t, b))
}

// newProducer returns an outbox producer on be, closed at test end.
func newProducer(t testing.TB, be transport.Backend) *outbox.Producer {
	t.Helper()
	p, err := outbox.NewProducer(be, outbox.ProducerConfig{Group: uniqueName("pg")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close() })
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

func (r *recorder) add(m *client.MessageExt) {
	var p payload
	_ = json.Unmarshal(m.Body, &p)
	r.mu.Lock()
	r.msgs = append(r.msgs, got{
		Key: m.Property(outbox.KeyProperty), Entity: p.Entity, Seq: p.Seq, Body: string(m.Body),
		Tag: m.Tag, Queue: m.Queue.QueueID, Offset: m.QueueOffset, MsgKeys: strings.Join(m.Keys, " "),
		Sharding: m.Property(message.PropertyShardingKey), Props: m.Properties(),
		Born: m.BornTime.UnixMilli(), Stored: m.StoreTime.UnixMilli(),
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

// createTopic creates topic (4 queues) on b, as a consumer needs it to
// exist before it starts.
func createTopic(t testing.TB, b *broker.Broker, topic string) {
	t.Helper()
	ac, err := admin.New(admin.Config{NameServers: []string{b.Addr()}, Timeout: 3 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ac.UpdateTopic(t.Context(), admin.TopicSpec{Topic: topic, Brokers: []string{b.Addr()}}); err != nil {
		t.Fatal(err)
	}
}

// startConsumer creates topic and consumes it into a recorder with a
// concurrent consumer of the kit's own client (order is checked by queue
// offset, not by arrival); handle, when set, runs first and a failure
// redelivers the message later.
func startConsumer(t testing.TB, b *broker.Broker, topic string, rec *recorder, handle func(context.Context, *client.MessageExt) error) {
	t.Helper()
	createTopic(t, b, topic)
	be := backendtest.Native(t, b)
	c, err := be.NewConsumer(client.ConsumerConfig{
		Group:         uniqueName("cg"),
		Subscriptions: []client.Subscription{{Topic: topic}},
		ConsumeFrom:   client.ConsumeFromFirstOffset,
	}, func(ctx context.Context, msgs []*client.MessageExt) client.ConsumeResult {
		for _, m := range msgs {
			if handle != nil {
				if err := handle(ctx, m); err != nil {
					return client.ConsumeRetry
				}
			}
			rec.add(m)
		}
		return client.ConsumeSuccess
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := c.Close(ctx); err != nil {
			t.Errorf("close consumer: %v", err)
		}
	})
}

// waitBacklog waits until the relay sent everything.
func waitBacklog(t testing.TB, r *outbox.Relay, timeout time.Duration) {
	t.Helper()
	var n int64
	eventually(t, timeout, func() bool {
		var err error
		if n, err = r.Backlog(context.Background()); err != nil {
			t.Fatal(err)
		}
		return n == 0
	}, func() string { return fmt.Sprintf("backlog still %d", n) })
}

// eventually polls cond until it holds, and fails t, saying what (called
// then) was awaited, when it still does not after timeout. It returns as
// soon as cond holds; the pause between polls is not a wait for an event.
func eventually(t testing.TB, timeout time.Duration, cond func() bool, what func() string) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("after %v: %s", timeout, what())
		}
		<-tick.C
	}
}

// quietWindow lets d pass so that what must not happen (a duplicate
// delivery, a late resend) has the time to show. It is never a wait for an
// event: a test first waits for what it expects (waitDistinct,
// waitBacklog, eventually), then opens a quiet window to see that nothing
// more arrives.
func quietWindow(d time.Duration) {
	time.Sleep(d)
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
