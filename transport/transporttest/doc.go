// Package transporttest is the contract suite every transport.Backend
// passes: the behaviours the kit relies on, each a subtest against a broker
// of its own (package broker), so that a backend that breaks one fails it.
// It follows the store-contract pattern of nats-server and watermill's
// pubsub tests:
//
//	func TestContract(t *testing.T) {
//		transporttest.Run(t, func(t *testing.T, nameServer string) transport.Backend {
//			b, err := transport.Native(client.Config{NameServers: []string{nameServer}})
//			if err != nil {
//				t.Fatal(err)
//			}
//			return b
//		})
//	}
//
// # Subtests
//
//   - SendModes: Send, SendAsync, SendOneway and SendBatch each deliver
//     their messages once, with body, tag, keys, flag, properties and the
//     MsgID the send reported.
//   - LargeBody: a 10 KiB body is compressed on the way and arrives intact.
//   - TagFilter: a subscription "a || b" gets exactly the messages tagged a
//     or b.
//   - QueueSelection: ToQueue, HashKey (fnv32a(key) mod the queue count,
//     as the official Go client hashes) and WithSelector pick the queue.
//   - Balance: two consumers of a group split the queues with no overlap
//     and together get every message once; when one closes, the other
//     takes every queue.
//   - Broadcasting: two consumers of a broadcasting group each get every
//     message once.
//   - Retry: ConsumeRetry redelivers with ReconsumeTimes 1 and the same
//     MsgID, topic and properties.
//   - DeadLetter: ConsumeDeadLetter lands the message in %DLQ%group at
//     once (read there by a consumer of that topic).
//   - DeadLetterAfterMaxReconsume: a message always retried is delivered
//     1 + MaxReconsumeTimes times, then lands in %DLQ%group.
//   - DelayLevel and DeliverAt: delayed messages arrive intact, no sooner
//     than asked.
//   - Transactions: commit is delivered, rollback never, unknown is checked
//     back through the TransactionChecker and delivered once it commits;
//     the transaction producer also sends plain messages.
//   - RequestReply: Request gets the reply a responder built with
//     client.NewReply and sent, each concurrent request its own; one
//     nobody answers fails with client.ErrReplyTimeout at ctx's deadline.
//   - ShutdownDrain: Close waits for a handler call in flight, and its
//     message is not delivered again to the group's next member.
//   - CloseTimeout: when Close's ctx ends before a handler call returns,
//     the call's ctx is cancelled, Close returns ctx's error, and the
//     message, whatever the call returned, goes to the next member again.
//   - Lifecycle: Start and Close of consumers and producers, twice, in the
//     wrong order, and the errors they return (client.ErrClosed,
//     client.ErrAlreadyStarted).
//   - BrokerRestart: a producer and a consumer keep working after the
//     broker restarts on the same address and data.
//   - OrderlyPerKeyOrder, OrderlyRetry, OrderlyDeadLetter: an orderly
//     consumer gets each hash key's messages in send order, one call at a
//     time per queue; retries hold the queue up and redeliver; dead
//     letters and messages retried past MaxReconsumeTimes go to
//     %DLQ%group and the queue moves on.
//
// # Options
//
// Backends legitimately differ in one respect only so far: the official
// Go client's orderly consumer races by design, so its orderly subtests
// cannot run under the race detector. WithoutOrderly and OnlyOrderly split
// the suite for such a backend. WithWait changes how long a subtest waits
// for an event.
//
// # Brokers
//
// Each subtest starts its own broker (as broker/brokertest does, on a
// loopback port with a temporary data directory) with delay levels from
// 100ms to 1s and transaction check-backs 200ms after a half message was
// stored, and creates its topics with the admin client. The backend is
// made for that broker's address, without a namespace. BrokerRestart
// closes the broker and starts another on the same address and data
// directory. WaitQuiet lets a backend wait until the broker serving an
// address has gone quiet.
package transporttest
