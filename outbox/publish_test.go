package outbox_test

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"testing"

	"github.com/rocketkit/rocketkit/outbox"
	"github.com/rocketkit/rocketkit/outbox/outboxtest"
)

// Bad input fails Publish inside the transaction without writing
// anything; the transaction stays usable.
func TestPublishBadInput(t *testing.T) {
	ctx := t.Context()
	db := outboxtest.Open(t)
	cfg := outbox.Config{Table: "outbox_bad", MaxPayloadSize: 64}
	if err := outbox.Migrate(ctx, db, cfg); err != nil {
		t.Fatal(err)
	}
	pub, err := outbox.NewPublisher(cfg)
	if err != nil {
		t.Fatal(err)
	}
	good := outbox.Message{Destination: "orders:created", Payload: "ok"}
	tests := []struct {
		name string
		msg  outbox.Message
		want error
	}{
		{"payload the codec cannot encode", outbox.Message{Destination: "orders", Payload: make(chan int)}, outbox.ErrEncode},
		{"payload too large", outbox.Message{Destination: "orders", Payload: strings.Repeat("x", 65)}, outbox.ErrPayloadTooLarge},
		{"empty payload", outbox.Message{Destination: "orders", Payload: []byte{}}, outbox.ErrInvalidMessage},
		{"empty topic", outbox.Message{Destination: ":tag", Payload: "x"}, outbox.ErrInvalidMessage},
		{"illegal topic", outbox.Message{Destination: "or ders", Payload: "x"}, outbox.ErrInvalidMessage},
		{"tag with ||", outbox.Message{Destination: "orders:a||b", Payload: "x"}, outbox.ErrInvalidMessage},
		{"key with a space", outbox.Message{Destination: "orders", Key: "a b", Payload: "x"}, outbox.ErrInvalidMessage},
		{"business key with a space", outbox.Message{Destination: "orders", Keys: []string{"a b"}, Payload: "x"}, outbox.ErrInvalidMessage},
		{"reserved property", outbox.Message{Destination: "orders", Properties: map[string]string{"KEYS": "x"}, Payload: "x"}, outbox.ErrInvalidMessage},
		{"property with a separator", outbox.Message{Destination: "orders", Properties: map[string]string{"a": "b\x01c"}, Payload: "x"}, outbox.ErrInvalidMessage},
		{"negative delay level", outbox.Message{Destination: "orders", DelayLevel: -1, Payload: "x"}, outbox.ErrInvalidMessage},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := outbox.WithTx(ctx, db, func(ctx context.Context, tx *sql.Tx) error {
				// A good message first: a failing call writes nothing at all.
				err := pub.Publish(ctx, tx, good, tt.msg)
				if !errors.Is(err, tt.want) {
					t.Errorf("Publish: %v, want %v", err, tt.want)
				}
				// The transaction is intact: the caller may go on.
				return pub.Publish(ctx, tx, good)
			})
			if err != nil {
				t.Fatal(err)
			}
		})
	}
	if n := countRows(t, db.DB, "outbox_bad", ""); n != len(tests) {
		t.Errorf("%d rows, want %d (one good message per transaction)", n, len(tests))
	}
}

// A closed database gives ErrDBClosed from Publish, WithTx and the relay,
// and nothing is written.
func TestClosedDB(t *testing.T) {
	ctx := t.Context()
	db := outboxtest.Open(t)
	cfg := outbox.Config{Table: "outbox_closed"}
	if err := outbox.Migrate(ctx, db, cfg); err != nil {
		t.Fatal(err)
	}
	pub, err := outbox.NewPublisher(cfg)
	if err != nil {
		t.Fatal(err)
	}
	closed, err := sql.Open("mysql", db.DSN)
	if err != nil {
		t.Fatal(err)
	}
	_ = closed.Close()

	err = pub.Publish(ctx, closed, outbox.Message{Destination: "orders", Payload: "x"})
	if !errors.Is(err, outbox.ErrDBClosed) || !strings.Contains(err.Error(), "database is closed") {
		t.Errorf("Publish: %v, want ErrDBClosed", err)
	}
	called := false
	err = outbox.WithTx(ctx, closed, func(context.Context, *sql.Tx) error { called = true; return nil })
	if !errors.Is(err, outbox.ErrDBClosed) || called {
		t.Errorf("WithTx: %v (fn called: %v), want ErrDBClosed", err, called)
	}
	cfg.Relay.SkipMigrations = true
	r, err := outbox.NewRelay(cfg, closed, noSender{}, outbox.ResendUnknown)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Run(ctx); !errors.Is(err, outbox.ErrDBClosed) {
		t.Errorf("Run: %v, want ErrDBClosed", err)
	}
	if n := countRows(t, db.DB, "outbox_closed", ""); n != 0 {
		t.Errorf("%d rows written", n)
	}
}
