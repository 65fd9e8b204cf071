package watermill_test

import (
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/ThreeDotsLabs/watermill/pubsub/tests"

	rmqwm "github.com/rocketkit/rocketkit/starter/watermill"
)

// TestPubSub runs Watermill's universal Pub/Sub suite in the Clustering
// model. Features, as they really are:
//   - ConsumerGroups: subscriptions of one group share the messages, other
//     groups get their own copy.
//   - Persistent: messages live in the broker's commit log; a new
//     subscriber of the group continues from the committed offset.
//   - GuaranteedOrder false: up to ConsumeGoroutines messages are delivered
//     concurrently and nacked ones come back through the retry topic, so
//     neither the queue order nor the publish order holds. This skips
//     TestPublishSubscribeInOrder and TestNoAck.
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
//     ("sent: 9999, received: 10000" here) and -race reports the unguarded
//     list. TestReconnectAfterBrokerRestart covers reconnection instead.
//   - ContextPreserved false: a Go context cannot travel through a broker.
func TestPubSub(t *testing.T) {
	t.Parallel() // overlaps TestReconnectAfterBrokerRestart, which mostly waits
	b := startBroker(t)
	features := tests.Features{
		ConsumerGroups:                   true,
		ExactlyOnceDelivery:              false,
		GuaranteedOrder:                  false,
		Persistent:                       true,
		NewSubscriberReceivesOldMessages: false,
	}
	newPubSub := func(t *testing.T, group string) (message.Publisher, message.Subscriber) {
		return newPublisher(t, b.Addr()), newSubscriber(t, b.Addr(), group)
	}
	tests.TestPubSub(t, features,
		func(t *testing.T) (message.Publisher, message.Subscriber) { return newPubSub(t, "wmtest-{topic}") },
		newPubSub,
	)
}

// TestPubSubBroadcasting runs the suite in the Broadcasting model, where
// every subscriber receives every message and a new subscriber (a new
// client instance, with its own local offsets) rereads the topic from the
// oldest message. ConsumerGroups is false because in this model a group does
// not share messages (which skips TestConsumerGroups); the other features
// are as in TestPubSub, without TestReconnect (it covers the broker
// restart, not the model).
func TestPubSubBroadcasting(t *testing.T) {
	b := startBroker(t)
	features := tests.Features{
		ConsumerGroups:                   false,
		ExactlyOnceDelivery:              false,
		GuaranteedOrder:                  false,
		Persistent:                       true,
		NewSubscriberReceivesOldMessages: true,
	}
	tests.TestPubSub(t, features,
		func(t *testing.T) (message.Publisher, message.Subscriber) {
			return newPublisher(t, b.Addr()), newSubscriber(t, b.Addr(), "wmbroadcast-{topic}",
				func(c *rmqwm.SubscriberConfig) {
					c.MessageModel = rmqwm.Broadcasting
					c.BroadcastNackDelay = 10 * time.Millisecond
				})
		},
		nil,
	)
}
