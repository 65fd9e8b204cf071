package brokertest_test

import (
	"testing"
	"time"

	"github.com/rocketkit/rocketkit/broker"
	"github.com/rocketkit/rocketkit/broker/brokertest"
)

// A test of check-back logic: the broker's periodic checks are pushed out
// of the test's way, and CheckBackNow checks back the half messages a
// transactional producer left unknown at the moment the test chooses.
func ExampleCheckBackNow() {
	_ = func(t *testing.T) {
		b := brokertest.Start(t, brokertest.WithConfig(func(c *broker.Config) {
			c.TransactionTimeout = time.Hour // no periodic check-back during the test
		}))
		// ... a transactional send to "orders" whose local transaction
		// answered unknown (e.g. txcheck.ErrUnknown) ...
		brokertest.CheckBackNow(t, b, "orders")
		// ... wait for the delivery the producer's answer causes ...
	}
}
