package official

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	rocketmq "github.com/apache/rocketmq-client-go/v2"
	"github.com/apache/rocketmq-client-go/v2/consumer"
	"github.com/apache/rocketmq-client-go/v2/hooks"
	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/rocketkit/rocketkit/client"
	"github.com/rocketkit/rocketkit/transport"
)

// Defaults of client.ConsumerConfig that this backend uses, as package
// client applies them.
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
)

// consumerDefaults applies package client's defaults to cfg.
func consumerDefaults(cfg client.ConsumerConfig, now time.Time) client.ConsumerConfig {
	cfg.Subscriptions = slices.Clone(cfg.Subscriptions)
	if cfg.ConsumeFrom == "" {
		cfg.ConsumeFrom = client.ConsumeFromLastOffset
	}
	if cfg.ConsumeFrom == client.ConsumeFromTimestamp && cfg.ConsumeTimestamp.IsZero() {
		cfg.ConsumeTimestamp = now.Add(-defaultConsumeTimestampAge)
	}
	setDefault(&cfg.MaxReconsumeTimes, defaultMaxReconsumeTimes)
	setDefault(&cfg.PullBatchSize, defaultPullBatchSize)
	setDefault(&cfg.ConsumeBatchSize, defaultConsumeBatchSize)
	setDefault(&cfg.Concurrency, defaultConcurrency)
	setDefault(&cfg.PullThresholdPerQueue, defaultPullThresholdPerQueue)
	setDefault(&cfg.SuspendInterval, defaultSuspendInterval)
	setDefault(&cfg.RebalanceInterval, defaultRebalanceInterval)
	setDefault(&cfg.OffsetCommitInterval, defaultOffsetCommitInterval)
	setDefault(&cfg.LockRenewInterval, defaultLockRenewInterval)
	setDefault(&cfg.PullHold, defaultPullHold)
	return cfg
}

func setDefault[T int | time.Duration](v *T, def T) {
	if *v == 0 {
		*v = def
	}
}

// reconsumeLimit is MaxReconsumeTimes (defaults applied) with "never
// redelivered" (negative) as 0, the official client's own count.
func reconsumeLimit(cfg *client.ConsumerConfig) int32 { return int32(max(cfg.MaxReconsumeTimes, 0)) }

// cons is a Consumer on the official push consumer. The official consumer
// cannot start again once shut down, so each Start makes a new one.
type cons struct {
	b    *backend
	cfg  client.ConsumerConfig
	name string // instance name
	d    *dispatcher

	mu      sync.Mutex            // serialises Start and Close; guards the fields below
	pc      rocketmq.PushConsumer // nil until a Start succeeded
	gate    *pullGate             // pc's; nil for an orderly consumer
	started time.Time             // when pc started
	closed  bool
}

var _ transport.Consumer = (*cons)(nil)

// NewConsumer checks cfg (package client's rules, defaults applied) and
// returns a consumer calling h, not started; the package doc tells how cfg
// maps to the official push consumer.
func (b *backend) NewConsumer(cfg client.ConsumerConfig, h client.Handler) (transport.Consumer, error) {
	if b.closed.Load() {
		return nil, client.ErrClosed
	}
	if h == nil {
		return nil, errors.New("official: NewConsumer: the handler is nil")
	}
	cfg = consumerDefaults(cfg, time.Now())
	check := cfg
	if check.OffsetDir == "" {
		check.OffsetDir = "unused" // the official client keeps its own file
	}
	if err := check.Validate(); err != nil {
		return nil, fmt.Errorf("official: %w", err)
	}
	c := &cons{b: b, cfg: cfg, name: b.instanceName(cfg.Group)}
	c.d = newDispatcher(b, &c.cfg, h)
	return c, nil
}

