package txcheck_test

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/rocketkit/rocketkit/client"
	"github.com/rocketkit/rocketkit/internal/backendtest"
	"github.com/rocketkit/rocketkit/outbox"
	"github.com/rocketkit/rocketkit/outbox/inbox"
	"github.com/rocketkit/rocketkit/outbox/outboxtest"
	"github.com/rocketkit/rocketkit/outbox/sqlkit"
	"github.com/rocketkit/rocketkit/txcheck"
)

// prefixes are the package prefixes of the kit's SQL components' errors.
var prefixes = []string{"outbox: ", "inbox: ", "txcheck: ", "sqlkit: "}

// checkOnePrefix fails t unless err's text carries exactly one package
// prefix, at its start.
func checkOnePrefix(t testing.TB, what string, err error) {
	t.Helper()
	text := err.Error()
	n := 0
	for _, p := range prefixes {
		n += strings.Count(text, p)
	}
	first := false
	for _, p := range prefixes {
		first = first || strings.HasPrefix(text, p)
	}
	if n != 1 || !first {
		t.Errorf("%s: %q carries %d package prefixes, want one", what, text, n)
	}
}

// checkClosed fails t unless err is the closed-database error of every
// package (they share one sentinel) with one prefix.
func checkClosed(t testing.TB, what string, err error) {
	t.Helper()
	if err == nil {
		t.Errorf("%s: no error, want a closed database", what)
		return
	}
	for name, target := range map[string]error{
		"outbox": outbox.ErrDBClosed, "inbox": inbox.ErrDBClosed, "txcheck": txcheck.ErrDBClosed, "sqlkit": sqlkit.ErrDBClosed,
	} {
		if !errors.Is(err, target) {
			t.Errorf("%s: %v is not %s.ErrDBClosed", what, err, name)
		}
	}
	checkOnePrefix(t, what, err)
}

// failSender fails every send.
type failSender struct{}

func (failSender) Send(context.Context, *client.Message, ...client.SendOption) (*client.SendResult, error) {
	return nil, errors.New("no broker")
}

func (failSender) SendBatch(context.Context, []*client.Message, ...client.SendOption) (*client.SendResult, error) {
	return nil, errors.New("no broker")
}

// A closed *sql.DB gives one error across outbox, outbox/inbox and
// txcheck: errors.Is matches each package's ErrDBClosed, and the text
// carries one package prefix ("outbox: outbox: database is closed" was
// one too many).
func TestClosedDBSentinelAcrossPackages(t *testing.T) {
	ctx := t.Context()
	db := outboxtest.Open(t)
	closed, err := sql.Open("mysql", db.DSN)
	if err != nil {
		t.Fatal(err)
	}
	_ = closed.Close()

	ocfg := outbox.Config{Table: "outbox_closed"}
	if err := outbox.Migrate(ctx, db, ocfg); err != nil {
		t.Fatal(err)
	}
	pub, err := outbox.NewPublisher(ocfg)
	if err != nil {
		t.Fatal(err)
	}
	checkClosed(t, "outbox.Publish", pub.Publish(ctx, closed, outbox.Message{Destination: "orders", Payload: "x"}))
	checkClosed(t, "outbox.WithTx", outbox.WithTx(ctx, closed, func(context.Context, *sql.Tx) error { return nil }))
	checkClosed(t, "outbox.Migrate", outbox.Migrate(ctx, closed, ocfg))
	ocfg.Relay.SkipMigrations = true
	r, err := outbox.NewRelay(ocfg, closed, failSender{}, outbox.ResendUnknown)
	if err != nil {
		t.Fatal(err)
	}
	// A relay that took the closed database for a passing failure would
	// retry until the (generous) deadline and return nil.
	rctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	checkClosed(t, "outbox.Relay.Run", r.Run(rctx))

	icfg := inbox.Config{Table: "inbox_closed", Consumer: "c"}
	checkClosed(t, "inbox.Migrate", inbox.Migrate(ctx, closed, icfg))
	in, err := inbox.New(icfg, closed)
	if err != nil {
		t.Fatal(err)
	}
	called := false
	_, err = in.Handle(ctx, "k-1", func(context.Context, *sql.Tx) error { called = true; return nil })
	checkClosed(t, "inbox.Handle", err)
	if called {
		t.Errorf("inbox.Handle ran fn on a closed database")
	}
	_, err = in.Prune(ctx)
	checkClosed(t, "inbox.Prune", err)

	tcfg := testConfig("pg")
	tcfg.Table = "txcheck_closed"
	checkClosed(t, "txcheck.Migrate", txcheck.Migrate(ctx, closed, tcfg))
	s, err := txcheck.NewSweeper(tcfg, closed, failSender{}, outbox.ResendUnknown)
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.Sweep(ctx)
	checkClosed(t, "txcheck.Sweeper.Sweep", err)
}

// Errors of a transactional send that outbox's message model rejects
// carry outbox's prefix alone.
func TestSendInTransactionInvalidMessageOnePrefix(t *testing.T) {
	ctx := t.Context()
	db := outboxtest.Open(t)
	b := startQuietBroker(t)
	p := startProducer(t, backendtest.Native(t, b), testConfig(uniqueName("pg")), db)
	noop := func(context.Context, *sql.Tx) error { return nil }
	_, err := p.SendInTransaction(ctx, "topic", make(chan int), noop)
	if !errors.Is(err, outbox.ErrEncode) {
		t.Fatalf("unencodable payload: %v", err)
	}
	checkOnePrefix(t, "unencodable payload", err)
	_, err = p.SendMessageInTransaction(ctx, outbox.Message{Destination: "topic", Payload: "x", DelayLevel: 2}, noop)
	if !errors.Is(err, outbox.ErrInvalidMessage) {
		t.Fatalf("delayed message: %v", err)
	}
	checkOnePrefix(t, "delayed message", err)
}
