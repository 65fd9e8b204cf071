package outbox_test

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rocketkit/rocketkit/broker/brokertest"
	"github.com/rocketkit/rocketkit/client"
	"github.com/rocketkit/rocketkit/internal/backendtest"
	"github.com/rocketkit/rocketkit/outbox"
	"github.com/rocketkit/rocketkit/outbox/outboxtest"
)

// noSender fails every send.
type noSender struct{}

func (noSender) Send(context.Context, *client.Message, ...client.SendOption) (*client.SendResult, error) {
	return nil, errors.New("no broker")
}

func (noSender) SendBatch(context.Context, []*client.Message, ...client.SendOption) (*client.SendResult, error) {
	return nil, errors.New("no broker")
}

// flakySender wraps a sender: the first failN sends fail, and of those the
// ones with lost set reach the broker anyway (a timeout after the broker
// stored the batch).
type flakySender struct {
	outbox.Sender
	mu    sync.Mutex
	failN int
	lost  func(i int) bool
	calls int
}

func (f *flakySender) Send(ctx context.Context, msg *client.Message, opts ...client.SendOption) (*client.SendResult, error) {
	return f.attempt(func() (*client.SendResult, error) { return f.Sender.Send(ctx, msg, opts...) })
}

func (f *flakySender) SendBatch(ctx context.Context, msgs []*client.Message, opts ...client.SendOption) (*client.SendResult, error) {
	return f.attempt(func() (*client.SendResult, error) { return f.Sender.SendBatch(ctx, msgs, opts...) })
}

func (f *flakySender) attempt(send func() (*client.SendResult, error)) (*client.SendResult, error) {
	f.mu.Lock()
	i := f.calls
	f.calls++
	f.mu.Unlock()
	if i < f.failN {
		if f.lost(i) {
			if _, err := send(); err != nil {
				return nil, err
			}
		}
		return nil, fmt.Errorf("flaky send %d: %w", i, context.DeadlineExceeded)
	}
	return send()
}

// Broker errors are retried with backoff. A failed send whose batch in
// fact reached the broker is found by key and not sent again: nothing is
// lost, nothing is stored twice, and every key keeps its order.
func TestRelayRetriesBrokerErrors(t *testing.T) {
	backendtest.ForEachBackend(t, testRelayRetriesBrokerErrors)
}

func testRelayRetriesBrokerErrors(t *testing.T, kind backendtest.Backend) {
	ctx := t.Context()
	db := outboxtest.Open(t)
	b := brokertest.Start(t)
	topic := uniqueTopic("ob_flaky")
	cfg := testConfig("outbox_flaky")
	cfg.Relay.BatchSize = 50
	cfg.Relay.MaxBatchMessages = 10
	if err := outbox.Migrate(ctx, db, cfg); err != nil {
		t.Fatal(err)
	}
	pub, err := outbox.NewPublisher(cfg)
	if err != nil {
		t.Fatal(err)
	}
	const entities, perKey, keyless = 10, 20, 30
	total := publishLoad(t, ctx, db.DB, pub, topic, entities, perKey, keyless, 2)
	rec := newRecorder()
	startConsumer(t, b, topic, rec, nil)
	p := newProducer(t, kind.Open(t, b))
	flaky := &flakySender{Sender: p, failN: 12, lost: func(i int) bool { return i%2 == 1 }}
	r := startRelay(t, db.DB, cfg, flaky, outboxtest.KeyLookup(t, b.Addr()))
	waitBacklog(t, r, 60*time.Second)
	rec.waitDistinct(t, total, 20*time.Second)
	quietWindow(300 * time.Millisecond) // no duplicate follows
	want := map[string]int{}
	for e := range entities {
		want[fmt.Sprintf("entity-%d", e)] = perKey
	}
	checkDelivery(t, rec.snapshot(), total, want, false)
	s := r.Stats()
	t.Logf("stats %+v", s)
	if s.Failed == 0 || s.Found == 0 {
		t.Errorf("stats %+v: want failed sends, some found on the broker by key", s)
	}
	if n := countRows(t, db.DB, "outbox_flaky", "state = 2 AND failures > 0"); n == 0 {
		t.Errorf("no sent row records a failure")
	}
}

