package watermill_test

import (
	"testing"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/ThreeDotsLabs/watermill/pubsub/tests"

	"github.com/rocketkit/rocketkit/internal/backendtest"
	rmqwm "github.com/rocketkit/rocketkit/starter/watermill"
	"github.com/rocketkit/rocketkit/transport"
)

// clusteringFeatures are the suite's features of the default
// configuration (Clustering, concurrent), as they really are:
//   - ConsumerGroups: subscriptions of one group share the messages, other
//     groups get their own copy.
//   - Persistent: messages live in the broker's commit log; a new
//     subscriber of the group continues from the committed offset.
//   - GuaranteedOrder false: up to ConsumeGoroutines messages are delivered
//     concurrently and nacked ones come back through the retry topic, so
//     neither the queue order nor the publish order holds. This skips
//     TestPublishSubscribeInOrder and TestNoAck (TestPubSubOrderly runs
//     them).
//   - ExactlyOnceDelivery false: delivery is at least once (a rebalance or
//     a close redelivers what was not committed).
//   - NewSubscriberReceivesOldMessages false: the suite's constructor puts
//     every subscriber of a topic in one group ("wmtest-{topic}"), which
//     continues from its offset instead of rereading; TestPubSubBroadcasting
//     covers the rereading case. This skips
//     TestNewSubscriberReceivesOldMessages here.
//   - RestartServiceCommand unset, which skips TestReconnect: that test
//     appends to its list of published messages in a goroutine that it
//     does not wait for, and compares the list as soon as the last message
//     is received, so against a broker that delivers quickly it fails
//     ("sent: 9999, received: 10000") and -race reports the unguarded
//     list. TestReconnectAfterBrokerRestart covers reconnection instead.
//   - ContextPreserved false: a Go context cannot travel through a broker.
//
// The suite treats Nack as "redeliver, however often": TestContinueAfterErrors
// nacks 300 times, in orderly consumption the same message again and again.
// RocketMQ dead-letters a message nacked more than MaxReconsumeTimes (16 by
// default) times, so the suite's subscribers allow suiteReconsumeTimes;
// TestNackAfterMaxReconsumeTimesGoesToDLQ covers the limit.
var clusteringFeatures = tests.Features{
	ConsumerGroups:                   true,
	ExactlyOnceDelivery:              false,
	GuaranteedOrder:                  false,
	Persistent:                       true,
	NewSubscriberReceivesOldMessages: false,
}

// TestPubSub runs Watermill's universal Pub/Sub suite on the kit's own
// client in the Clustering model, with clusteringFeatures. Every publisher
// and subscriber shares one backend (one transport.Native), as in an
// application: members of one group start and close on one client while
// others keep consuming (TestConcurrentClose), which once left closed
// members registered at the broker as ghosts holding queues nobody read
// ("received: 25, sent: 50"; fixed in package client, see
// TestClosingConsumersLeaveNoGhosts there).
func TestPubSub(t *testing.T) {
	t.Parallel() // overlaps the other long tests, which mostly wait
	b := startBroker(t)
	runSuite(t, clusteringFeatures, backendtest.Native(t, b), b.Addr(), "wmtest-{topic}")
}

// TestPubSubOrderly runs the suite with Orderly subscribers and a publisher
// that puts every message of a topic in one queue (a constant hash key):
// the topic's order is then the queue's, delivered one message at a time.
// GuaranteedOrder holds (TestPublishSubscribeInOrder and TestNoAck run),
// also with the suite's ten subscribers of one group, since a queue is
// consumed only by the member holding its lock; the rest is as in
// clusteringFeatures.
func TestPubSubOrderly(t *testing.T) {
	t.Parallel()
	b := startBroker(t)
	features := clusteringFeatures
	features.GuaranteedOrder = true
	oneQueue := rmqwm.WithHashKey(func(string, *message.Message) string { return "all" })
	orderly := func(c *rmqwm.SubscriberConfig) { c.Orderly = true }
	newPubSub := func(t *testing.T, group string) (message.Publisher, message.Subscriber) {
		return publisherOn(t, nil, rmqwm.PublisherConfig{Client: cluster(b.Addr())}, oneQueue),
			subscriberOn(t, nil, b.Addr(), group, suiteConfig, orderly)
	}
	tests.TestPubSub(t, features,
		func(t *testing.T) (message.Publisher, message.Subscriber) { return newPubSub(t, "wmorderly-{topic}") },
		newPubSub,
	)
}

// TestPubSubBroadcasting runs the suite in the Broadcasting model, where
// every subscriber receives every message and a new subscriber (with
// offsets of its own, in a fresh OffsetDir) rereads the topic from the
// oldest message. ConsumerGroups is false because in this model a group
// does not share messages (which skips TestConsumerGroups); the other
// features are as in clusteringFeatures, with
// NewSubscriberReceivesOldMessages. Each publisher and subscriber runs its
// own client (a nil backend), the simplest construction.
func TestPubSubBroadcasting(t *testing.T) {
	t.Parallel()
	b := startBroker(t)
	features := clusteringFeatures
	features.ConsumerGroups = false
	features.NewSubscriberReceivesOldMessages = true
	tests.TestPubSub(t, features,
		func(t *testing.T) (message.Publisher, message.Subscriber) {
			return newPublisher(t, b.Addr()), newSubscriber(t, b.Addr(), "wmbroadcast-{topic}", suiteConfig,
				func(c *rmqwm.SubscriberConfig) {
					c.MessageModel = rmqwm.Broadcasting
					c.OffsetDir = t.TempDir()
				})
		},
		nil,
	)
}

// suiteReconsumeTimes is the suite's MaxReconsumeTimes; see
// clusteringFeatures.
const suiteReconsumeTimes = 1000

func suiteConfig(c *rmqwm.SubscriberConfig) { c.MaxReconsumeTimes = suiteReconsumeTimes }

// runSuite runs the suite on be (nil: a client of their own for each
// publisher and subscriber) with subscribers of the group pattern.
func runSuite(t *testing.T, features tests.Features, be transport.Backend, addr, group string) {
	newPubSub := func(t *testing.T, group string) (message.Publisher, message.Subscriber) {
		return publisherOn(t, be, rmqwm.PublisherConfig{Client: cluster(addr)}), subscriberOn(t, be, addr, group, suiteConfig)
	}
	tests.TestPubSub(t, features,
		func(t *testing.T) (message.Publisher, message.Subscriber) { return newPubSub(t, group) },
		newPubSub,
	)
}
