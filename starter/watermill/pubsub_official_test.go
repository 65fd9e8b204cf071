package watermill_test

import (
	"sync"
	"testing"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/ThreeDotsLabs/watermill/pubsub/tests"

	"github.com/rocketkit/rocketkit/internal/backendtest"
	rmqwm "github.com/rocketkit/rocketkit/starter/watermill"
	"github.com/rocketkit/rocketkit/transport"
)

// TestPubSubOfficial runs the suite on the official client's backend, with
// the same features as TestPubSub: nothing is reduced.
//
// It runs with the race detector too. The suite closes subscriptions
// while fetched batches are still being handed over, where the official
// client's Shutdown would close a process queue's channel under a pull
// goroutine's send (apache/rocketmq-client-go#1051); the backend's consumer
// holds those batches from Close on and orders the earlier sends before
// Shutdown (transport/official's pullGate), and its producer makes the
// suite's concurrent first publishes to a topic take turns.
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
			e = env{be: backendtest.Official(t, b), addr: b.Addr()}
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
