package client

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/rocketkit/rocketkit/protocol/message"
)

// ConsumeFrom says where a consumer group starts reading a queue it has no
// stored offset for. It changes nothing once the group has committed an
// offset there.
type ConsumeFrom string

const (
	// ConsumeFromLastOffset starts at the queue's end: only messages sent
	// from now on are consumed. (A queue whose first message is still in
	// the broker's memory is read from its start all the same; that is
	// the broker's rule, RocketMQ's too.) The default.
	ConsumeFromLastOffset ConsumeFrom = "last-offset"
	// ConsumeFromFirstOffset starts at the queue's first message.
	ConsumeFromFirstOffset ConsumeFrom = "first-offset"
	// ConsumeFromTimestamp starts at the first message stored at or after
	// ConsumerConfig.ConsumeTimestamp.
	ConsumeFromTimestamp ConsumeFrom = "timestamp"
)

// Subscription is one topic a consumer reads, and which of its messages.
type Subscription struct {
	// Topic is the topic's name (without namespace). Required.
	Topic string `koanf:"topic"`
	// Expression selects messages. For a tag subscription (the default)
	// it is "" or "*" for every message, or tags separated by "||", such
	// as "created || paid" (exact matches; a message without a tag matches
	// only "*"). With SQL it is an SQL92 expression over the message's
	// properties, evaluated by the broker alone.
	Expression string `koanf:"expression"`
	// SQL makes Expression an SQL92 filter. The broker must support
	// property filtering (Java: enablePropertyFilter=true; the rocketkit
	// broker always does, package broker/sqlfilter).
	SQL bool `koanf:"sql"`
}

// ConsumerConfig configures a push consumer. A zero value field means its
// documented default.
type ConsumerConfig struct {
	// Group is the consumer group (without namespace). Members of a group
	// share its queues (clustering) or each read all of them
	// (broadcasting). Required.
	Group string `koanf:"group"`
	// Subscriptions are the topics to consume. At least one; each topic
	// once.
	Subscriptions []Subscription `koanf:"subscriptions"`
	// Broadcasting makes every member read every queue, keeping its own
	// offsets in OffsetDir; failed messages are redelivered locally up to
	// MaxReconsumeTimes and then dropped with a log line. Default:
	// clustering, where the group's members split the queues, offsets are
	// kept by the brokers and failed messages are sent back for a later
	// redelivery (through %RETRY%<group>) or to %DLQ%<group>.
	Broadcasting bool `koanf:"broadcasting"`
	// Orderly consumes each queue strictly in offset order, one handler
	// call at a time per queue; in clustering a member consumes a queue
	// only while it holds the broker's lock on it. A failed message is
	// redelivered locally after SuspendInterval, holding up its queue,
	// until MaxReconsumeTimes, then dead-lettered.
	Orderly bool `koanf:"orderly"`
	// ConsumeFrom is where the group starts on a queue it has no offset
	// for. Default ConsumeFromLastOffset.
	ConsumeFrom ConsumeFrom `koanf:"consume-from"`
	// ConsumeTimestamp is the start time for ConsumeFromTimestamp. Default:
	// 30 minutes before the consumer was created.
	ConsumeTimestamp time.Time `koanf:"consume-timestamp"`
	// MaxReconsumeTimes is how often a failed message is redelivered
	// before it goes to the dead-letter topic %DLQ%<group> (clustering)
	// or is dropped (broadcasting). Default 16; negative means never
	// redelivered.
	MaxReconsumeTimes int `koanf:"max-reconsume-times"`
	// PullBatchSize is the most messages one pull fetches. 1..1024,
	// default 32.
	PullBatchSize int `koanf:"pull-batch-size"`
	// ConsumeBatchSize is the most messages of one queue given to one
	// handler call. 1..1024, default 1.
	ConsumeBatchSize int `koanf:"consume-batch-size"`
	// Concurrency is the number of handler goroutines of a concurrent
	// consumer. Default 20. An orderly consumer runs one goroutine per
	// queue instead.
	Concurrency int `koanf:"concurrency"`
	// PullThresholdPerQueue is how many messages of a queue may be pulled
	// and not yet consumed; the queue is not pulled while it has this many
	// (flow control). Default 1024.
	PullThresholdPerQueue int `koanf:"pull-threshold-per-queue"`
	// RetryDelayLevel is the delay level a failed message is sent back
	// with (clustering, concurrent). 0, the default, lets the broker
	// choose: level 3 + the message's reconsume times (10s, 30s, 1m, ...
	// with the default delay table).
	RetryDelayLevel int `koanf:"retry-delay-level"`
	// SuspendInterval is how long a failed message waits before it is
	// redelivered locally: always in orderly and broadcasting
	// consumption, and in clustering when sending it back failed. Default
	// 1s.
	SuspendInterval time.Duration `koanf:"suspend-interval"`
	// RebalanceInterval is how often the queues are reassigned even when
	// no broker announced a member change. Default 20s.
	RebalanceInterval time.Duration `koanf:"rebalance-interval"`
	// OffsetCommitInterval is how often consumed offsets are committed
	// besides the commits piggybacked on pulls. Default 5s.
	OffsetCommitInterval time.Duration `koanf:"offset-commit-interval"`
	// LockRenewInterval is how often an orderly clustering consumer renews
	// its queue locks. Default 20s; it must stay below the 30s a lock is
	// trusted without renewal (and the broker's own lock expiry, 60s by
	// default).
	LockRenewInterval time.Duration `koanf:"lock-renew-interval"`
	// PullHold is how long a broker may hold a pull that finds no message
	// (long polling); a pull times out 10s later. Default 20s.
	PullHold time.Duration `koanf:"pull-hold"`
	// OffsetDir is where a broadcasting consumer keeps its offsets, in
	// <OffsetDir>/<group>/offsets.json. Required for broadcasting (it is
	// never defaulted to a home directory); unused in clustering. Each
	// member needs its own: one process refuses to run two consumers on
	// the same file.
	OffsetDir string `koanf:"offset-dir"`
}

