// Package watermill connects Watermill (github.com/ThreeDotsLabs/watermill)
// to Apache RocketMQ: [Publisher] implements message.Publisher and
// [Subscriber] implements message.Subscriber, both on the official Go client
// (github.com/apache/rocketmq-client-go/v2), so the same code runs against
// RocketKit's embedded broker and a real RocketMQ cluster. Import it under an
// alias, since Watermill's own root package is also called watermill:
//
//	import rmqwatermill "github.com/rocketkit/rocketkit/starter/watermill"
//
//	pub, err := rmqwatermill.NewPublisher(rmqwatermill.PublisherConfig{NameServer: "127.0.0.1:9876"})
//	sub, err := rmqwatermill.NewSubscriber(rmqwatermill.SubscriberConfig{
//		NameServer:    "127.0.0.1:9876",
//		ConsumerGroup: "billing-{topic}",
//	})
//
// The package passes Watermill's universal Pub/Sub test suite
// (pubsub/tests.TestPubSub) against the embedded broker, in both message
// models; see pubsub_test.go for the declared features.
//
// # Mapping
//
// A Watermill topic is a RocketMQ topic, optionally followed by ':' and a
// tag part. For Publish the tag part is the tag of every message
// ("orders:created"); for Subscribe it is the tag expression
// ("orders:created || paid"; no tag part means "*").
//
// The message UUID becomes the message key (KEYS, indexed by the broker,
// so the message can be looked up by it) and the user property
// [UUIDProperty], from which it is restored exactly on receipt (messages
// from other producers get their first key, else their message id).
// Metadata becomes user properties and back; keys that are RocketMQ system
// properties (KEYS, TAGS, DELAY, UNIQ_KEY, ... see [ReservedProperty]) are
// refused with [ErrReservedMetadata], because they would change how the
// broker treats the message. The payload is the body.
//
// Broker facts about a received message (message id, tag, queue, offset,
// reconsume times) are in its context: [MsgIDFromCtx], [TagFromCtx],
// [QueueIDFromCtx], [QueueOffsetFromCtx], [ReconsumeTimesFromCtx],
// [BrokerNameFromCtx].
//
// # Consumer groups
//
// Every subscription belongs to a consumer group, SubscriberConfig's
// ConsumerGroup with "{topic}" replaced by the subscription's RocketMQ topic
// ([ConsumerGroupFor]). RocketMQ requires all members of a group to
// subscribe to the same topic with the same tag expression; a Subscriber
// refuses a second, different subscription of one group
// ([ErrGroupConflict]), so use the placeholder when one Subscriber
// subscribes to several topics. A group that has no offset yet starts at the
// oldest message (ConsumeFromFirst), so messages published before the first
// Subscribe are received; ConsumeFromLast starts at the end instead.
//
// In the Clustering model (the default) the subscriptions of a group, in
// this process and others, share the topic's queues: each message goes to
// one of them. In the Broadcasting model every subscription receives every
// message and the client keeps offsets in a local file.
//
// # Acknowledgement
//
// Ack marks the message consumed. Nack has it redelivered: in the
// Clustering model the client sends it to the group's retry topic, from
// which it comes back after the delay of NackDelayLevel (by default the
// broker's growing back-off), up to MaxReconsumeTimes times, after which the
// broker moves it to the dead-letter topic %DLQ%<group>; in the Broadcasting
// model, where the client has no retry topic, the subscription redelivers it
// itself after BroadcastNackDelay. A message that stays unacked longer than
// ConsumeTimeout is redelivered by the client.
//
// A subscription holds at most MaxPrefetch messages that were fetched but
// not yet acked or nacked; pulls wait beyond that.
//
// Delivery is at least once. Up to ConsumeGoroutines messages of a
// subscription are delivered concurrently, so they may arrive out of order
// and may be redelivered after a rebalance or a restart; deduplicate by
// UUID where that matters.
//
// # Closing
//
// Close on the Publisher waits for publishes in flight; Publish afterwards
// returns [ErrPublisherClosed]. Close on the Subscriber (or cancelling a
// Subscribe ctx) stops delivery, shuts the consumers down, which commits
// each queue's offset no further than its oldest unacked message, and then
// closes the output channels: nothing is lost, and what was delivered but
// not acked comes again to the group's next subscriber. Subscribe
// afterwards returns [ErrSubscriberClosed]. Closing a subscription takes
// about a tenth of a second; see subscription.go for why.
//
// # Client instances
//
// The official client shares one client instance (connections, heartbeat,
// rebalancing) among all producers and consumers of a process that have the
// same instance name, and two consumers of one group in one instance count
// as one member. The Publisher and every Subscribe call therefore get their
// own instance, named InstanceName-pid-sequence.
//
// The client logs through its own process-global logger (logrus on stderr
// by default); [WithLogger] sets only this package's logger.
package watermill
