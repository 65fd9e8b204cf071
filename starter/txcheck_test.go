package starter_test

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	_ "github.com/go-sql-driver/mysql"
	"github.com/rocketkit/rocketkit/client"
	"github.com/rocketkit/rocketkit/internal/clienttest"
	"github.com/rocketkit/rocketkit/listener"
	"github.com/rocketkit/rocketkit/outbox/outboxtest"
	"github.com/rocketkit/rocketkit/starter"
	"github.com/rocketkit/rocketkit/starter/startertest"
	"github.com/rocketkit/rocketkit/transport"
	"github.com/rocketkit/rocketkit/txcheck"
	"go.uber.org/fx"
)

type txOrdersListener struct {
	listener.Concurrent `topic:"txcheck-orders"`
	in                  *inbox
}

func (l *txOrdersListener) Handle(_ context.Context, m *listener.Message) error {
	l.in.add(m)
	return nil
}

// starter.TxCheck runs a txcheck producer configured by rocketmq.txcheck.*
// in the app's lifecycle: started with the app (its key table migrated),
// sending through the app's endpoint, closed when the app stops.
func TestTxCheckInApp(t *testing.T) {
	db := outboxtest.Open(t)
	in := newInbox()
	var prod *txcheck.Producer
	app := startertest.New(t,
		startertest.Config(map[string]any{
			"rocketmq.txcheck.group": clienttest.UniqueName("app-tx"),
			"rocketmq.txcheck.table": "app_tx_keys",
		}),
		startertest.Fx(starter.TxCheck(), fx.Supply(db.DB), fx.Populate(&prod)),
		startertest.Listener(func() *txOrdersListener { return &txOrdersListener{in: in} }),
	)
	ctx := sendCtx(t)
	_, err := prod.SendInTransaction(ctx, "txcheck-orders", "rolled-back", func(context.Context, *sql.Tx) error {
		return context.Canceled // any error rolls back
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("rolled-back send: %v", err)
	}
	res, err := prod.SendInTransaction(ctx, "txcheck-orders", "committed", func(context.Context, *sql.Tx) error { return nil })
	if err != nil || res.State != txcheck.Commit {
		t.Fatalf("committed send: %+v, %v", res, err)
	}
	var n int
	if err := db.QueryRowContext(ctx, "SELECT COUNT(*) FROM app_tx_keys WHERE msg_key = ?", res.Key).Scan(&n); err != nil || n != 1 {
		t.Fatalf("key %s in rocketmq.txcheck.table app_tx_keys: %d rows, %v", res.Key, n, err)
	}
	got := in.waitFor(t, 1, 20*time.Second)
	if string(got[0].Body) != "committed" {
		t.Fatalf("listener got %s, want the committed message", got[0].Body)
	}

	app.RequireStop()
	if _, err := prod.SendInTransaction(ctx, "txcheck-orders", "late", func(context.Context, *sql.Tx) error { return nil }); !errors.Is(err, txcheck.ErrNotStarted) {
		t.Errorf("send after stop: %v, want txcheck.ErrNotStarted", err)
	}
	if bodies := bodies(in.snapshot()); len(bodies) != 1 {
		t.Errorf("listener got %q, want only the committed message", bodies)
	}
}

// paymentsChecker answers check-backs with Commit and records their
// topics; its constructor takes an app dependency.
type paymentsChecker struct{ seen *checkSeen }

type checkSeen struct {
	mu     sync.Mutex
	topics []string
}

func (c *paymentsChecker) Check(_ context.Context, p txcheck.CheckParams) (txcheck.State, error) {
	c.seen.mu.Lock()
	defer c.seen.mu.Unlock()
	c.seen.topics = append(c.seen.topics, p.Topic)
	return txcheck.Commit, nil
}

type paymentsListener struct {
	listener.Concurrent `topic:"txcheck-payments"`
	in                  *inbox
}

func (l *paymentsListener) Handle(_ context.Context, m *listener.Message) error {
	l.in.add(m)
	return nil
}

// A checker registered with starter.TxChecker answers the check-backs of
// its topic through the app's producer: a half message whose producer
// left it unknown and went away is committed by the app's checker.
func TestTxCheckerAnswersCheckBacks(t *testing.T) {
	db := outboxtest.Open(t)
	group := clienttest.UniqueName("pay-tx")
	in, seen := newInbox(), &checkSeen{}
	app := startertest.New(t,
		startertest.Config(map[string]any{
			"rocketmq.txcheck.group":                       group,
			"rocketmq.txcheck.probe-topic":                 "txcheck-payments", // the broker knows the app's producer at once
			"rocketmq.embedded.transaction-timeout":        "300ms",
			"rocketmq.embedded.transaction-check-interval": "200ms",
		}),
		startertest.Fx(starter.TxCheck(), fx.Supply(db.DB, seen),
			starter.TxChecker("txcheck-payments", func(s *checkSeen) *paymentsChecker { return &paymentsChecker{seen: s} })),
		startertest.Listener(func() *paymentsListener { return &paymentsListener{in: in} }),
	)

	// Another member of the group stores a half message, leaves its
	// outcome unknown and goes away: only the app can answer for it.
	be, err := transport.Native(client.Config{NameServers: []string{app.NameServer()}})
	if err != nil {
		t.Fatal(err)
	}
	unknown := func(context.Context, *client.SendResult) client.TransactionState { return client.UnknownTransaction }
	other, err := be.NewTransactionProducer(client.ProducerConfig{Group: group},
		client.TransactionCheckerFunc(func(context.Context, *client.MessageExt) client.TransactionState { return client.UnknownTransaction }))
	if err != nil {
		t.Fatal(err)
	}
	if _, st, err := other.SendInTransaction(sendCtx(t), &client.Message{Topic: "txcheck-payments", Body: []byte("paid")}, unknown); err != nil || st != client.UnknownTransaction {
		t.Fatalf("half message: %v, %v", st, err)
	}
	if err := errors.Join(other.Close(), be.Close()); err != nil {
		t.Fatal(err)
	}

	got := in.waitFor(t, 1, 30*time.Second)
	if string(got[0].Body) != "paid" {
		t.Errorf("listener got %q", got[0].Body)
	}
	seen.mu.Lock()
	defer seen.mu.Unlock()
	if len(seen.topics) == 0 || seen.topics[0] != "txcheck-payments" {
		t.Errorf("checker saw %q, want the check-back of txcheck-payments", seen.topics)
	}
}

// Mistakes in TxCheck's configuration and checkers fail the app's
// construction, saying what is wrong.
func TestTxCheckConstructionErrors(t *testing.T) {
	db, err := sql.Open("mysql", "root@tcp(127.0.0.1:1)/none") // never connected
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	newChecker := func() *paymentsChecker { return &paymentsChecker{seen: &checkSeen{}} }
	for _, tt := range []struct {
		name   string
		values map[string]any
		opts   []fx.Option
		want   []string
	}{
		{"sweeper within the grace period", map[string]any{"rocketmq.txcheck.grace-period": "10m", "rocketmq.txcheck.sweeper.after": "5m"}, nil,
			[]string{"rocketmq.txcheck:", "sweeper.after 5m0s must exceed grace-period 10m0s"}},
		{"not a constructor", nil, []fx.Option{starter.TxChecker("t", "checker")},
			[]string{`TxChecker("t"): string is not a constructor returning a txcheck.Checker`}},
		{"nil checker", nil, []fx.Option{starter.TxChecker("t", func() (*paymentsChecker, error) { return nil, nil })},
			[]string{`TxChecker("t"): the constructor returned nil`}},
		{"two checkers of a topic", nil, []fx.Option{starter.TxChecker("t", newChecker), starter.TxChecker("t", newChecker)},
			[]string{`two TxCheckers for topic "t"`}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := startertest.Start(t, startertest.Config(tt.values),
				startertest.Fx(append(tt.opts, starter.TxCheck(), fx.Supply(db))...))
			if err == nil {
				t.Fatal("the app started")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("err = %v, want it to contain %q", err, w)
				}
			}
		})
	}
}
