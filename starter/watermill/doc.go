// Package watermill connects Watermill (github.com/ThreeDotsLabs/watermill)
// to Apache RocketMQ: [Publisher] implements message.Publisher and
// [Subscriber] implements message.Subscriber, both on the kit's transport
// seam (package transport), so the same code runs against RocketKit's
// embedded broker and a real RocketMQ cluster, on the kit's own client
// (the default) or on the official Go client (transport/official). Import
// it under an alias, since Watermill's own root package is also called
// watermill:
//
//	import rmqwatermill "github.com/rocketkit/rocketkit/starter/watermill"
//
//	cluster := client.Config{NameServers: []string{"127.0.0.1:9876"}}
//	pub, err := rmqwatermill.NewPublisher(rmqwatermill.PublisherConfig{Client: cluster}, nil, logger)
//	sub, err := rmqwatermill.NewSubscriber(rmqwatermill.SubscriberConfig{
//		Client:        cluster,
//		ConsumerGroup: "billing-{topic}",
//	}, nil, logger)
//
// With a nil backend each of them starts the kit's own client on the
// config's Client (name servers, namespace, credentials, TLS) and closes
// it at Close. To share one client among them and the rest of the
// application, or to run on the official client, pass a transport.Backend
// instead (transport.Native, transport.NativeOn, official.New); it is then
// the caller's to close, after them.
//
// # In an fx app
//
// With starter.Module, ProvidePublisher and ProvideSubscriber provide a
// message.Publisher and a message.Subscriber on the app's endpoint: the
// rocketmq.* keys (name-server or the embedded broker, client,
// credentials, namespace, tls) replace the configs' Client, which must be
// left empty. They are made when the app starts, after the endpoint, and
// closed when it stops, before the endpoint closes its connections; a
// Broadcasting subscriber keeps its offsets where broadcasting listeners
// do (rocketmq.consumer.offset-dir).
//
//	var (
//		pub message.Publisher
//		sub message.Subscriber
//	)
//	app := fx.New(
//		...
//		starter.Module,
//		rmqwatermill.ProvidePublisher(rmqwatermill.PublisherConfig{}),
//		rmqwatermill.ProvideSubscriber(rmqwatermill.SubscriberConfig{ConsumerGroup: "example-{topic}"}),
//		fx.Populate(&pub, &sub),
//	)
//
// The publisher's ProducerGroup must differ from rocketmq.producer.group,
// the Template's, which shares its client.
//
// The package passes Watermill's universal Pub/Sub test suite
// (pubsub/tests.TestPubSub) against the embedded broker on both backends;
// see pubsub_test.go and pubsub_official_test.go for the features declared
// for each.
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
// broker treats the message. The payload is the body; RocketMQ refuses
// empty bodies, so an empty payload travels as one byte marked by
// [EmptyPayloadProperty].
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
// subscribes to several topics. Every Subscribe call is a member of its
// group of its own, also on a shared backend. A group that has no offset
// yet starts at the oldest message (ConsumeFromFirst), so messages
// published before the first Subscribe are received; ConsumeFromLast
// starts at the end instead.
//
// In the Clustering model (the default) the subscriptions of a group, in
// this process and others, share the topic's queues: each message goes to
// one of them. In the Broadcasting model every subscription receives every
// message and keeps its offsets in a local file under OffsetDir.
//
// # Acknowledgement
//
// Ack marks the message consumed. Nack has it redelivered: in the
// Clustering model it goes to the group's retry topic, from which it comes
// back after the delay of NackDelayLevel (by default the broker's growing
// back-off), up to MaxReconsumeTimes times, after which it goes to the
// dead-letter topic %DLQ%<group>, which can be subscribed to like any
// other topic; in the Broadcasting model, which has no retry topic, and
// when Orderly, it is redelivered locally after LocalNackDelay.
//
// A message that can never be handled is dead-lettered at once with
// [DeadLetter] instead of Nack, or, in a router, by returning an error
// wrapped by [Discard] from a handler behind [DiscardMiddleware].
//
// Delivery is at least once. Up to ConsumeGoroutines messages of a
// subscription are delivered concurrently, so they may arrive out of order
// and may be redelivered after a rebalance or a restart; deduplicate by
// UUID where that matters. With Orderly, a queue's messages arrive in
// queue order, one at a time: publish with a hash key
// (PublisherConfig.HashKeyMetadata or [WithHashKey]) to keep the messages
// of a key in one queue and so in order.
//
// # Closing
//
// Close on the Publisher waits for publishes in flight; Publish afterwards
// returns [ErrPublisherClosed]. Close on the Subscriber (or cancelling a
// Subscribe ctx) stops delivery, closes the consumers, which commit what
// was acked and leave what was not to the group, and then closes the
// output channels: nothing is lost, and what was delivered but not acked
// comes again to the group's next subscriber. Subscribe afterwards returns
// [ErrSubscriberClosed].
package watermill
