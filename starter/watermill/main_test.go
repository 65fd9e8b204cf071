package watermill_test

import (
	"testing"

	"github.com/rocketkit/rocketkit/internal/clienttest"
	"go.uber.org/goleak"
)

// TestMain gives the test binary a temporary HOME (the official client's
// broadcasting consumers keep offsets under it), silences the official
// client's logger and fails the tests when goroutines outlive them.
//
// Besides the client's own (clienttest.GoleakOptions), it ignores the
// forwarders of Watermill's test suite: the suite's multiplied subscriber
// (TestConcurrentSubscribe and others) forwards each subscriber's messages
// to one unbuffered channel that the test stops reading once it has every
// message, so a forwarder holding a redelivered message (or, broadcasting,
// another subscriber's copy) blocks on that channel for good, and the
// goroutine waiting for all forwarders with it.
func TestMain(m *testing.M) {
	const multiplier = "github.com/ThreeDotsLabs/watermill/internal/subscriber.(*multiplier).Subscribe."
	clienttest.VerifyMain(m,
		goleak.IgnoreTopFunction(multiplier+"func2"),
		goleak.IgnoreAnyFunction(multiplier+"func3"),
	)
}