// Defaults of ConsumerConfig.
const (
	defaultMaxReconsumeTimes     = 16
	defaultPullBatchSize         = 32
	defaultConsumeBatchSize      = 1
	defaultConcurrency           = 20
	defaultPullThresholdPerQueue = 1024
	defaultSuspendInterval       = time.Second
	defaultRebalanceInterval     = 20 * time.Second
	defaultOffsetCommitInterval  = 5 * time.Second
	defaultLockRenewInterval     = 20 * time.Second
	defaultPullHold              = 20 * time.Second
	defaultConsumeTimestampAge   = 30 * time.Minute

	// pullTimeoutMargin is added to PullHold for a pull's RPC timeout.
	pullTimeoutMargin = 10 * time.Second
	// lockTTL is how long an orderly consumer trusts a queue lock after
	// the broker last granted it (Java's client-side lock lifetime).
	lockTTL = 30 * time.Second
	// maxBatch bounds PullBatchSize and ConsumeBatchSize, as the broker
	// and the Java client do.
	maxBatch = 1024
)

// WithDefaults returns c with every zero field set to its documented
// default (ConsumeTimestamp relative to now), as NewConsumer applies them;
// for other clients' adapters that must behave the same.
func (c ConsumerConfig) WithDefaults(now time.Time) ConsumerConfig {
	c.Subscriptions = slices.Clone(c.Subscriptions)
	c.setDefaults(now)
	return c
}

func (c *ConsumerConfig) setDefaults(now time.Time) {
	if c.ConsumeFrom == "" {
		c.ConsumeFrom = ConsumeFromLastOffset
	}
	if c.ConsumeFrom == ConsumeFromTimestamp && c.ConsumeTimestamp.IsZero() {
		c.ConsumeTimestamp = now.Add(-defaultConsumeTimestampAge)
	}
	setDefault(&c.MaxReconsumeTimes, defaultMaxReconsumeTimes)
	setDefault(&c.PullBatchSize, defaultPullBatchSize)
	setDefault(&c.ConsumeBatchSize, defaultConsumeBatchSize)
	setDefault(&c.Concurrency, defaultConcurrency)
	setDefault(&c.PullThresholdPerQueue, defaultPullThresholdPerQueue)
	setDefault(&c.SuspendInterval, defaultSuspendInterval)
	setDefault(&c.RebalanceInterval, defaultRebalanceInterval)
	setDefault(&c.OffsetCommitInterval, defaultOffsetCommitInterval)
	setDefault(&c.LockRenewInterval, defaultLockRenewInterval)
	setDefault(&c.PullHold, defaultPullHold)
}

func setDefault[T int | time.Duration](v *T, def T) {
	if *v == 0 {
		*v = def
	}
}

