package watermill

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/rocketkit/rocketkit/client"
	"github.com/rocketkit/rocketkit/protocol/message"
)

// Message models of a subscriber, spelled as in RocketMQ's messageModel.
const (
	// Clustering shares a topic's queues among the members of a consumer
	// group: each message is handled by one member. Offsets are kept by the
	// broker and Nack sends the message to the group's retry topic.
	Clustering = "CLUSTERING"
	// Broadcasting delivers every message to every member of the group.
	// Offsets are kept in a local file (SubscriberConfig.OffsetDir), and a
	// nacked message is redelivered locally (this model has no retry
	// topic).
	Broadcasting = "BROADCASTING"
)

// Start positions for a consumer group that has no stored offset yet.
const (
	// ConsumeFromFirst starts at the oldest message still stored, so
	// messages published before the first Subscribe are received.
	ConsumeFromFirst = "first"
	// ConsumeFromLast starts at the end of each queue: only messages
	// published after the group first subscribed are received.
	ConsumeFromLast = "last"
)

// TopicPlaceholder in SubscriberConfig.ConsumerGroup is replaced by the
// RocketMQ topic of each Subscribe call; see [ConsumerGroupFor].
const TopicPlaceholder = "{topic}"

// Defaults applied to zero fields.
const (
	defaultProducerGroup         = "rocketkit-watermill"
	defaultSendTimeout           = 3 * time.Second
	defaultSendRetries           = 2
	defaultMaxReconsumeTimes     = 16
	defaultConsumeGoroutines     = 20
	defaultPullBatchSize         = 32
	defaultPullThresholdPerQueue = 1024
	defaultLocalNackDelay        = time.Second
)

// PublisherConfig is everything a user may put in a configuration file for
// a [Publisher]. A zero value means the documented default; [NewPublisher]
// applies the defaults and calls Validate.
type PublisherConfig struct {
	// Client says where the cluster is and who this process is to it
	// (name servers, namespace, credentials, TLS). NewPublisher uses it
	// only when it is given no transport.Backend: it then starts the
	// kit's own client (transport.Native) on it, which Close closes.
	// Leave it empty with ProvidePublisher: the app's rocketmq.* keys
	// replace it.
	Client client.Config `koanf:"client"`
	// ProducerGroup is the RocketMQ producer group. Default
	// "rocketkit-watermill". Publishers sharing one Backend need
	// different groups (the kit's client registers a group once per
	// client).
	ProducerGroup string `koanf:"producer-group"`
	// SendTimeout bounds one send attempt when the message's context has
	// no earlier deadline. Default 3s.
	SendTimeout time.Duration `koanf:"send-timeout"`
	// SendRetries is the number of extra attempts after a failed send
	// (transport errors and retriable broker codes), each on another
	// broker when there is one. Default 2; a negative value means no
	// retry.
	SendRetries int `koanf:"send-retries"`
	// RequireSendOK makes Publish fail with [ErrSendStatus] when the broker
	// stored a message but answered anything other than SEND_OK (for
	// example FLUSH_DISK_TIMEOUT on a SYNC_FLUSH broker). By default such
	// answers are logged and Publish succeeds: the message is stored, only
	// the durability guarantee was not confirmed, and failing would make
	// callers publish it twice.
	RequireSendOK bool `koanf:"require-send-ok"`
	// HashKeyMetadata names a metadata key whose value picks the message's
	// queue: messages with the same value go to the same queue, so an
	// Orderly subscriber receives them in publish order (per-key order).
	// Messages without the key are spread over the queues. Default: none;
	// [WithHashKey] sets a function instead.
	HashKeyMetadata string `koanf:"hash-key-metadata"`
}

