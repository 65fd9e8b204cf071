// Package outbox is a transactional outbox for RocketMQ over MySQL: a
// service writes its messages into a table inside its own database
// transaction, and a relay sends the committed ones to the broker. A
// message exists exactly when the business change that produced it
// committed.
//
// The package takes database/sql interfaces and leaves the driver to the
// caller (github.com/go-sql-driver/mysql; interpolateParams=true in the
// DSN saves a round trip per statement). It needs MySQL 8.0.1+ or MariaDB
// 10.6+ for FOR UPDATE SKIP LOCKED.
//
// # Publishing
//
// Publish writes inside the caller's transaction (any ContextExecutor: a
// *sql.Tx, or a *sql.DB to publish on its own), and WithTx runs a managed
// transaction that commits when its function returns nil and rolls back
// on an error or a panic:
//
//	pub, err := outbox.NewPublisher(outbox.Config{})
//	...
//	err = outbox.WithTx(ctx, db, func(ctx context.Context, tx *sql.Tx) error {
//		if _, err := tx.ExecContext(ctx, "UPDATE orders SET state = 'paid' WHERE id = ?", "o-42"); err != nil {
//			return err // rolls back: no message
//		}
//		return pub.Publish(ctx, tx, outbox.Message{
//			Destination: "orders:paid",                       // topic:tag
//			Payload:     OrderPaid{ID: "o-42", Amount: 1999}, // JSON by default (WithCodec)
//			ShardingKey: "o-42",                              // per-key order
//			Keys:        []string{"o-42"},                    // business keys, for lookups
//		})
//	})
//
// Every message is validated and encoded before anything is written, and
// a call writes all its messages with one INSERT, so a failed Publish
// (ErrEncode, ErrInvalidMessage, ErrPayloadTooLarge, ErrDBClosed) leaves
// nothing behind and the transaction usable.
//
// Each message gets a unique key (a UUID unless Message.Key is set). It is
// sent in KEYS, so the broker indexes it, and in the KeyProperty property,
// which consumers de-duplicate on (package outbox/inbox).
//
// # Relay
//
// A Relay sends committed rows. Start(ctx)/Close() make it an fx
// lifecycle component; Run(ctx) is the blocking form. It sends through a
// Sender: a producer of a transport.Backend (the kit's own client,
// transport.Native, or the official one, transport/official), best made
// with NewProducer, which turns client-side retries off:
//
//	b, err := transport.Native(client.Config{NameServers: nameServers})
//	...
//	p, err := outbox.NewProducer(b, outbox.ProducerConfig{})
//	...
//	ac, err := admin.New(admin.Config{NameServers: nameServers})
//	...
//	r, err := outbox.NewRelay(outbox.Config{...}, db, p, outbox.AdminLookup(ac))
//	...
//	if err := r.Run(ctx); err != nil {
//		log.Fatal(err)
//	}
//
// Every send carries the relay's queue selector (client.WithSelector): a
// row's sharding key picks its queue with FNV-1a as client.HashKey does,
// and the selector learns each topic's queue count (the Native backend's
// producers also tell it before the first send). Each of Relay.Workers
// loops over batches:
//
//  1. claim: in a READ COMMITTED transaction, read the ids of up to
//     BatchSize pending rows in id order (a plain read: it neither locks
//     nor waits, so it passes cheaply over the index entries of rows sent
//     moments ago that the server has not purged yet), lock those rows by
//     primary key with SELECT … FOR UPDATE SKIP LOCKED (other relays skip
//     them; a row sent in between is no longer pending and not taken),
//     keep those allowed by per-key order (below), and commit a lease
//     listing them — one small row in <table>_lease, on another
//     connection — before anything is sent;
//  2. send: rows bound for the same queue (same topic and queue slot of
//     their sharding key) travel as one batch (Sender.SendBatch, one
//     SEND_BATCH_MESSAGE, each message with its own keys and properties);
//     queues are sent to concurrently, each queue's batches in id order;
//  3. mark: one UPDATE sets the batch's rows sent (naming runs of
//     consecutive ids as ranges) and the lease is deleted, in the claim's
//     transaction, which commits and releases the rows.
//
// So a row costs two SELECTs (an index-only read, then the locking one)
// and one UPDATE; the claim's transaction holds the rows' locks while they
// are sent (milliseconds). Sent rows are pruned after Relay.Retention, in
// batches.
//
// # Per-key order
//
// Rows with the same sharding key (per topic) are sent in id order, which
// is their commit order when writers serialise on the key, as they must
// for an order to exist. A claim takes a row only if every pending row of
// its key before it is in the same claim: a row is never sent while an
// earlier row of its key is unsent — pending, being sent by another relay
// or worker, or in a lease whose outcome is unknown. Within a claim, a
// failed send stops the queue's later batches. So several relays
// (processes) and workers may run against one table without breaking
// order, and without sending a row twice: SKIP LOCKED and the leases keep
// them apart. Order holds as long as a topic's queue count does not
// change, as with any hash-selected queue.
//
// # Leases and key-based compensation
//
// A lease outlives its relay: if the relay dies between send and mark, its
// transaction rolls back and the rows are pending again, but the lease
// still lists them. Other relays leave rows listed in someone else's lease
// alone; once the lease is past due (Relay.Lease after the claim) a relay
// takes it over, and before anything is sent again looks each row's key
// up on the broker through a KeyLookup (AdminLookup over admin.Client):
// found → marked sent; not found → sent. A send that fails is treated the
// same way (the broker may have stored it before the timeout): the batch's
// lease is kept for the rows whose outcome is unknown, due after a backoff
// (RetryBackoff, doubling with the row's failures up to MaxRetryBackoff),
// and a row that failed before is then sent alone, so it cannot fail
// others. So a relay killed anywhere — after the claim, between sends,
// after the sends and before the mark — or a timeout after the broker
// stored a batch, does not duplicate a message. A relay starts no send
// later than Lease - 2×SendTimeout after its claim, and database/sql rolls
// its transaction back at the lease's end, so its sends are over before
// another relay may look the rows up; choose Lease to cover the longest
// stall (GC, network) a live relay may suffer. ResendUnknown skips the
// lookups (at-least-once; de-duplicate with outbox/inbox).
//
// Deadlocks (1213) and lock wait timeouts (1205) are retried, never
// surfaced. A closed *sql.DB stops the relay with ErrDBClosed (which is
// sqlkit.ErrDBClosed, shared with outbox/inbox and txcheck).
//
// # Observing a relay
//
// Relay.Stats counts rows claimed, sent, failed, retried (sent again after
// an unknown outcome), found on the broker by key, compensated (retried or
// found), released and pruned; Relay.Backlog counts the rows not sent
// yet, from the table. WithMetrics reports each batch's counts to a
// Metrics as they happen, for a metrics library (the starter passes its
// own Metrics on when it implements starter.OutboxMetrics).
//
// WithTracer (package tracing) traces a message from its writer to its
// consumers: Publish records the trace context of its ctx in the row's
// properties, and the relay's sends run in that context (the starter
// passes its app's tracing.Tracer on; github.com/rocketkit/rocketkit/otel
// is the OpenTelemetry one).
//
// # Schema
//
// Migrate (and Relay.Start, unless Relay.SkipMigrations) creates the
// tables from migrations embedded in the package, versioned per table in
// Config.SchemaTable, idempotent and safe to run from several processes at
// once; see package outbox/sqlkit. Table names are configurable. On a
// server without SKIP LOCKED it returns ErrUnsupportedServer; when the
// user may not create or use the tables, ErrPrivileges naming the grants.
// The outbox table keeps per row the message (topic, tag, keys, sharding
// key and its hash, properties as JSON, delay level, payload), its state
// (0 pending, 2 sent, 3 failed after Relay.MaxFailures), failures, last
// error, created_at and sent_at; one secondary index (state, id,
// shard_hash) serves claims, the per-key check and pruning, and every
// UPDATE is in place. <table>_lease holds the leases: token, the leased
// ids (packed), their range, due_at.
//
// # Speed
//
// BenchmarkPublish (in the tests) compares bare INSERT+COMMIT with the
// outbox end to end, and BenchmarkRelayDrain measures a relay emptying a
// backlog of 100,000 rows; see their doc comments for the commands. A
// relayed row costs the database an index-only read, one locking SELECT by
// primary key, one per-key check and one in-place UPDATE, in statements
// shared by batches of up to BatchSize rows; Relay.BatchWait trades
// latency under light load for fewer, larger batches. Where the writers
// and the database share a small machine, that database work, not the
// sends, is what the relay takes from the writers: BenchmarkPublish's
// insert-only and discard phases measure the outbox INSERT alone and the
// relay without sends.
package outbox
