package watermill

import (
	"errors"
	"fmt"
	"net"
	"regexp"
	"strings"
	"time"

	"github.com/apache/rocketmq-client-go/v2/primitive"

	"github.com/rocketkit/rocketkit/protocol/message"
)

// Message models of a subscriber, spelled as in RocketMQ's messageModel.
const (
	// Clustering shares a topic's queues among the members of a consumer
	// group: each message is handled by one member. Offsets are kept by the
	// broker and Nack sends the message to the group's retry topic.
	Clustering = "CLUSTERING"
	// Broadcasting delivers every message to every member of the group.
	// Offsets are kept in a local file by the client, and a nacked message
	// is redelivered locally (the client has no retry topic in this model).
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
	defaultInstanceName      = "rocketkit-watermill"
	defaultProducerGroup     = "rocketkit-watermill"
	defaultSendTimeout       = 3 * time.Second
	defaultSendRetries       = 2
	defaultMaxReconsumeTimes = 16
	defaultConsumeGoroutines = 20
	defaultPullBatchSize     = 32
	defaultMaxPrefetch       = 256
	defaultConsumeTimeout    = 15 * time.Minute
	defaultBroadcastNack     = time.Second
)

// PublisherConfig is everything a user may put in a configuration file for
// a [Publisher]. A zero value means the documented default; [NewPublisher]
// applies the defaults and calls Validate.
type PublisherConfig struct {
	// NameServer lists the name servers, separated by ';', each an
	// ip:port (the official client accepts only IP literals) or
	// http://host:port. Required. The embedded broker's name server is
	// its Addr.
	NameServer string `koanf:"name-server"`
	// ProducerGroup is the RocketMQ producer group. Default
	// "rocketkit-watermill".
	ProducerGroup string `koanf:"producer-group"`
	// InstanceName prefixes the client instance name; the publisher
	// appends the process id and a sequence number so that it never shares
	// a client instance with another publisher or subscriber. Default
	// "rocketkit-watermill".
	InstanceName string `koanf:"instance-name"`
	// SendTimeout bounds one send attempt. Default 3s.
	SendTimeout time.Duration `koanf:"send-timeout"`
	// SendRetries is the number of extra attempts after a failed send
	// (transport errors and retriable broker codes). Default 2; a negative
	// value means no retry.
	SendRetries int `koanf:"send-retries"`
	// RequireSendOK makes Publish fail with [ErrSendStatus] when the broker
	// stored a message but answered anything other than SEND_OK (for
	// example FLUSH_DISK_TIMEOUT on a SYNC_FLUSH broker). By default such
	// answers are logged and Publish succeeds: the message is stored, only
	// the durability guarantee was not confirmed, and failing would make
	// callers publish it twice.
	RequireSendOK bool `koanf:"require-send-ok"`
}

// SubscriberConfig is everything a user may put in a configuration file for
// a [Subscriber]. A zero value means the documented default; [NewSubscriber]
// applies the defaults and calls Validate.
type SubscriberConfig struct {
	// NameServer lists the name servers, as in [PublisherConfig]. Required.
	NameServer string `koanf:"name-server"`
	// ConsumerGroup is the RocketMQ consumer group of every subscription.
	// Required. The placeholder "{topic}" is replaced by the RocketMQ topic
	// of each Subscribe call (see [ConsumerGroupFor]); use it when one
	// Subscriber subscribes to several topics, because RocketMQ requires
	// all members of a group to subscribe to the same topics with the same
	// expression.
	ConsumerGroup string `koanf:"consumer-group"`
	// MessageModel is Clustering (default) or Broadcasting.
	MessageModel string `koanf:"message-model"`
	// ConsumeFrom is where a group without a stored offset starts:
	// ConsumeFromFirst (default) or ConsumeFromLast. It has no effect once
	// the group has consumed from a queue. Note that RocketMQ brokers (Java
	// and the embedded one alike) start a new group at the beginning of a
	// "young" queue, one whose first message is still in the broker's
	// memory, whatever this setting says. The start offset of a queue is
	// fixed when the queue is first assigned, moments after Subscribe
	// returns.
	ConsumeFrom string `koanf:"consume-from"`
	// NackDelayLevel is the delay level a nacked message waits in the
	// group's retry topic before it is redelivered (clustering only). 0
	// (the default) lets the broker choose level 3+reconsumeTimes, which is
	// RocketMQ's growing back-off (10s, 30s, 1m, 2m, ... with the default
	// delay table).
	NackDelayLevel int `koanf:"nack-delay-level"`
	// MaxReconsumeTimes is how often a message may be nacked before the
	// broker moves it to the dead-letter topic %DLQ%<group> (clustering
	// only). Default 16, RocketMQ's default.
	MaxReconsumeTimes int `koanf:"max-reconsume-times"`
	// BroadcastNackDelay is how long a nacked message waits before it is
	// redelivered locally in the Broadcasting model. Default 1s.
	BroadcastNackDelay time.Duration `koanf:"broadcast-nack-delay"`
	// ConsumeGoroutines bounds the messages of one subscription that are
	// in flight (delivered or waiting for the output channel) at once.
	// Default 20.
	ConsumeGoroutines int `koanf:"consume-goroutines"`
	// PullBatchSize is the number of messages fetched per pull. Default 32.
	PullBatchSize int `koanf:"pull-batch-size"`
	// MaxPrefetch bounds the messages of one subscription that were
	// fetched but not yet acked or nacked; further pulls wait. Default 256,
	// at most 1000 (it replaces the client's own flow control, which starts
	// at 1024 cached messages per queue).
	MaxPrefetch int `koanf:"max-prefetch"`
	// ConsumeTimeout is how long a delivered message may stay unacked
	// before the client gives up on it and sends it back for redelivery
	// (clustering). Default 15m, the client's default.
	ConsumeTimeout time.Duration `koanf:"consume-timeout"`
	// InstanceName prefixes the client instance names; every Subscribe
	// call gets its own instance, named prefix-pid-sequence. Default
	// "rocketkit-watermill".
	InstanceName string `koanf:"instance-name"`
}