// options returns the official client's options for the consumer, with
// gate (when not nil) as its filter-message hook and around its allocation
// strategy.
func (c *cons) options(gate *pullGate) []consumer.Option {
	b, cfg := c.b, &c.cfg
	opts := []consumer.Option{
		consumer.WithNameServer(b.nameServers()),
		consumer.WithGroupName(cfg.Group),
		consumer.WithInstance(c.name),
		consumer.WithConsumerOrder(cfg.Orderly),
		consumer.WithMaxReconsumeTimes(reconsumeLimit(cfg)),
		consumer.WithPullBatchSize(int32(cfg.PullBatchSize)),
		consumer.WithConsumeMessageBatchMaxSize(cfg.ConsumeBatchSize),
		consumer.WithConsumeGoroutineNums(cfg.Concurrency),
		consumer.WithPullThresholdForQueue(int64(cfg.PullThresholdPerQueue)),
		consumer.WithSuspendCurrentQueueTimeMillis(cfg.SuspendInterval),
		consumer.WithRebalanceLockInterval(cfg.LockRenewInterval),
	}
	if cfg.Broadcasting {
		opts = append(opts, consumer.WithConsumerModel(consumer.BroadCasting))
	} else {
		opts = append(opts, consumer.WithConsumerModel(consumer.Clustering))
	}
	switch cfg.ConsumeFrom {
	case client.ConsumeFromFirstOffset:
		opts = append(opts, consumer.WithConsumeFromWhere(consumer.ConsumeFromFirstOffset))
	case client.ConsumeFromTimestamp:
		opts = append(opts, consumer.WithConsumeFromWhere(consumer.ConsumeFromTimestamp),
			consumer.WithConsumeTimestamp(cfg.ConsumeTimestamp.UTC().Format("20060102150405")))
	default:
		opts = append(opts, consumer.WithConsumeFromWhere(consumer.ConsumeFromLastOffset))
	}
	if b.cfg.Namespace != "" {
		opts = append(opts, consumer.WithNamespace(b.cfg.Namespace))
	}
	if b.cfg.UnitName != "" {
		opts = append(opts, consumer.WithUnitName(b.cfg.UnitName))
	}
	if b.cfg.Credentials.AccessKey != "" {
		opts = append(opts, consumer.WithCredentials(b.credentials()))
	}
	if b.cfg.TLS {
		opts = append(opts, consumer.WithTls(true))
	}
	if gate != nil {
		// The gate is the flow control (PullThresholdPerQueue, maxSpan).
		opts = append(opts, consumer.WithFilterMessageHook([]hooks.FilterMessageHook{gate.filter}),
			consumer.WithStrategy(gate.allocate(consumer.AllocateByAveragely)),
			consumer.WithPullThresholdForQueue(clientFlowControlOff),
			consumer.WithConsumeConcurrentlyMaxSpan(clientFlowControlOff))
	}
	return opts
}

// Start subscribes and starts the official push consumer. It fails,
// leaving the consumer as it was (Start may be called again), when a topic
// has no route (wrapping client.ErrTopicNotExist) or the client refuses to
// start; ctx only aborts a start that has not begun. Start after Close
// returns client.ErrClosed; a second Start client.ErrAlreadyStarted.
func (c *cons) Start(ctx context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case c.closed:
		return client.ErrClosed
	case c.pc != nil:
		return client.ErrAlreadyStarted
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	// The orderly consumer never sends on the channel pullGate guards.
	var gate *pullGate
	consume := c.d.consume
	if !c.cfg.Orderly {
		gate = newPullGate(c.cfg.PullThresholdPerQueue)
		consume = func(ctx context.Context, exts ...*primitive.MessageExt) (consumer.ConsumeResult, error) {
			gate.received(exts)
			defer gate.done(exts)
			return c.d.consume(ctx, exts...)
		}
	}
	pc, err := rocketmq.NewPushConsumer(c.options(gate)...)
	if err != nil {
		return fmt.Errorf("official: new consumer %s: %w", c.cfg.Group, err)
	}
	for _, s := range c.cfg.Subscriptions {
		sel := consumer.MessageSelector{Type: consumer.TAG, Expression: strings.TrimSpace(s.Expression)}
		if s.SQL {
			sel.Type = consumer.SQL92
		}
		if err := pc.Subscribe(s.Topic, sel, consume); err != nil {
			_ = pc.Shutdown()
			return fmt.Errorf("official: consumer %s: subscribe %s: %w", c.cfg.Group, s.Topic, err)
		}
	}
	started := time.Now()
	if err := pc.Start(); err != nil {
		_ = pc.Shutdown() // the client shuts down itself on a missing route; twice is harmless
		if strings.Contains(err.Error(), "route info not found") {
			err = fmt.Errorf("%w: %w", client.ErrTopicNotExist, err)
		}
		return fmt.Errorf("official: start consumer %s: %w", c.cfg.Group, err)
	}
	c.pc, c.gate, c.started = pc, gate, started
	return nil
}

// Close leaves the group: the consumer stops pulling (Suspend) and holds
// the batches still being fetched (pullGate), running handler calls finish
// (deliveries not handed out yet are parked and never acknowledged, so the
// group gets them again), the consumer settles (see settle.go), and the
// official client shuts down, committing the offsets consumed and
// unlocking orderly queues; then the held batches are dropped (never
// committed either) and the parked deliveries released.
//
// ctx bounds the wait for handlers: when it ends first, their ctx is
// cancelled, their results are ignored, and Close still shuts down and
// returns ctx's error. Close is idempotent; a consumer never started is
// simply marked closed.
func (c *cons) Close(ctx context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil
	}
	c.closed = true
	if c.pc == nil {
		c.d.release()
		return nil
	}
	suspended := time.Now()
	if c.gate != nil {
		c.gate.hold()
	}
	c.pc.Suspend()
	err := c.d.drain(ctx)
	last := suspended
	if t := c.d.lastActivity(); t.After(last) {
		last = t
	}
	c.b.settle(last, c.started)
	if c.gate != nil {
		c.gate.sync()
	}
	if serr := c.pc.Shutdown(); serr != nil {
		err = errors.Join(err, serr)
	}
	if c.gate != nil {
		c.gate.release()
	}
	c.d.release()
	if err != nil {
		return fmt.Errorf("official: close consumer %s: %w", c.cfg.Group, err)
	}
	return nil
}
