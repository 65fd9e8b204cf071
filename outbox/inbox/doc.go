// Package inbox gives consumers exactly-once effects over RocketMQ's
// at-least-once delivery: a handler's work and the record that its message
// was handled commit in one MySQL transaction, so a redelivered or
// duplicated message finds its key recorded and is skipped.
//
// # Use from a consumer
//
// A handler runs its work through Handle with the message's key (see
// ExampleInbox_Handle for the whole consumer):
//
//	in, err := inbox.New(inbox.Config{Consumer: "billing"}, db)
//	...
//	if err := in.Migrate(ctx); err != nil {
//	...
//	handle := func(ctx context.Context, msgs []*client.MessageExt) client.ConsumeResult {
//		for _, m := range msgs {
//			_, err := in.Handle(ctx, inbox.KeyOf(m), func(ctx context.Context, tx *sql.Tx) error {
//				_, err := tx.ExecContext(ctx, "INSERT INTO bills ...", ...)
//				return err
//			})
//			if err != nil {
//				return client.ConsumeRetry // a duplicate is no error: acknowledged
//			}
//		}
//		return client.ConsumeSuccess
//	}
//
// The package-level Handle does the same on the default table.
//
// # Keys
//
// KeyOf picks the key to de-duplicate on: the outbox.KeyProperty property
// that outbox and txcheck messages carry (unique per published message,
// stable across resends and compensation), else the message id, the
// producer's UNIQ_KEY (stable across a producer's own retries). Any other
// unique business key works as well.
//
// # Guarantees
//
// Handle inserts (Consumer, key) first and runs fn in the same
// transaction: when fn fails or panics, both roll back and the message
// can be retried; when the insert finds the key, fn is not called and
// Handle reports a duplicate. Two deliveries of one key at the same time
// serialise on the key's row lock: the second waits and then sees the
// duplicate. Deadlocks and lock wait timeouts are retried (fn runs again
// in a new transaction). Effects outside the transaction (HTTP calls,
// messages sent directly) are not covered.
//
// Consumers with different Config.Consumer values keep separate records,
// so several services (consumer groups) may share one table. Prune
// deletes records older than Config.Retention; a message redelivered
// after that would be handled again, so keep the retention well above
// the broker's redelivery horizon (maxReconsumeTimes and message
// retention).
package inbox
