//go:build !race

package watermill_test

import (
	"sync"
	"testing"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/ThreeDotsLabs/watermill/pubsub/tests"

	rmqwm "github.com/rocketkit/rocketkit/starter/watermill"
	"github.com/rocketkit/rocketkit/transport"
)

// TestPubSubOfficial runs the suite on the official client's backend, with
// the same features as TestPubSub: nothing is reduced.
//
// It is built only without the race detector, as transport/official's
// orderly contract tests are: the official client's Shutdown closes a
// process queue's channel that a pull goroutine sends fetched batches on,
// without synchronisation (apache/rocketmq-client-go#1051; a "send on
// closed channel" panic when they meet, a data race report even when they
// are far apart), and the suite closes subscriptions while batches are
// still being handed over. The backend does not hold batches back at Close
// yet; with -race, the official backend is covered by the tests named
// .../Official elsewhere in this package, which close only after what was
// fetched was handed out.
//
// Each test of the suite gets a broker of its own: the backend closes a
// consumer only once its broker has gone quiet (official.WithQuietWait),
// which a broker shared by the whole suite rarely is.
func TestPubSubOfficial(t *testing.T) {
	t.Parallel()
	type env struct {
		be   transport.Backend
		addr string
	}
	var (
		mu   sync.Mutex
		envs = map[*testing.T]env{}
	)
	envFor := func(t *testing.T) env {
		mu.Lock()
		defer mu.Unlock()
		e, ok := envs[t]
		if !ok {
			b := startBroker(t)
			e = env{be: officialBackend(t, b), addr: b.Addr()}
			envs[t] = e
		}
		return e
	}
	newPubSub := func(t *testing.T, group string) (message.Publisher, message.Subscriber) {
		e := envFor(t)
		return publisherOn(t, e.be, rmqwm.PublisherConfig{}), subscriberOn(t, e.be, e.addr, group, suiteConfig)
	}
	tests.TestPubSub(t, clusteringFeatures,
		func(t *testing.T) (message.Publisher, message.Subscriber) { return newPubSub(t, "wmofficial-{topic}") },
		newPubSub,
	)
}