// Rows whose claim expired (their relay died) are looked up by key before
// anything is resent: a row the broker has is marked sent, one it lacks
// is sent. A lookup that fails holds the row (and its key) back.
func TestUnknownRowsResolvedByKey(t *testing.T) {
	backendtest.ForEachBackend(t, testUnknownRowsResolvedByKey)
}

func testUnknownRowsResolvedByKey(t *testing.T, kind backendtest.Backend) {
	ctx := t.Context()
	db := outboxtest.Open(t)
	b := brokertest.Start(t)
	topic := uniqueTopic("ob_unknown")
	cfg := testConfig("outbox_unknown")
	if err := outbox.Migrate(ctx, db, cfg); err != nil {
		t.Fatal(err)
	}
	pub, err := outbox.NewPublisher(cfg)
	if err != nil {
		t.Fatal(err)
	}
	msgs := []outbox.Message{
		{Destination: topic, Key: "k-sent", ShardingKey: "e", Payload: payload{Entity: "e", Seq: 1}},
		{Destination: topic, Key: "k-unsent", ShardingKey: "e", Payload: payload{Entity: "e", Seq: 2}},
		{Destination: topic, Key: "k-pending", ShardingKey: "e", Payload: payload{Entity: "e", Seq: 3}},
	}
	if err := pub.Publish(ctx, db, msgs...); err != nil {
		t.Fatal(err)
	}
	// A relay leased the first two, sent the first, and died.
	var id1, id2 int64
	if err := db.QueryRow("SELECT MIN(id), MAX(id) FROM outbox_unknown WHERE msg_key IN ('k-sent', 'k-unsent')").Scan(&id1, &id2); err != nil {
		t.Fatal(err)
	}
	ids := binary.LittleEndian.AppendUint64(binary.LittleEndian.AppendUint64(nil, uint64(id1)), uint64(id2))
	if _, err := db.Exec("INSERT INTO outbox_unknown_lease (token, min_id, max_id, ids, due_at) VALUES (42, ?, ?, ?, NOW(6) - INTERVAL 1 SECOND)",
		id1, id2, ids); err != nil {
		t.Fatal(err)
	}
	p := newProducer(t, kind.Open(t, b))
	// The first row as its relay sent it: to its key's queue, which
	// client.HashKey picks as the relay does.
	first := outbox.Record{Key: "k-sent", Topic: topic, ShardingKey: "e", Body: []byte(`{"entity":"e","seq":1}`)}
	if _, err := p.Send(ctx, first.Message(), client.HashKey(first.ShardingKey)); err != nil {
		t.Fatal(err)
	}

	rec := newRecorder()
	startConsumer(t, b, topic, rec, nil)
	var lookups atomic.Int64
	lookup := lookupFunc(func(ctx context.Context, q outbox.LookupParams) (bool, error) {
		if lookups.Add(1) == 1 {
			return false, errors.New("name server unreachable")
		}
		return outboxtest.KeyLookup(t, b.Addr()).LookupKey(ctx, q)
	})
	r := startRelay(t, db.DB, cfg, p, lookup)
	waitBacklog(t, r, 20*time.Second)
	rec.waitDistinct(t, 3, 10*time.Second)
	quietWindow(300 * time.Millisecond) // no duplicate follows
	checkDelivery(t, rec.snapshot(), 3, map[string]int{"e": 3}, false)
	if s := r.Stats(); s.Found != 1 || s.Sent != 2 {
		t.Errorf("stats %+v: want 1 found by key, 2 sent", s)
	}
	if n := countRows(t, db.DB, "outbox_unknown_lease", ""); n != 0 {
		t.Errorf("%d leases left", n)
	}
}

