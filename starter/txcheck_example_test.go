package starter_test

import (
	"context"
	"database/sql"
	"fmt"
	"log"
	"os"

	"github.com/rocketkit/rocketkit/listener"
	"github.com/rocketkit/rocketkit/outbox/outboxtest"
	"github.com/rocketkit/rocketkit/starter"
	"github.com/rocketkit/rocketkit/txcheck"
	"go.uber.org/fx"
)

// ShipPaidOrders is a listener of the transactional messages.
type ShipPaidOrders struct {
	listener.Concurrent `topic:"paid-orders"`
	shipped             chan string
}

func (l *ShipPaidOrders) Handle(_ context.Context, m *listener.Message) error {
	l.shipped <- "ship " + string(m.Body)
	return nil
}

// TxCheck runs a transactional producer in the app: the message is
// delivered only if the local transaction commits, and check-backs are
// answered from the key table. Here on the embedded broker and the MySQL
// or MariaDB server the tests use.
func ExampleTxCheck() {
	db, drop := openExampleDB() // a service: fx.Provide(func() (*sql.DB, error) { return sql.Open("mysql", dsn) })
	defer drop()
	shipping := &ShipPaidOrders{shipped: make(chan string, 1)}
	var orders *txcheck.Producer
	app := fx.New(
		fx.NopLogger,
		starter.Module,
		starter.ConfigValues(map[string]any{"rocketmq.txcheck.group": "shop-tx"}),
		starter.TxCheck(),
		fx.Supply(db),
		starter.Listener(func() *ShipPaidOrders { return shipping }),
		fx.Populate(&orders),
	)
	ctx := context.Background()
	if err := app.Start(ctx); err != nil {
		log.Fatal(err)
	}
	defer app.Stop(ctx)

	res, err := orders.SendInTransaction(ctx, "paid-orders", "o-42", func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, "INSERT INTO orders (id, state) VALUES ('o-42', 'paid')")
		return err // an error rolls back, and the message is dropped
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(res.State)
	fmt.Println(<-shipping.shipped)
	// Output:
	// commit
	// ship o-42
}

// openExampleDB creates a database with an orders table on the tests'
// server and returns it with a function that drops it.
func openExampleDB() (*sql.DB, func()) {
	server, err := sql.Open("mysql", outboxtest.ServerDSN())
	if err != nil {
		log.Fatal(err)
	}
	name := fmt.Sprintf("rk_example_txcheck_%d", os.Getpid())
	dsn, err := outboxtest.WithDatabase(outboxtest.ServerDSN(), name)
	if err != nil {
		log.Fatal(err)
	}
	for _, q := range []string{"DROP DATABASE IF EXISTS " + name, "CREATE DATABASE " + name,
		"CREATE TABLE " + name + ".orders (id VARCHAR(32) PRIMARY KEY, state VARCHAR(16) NOT NULL)"} {
		if _, err := server.Exec(q); err != nil {
			log.Fatal(err)
		}
	}
	db, err := sql.Open("mysql", dsn)
	if err != nil {
		log.Fatal(err)
	}
	return db, func() {
		_ = db.Close()
		_, _ = server.Exec("DROP DATABASE " + name)
		_ = server.Close()
	}
}

// PaymentChecker answers the check-backs of the payments topic from the
// payment provider's records.
type PaymentChecker struct{ payments map[string]bool }

// NewPaymentChecker is a checker's constructor; fx passes its
// dependencies.
func NewPaymentChecker(payments map[string]bool) *PaymentChecker {
	return &PaymentChecker{payments: payments}
}

// Check commits the message of a known payment, and leaves the others to
// a later check-back.
func (c *PaymentChecker) Check(_ context.Context, p txcheck.CheckParams) (txcheck.State, error) {
	if c.payments[p.Key] {
		return txcheck.Commit, nil
	}
	return txcheck.Unknown, nil
}

// TxChecker answers a topic's check-backs with a checker made by fx, in
// place of the key table.
func ExampleTxChecker() {
	var db *sql.DB
	if db == nil {
		return // the example needs a database
	}
	app := fx.New(
		starter.Module,
		starter.TxCheck(),
		starter.TxChecker("payments", NewPaymentChecker),
		fx.Supply(db, map[string]bool{}),
	)
	if err := app.Err(); err != nil {
		log.Fatal(err)
	}
}
