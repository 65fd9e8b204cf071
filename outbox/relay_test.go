package outbox_test

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/rocketkit/rocketkit/broker/brokertest"
	"github.com/rocketkit/rocketkit/internal/backendtest"
	"github.com/rocketkit/rocketkit/outbox"
	"github.com/rocketkit/rocketkit/outbox/outboxtest"
)

// Commit makes a message real, rollback makes it vanish, and a panic in
// the transaction function rolls back.
func TestCommitDeliveredRollbackNever(t *testing.T) {
	backendtest.ForEachBackend(t, testCommitDeliveredRollbackNever)
}

func testCommitDeliveredRollbackNever(t *testing.T, kind backendtest.Backend) {
	ctx := t.Context()
	db := outboxtest.Open(t)
	b := brokertest.Start(t)
	topic := uniqueTopic("ob_commit")
	cfg := testConfig("outbox_commit")
	if err := outbox.Migrate(ctx, db, cfg); err != nil {
		t.Fatal(err)
	}
	pub, err := outbox.NewPublisher(cfg)
	if err != nil {
		t.Fatal(err)
	}

	err = outbox.WithTx(ctx, db, func(ctx context.Context, tx *sql.Tx) error {
		return pub.Publish(ctx, tx, outbox.Message{
			Destination: topic + ":created", Payload: payload{Entity: "order-1", Seq: 1, Note: "committed"},
			Keys: []string{"order-1"}, ShardingKey: "order-1", Properties: map[string]string{"source": "test"},
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	errBusiness := errors.New("business rule violated")
	err = outbox.WithTx(ctx, db, func(ctx context.Context, tx *sql.Tx) error {
		if err := pub.Publish(ctx, tx, outbox.Message{Destination: topic + ":created", Payload: payload{Entity: "order-2", Note: "rolled back"}}); err != nil {
			return err
		}
		return errBusiness
	})
	if !errors.Is(err, errBusiness) {
		t.Fatalf("WithTx returned %v, want the function's error", err)
	}
	func() {
		defer func() {
			if p := recover(); p != "boom" {
				t.Errorf("recovered %v, want the function's panic re-raised", p)
			}
		}()
		_ = outbox.WithTx(ctx, db, func(ctx context.Context, tx *sql.Tx) error {
			if err := pub.Publish(ctx, tx, outbox.Message{Destination: topic + ":created", Payload: payload{Entity: "order-3", Note: "panicked"}}); err != nil {
				return err
			}
			panic("boom")
		})
	}()
	if n := countRows(t, db.DB, "outbox_commit", ""); n != 1 {
		t.Fatalf("outbox holds %d rows, want only the committed one", n)
	}

	rec := newRecorder()
	startConsumer(t, b, topic, rec, nil)
	r := startRelay(t, db.DB, cfg, newProducer(t, kind.Open(t, b)), outboxtest.KeyLookup(t, b.Addr()))
	rec.waitDistinct(t, 1, 20*time.Second)
	waitBacklog(t, r, 10*time.Second)
	quietWindow(300 * time.Millisecond) // neither a duplicate nor a rolled-back message follows
	msgs := rec.snapshot()
	if len(msgs) != 1 {
		t.Fatalf("delivered %d messages, want 1: %+v", len(msgs), msgs)
	}
	m := msgs[0]
	if m.Entity != "order-1" || m.Tag != "created" || m.Sharding != "order-1" || m.Props["source"] != "test" {
		t.Errorf("delivered %+v", m)
	}
	if keys := m.MsgKeys; !slices.Contains(splitKeys(keys), "order-1") || !slices.Contains(splitKeys(keys), m.Key) || m.Key == "" {
		t.Errorf("KEYS %q lack the business key or the unique key %q", keys, m.Key)
	}
	if s := r.Stats(); s.Sent != 1 || s.Found != 0 {
		t.Errorf("stats %+v", s)
	}
}