// lookupFunc adapts a function to KeyLookup.
type lookupFunc func(context.Context, outbox.LookupParams) (bool, error)

func (f lookupFunc) LookupKey(ctx context.Context, p outbox.LookupParams) (bool, error) {
	return f(ctx, p)
}

// Sent rows older than the retention are pruned in batches; unsent rows
// stay.
func TestPrune(t *testing.T) {
	ctx := t.Context()
	db := outboxtest.Open(t)
	cfg := testConfig("outbox_prune")
	cfg.Relay.Retention = time.Hour
	cfg.Relay.PruneBatch = 7
	if err := outbox.Migrate(ctx, db, cfg); err != nil {
		t.Fatal(err)
	}
	pub, err := outbox.NewPublisher(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var msgs []outbox.Message
	for i := range 40 {
		msgs = append(msgs, outbox.Message{Destination: "orders", Payload: i})
	}
	if err := pub.Publish(ctx, db, msgs...); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("UPDATE outbox_prune SET state = 2, sent_at = NOW(6) - INTERVAL 2 HOUR WHERE id <= 30"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("UPDATE outbox_prune SET state = 2, sent_at = NOW(6) WHERE id > 30 AND id <= 35"); err != nil {
		t.Fatal(err)
	}
	r, err := outbox.NewRelay(cfg, db, noSender{}, outbox.ResendUnknown)
	if err != nil {
		t.Fatal(err)
	}
	n, err := r.Prune(ctx)
	if err != nil || n != 30 {
		t.Fatalf("pruned %d, %v; want 30", n, err)
	}
	if left := countRows(t, db.DB, "outbox_prune", ""); left != 10 {
		t.Errorf("%d rows left, want 10 (5 recent, 5 unsent)", left)
	}
}

// Start, Close and Run follow the component contract.
func TestRelayLifecycle(t *testing.T) {
	db := outboxtest.Open(t)
	cfg := testConfig("outbox_life")
	r, err := outbox.NewRelay(cfg, db, noSender{}, outbox.ResendUnknown)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	if err := r.Start(t.Context()); !errors.Is(err, outbox.ErrRelayStarted) {
		t.Errorf("second Start: %v", err)
	}
	if err := r.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if err := r.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if err := r.Start(t.Context()); !errors.Is(err, outbox.ErrRelayClosed) {
		t.Errorf("Start after Close: %v", err)
	}
	r2, err := outbox.NewRelay(cfg, db, noSender{}, outbox.ResendUnknown)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
	defer cancel()
	if err := r2.Run(ctx); err != nil {
		t.Errorf("Run until ctx ends: %v", err)
	}
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		edit func(*outbox.Config)
		bad  string
	}{
		{"defaults", func(*outbox.Config) {}, ""},
		{"table", func(c *outbox.Config) { c.Table = "bad name" }, "table"},
		{"lease vs send timeout", func(c *outbox.Config) { c.Relay.Lease = time.Second; c.Relay.SendTimeout = time.Second }, "relay.lease"},
		{"batch size", func(c *outbox.Config) { c.Relay.BatchSize = 100000 }, "relay.batch-size"},
		{"backoff", func(c *outbox.Config) { c.Relay.RetryBackoff = time.Hour; c.Relay.MaxRetryBackoff = time.Minute }, "relay.retry-backoff"},
		{"payload", func(c *outbox.Config) { c.MaxPayloadSize = 64 << 20 }, "max-payload-size"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var c outbox.Config
			tt.edit(&c)
			err := c.WithDefaults().Validate()
			if tt.bad == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if !errors.Is(err, outbox.ErrInvalidConfig) || !containsStr(err.Error(), tt.bad) {
				t.Errorf("Validate: %v, want an error naming %s", err, tt.bad)
			}
		})
	}
}
