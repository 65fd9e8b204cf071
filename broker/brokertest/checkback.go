package brokertest

import (
	"testing"

	"github.com/rocketkit/rocketkit/broker"
)

// CheckBackNow makes b check back now, with a live producer of each
// message's group, every half message of topic awaiting its outcome (""
// for every topic), instead of waiting for the broker's
// TransactionTimeout and TransactionCheckInterval; see
// broker.Broker.CheckTransactionsNow. It returns how many checks were
// sent and fails the test when none could be (nothing pending, or no live
// producer of the group). The producer answers asynchronously: wait for
// the outcome (the delivery, or Stats().PendingTransactions), not for
// the return.
//
// With a long TransactionTimeout (the periodic check never fires during
// the test) it makes a test of check-back logic deterministic: a
// transactional send whose local transaction answers unknown (e.g.
// txcheck.ErrUnknown) stays invisible until CheckBackNow.
func CheckBackNow(tb testing.TB, b *broker.Broker, topic string) int {
	tb.Helper()
	n := b.CheckTransactionsNow(topic)
	if n == 0 {
		tb.Fatalf("brokertest: no check-back sent for topic %q: no half message pending, or no live producer of its group", topic)
	}
	return n
}
