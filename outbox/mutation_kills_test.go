package outbox_test

// Tests that kill mutants `task mutation` found alive: each checks a
// behaviour no other test pinned down.

import (
	"database/sql"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/rocketkit/rocketkit/broker/brokertest"
	"github.com/rocketkit/rocketkit/outbox"
	"github.com/rocketkit/rocketkit/outbox/outboxtest"
)

// When the first window of pending rows is all held back (its rows follow
// a row of their sharding key that another transaction holds locked), a
// claim looks at the next window, and stops there once it has half a
// batch: with BatchSize 2, rows a-1 (locked elsewhere), a-2, a-3, b and c,
// the first claim takes b alone, the next one c, and a-2 and a-3 wait for
// a-1. Once a-1 is released, everything goes.
func TestClaimLooksPastHeldBackWindow(t *testing.T) {
	ctx := t.Context()
	db := outboxtest.Open(t)
	b := brokertest.Start(t)
	topic := uniqueTopic("ob_windows")
	createTopic(t, b, topic)
	cfg := testConfig("outbox_windows")
	cfg.Relay.BatchSize = 2
	cfg.Relay.Workers = 1
	pub := migrateAndPublisher(t, db, cfg)
	msgs := []outbox.Message{
		{Destination: topic, Key: "a-1", ShardingKey: "a", Payload: payload{Entity: "a", Seq: 1}},
		{Destination: topic, Key: "a-2", ShardingKey: "a", Payload: payload{Entity: "a", Seq: 2}},
		{Destination: topic, Key: "a-3", ShardingKey: "a", Payload: payload{Entity: "a", Seq: 3}},
		{Destination: topic, Key: "b", ShardingKey: "b", Payload: payload{Entity: "b", Seq: 1}},
		{Destination: topic, Key: "c", ShardingKey: "c", Payload: payload{Entity: "c", Seq: 1}},
	}
	if err := pub.Publish(ctx, db, msgs...); err != nil {
		t.Fatal(err)
	}
	var a1 int64
	if err := db.QueryRow("SELECT id FROM outbox_windows WHERE msg_key = 'a-1'").Scan(&a1); err != nil {
		t.Fatal(err)
	}
	// Another relay's claim, as the relay sees it: a-1 locked.
	holder, err := db.BeginTx(ctx, &sql.TxOptions{Isolation: sql.LevelReadCommitted})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = holder.Rollback() }()
	if _, err := holder.Exec("SELECT id FROM outbox_windows WHERE id = ? FOR UPDATE", a1); err != nil {
		t.Fatal(err)
	}

	var mu sync.Mutex
	var claims []int // rows per claim, while a-1 is locked
	locked := true
	r, err := outbox.NewRelay(cfg, db.DB, startProducer(t, b), outboxtest.KeyLookup(t, b.Addr()))
	if err != nil {
		t.Fatal(err)
	}
	outbox.SetTestHooks(r, outbox.TestHooks{AfterClaim: func(_ int64, rows int) {
		mu.Lock()
		defer mu.Unlock()
		if locked {
			claims = append(claims, rows)
		}
	}})
	if err := r.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := r.Close(); err != nil {
			t.Errorf("close relay: %v", err)
		}
	})

	sentWhere := "state = 2 AND msg_key IN ('b', 'c')"
	eventually(t, 30*time.Second, func() bool { return countRows(t, db.DB, "outbox_windows", sentWhere) == 2 },
		func() string {
			return fmt.Sprintf("%d of b and c sent while a-1 is locked, want 2 (a claim looks past a held-back window)",
				countRows(t, db.DB, "outbox_windows", sentWhere))
		})
	if n := countRows(t, db.DB, "outbox_windows", "state = 2 AND msg_key LIKE 'a-%'"); n != 0 {
		t.Errorf("%d rows of key a sent while a-1 is locked, want 0", n)
	}
	mu.Lock()
	locked = false
	got := append([]int(nil), claims...)
	mu.Unlock()
	if len(got) < 2 || got[0] != 1 || got[1] != 1 {
		t.Errorf("claims while a-1 was locked took %v rows, want 1 (b) then 1 (c): a claim stops at half a batch", got)
	}

	if err := holder.Rollback(); err != nil {
		t.Fatal(err)
	}
	waitBacklog(t, r, 60*time.Second)
}
