package inbox_test

import (
	"context"
	"database/sql"
	"errors"
	"sync"
	"sync/atomic"
	"testing"

	_ "github.com/go-sql-driver/mysql"
	"github.com/rocketkit/rocketkit/outbox/inbox"
	"github.com/rocketkit/rocketkit/outbox/outboxtest"
)

func setup(t *testing.T, cfg inbox.Config) (*inbox.Inbox, *outboxtest.DB) {
	t.Helper()
	db := outboxtest.Open(t)
	if _, err := db.Exec("CREATE TABLE effects (id INT AUTO_INCREMENT PRIMARY KEY, msg_key VARCHAR(64))"); err != nil {
		t.Fatal(err)
	}
	in, err := inbox.New(cfg, db)
	if err != nil {
		t.Fatal(err)
	}
	if err := in.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	return in, db
}

func effect(key string) inbox.TxFunc {
	return func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, "INSERT INTO effects (msg_key) VALUES (?)", key)
		return err
	}
}

func effects(t *testing.T, db *outboxtest.DB) int {
	t.Helper()
	var n int
	if err := db.QueryRow("SELECT COUNT(*) FROM effects").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// recorded counts the inbox records of (consumer, key) in the default
// table.
func recorded(t *testing.T, db *outboxtest.DB, consumer, key string) int {
	t.Helper()
	var n int
	if err := db.QueryRow("SELECT COUNT(*) FROM "+inbox.DefaultTable+" WHERE consumer = ? AND msg_key = ?", consumer, key).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// A key is handled once: a redelivery is skipped, a failed or panicking
// handler leaves the key unrecorded so that a redelivery runs it again.
func TestHandleOnce(t *testing.T) {
	ctx := t.Context()
	in, db := setup(t, inbox.Config{Consumer: "billing"})
	if ok, err := in.Handle(ctx, "k1", effect("k1")); !ok || err != nil {
		t.Fatalf("first delivery: %v, %v", ok, err)
	}
	if ok, err := in.Handle(ctx, "k1", effect("k1")); ok || err != nil {
		t.Fatalf("redelivery: %v, %v; want skipped", ok, err)
	}
	errFail := errors.New("downstream down")
	if ok, err := in.Handle(ctx, "k2", func(context.Context, *sql.Tx) error { return errFail }); ok || !errors.Is(err, errFail) {
		t.Fatalf("failing handler: %v, %v", ok, err)
	}
	if n := recorded(t, db, "billing", "k2"); n != 0 {
		t.Fatalf("k2 recorded %d times after its handler failed, want 0", n)
	}
	// A panicking handler: the panic propagates with its value, and
	// neither its effect nor the key's record is committed.
	func() {
		defer func() {
			if p := recover(); p != "boom" {
				t.Errorf("recovered %v, want the handler's panic \"boom\" propagated", p)
			}
		}()
		_, _ = in.Handle(ctx, "k2", func(ctx context.Context, tx *sql.Tx) error {
			if err := effect("k2")(ctx, tx); err != nil {
				t.Error(err)
			}
			panic("boom")
		})
		t.Error("Handle returned after its handler panicked")
	}()
	if n := recorded(t, db, "billing", "k2"); n != 0 {
		t.Errorf("k2 recorded %d times after its handler panicked, want 0 (rolled back)", n)
	}
	if n := effects(t, db); n != 1 {
		t.Errorf("%d effects after the panic, want 1 (the panicking handler's rolled back)", n)
	}
	if ok, err := in.Handle(ctx, "k2", effect("k2")); !ok || err != nil {
		t.Fatalf("retry after failures: %v, %v", ok, err)
	}
	if n := effects(t, db); n != 2 {
		t.Errorf("%d effects, want 2", n)
	}
	if n := recorded(t, db, "billing", "k2"); n != 1 {
		t.Errorf("k2 recorded %d times after it was handled, want 1", n)
	}
	other, err := inbox.New(inbox.Config{Consumer: "shipping"}, db)
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := other.Handle(ctx, "k1", effect("k1")); !ok || err != nil {
		t.Errorf("another consumer's first delivery: %v, %v", ok, err)
	}
	if _, err := in.Handle(ctx, "", effect("")); !errors.Is(err, inbox.ErrNoKey) {
		t.Errorf("empty key: %v", err)
	}
}

// Concurrent deliveries of one key apply it once.
func TestHandleConcurrentDuplicates(t *testing.T) {
	ctx := t.Context()
	in, db := setup(t, inbox.Config{})
	var handled atomic.Int64
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ok, err := in.Handle(ctx, "same", effect("same"))
			if err != nil {
				t.Error(err)
			}
			if ok {
				handled.Add(1)
			}
		}()
	}
	wg.Wait()
	if handled.Load() != 1 || effects(t, db) != 1 {
		t.Errorf("handled %d times, %d effects; want 1", handled.Load(), effects(t, db))
	}
	// The package-level Handle uses the default table and scope.
	if ok, err := inbox.Handle(ctx, db, "same", effect("same")); ok || err != nil {
		t.Errorf("package Handle of a handled key: %v, %v", ok, err)
	}
}
