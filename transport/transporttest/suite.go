package transporttest

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/rocketkit/rocketkit/broker"
	"github.com/rocketkit/rocketkit/transport"
)

// NewBackend returns the backend under test, connected to the name server
// (and broker) at nameServer, without a namespace. Run closes it when the
// subtest ends, after the producers and consumers made from it.
type NewBackend func(t *testing.T, nameServer string) transport.Backend

// An Option changes what Run runs. Options are sealed.
type Option interface{ apply(*settings) }

type settings struct {
	orderly     bool // run the subtests with orderly consumers
	concurrent  bool // run the others
	wait        time.Duration
	restartWait time.Duration
}

type optionFunc func(*settings)

func (f optionFunc) apply(s *settings) { f(s) }

// WithoutOrderly leaves out the subtests that run orderly consumers (their
// names start with "Orderly"). A backend uses it when its orderly consumer
// cannot run under the race detector (the official client's races by
// design), running the orderly subtests with OnlyOrderly in a test built
// only without it.
func WithoutOrderly() Option { return optionFunc(func(s *settings) { s.orderly = false }) }

// OnlyOrderly runs only the subtests that run orderly consumers; see
// WithoutOrderly.
func OnlyOrderly() Option {
	return optionFunc(func(s *settings) { s.orderly, s.concurrent = true, false })
}

// WithWait sets how long a subtest waits for an event (a delivery, a
// consumer's Close) before it fails. Default 30s, generous so that a loaded
// machine does not fail the suite; a correct backend takes far less.
// BrokerRestart waits three times as long for the first delivery after
// the restart.
func WithWait(d time.Duration) Option { return optionFunc(func(s *settings) { s.wait = d }) }

// subtest is one behaviour of the contract.
type subtest struct {
	name    string
	orderly bool
	run     func(t *testing.T, e *env)
}

// subtests are the behaviours, in the order Run runs them.
var subtests = []subtest{
	{name: "SendModes", run: testSendModes},
	{name: "LargeBody", run: testLargeBody},
	{name: "TagFilter", run: testTagFilter},
	{name: "QueueSelection", run: testQueueSelection},
	{name: "Balance", run: testBalance},
	{name: "Broadcasting", run: testBroadcasting},
	{name: "Retry", run: testRetry},
	{name: "DeadLetter", run: testDeadLetter},
	{name: "DeadLetterAfterMaxReconsume", run: testMaxReconsume},
	{name: "DelayLevel", run: testDelayLevel},
	{name: "DeliverAt", run: testDeliverAt},
	{name: "Transactions", run: testTransactions},
	{name: "RequestReply", run: testRequestReply},
	{name: "ShutdownDrain", run: testShutdownDrain},
	{name: "CloseTimeout", run: testCloseTimeout},
	{name: "Lifecycle", run: testLifecycle},
	{name: "BrokerRestart", run: testBrokerRestart},
	{name: "OrderlyPerKeyOrder", orderly: true, run: testOrderlyPerKey},
	{name: "OrderlyRetry", orderly: true, run: testOrderlyRetry},
	{name: "OrderlyDeadLetter", orderly: true, run: testOrderlyDeadLetter},
}

// Run runs the contract suite against the backends newBackend makes: one
// subtest per behaviour the kit relies on, each against a broker of its
// own (package broker, started as broker/brokertest does, with delay
// levels of 100ms to 1s and transaction check-backs after 200ms).
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
// The subtests run one after another (the brokers and clients of one would
// slow the others' timers down), and assert no durations but lower bounds
// (a delayed message arrives no sooner than its delay).
func Run(t *testing.T, newBackend NewBackend, opts ...Option) {
	t.Helper()
	s := settings{orderly: true, concurrent: true, wait: 30 * time.Second}
	for _, o := range opts {
		o.apply(&s)
	}
	s.restartWait = 3 * s.wait
	for _, st := range subtests {
		if st.orderly && !s.orderly || !st.orderly && !s.concurrent {
			continue
		}
		t.Run(st.name, func(t *testing.T) {
			st.run(t, newEnv(t, &s, newBackend))
		})
	}
}

// brokers are the brokers the suite runs, by address, for WaitQuiet.
var (
	brokersMu sync.Mutex
	brokers   = map[string]*broker.Broker{}
)

func registerBroker(t *testing.T, b *broker.Broker) {
	addr := b.Addr()
	brokersMu.Lock()
	brokers[addr] = b
	brokersMu.Unlock()
	t.Cleanup(func() {
		brokersMu.Lock()
		if brokers[addr] == b {
			delete(brokers, addr)
		}
		brokersMu.Unlock()
	})
}

// WaitQuiet waits until the broker Run started at nameServer (the one
// serving there now, after a restart) has received no request for quiet,
// as broker.Broker.WaitQuiet does, or ctx ends; it returns at once when
// there is no such broker. A backend that needs the broker quiet before it
// shuts a client down (the official one, see official.WithQuietWait) takes
// it from here:
//
//	official.New(cfg, official.WithQuietWait(func(ctx context.Context, quiet time.Duration) error {
//		return transporttest.WaitQuiet(ctx, ns, quiet)
//	}))
func WaitQuiet(ctx context.Context, nameServer string, quiet time.Duration) error {
	brokersMu.Lock()
	b := brokers[nameServer]
	brokersMu.Unlock()
	if b == nil {
		return nil
	}
	return b.WaitQuiet(ctx, quiet)
}
