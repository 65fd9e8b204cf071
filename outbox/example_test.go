package outbox_test

import (
	"context"
	"database/sql"
	"fmt"
	"log"
	"sync/atomic"
	"time"

	"github.com/rocketkit/rocketkit/admin"
	"github.com/rocketkit/rocketkit/client"
	"github.com/rocketkit/rocketkit/outbox"
	"github.com/rocketkit/rocketkit/transport"
)

// OrderPaid is an example event.
type OrderPaid struct {
	ID     string `json:"id"`
	Amount int    `json:"amount"`
}

// Publish inside the business transaction: the message is sent once the
// transaction commits, and never if it rolls back.
func Example() {
	var db *sql.DB // sql.Open("mysql", "app@tcp(db:3306)/shop?interpolateParams=true")
	ctx := context.Background()
	if db == nil {
		return // the example needs a database
	}
	pub, err := outbox.NewPublisher(outbox.Config{})
	if err != nil {
		log.Fatal(err)
	}
	err = outbox.WithTx(ctx, db, func(ctx context.Context, tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, "UPDATE orders SET state = 'paid' WHERE id = ?", "o-42"); err != nil {
			return err // rolls back: no message
		}
		return pub.Publish(ctx, tx, outbox.Message{
			Destination: "orders:paid",
			Payload:     OrderPaid{ID: "o-42", Amount: 1999},
			ShardingKey: "o-42",
			Keys:        []string{"o-42"},
		})
	})
	if err != nil {
		log.Fatal(err)
	}
}

// A relay on its own: a producer on the kit's own client (a backend of
// package transport), key lookups through the admin client, and Run until
// the context ends. In an fx application the starter calls Start and
// Close from lifecycle hooks instead.
func ExampleRelay() {
	var db *sql.DB
	if db == nil {
		return // the example needs a database and a broker
	}
	nameServers := []string{"127.0.0.1:9876"}
	b, err := transport.Native(client.Config{NameServers: nameServers})
	if err != nil {
		log.Fatal(err)
	}
	defer b.Close()
	p, err := outbox.NewProducer(b, outbox.ProducerConfig{})
	if err != nil {
		log.Fatal(err)
	}
	defer p.Close()
	ac, err := admin.New(admin.Config{NameServers: nameServers})
	if err != nil {
		log.Fatal(err)
	}
	r, err := outbox.NewRelay(outbox.Config{Relay: outbox.RelayConfig{Retention: 72 * time.Hour}}, db, p, outbox.AdminLookup(ac))
	if err != nil {
		log.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := r.Run(ctx); err != nil {
		log.Fatal(err)
	}
}

// Destinations are RocketMQTemplate's "topic:tag".
func ExampleParseDestination() {
	topic, tag, err := outbox.ParseDestination("orders:paid")
	fmt.Println(topic, tag, err)
	_, _, err = outbox.ParseDestination("no spaces:allowed")
	fmt.Println(err)
	// Output:
	// orders paid <nil>
	// outbox: invalid message: topic "no spaces" (1 to 127 of a-z A-Z 0-9 _ - % |)
}

// The default codec sends bytes and strings as they are and JSON-encodes
// anything else.
func ExampleJSONCodec() {
	for _, v := range []any{[]byte("raw"), "text", OrderPaid{ID: "o-1", Amount: 5}} {
		b, _ := outbox.JSONCodec{}.Encode(outbox.EncodeParams{Topic: "orders", Payload: v})
		fmt.Println(string(b))
	}
	// Output:
	// raw
	// text
	// {"id":"o-1","amount":5}
}

// A record is sent as a client.Message: the unique key in KEYS (after the
// business keys) and in the KeyProperty property, the sharding key in
// SHARDING_KEY, which picks the message's queue as client.HashKey would.
func ExampleRecord_Message() {
	rec, err := outbox.NewRecord(outbox.JSONCodec{}, outbox.Message{
		Destination: "orders:paid", Payload: OrderPaid{ID: "o-42", Amount: 1999},
		Key: "01890a5d-ac96-774b-bcce-b302099a8057", Keys: []string{"o-42"}, ShardingKey: "o-42",
	}, 0)
	if err != nil {
		log.Fatal(err)
	}
	m := rec.Message()
	fmt.Println(m.Topic, m.Tag, m.Keys)
	fmt.Println(m.Properties[outbox.KeyProperty], m.Properties["SHARDING_KEY"])
	fmt.Println(string(m.Body))
	// Output:
	// orders paid [o-42 01890a5d-ac96-774b-bcce-b302099a8057]
	// 01890a5d-ac96-774b-bcce-b302099a8057 o-42
	// {"id":"o-42","amount":1999}
}

// A zero Config means the documented defaults.
func ExampleConfig_WithDefaults() {
	c := outbox.Config{}.WithDefaults()
	fmt.Println(c.Table, c.Relay.BatchSize, c.Relay.Lease, c.Relay.Retention, c.Validate())
	// Output: rocketkit_outbox 1000 30s 24h0m0s <nil>
}

// relayCounts is a Metrics; a Prometheus or OpenTelemetry adapter would
// add the counts to its counters instead.
type relayCounts struct{ sent, retried, compensated atomic.Int64 }

var _ outbox.Metrics = (*relayCounts)(nil)

func (c *relayCounts) Relayed(d outbox.RelayStats) {
	c.sent.Add(d.Sent)
	c.retried.Add(d.Retried)
	c.compensated.Add(d.Compensated)
}

// A relay reports each batch's counts to a Metrics; Stats holds the totals
// and Backlog the rows still to send.
func ExampleWithMetrics() {
	var (
		db     *sql.DB
		sender outbox.Sender
		lookup outbox.KeyLookup
	)
	if db == nil {
		return // the example needs a database and a broker
	}
	counts := &relayCounts{}
	r, err := outbox.NewRelay(outbox.Config{}, db, sender, lookup, outbox.WithMetrics(counts))
	if err != nil {
		log.Fatal(err)
	}
	if err := r.Start(context.Background()); err != nil {
		log.Fatal(err)
	}
	defer r.Close()
	backlog, err := r.Backlog(context.Background())
	s := r.Stats()
	fmt.Println(backlog, err, s.Sent, s.Retried, s.Compensated)
}
