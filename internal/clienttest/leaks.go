package clienttest

import (
	"os"
	"testing"

	"github.com/rocketkit/rocketkit/internal/clientlog"
	"go.uber.org/goleak"
)

// client prefixes the official client's function names.
const client = "github.com/apache/rocketmq-client-go/v2/"

// GoleakOptions are the goleak options of a test binary that drives the
// official client. They ignore the goroutines the client leaves running
// after Shutdown, naming only the client's own functions, so every other
// goroutine that outlives the tests is still reported:
//
//   - RPCs in flight at Shutdown, held pulls above all, wait out their
//     timeout (ResponseFuture.waitResponse);
//   - a transactional producer's check-back loop ranges over a channel
//     its Shutdown never closes (transactionProducer.checkTransactionState);
//   - the consume statistics sleep until the next minute, hour or month
//     before they look at their closed channel (statsItemSet.init);
//   - a client instance's periodic tasks sleep up to 10s, the expired-
//     message cleaner ConsumeTimeout (15m), and a throttled pull its
//     back-off, before they notice the shutdown (rmqClient.Start,
//     pushConsumer.Start, pushConsumer.pullMessage);
//   - an orderly consumer's consume loop polls its emptied queue forever
//     (processQueue.takeMessages);
//   - the client's package-level RequestResponseFutureMap, a go-cache
//     created when the client's internal package initialises, runs its
//     janitor for the life of the process. Its stack holds only go-cache
//     functions, so this one option names go-cache's janitor; go-cache
//     reaches this module only through the client.
//
// A client that was never shut down is still reported: its rebalance loop
// and its pull dispatcher are not ignored.
func GoleakOptions() []goleak.Option {
	return []goleak.Option{
		goleak.IgnoreTopFunction(client + "internal/remote.(*ResponseFuture).waitResponse"),
		goleak.IgnoreTopFunction(client + "producer.(*transactionProducer).checkTransactionState"),
		goleak.IgnoreAnyFunction(client + "consumer.(*statsItemSet).init.func4"),
		goleak.IgnoreAnyFunction(client + "consumer.(*statsItemSet).init.func5"),
		goleak.IgnoreAnyFunction(client + "consumer.(*statsItemSet).init.func6"),
		goleak.IgnoreAnyFunction(client + "internal.(*rmqClient).Start.func1.1"),
		goleak.IgnoreAnyFunction(client + "internal.(*rmqClient).Start.func1.2"),
		goleak.IgnoreAnyFunction(client + "internal.(*rmqClient).Start.func1.3"),
		goleak.IgnoreAnyFunction(client + "internal.(*rmqClient).Start.func1.4"),
		goleak.IgnoreAnyFunction(client + "consumer.(*pushConsumer).Start.func1.2"),
		goleak.IgnoreAnyFunction(client + "consumer.(*pushConsumer).pullMessage"),
		goleak.IgnoreAnyFunction(client + "consumer.(*processQueue).takeMessages"),
		goleak.IgnoreTopFunction("github.com/patrickmn/go-cache.(*janitor).Run"),
	}
}

// VerifyMain is Main, and the test binary also fails when goroutines
// outlive its tests (goleak.VerifyTestMain with GoleakOptions and opts).
//
//	func TestMain(m *testing.M) { clienttest.VerifyMain(m) }
func VerifyMain(m *testing.M, opts ...goleak.Option) {
	if os.Getenv(childEnv) != "" {
		clientlog.Route(logger())
		goleak.VerifyTestMain(m, append(GoleakOptions(), opts...)...)
		return
	}
	os.Exit(reexec())
}