// SubscriberConfig is everything a user may put in a configuration file for
// a [Subscriber]. A zero value means the documented default; [NewSubscriber]
// applies the defaults and calls Validate.
type SubscriberConfig struct {
	// Client says where the cluster is, as in [PublisherConfig]; used only
	// when NewSubscriber is given no transport.Backend. Leave it empty
	// with ProvideSubscriber: the app's rocketmq.* keys replace it.
	Client client.Config `koanf:"client"`
	// ConsumerGroup is the RocketMQ consumer group of every subscription.
	// Required. The placeholder "{topic}" is replaced by the RocketMQ topic
	// of each Subscribe call (see [ConsumerGroupFor]); use it when one
	// Subscriber subscribes to several topics, because RocketMQ requires
	// all members of a group to subscribe to the same topics with the same
	// expression.
	ConsumerGroup string `koanf:"consumer-group"`
	// MessageModel is Clustering (default) or Broadcasting.
	MessageModel string `koanf:"message-model"`
	// Orderly delivers each queue's messages strictly in queue order: the
	// next message of a queue is delivered only after the previous one was
	// acked, and a nacked one is redelivered locally after LocalNackDelay,
	// holding its queue up. In the Clustering model a subscription reads a
	// queue only while it holds the broker's lock on it. Publish with a
	// hash key (PublisherConfig.HashKeyMetadata, [WithHashKey]) to keep
	// the messages of one key in one queue. Default: concurrent delivery.
	Orderly bool `koanf:"orderly"`
	// ConsumeFrom is where a group without a stored offset starts:
	// ConsumeFromFirst (default) or ConsumeFromLast. It has no effect once
	// the group has consumed from a queue. Note that RocketMQ brokers (Java
	// and the embedded one alike) start a new group at the beginning of a
	// "young" queue, one whose first message is still in the broker's
	// memory, whatever this setting says. On the kit's own client the
	// start offsets are fixed before Subscribe returns; the official
	// client fixes them moments after.
	ConsumeFrom string `koanf:"consume-from"`
	// NackDelayLevel is the delay level a nacked message waits in the
	// group's retry topic before it is redelivered (Clustering, not
	// Orderly). 0 (the default) lets the broker choose level
	// 3+reconsumeTimes, which is RocketMQ's growing back-off (10s, 30s, 1m,
	// 2m, ... with the default delay table).
	NackDelayLevel int `koanf:"nack-delay-level"`
	// MaxReconsumeTimes is how often a message may be redelivered after a
	// Nack before it goes to the dead-letter topic %DLQ%<group>
	// (Clustering) or is dropped with a log line (Broadcasting). Default
	// 16, RocketMQ's default; negative: never redelivered.
	MaxReconsumeTimes int `koanf:"max-reconsume-times"`
	// LocalNackDelay is how long a nacked message waits before it is
	// redelivered locally: in the Broadcasting model and by an Orderly
	// subscription. Default 1s.
	LocalNackDelay time.Duration `koanf:"local-nack-delay"`
	// ConsumeGoroutines bounds the messages of one subscription that are
	// delivered and not yet acked or nacked (Orderly: one per queue).
	// Default 20.
	ConsumeGoroutines int `koanf:"consume-goroutines"`
	// PullBatchSize is the number of messages fetched per pull. Default
	// 32, at most 1024.
	PullBatchSize int `koanf:"pull-batch-size"`
	// PullThresholdPerQueue bounds the messages of one queue that were
	// fetched but not yet acked or nacked; the queue is not pulled while
	// it has that many. Default 1024.
	PullThresholdPerQueue int `koanf:"pull-threshold-per-queue"`
	// OffsetDir is where a Broadcasting subscription keeps its offsets, in
	// <OffsetDir>/<group>/offsets.json; required for Broadcasting on the
	// kit's own client, which never defaults it to a home directory
	// (ProvideSubscriber defaults it to the app's offset directory). The
	// official client's backend ignores it (it keeps its own file).
	OffsetDir string `koanf:"offset-dir"`
}

func (c *PublisherConfig) setDefaults() {
	if c.ProducerGroup == "" {
		c.ProducerGroup = defaultProducerGroup
	}
	if c.SendTimeout == 0 {
		c.SendTimeout = defaultSendTimeout
	}
	if c.SendRetries == 0 {
		c.SendRetries = defaultSendRetries
	}
}

// Validate reports every field that is out of range, by its koanf key. It
// expects defaults to have been applied, as NewPublisher does. Client is
// checked by NewPublisher when it builds a backend from it.
func (c *PublisherConfig) Validate() error {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("watermill publisher config %s: %s", key, fmt.Sprintf(format, args...)))
	}
	if err := message.ValidateGroup(c.ProducerGroup); err != nil {
		bad("producer-group", "%v", err)
	}
	if c.SendTimeout < 0 {
		bad("send-timeout", "%v must not be negative", c.SendTimeout)
	}
	return errors.Join(errs...)
}

// producerConfig is the client's configuration for the publisher's
// producer.
func (c *PublisherConfig) producerConfig() client.ProducerConfig {
	retries := c.SendRetries
	if retries < 0 {
		retries = -1
	}
	return client.ProducerConfig{Group: c.ProducerGroup, SendTimeout: c.SendTimeout, Retries: retries}
}

