// Package txcheck sends RocketMQ transactional messages whose local
// transaction runs in MySQL, and answers the broker's check-backs from
// MySQL. It is for services that prefer RocketMQ's half messages to an
// outbox table (package outbox).
//
// # Sending
//
//	b, err := transport.Native(client.Config{NameServers: []string{"127.0.0.1:9876"}})
//	...
//	p, err := txcheck.New(b, db, txcheck.Config{Group: "billing-tx", ProbeTopic: "orders"})
//	...
//	if err := p.Start(ctx); err != nil {
//	...
//	res, err := p.SendInTransaction(ctx, "orders:paid", map[string]string{"id": "o-42"},
//		func(ctx context.Context, tx *sql.Tx) error {
//			_, err := tx.ExecContext(ctx, "UPDATE orders SET state = 'paid' WHERE id = ?", "o-42")
//			return err
//		})
//
// SendInTransaction stores the half message (invisible to consumers) with
// a transaction producer of the transport.Backend (the kit's own client or
// the official one), runs the function in a new transaction that also
// records the message's unique key (and the message) in the key table,
// commits, and tells the broker to deliver; an error or a panic rolls back
// and the broker drops the half message. SendMessageInTransaction takes an
// outbox.Message for keys, sharding key and properties (transactional
// messages cannot be delayed).
//
// In an fx app with the starter (package starter), starter.TxCheck
// provides the Producer, configured by the rocketmq.txcheck.* keys and
// sending through the app's endpoint, and runs it and a Sweeper from the
// app's start to its stop; starter.TxChecker registers a topic's Checker
// with fx dependencies. WithTracer (package tracing) traces the sends and
// check-backs; the starter passes its app's tracing.Tracer on.
//
// # Check-backs
//
// When the outcome does not reach the broker (the process died after its
// local commit, or the one-way END_TRANSACTION was lost) the broker asks a
// live producer of the group. The producer answers through its
// client.TransactionChecker, from the key table: key present → commit;
// absent and the half message older than Config.GracePeriod → rollback
// (the local transaction rolled back, or never ran); otherwise unknown,
// and the broker asks again. Any instance of the service can answer for
// another, so a restarted instance resolves its predecessor's half
// messages (Config.ProbeTopic makes it reachable at once).
//
// Unlike rocketmq-spring's one listener per template, one Producer serves
// any number of flows: its local transactions are routed by key to the
// SendInTransaction call that started them, and check-backs by topic —
// WithRoute puts a topic's key table in another database, WithChecker
// answers a topic's check-backs with custom logic.
//
// A local transaction may also leave the outcome to the check-back on
// purpose: a TxFunc returning ErrUnknown (or an error wrapping it) commits
// but tells the broker Unknown, for flows decided later (WithChecker) and
// for tests of check-backs — broker/brokertest.CheckBackNow makes a test
// broker check back at once instead of after its check interval.
//
// # Sweeper
//
// A half message that no producer answered within the broker's check
// window (transactionCheckMax checks) is discarded. The Sweeper
// compensates by key: it looks every committed key older than
// Sweeper.After up on the broker; found → verified; not found → it sends
// the recorded message again, as a normal message with the same key
// (consumers that de-duplicate on outbox.KeyProperty, package
// outbox/inbox, see it once). Sweeper.After must exceed the broker's check
// window, or a re-send can race a late commit.
//
// # Schema
//
// Start (unless Config.SkipMigrations) and Migrate create the key table
// from embedded, versioned migrations (package outbox/sqlkit): msg_key
// (primary key), the message, state (0 committed locally, 1 verified on
// the broker, 2 re-sent), created_at, verified_at. MySQL 8.0.1+ or
// MariaDB 10.6+.
package txcheck
