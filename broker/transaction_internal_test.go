package broker

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/netip"
	"testing"
	"time"

	"github.com/rocketkit/rocketkit/broker/store"
	"github.com/rocketkit/rocketkit/protocol/message"
)

// flakyPutter fails while failing is set, else records what it stores.
type flakyPutter struct {
	failing bool
	stored  []*message.Ext
}

var errInjectedPut = errors.New("injected: store full")

func (p *flakyPutter) put(ext *message.Ext, _ bool) error {
	if p.failing {
		return errInjectedPut
	}
	p.stored = append(p.stored, ext)
	return nil
}

type noProducers struct{}

func (noProducers) producerConn(string) *conn { return nil }

// TestCommitThatFailsFallsBack: when storing the committed message fails,
// END_TRANSACTION fails with the cause and the half message stays pending
// (unclaimed, no outcome in the op log), so a retried END_TRANSACTION or a
// check-back commits it later, exactly once.
func TestCommitThatFailsFallsBack(t *testing.T) {
	st, err := store.Open(store.Config{Dir: t.TempDir(), Retention: store.Retention{Disabled: true}})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = st.Close() }()
	host := netip.MustParseAddrPort("127.0.0.1:10911")
	half := &message.Ext{Topic: "orders", QueueID: 1, BornTimestamp: time.Now().UnixMilli(), BornHost: host, StoreHost: host,
		Body: []byte("pay"), Properties: message.SetProperty(message.SetProperty("", message.PropertyTransactionPrepared, "true"),
			message.PropertyProducerGroup, "pg")}
	prepareHalf(half, "uniq-1")
	res, err := st.Append(context.Background(), []store.Entry{store.NewEntry(half, nil)})
	if err != nil {
		t.Fatal(err)
	}
	offset := res[0].CommitLogOffset

	put := &flakyPutter{failing: true}
	tx := newTransactions(Config{}, host, st, put, noProducers{}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err := tx.recover(); err != nil {
		t.Fatal(err)
	}
	if n := tx.pendingByTopic()["orders"]; n != 1 {
		t.Fatalf("pending %d, want the half message", n)
	}
	if err := tx.end(offset, "pg", true); !errors.Is(err, errInjectedPut) {
		t.Fatalf("end with a failing store: %v, want the injected error", err)
	}
	if n := tx.pendingByTopic()["orders"]; n != 1 || len(put.stored) != 0 {
		t.Fatalf("after a failed commit: pending %d, stored %d; want 1 and 0", n, len(put.stored))
	}
	// Nothing was recorded in the op log: a restart still finds it pending.
	again := newTransactions(Config{}, host, st, put, noProducers{}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err := again.recover(); err != nil || again.pendingByTopic()["orders"] != 1 {
		t.Fatalf("after a failed commit and a restart: pending %v, %v; want 1", again.pendingByTopic(), err)
	}

	put.failing = false
	if err := tx.end(offset, "pg", true); err != nil {
		t.Fatalf("retried commit: %v", err)
	}
	if err := tx.end(offset, "pg", true); err != nil { // repeated: ignored
		t.Fatalf("repeated commit: %v", err)
	}
	if n := tx.pendingByTopic()["orders"]; n != 0 || len(put.stored) != 1 || put.stored[0].Topic != "orders" ||
		string(put.stored[0].Body) != "pay" {
		t.Fatalf("after the retried commit: pending %d, stored %+v; want 0 and the message once", n, put.stored)
	}
}