// Validate reports the first problem with c, naming the field. It expects
// the defaults applied (NewConsumer does that first).
func (c ConsumerConfig) Validate() error {
	bad := func(field, format string, args ...any) error {
		return fmt.Errorf("client: ConsumerConfig.%s: %s", field, fmt.Sprintf(format, args...))
	}
	if err := message.ValidateGroup(c.Group); err != nil {
		return bad("Group", "%v", err)
	}
	if message.IsRetryTopic(c.Group) || message.IsDLQTopic(c.Group) {
		return bad("Group", "%q is a retry or dead-letter name", c.Group)
	}
	if len(c.Subscriptions) == 0 {
		return bad("Subscriptions", "at least one topic is required")
	}
	seen := make(map[string]bool, len(c.Subscriptions))
	for i, s := range c.Subscriptions {
		field := "Subscriptions[" + strconv.Itoa(i) + "]"
		if err := message.ValidateTopic(s.Topic); err != nil {
			return bad(field+".Topic", "%v", err)
		}
		if seen[s.Topic] {
			return bad(field+".Topic", "topic %s is subscribed twice", s.Topic)
		}
		seen[s.Topic] = true
		if _, err := parseExpression(s); err != nil {
			return bad(field+".Expression", "%v", err)
		}
	}
	switch c.ConsumeFrom {
	case ConsumeFromLastOffset, ConsumeFromFirstOffset, ConsumeFromTimestamp:
	default:
		return bad("ConsumeFrom", "%q is none of %q, %q and %q", c.ConsumeFrom,
			ConsumeFromLastOffset, ConsumeFromFirstOffset, ConsumeFromTimestamp)
	}
	for _, f := range []struct {
		name      string
		v, lo, hi int
	}{
		{"PullBatchSize", c.PullBatchSize, 1, maxBatch},
		{"ConsumeBatchSize", c.ConsumeBatchSize, 1, maxBatch},
		{"Concurrency", c.Concurrency, 1, 1 << 16},
		{"PullThresholdPerQueue", c.PullThresholdPerQueue, 1, 1 << 16},
		{"RetryDelayLevel", c.RetryDelayLevel, 0, 1 << 16},
	} {
		if f.v < f.lo || f.v > f.hi {
			return bad(f.name, "%d is outside %d..%d", f.v, f.lo, f.hi)
		}
	}
	for _, f := range []struct {
		name string
		d    time.Duration
	}{
		{"SuspendInterval", c.SuspendInterval}, {"RebalanceInterval", c.RebalanceInterval},
		{"OffsetCommitInterval", c.OffsetCommitInterval}, {"LockRenewInterval", c.LockRenewInterval},
		{"PullHold", c.PullHold},
	} {
		if f.d < 0 {
			return bad(f.name, "%v is negative", f.d)
		}
	}
	if c.LockRenewInterval >= lockTTL {
		return bad("LockRenewInterval", "%v must be below %v, the time a queue lock is trusted without renewal",
			c.LockRenewInterval, lockTTL)
	}
	if c.PullHold > time.Minute {
		return bad("PullHold", "%v exceeds a minute", c.PullHold)
	}
	if c.Broadcasting && c.OffsetDir == "" {
		return bad("OffsetDir", "is required for broadcasting (where this member keeps its offsets)")
	}
	return nil
}

// maxReconsume is MaxReconsumeTimes with "never" (negative) as 0.
func (c *ConsumerConfig) maxReconsume() int32 { return int32(max(c.MaxReconsumeTimes, 0)) }

// subscription is a parsed Subscription.
type subscription struct {
	topic string // wire name
	expr  string // "*" for all
	sql   bool
	tags  []string // the tags matched; nil matches all
	retry bool     // the group's retry topic
}

// parseExpression parses a subscription's expression (topic left unset).
func parseExpression(s Subscription) (subscription, error) {
	expr := strings.TrimSpace(s.Expression)
	if s.SQL {
		if expr == "" {
			return subscription{}, errors.New("an SQL92 subscription needs an expression")
		}
		return subscription{expr: expr, sql: true}, nil
	}
	if expr == "" || expr == "*" {
		return subscription{expr: "*"}, nil
	}
	var tags []string
	for tag := range strings.SplitSeq(expr, "||") {
		if tag = strings.TrimSpace(tag); tag != "" && !slices.Contains(tags, tag) {
			tags = append(tags, tag)
		}
	}
	if len(tags) == 0 {
		return subscription{}, fmt.Errorf("tag expression %q names no tag", s.Expression)
	}
	return subscription{expr: expr, tags: tags}, nil
}

// matches reports whether a message with tag passes the tag filter.
func (s *subscription) matches(tag string) bool {
	return s.tags == nil || slices.Contains(s.tags, tag)
}