func (c *PublisherConfig) setDefaults() {
	if c.ProducerGroup == "" {
		c.ProducerGroup = defaultProducerGroup
	}
	if c.InstanceName == "" {
		c.InstanceName = defaultInstanceName
	}
	if c.SendTimeout == 0 {
		c.SendTimeout = defaultSendTimeout
	}
	if c.SendRetries == 0 {
		c.SendRetries = defaultSendRetries
	}
}

// Validate reports every field that is out of range, by its koanf key. It
// expects defaults to have been applied, as NewPublisher does.
func (c *PublisherConfig) Validate() error {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("watermill publisher config %s: %s", key, fmt.Sprintf(format, args...)))
	}
	if _, err := parseNameServer(c.NameServer); err != nil {
		bad("name-server", "%v", err)
	}
	if err := message.ValidateGroup(c.ProducerGroup); err != nil {
		bad("producer-group", "%v", err)
	}
	if err := validateInstanceName(c.InstanceName); err != nil {
		bad("instance-name", "%v", err)
	}
	if c.SendTimeout < 0 {
		bad("send-timeout", "%v must not be negative", c.SendTimeout)
	}
	return errors.Join(errs...)
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
	if c.BroadcastNackDelay == 0 {
		c.BroadcastNackDelay = defaultBroadcastNack
	}
	if c.ConsumeGoroutines == 0 {
		c.ConsumeGoroutines = defaultConsumeGoroutines
	}
	if c.PullBatchSize == 0 {
		c.PullBatchSize = defaultPullBatchSize
	}
	if c.MaxPrefetch == 0 {
		c.MaxPrefetch = defaultMaxPrefetch
	}
	if c.ConsumeTimeout == 0 {
		c.ConsumeTimeout = defaultConsumeTimeout
	}
	if c.InstanceName == "" {
		c.InstanceName = defaultInstanceName
	}
}

// Validate reports every field that is out of range, by its koanf key. It
// expects defaults to have been applied, as NewSubscriber does.
func (c *SubscriberConfig) Validate() error {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("watermill subscriber config %s: %s", key, fmt.Sprintf(format, args...)))
	}
	if _, err := parseNameServer(c.NameServer); err != nil {
		bad("name-server", "%v", err)
	}
	switch {
	case c.ConsumerGroup == "":
		bad("consumer-group", "is required")
	default:
		// Check the pattern with a topic of legal characters in place.
		if err := message.ValidateGroup(strings.ReplaceAll(c.ConsumerGroup, TopicPlaceholder, "t")); err != nil {
			bad("consumer-group", "%v", err)
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
	if c.MaxReconsumeTimes < 1 {
		bad("max-reconsume-times", "%d must be at least 1", c.MaxReconsumeTimes)
	}
	if c.BroadcastNackDelay < 0 {
		bad("broadcast-nack-delay", "%v must not be negative", c.BroadcastNackDelay)
	}
	if c.ConsumeGoroutines < 1 || c.ConsumeGoroutines > 100000 {
		bad("consume-goroutines", "%d is outside 1..100000", c.ConsumeGoroutines)
	}
	if c.PullBatchSize < 1 || c.PullBatchSize > 1024 {
		bad("pull-batch-size", "%d is outside 1..1024", c.PullBatchSize)
	}
	if c.MaxPrefetch < 1 || c.MaxPrefetch > 1000 {
		bad("max-prefetch", "%d is outside 1..1000", c.MaxPrefetch)
	}
	if c.ConsumeTimeout < 0 {
		bad("consume-timeout", "%v must not be negative", c.ConsumeTimeout)
	}
	if err := validateInstanceName(c.InstanceName); err != nil {
		bad("instance-name", "%v", err)
	}
	return errors.Join(errs...)
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

var instanceNameRE = regexp.MustCompile(`^[A-Za-z0-9_.-]+$`)

func validateInstanceName(name string) error {
	if !instanceNameRE.MatchString(name) {
		return fmt.Errorf("%q must match %s", name, instanceNameRE)
	}
	return nil
}

// parseNameServer splits a ';'-separated name server list and checks each
// entry the way the official client will, so that mistakes surface at
// construction with the field named.
func parseNameServer(s string) (primitive.NamesrvAddr, error) {
	var addrs primitive.NamesrvAddr
	for part := range strings.SplitSeq(s, ";") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		if strings.HasPrefix(part, "http://") || strings.HasPrefix(part, "https://") {
			addrs = append(addrs, part)
			continue
		}
		host, _, err := net.SplitHostPort(part)
		if err != nil {
			return nil, fmt.Errorf("%q is not ip:port: %w", part, err)
		}
		if net.ParseIP(host) == nil {
			return nil, fmt.Errorf("%q: the client accepts only IP literals; write http://%s for a host name", part, part)
		}
		addrs = append(addrs, part)
	}
	if len(addrs) == 0 {
		return nil, errors.New("is required (ip:port[;ip:port...])")
	}
	return addrs, nil
}