func (c *SubscriberConfig) setDefaults() {
	if c.MessageModel == "" {
		c.MessageModel = Clustering
	}
	if c.ConsumeFrom == "" {
		c.ConsumeFrom = ConsumeFromFirst
	}
	if c.MaxReconsumeTimes == 0 {
		c.MaxReconsumeTimes = defaultMaxReconsumeTimes
	}
	if c.LocalNackDelay == 0 {
		c.LocalNackDelay = defaultLocalNackDelay
	}
	if c.ConsumeGoroutines == 0 {
		c.ConsumeGoroutines = defaultConsumeGoroutines
	}
	if c.PullBatchSize == 0 {
		c.PullBatchSize = defaultPullBatchSize
	}
	if c.PullThresholdPerQueue == 0 {
		c.PullThresholdPerQueue = defaultPullThresholdPerQueue
	}
}

// Validate reports every field that is out of range, by its koanf key. It
// expects defaults to have been applied, as NewSubscriber does. Client is
// checked by NewSubscriber when it builds a backend from it.
func (c *SubscriberConfig) Validate() error {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("watermill subscriber config %s: %s", key, fmt.Sprintf(format, args...)))
	}
	switch {
	case c.ConsumerGroup == "":
		bad("consumer-group", "is required")
	default:
		// Check the pattern with a topic of legal characters in place.
		group := strings.ReplaceAll(c.ConsumerGroup, TopicPlaceholder, "t")
		if err := message.ValidateGroup(group); err != nil {
			bad("consumer-group", "%v", err)
		} else if message.IsRetryTopic(group) || message.IsDLQTopic(group) {
			bad("consumer-group", "%q is a retry or dead-letter name", c.ConsumerGroup)
		}
	}
	switch c.MessageModel {
	case Clustering, Broadcasting:
	default:
		bad("message-model", "%q is neither %s nor %s", c.MessageModel, Clustering, Broadcasting)
	}
	switch c.ConsumeFrom {
	case ConsumeFromFirst, ConsumeFromLast:
	default:
		bad("consume-from", "%q is neither %q nor %q", c.ConsumeFrom, ConsumeFromFirst, ConsumeFromLast)
	}
	if c.NackDelayLevel < 0 {
		bad("nack-delay-level", "%d must not be negative (0 lets the broker choose)", c.NackDelayLevel)
	}
	if c.LocalNackDelay < 0 {
		bad("local-nack-delay", "%v must not be negative", c.LocalNackDelay)
	}
	if c.ConsumeGoroutines < 1 || c.ConsumeGoroutines > 1<<16 {
		bad("consume-goroutines", "%d is outside 1..65536", c.ConsumeGoroutines)
	}
	if c.PullBatchSize < 1 || c.PullBatchSize > 1024 {
		bad("pull-batch-size", "%d is outside 1..1024", c.PullBatchSize)
	}
	if c.PullThresholdPerQueue < 1 || c.PullThresholdPerQueue > 1<<16 {
		bad("pull-threshold-per-queue", "%d is outside 1..65536", c.PullThresholdPerQueue)
	}
	return errors.Join(errs...)
}

// consumerConfig is the client's configuration for a subscription of
// group to rmqTopic with the tag expression expr.
func (c *SubscriberConfig) consumerConfig(group, rmqTopic, expr string) client.ConsumerConfig {
	from := client.ConsumeFromFirstOffset
	if c.ConsumeFrom == ConsumeFromLast {
		from = client.ConsumeFromLastOffset
	}
	return client.ConsumerConfig{
		Group:                 group,
		Subscriptions:         []client.Subscription{{Topic: rmqTopic, Expression: expr}},
		Broadcasting:          c.MessageModel == Broadcasting,
		Orderly:               c.Orderly,
		ConsumeFrom:           from,
		MaxReconsumeTimes:     c.MaxReconsumeTimes,
		PullBatchSize:         c.PullBatchSize,
		ConsumeBatchSize:      1,
		Concurrency:           c.ConsumeGoroutines,
		PullThresholdPerQueue: c.PullThresholdPerQueue,
		RetryDelayLevel:       c.NackDelayLevel,
		SuspendInterval:       c.LocalNackDelay,
		OffsetDir:             c.OffsetDir,
	}
}

// ConsumerGroupFor returns the consumer group a subscription to the
// watermill topic uses under the configured group pattern: every
// TopicPlaceholder in pattern is replaced by the RocketMQ topic (the part of
// topic before any ':'). A pattern without the placeholder is returned
// unchanged.
//
//	ConsumerGroupFor("billing-{topic}", "orders:created") == "billing-orders"
func ConsumerGroupFor(pattern, topic string) string {
	rmqTopic, _, _ := strings.Cut(topic, ":")
	return strings.ReplaceAll(pattern, TopicPlaceholder, rmqTopic)
}
