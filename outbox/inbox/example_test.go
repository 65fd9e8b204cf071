package inbox_test

import (
	"context"
	"database/sql"
	"fmt"
	"log"

	"github.com/rocketkit/rocketkit/client"
	"github.com/rocketkit/rocketkit/outbox"
	"github.com/rocketkit/rocketkit/outbox/inbox"
	"github.com/rocketkit/rocketkit/transport"
)

// A consumer applies each message exactly once: the effect and the record
// of the key commit together, and a redelivery is acknowledged unapplied.
func ExampleInbox_Handle() {
	var db *sql.DB // sql.Open("mysql", "app@tcp(db:3306)/billing")
	if db == nil {
		return // the example needs a database and a broker
	}
	ctx := context.Background()
	in, err := inbox.New(inbox.Config{Consumer: "billing"}, db)
	if err != nil {
		log.Fatal(err)
	}
	if err := in.Migrate(ctx); err != nil {
		log.Fatal(err)
	}
	b, err := transport.Native(client.Config{NameServers: []string{"127.0.0.1:9876"}})
	if err != nil {
		log.Fatal(err)
	}
	defer b.Close()
	handle := func(ctx context.Context, msgs []*client.MessageExt) client.ConsumeResult {
		for _, m := range msgs {
			_, err := in.Handle(ctx, inbox.KeyOf(m), func(ctx context.Context, tx *sql.Tx) error {
				_, err := tx.ExecContext(ctx, "INSERT INTO bills (msg_key, body) VALUES (?, ?)", inbox.KeyOf(m), m.Body)
				return err
			})
			if err != nil {
				return client.ConsumeRetry // a duplicate is no error: acknowledged
			}
		}
		return client.ConsumeSuccess
	}
	c, err := b.NewConsumer(client.ConsumerConfig{Group: "billing",
		Subscriptions: []client.Subscription{{Topic: "orders", Expression: "paid"}}}, handle)
	if err != nil {
		log.Fatal(err)
	}
	if err := c.Start(ctx); err != nil {
		log.Fatal(err)
	}
	defer c.Close(ctx)
}

// KeyOf prefers the outbox key, which survives resends and compensation;
// a message without one is de-duplicated on its message id.
func ExampleKeyOf() {
	m := &client.MessageExt{MsgID: "7F0000010B2818B4AAC2"}
	fmt.Println(inbox.KeyOf(m))
	m.SetProperties(map[string]string{outbox.KeyProperty: "01890a5d-ac96-774b-bcce-b302099a8057"})
	fmt.Println(inbox.KeyOf(m))
	// Output:
	// 7F0000010B2818B4AAC2
	// 01890a5d-ac96-774b-bcce-b302099a8057
}
