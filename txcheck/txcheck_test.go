package txcheck_test

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rocketkit/rocketkit/internal/backendtest"
	"github.com/rocketkit/rocketkit/outbox"
	"github.com/rocketkit/rocketkit/outbox/outboxtest"
	"github.com/rocketkit/rocketkit/txcheck"
)

func createOrders(t testing.TB, db *sql.DB) {
	t.Helper()
	if _, err := db.Exec("CREATE TABLE orders (id VARCHAR(64) PRIMARY KEY, note VARCHAR(64))"); err != nil {
		t.Fatal(err)
	}
}

func insertOrder(id string) txcheck.TxFunc {
	return func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, "INSERT INTO orders (id) VALUES (?)", id)
		return err
	}
}

func orderExists(t testing.TB, db *sql.DB, id string) bool {
	t.Helper()
	var n int
	if err := db.QueryRow("SELECT COUNT(*) FROM orders WHERE id = ?", id).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n == 1
}

func keyRecorded(t testing.TB, db *sql.DB, key string) bool {
	t.Helper()
	var n int
	if err := db.QueryRow("SELECT COUNT(*) FROM rocketkit_txcheck WHERE msg_key = ?", key).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n == 1
}

// A committed local transaction delivers its message and records its key;
// an error or a panic rolls both back and nothing is delivered; a payload
// the codec cannot encode fails before the half message.
func TestSendInTransactionOutcomes(t *testing.T) {
	backendtest.ForEachBackend(t, testSendInTransactionOutcomes)
}

func testSendInTransactionOutcomes(t *testing.T, kind backendtest.Backend) {
	ctx := t.Context()
	db := outboxtest.Open(t)
	createOrders(t, db.DB)
	b := startBroker(t, 15)
	topic := uniqueName("tx_out")
	p := startProducer(t, kind.Open(t, b), testConfig(uniqueName("pg")), db)
	rec := startConsumer(t, b, topic)

	res, err := p.SendInTransaction(ctx, topic+":created", map[string]string{"order": "o-1"}, insertOrder("o-1"))
	if err != nil || res.State != txcheck.Commit || res.Key == "" || res.MsgID == "" {
		t.Fatalf("commit: %+v, %v", res, err)
	}
	if !orderExists(t, db.DB, "o-1") || !keyRecorded(t, db.DB, res.Key) {
		t.Errorf("committed order or key missing")
	}

	errRule := errors.New("out of stock")
	res2, err := p.SendInTransaction(ctx, topic+":created", "o-2", func(ctx context.Context, tx *sql.Tx) error {
		if err := insertOrder("o-2")(ctx, tx); err != nil {
			return err
		}
		return errRule
	})
	if !errors.Is(err, errRule) || res2.State != txcheck.Rollback {
		t.Fatalf("rollback: %+v, %v", res2, err)
	}
	if orderExists(t, db.DB, "o-2") || keyRecorded(t, db.DB, res2.Key) {
		t.Errorf("rolled-back order or key present")
	}

	func() {
		defer func() {
			if r := recover(); r != "boom" {
				t.Errorf("recovered %v, want the local transaction's panic", r)
			}
		}()
		_, _ = p.SendInTransaction(ctx, topic, "o-3", func(ctx context.Context, tx *sql.Tx) error {
			if err := insertOrder("o-3")(ctx, tx); err != nil {
				return err
			}
			panic("boom")
		})
	}()
	if orderExists(t, db.DB, "o-3") {
		t.Errorf("order of a panicked transaction present")
	}

	called := false
	_, err = p.SendInTransaction(ctx, topic, make(chan int), func(context.Context, *sql.Tx) error { called = true; return nil })
	if !errors.Is(err, outbox.ErrEncode) || called {
		t.Errorf("unencodable payload: %v (local transaction called: %v)", err, called)
	}
	_, err = p.SendMessageInTransaction(ctx, outbox.Message{Destination: topic, Payload: "late", DelayLevel: 2},
		func(context.Context, *sql.Tx) error { called = true; return nil })
	if !errors.Is(err, outbox.ErrInvalidMessage) || called {
		t.Errorf("delayed transactional message: %v (local transaction called: %v)", err, called)
	}

	rec.waitFor(t, 1, 10*time.Second)
	time.Sleep(time.Second)
	if keys := rec.snapshot(); !slices.Equal(keys, []string{res.Key}) {
		t.Errorf("delivered %v, want only %s", keys, res.Key)
	}
	if n := b.Stats().PendingTransactions[topic]; n != 0 {
		t.Errorf("%d half messages pending, want 0", n)
	}
}

// With its database closed, a transactional send fails clearly, rolls the
// half message back and writes nothing.
func TestSendInTransactionClosedDB(t *testing.T) {
	backendtest.ForEachBackend(t, testSendInTransactionClosedDB)
}

func testSendInTransactionClosedDB(t *testing.T, kind backendtest.Backend) {
	ctx := t.Context()
	db := outboxtest.Open(t)
	b := startBroker(t, 15)
	topic := uniqueName("tx_closed")
	other, err := sql.Open("mysql", db.DSN)
	if err != nil {
		t.Fatal(err)
	}
	cfg := testConfig(uniqueName("pg"))
	if err := txcheck.Migrate(ctx, db, cfg); err != nil {
		t.Fatal(err)
	}
	cfg.SkipMigrations = true
	p := startProducer(t, kind.Open(t, b), cfg, other)
	rec := startConsumer(t, b, topic)
	_ = other.Close()
	res, err := p.SendInTransaction(ctx, topic, "x", func(context.Context, *sql.Tx) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "database is closed") || res.State != txcheck.Rollback {
		t.Fatalf("send with a closed database: %+v, %v", res, err)
	}
	checkClosed(t, "SendInTransaction", err)
	if keyRecorded(t, db.DB, res.Key) {
		t.Errorf("key recorded")
	}
	// The rollback reaches the broker one-way: wait for it, then make sure
	// nothing was delivered.
	waitUntil(t, 10*time.Second, "the half message resolved", func() bool { return b.Stats().PendingTransactions[topic] == 0 })
	time.Sleep(300 * time.Millisecond)
	if n := len(rec.snapshot()); n != 0 {
		t.Errorf("delivered %d, want 0 (rolled back)", n)
	}
}
