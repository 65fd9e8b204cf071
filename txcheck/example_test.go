package txcheck_test

import (
	"context"
	"database/sql"
	"fmt"
	"log"
	"time"

	"github.com/rocketkit/rocketkit/client"
	"github.com/rocketkit/rocketkit/transport"
	"github.com/rocketkit/rocketkit/txcheck"
)

// A transactional send whose local transaction runs in MySQL; check-backs
// are answered from the key table by any producer of the group.
func ExampleProducer_SendInTransaction() {
	var db *sql.DB
	if db == nil {
		return // the example needs a database and a broker
	}
	ctx := context.Background()
	b, err := transport.Native(client.Config{NameServers: []string{"127.0.0.1:9876"}})
	if err != nil {
		log.Fatal(err)
	}
	defer b.Close()
	p, err := txcheck.New(b, db, txcheck.Config{Group: "billing-tx", ProbeTopic: "orders"})
	if err != nil {
		log.Fatal(err)
	}
	if err := p.Start(ctx); err != nil {
		log.Fatal(err)
	}
	defer p.Close()
	res, err := p.SendInTransaction(ctx, "orders:paid", map[string]string{"id": "o-42"},
		func(ctx context.Context, tx *sql.Tx) error {
			_, err := tx.ExecContext(ctx, "UPDATE orders SET state = 'paid' WHERE id = ?", "o-42")
			return err
		})
	fmt.Println(res.State, err)
}

// The sweeper must wait out the broker's whole check window before it
// re-sends anything.
func ExampleConfig_Validate() {
	c := txcheck.Config{GracePeriod: 10 * time.Minute, Sweeper: txcheck.SweeperConfig{After: 5 * time.Minute}}
	_, err := txcheck.NewSweeper(c, nil, nil, nil)
	fmt.Println(err)
	// Output: txcheck: invalid config: sweeper.after 5m0s must exceed grace-period 10m0s
}

// A local transaction whose message's fate is decided later: returning
// txcheck.ErrUnknown commits it but leaves the half message to the
// broker's check-back, answered by the topic's Checker (WithChecker) or
// the key table.
func ExampleErrUnknown() {
	var p *txcheck.Producer
	if p == nil {
		return // the example needs a started producer
	}
	res, err := p.SendInTransaction(context.Background(), "payments", map[string]string{"id": "p-7"},
		func(ctx context.Context, tx *sql.Tx) error {
			if _, err := tx.ExecContext(ctx, "INSERT INTO payments (id, state) VALUES (?, 'pending')", "p-7"); err != nil {
				return err
			}
			return fmt.Errorf("awaiting the bank: %w", txcheck.ErrUnknown)
		})
	fmt.Println(res.State, err) // unknown <nil>
}
