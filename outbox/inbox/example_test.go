package inbox_test

import (
	"context"
	"database/sql"
	"fmt"
	"log"

	"github.com/apache/rocketmq-client-go/v2/consumer"
	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/rocketkit/rocketkit/outbox"
	"github.com/rocketkit/rocketkit/outbox/inbox"
)

// A listener applies each message exactly once: the effect and the record
// of the key commit together, and a redelivery is acknowledged unapplied.
func ExampleInbox_Handle() {
	var db *sql.DB
	if db == nil {
		return // the example needs a database
	}
	in, err := inbox.New(inbox.Config{Consumer: "billing"}, db)
	if err != nil {
		log.Fatal(err)
	}
	if err := in.Migrate(context.Background()); err != nil {
		log.Fatal(err)
	}
	handle := func(ctx context.Context, msgs ...*primitive.MessageExt) (consumer.ConsumeResult, error) {
		for _, m := range msgs {
			_, err := in.Handle(ctx, inbox.KeyOf(m), func(ctx context.Context, tx *sql.Tx) error {
				_, err := tx.ExecContext(ctx, "INSERT INTO bills (order_id, body) VALUES (?, ?)", m.GetKeys(), m.Body)
				return err
			})
			if err != nil {
				return consumer.ConsumeRetryLater, err
			}
		}
		return consumer.ConsumeSuccess, nil
	}
	_ = handle // consumer.Subscribe(topic, selector, handle)
}

// KeyOf prefers the outbox key, which survives resends and compensation.
func ExampleKeyOf() {
	m := &primitive.MessageExt{MsgId: "C0A8000100002A9F0000000000000042"}
	m.WithProperty(primitive.PropertyUniqueClientMessageIdKeyIndex, "7F0000010B2818B4AAC2")
	fmt.Println(inbox.KeyOf(m))
	m.WithProperty(outbox.KeyProperty, "01890a5d-ac96-774b-bcce-b302099a8057")
	fmt.Println(inbox.KeyOf(m))
	// Output:
	// 7F0000010B2818B4AAC2
	// 01890a5d-ac96-774b-bcce-b302099a8057
}
