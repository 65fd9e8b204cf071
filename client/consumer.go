package client

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rocketkit/rocketkit/protocol/message"
	"github.com/rocketkit/rocketkit/protocol/payload"
	"github.com/rocketkit/rocketkit/protocol/remoting"
)

// ConsumeResult is what a Handler made of its messages.
type ConsumeResult int

const (
	// ConsumeSuccess: the messages are consumed; their offsets may be
	// committed.
	ConsumeSuccess ConsumeResult = iota
	// ConsumeRetry: consume the messages again later. A concurrent
	// clustering consumer sends them back to the broker, which redelivers
	// them after a delay (RetryDelayLevel) with ReconsumeTimes+1; an
	// orderly consumer holds up the queue for SuspendInterval and
	// redelivers them locally; after MaxReconsumeTimes redeliveries a
	// message goes to the dead-letter topic (clustering) or is dropped
	// (broadcasting).
	ConsumeRetry
	// ConsumeDeadLetter: the messages can never be consumed; send them to
	// the dead-letter topic %DLQ%<group> now (clustering) or drop them
	// (broadcasting).
	ConsumeDeadLetter
)

// String returns the result's name, e.g. "ConsumeRetry".
func (r ConsumeResult) String() string {
	switch r {
	case ConsumeSuccess:
		return "ConsumeSuccess"
	case ConsumeRetry:
		return "ConsumeRetry"
	case ConsumeDeadLetter:
		return "ConsumeDeadLetter"
	}
	return "ConsumeResult(" + strconv.Itoa(int(r)) + ")"
}

// Handler consumes messages: 1..ConsumeBatchSize messages of one queue, in
// offset order. A concurrent consumer calls it from up to Concurrency
// goroutines at once; an orderly one from one goroutine per queue, never
// twice at once for a queue.
//
// ctx is cancelled when Close gives up waiting for running handlers (its
// own ctx ended): return soon after. A panic counts as ConsumeRetry and is
// logged with its stack; a result that is none of the ConsumeResult
// constants counts as ConsumeRetry. The handler must not modify the
// messages; it may keep them (a redelivery is a new copy).
type Handler func(ctx context.Context, msgs []*MessageExt) ConsumeResult

// Consumer is a push consumer: it pulls the queues assigned to it and calls
// its Handler with their messages, committing offsets as messages are
// consumed (at least once: after a crash or a rebalance, messages consumed
// but not committed yet are delivered again). Create it with
// Client.NewConsumer, then Start it; Close it before the Client. Its methods
// are safe for concurrent use.
type Consumer struct {
	client *Client
	inner  *Producer // sends retry copies when a send-back fails (consumer_resend.go)
	cfg    ConsumerConfig
	h      Handler
	log    *slog.Logger   // with the member id once started
	base   *slog.Logger   // with the group
	group  string         // wire name
	subs   []subscription // by wire topic; the retry topic last (clustering); read-only
	data   payload.ConsumerData
	id     atomic.Pointer[string] // member id, set by Start

	rebalanceNow chan struct{} // buffered 1; rebalanceSoon

	// lifecycle serialises Start and Close.
	lifecycle sync.Mutex
	started   bool // guarded by lifecycle
	closed    bool // guarded by lifecycle

	// Set by start, read-only until Close (which holds lifecycle and has
	// stopped the control loop before it clears them).
	offsets offsetStore
	tasks   *taskQueue // concurrent consumption
	// life is the lifetime of every goroutine of a started consumer but
	// the handlers' own work: cancelled, it stops pulls, waits, renewals
	// and new handler calls. It is no caller's context.
	life       context.Context
	stopLife   context.CancelFunc
	handlerCtx context.Context // passed to handlers; cancelled when Close gives up on them
	stopCalls  context.CancelFunc
	loopDone   chan struct{} // closed when the control loop returned
	wg         sync.WaitGroup

	mu       sync.Mutex
	queues   map[MessageQueue]*pullQueue // owned queues by wire queue; guarded by mu
	dropping map[MessageQueue]*pullQueue // queues being let go (release); guarded by mu
}

var _ consumerMember = (*Consumer)(nil)

// NewConsumer checks cfg and returns a consumer calling h, not started yet.
func (c *Client) NewConsumer(cfg ConsumerConfig, h Handler) (*Consumer, error) {
	if h == nil {
		return nil, errors.New("client: NewConsumer: the handler is nil")
	}
	if c.isClosed() {
		return nil, ErrClosed
	}
	cfg.Subscriptions = slices.Clone(cfg.Subscriptions)
	cfg.setDefaults(time.Now())
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	con := &Consumer{
		client:       c,
		inner:        newInnerProducer(c),
		cfg:          cfg,
		h:            h,
		group:        c.wireName(cfg.Group),
		rebalanceNow: make(chan struct{}, 1),
		queues:       make(map[MessageQueue]*pullQueue),
		dropping:     make(map[MessageQueue]*pullQueue),
	}
	con.base = c.log.With("group", cfg.Group)
	con.log = con.base
	for _, s := range cfg.Subscriptions {
		sub, _ := parseExpression(s) // validated
		sub.topic = c.wireName(s.Topic)
		con.subs = append(con.subs, sub)
	}
	if !cfg.Broadcasting {
		con.subs = append(con.subs, subscription{topic: message.RetryTopic(con.group), expr: "*", retry: true})
	}
	con.data = con.consumerData()
	return con, nil
}

// Start joins the group and starts consuming: it looks up the route of
// every subscribed topic (and of the group's retry topic when clustering),
// registers with the brokers (a synchronous heartbeat), assigns the
// consumer its queues and starts pulling them, and returns.
//
// It fails, leaving the consumer as it was (Start may be called again),
// when a topic has no route (ErrTopicNotExist), the heartbeat fails, or
// ctx ends first; cancelling ctx only aborts the start. Start after Close
// returns ErrClosed; a second Start fails.
func (c *Consumer) Start(ctx context.Context) error {
	c.lifecycle.Lock()
	defer c.lifecycle.Unlock()
	switch {
	case c.closed:
		return ErrClosed
	case c.started:
		return fmt.Errorf("%w: consumer of %s", ErrAlreadyStarted, c.cfg.Group)
	}
	if err := c.start(ctx); err != nil {
		return fmt.Errorf("client: start consumer %s: %w", c.cfg.Group, err)
	}
	c.started = true
	return nil
}

func (c *Consumer) start(ctx context.Context) (err error) {
	if err := c.client.registerConsumer(c); err != nil {
		return err
	}
	c.log = c.base.With("member", c.memberID())
	defer func() {
		if err != nil {
			c.abortStart()
		}
	}()
	for _, s := range c.subs {
		if !s.retry {
			if _, err := c.client.route(ctx, s.topic); err != nil {
				return fmt.Errorf("subscribe %s: %w", c.client.bareName(s.topic), err)
			}
		}
	}
	if c.offsets, err = c.openOffsetStore(); err != nil {
		return err
	}
	if err := c.client.sendHeartbeats(ctx); err != nil {
		return fmt.Errorf("register with the brokers: %w", err)
	}
	if !c.cfg.Broadcasting {
		// The broker creates the retry topic when the heartbeat names the
		// group.
		if _, err := c.client.route(ctx, message.RetryTopic(c.group)); err != nil {
			return fmt.Errorf("the group's retry topic: %w", err)
		}
	}
	c.life, c.stopLife = context.WithCancel(context.Background())
	c.handlerCtx, c.stopCalls = context.WithCancel(context.Background())
	c.loopDone = make(chan struct{})
	if !c.cfg.Orderly {
		c.tasks = newTaskQueue()
		for range c.cfg.Concurrency {
			c.wg.Go(c.worker)
		}
	}
	ok := c.rebalance(ctx)
	if err := ctx.Err(); err != nil {
		return err
	}
	c.wg.Go(func() { c.controlLoop(ok) })
	c.log.Info("consumer started", "queues", c.queueCount())
	return nil
}

// abortStart undoes a failed start: stops what was started, forgets the
// queues (without committing: nothing was consumed) and leaves the group.
func (c *Consumer) abortStart() {
	if c.stopLife != nil {
		c.stopLife()
		c.stopCalls()
		c.tasks.close()
		c.wg.Wait()
	}
	c.mu.Lock()
	clear(c.queues)
	clear(c.dropping)
	c.mu.Unlock()
	if c.offsets != nil {
		_ = c.offsets.close()
	}
	c.client.unregisterConsumer(c, func() {
		ctx, cancel := context.WithTimeout(context.Background(), c.client.cfg.RequestTimeout)
		_ = c.unregisterAtBrokers(ctx)
		cancel()
	})
	c.offsets, c.tasks, c.life, c.stopLife, c.handlerCtx, c.stopCalls = nil, nil, nil, nil, nil, nil
	c.id.Store(nil)
}

// Close leaves the group gracefully: it stops pulling, waits for running
// handler calls to return (messages pulled but not handed to the handler
// yet are not consumed: the group gets them again), commits the offsets
// consumed and waits for the brokers to confirm, releases the orderly queue
// locks so other members take the queues over at once, and unregisters
// from every broker.
//
// ctx bounds the wait for handlers: when it ends first, their ctx is
// cancelled, their results are ignored, and Close still commits what was
// consumed, unlocks and unregisters (each step bounded by the client's
// RequestTimeout) and returns ctx's error. Close is idempotent; a consumer
// never started is simply marked closed.
func (c *Consumer) Close(ctx context.Context) error {
	c.lifecycle.Lock()
	defer c.lifecycle.Unlock()
	if c.closed {
		return nil
	}
	c.closed = true
	if !c.started {
		return nil
	}
	err := c.shutdown(ctx)
	c.log.Info("consumer closed", "err", err)
	return err
}

func (c *Consumer) shutdown(ctx context.Context) error {
	var errs []error
	c.stopLife()
	<-c.loopDone
	c.tasks.close()

	c.mu.Lock()
	owned := make([]*pullQueue, 0, len(c.queues))
	for _, q := range c.queues {
		owned = append(owned, q)
	}
	clear(c.queues)
	c.mu.Unlock()
	for _, q := range owned {
		q.drop()
	}

	if err := waitGroupCtx(ctx, &c.wg); err != nil {
		c.stopCalls()
		errs = append(errs, fmt.Errorf("client: close consumer %s: handlers still running: %w", c.cfg.Group, err))
	}

	cleanup := ctx
	if ctx.Err() != nil {
		var cancel context.CancelFunc
		cleanup, cancel = context.WithTimeout(context.WithoutCancel(ctx), c.client.cfg.RequestTimeout)
		defer cancel()
	}
	if !c.client.isClosed() {
		var keep []*pullQueue
		for _, q := range owned {
			if !q.lockLost() {
				keep = append(keep, q)
			}
		}
		if err := c.commitQueues(cleanup, keep, true); err != nil {
			errs = append(errs, err)
		}
		if c.lockingOrderly() {
			mqs := make([]MessageQueue, 0, len(keep))
			for _, q := range keep {
				mqs = append(mqs, q.mq)
			}
			if err := c.unlock(cleanup, mqs); err != nil {
				errs = append(errs, err)
			}
		}
	}
	if err := c.offsets.close(); err != nil {
		errs = append(errs, err)
	}
	c.client.unregisterConsumer(c, func() {
		if c.client.isClosed() {
			return
		}
		if err := c.unregisterAtBrokers(cleanup); err != nil {
			errs = append(errs, err)
		}
	})
	c.stopCalls()
	return errors.Join(errs...)
}

// unregisterAtBrokers sends UNREGISTER_CLIENT for this member and group to
// every broker known, in parallel.
func (c *Consumer) unregisterAtBrokers(ctx context.Context) error {
	id := c.memberID()
	if id == "" {
		return nil
	}
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	for _, addr := range c.client.routes.brokerAddrs(true) {
		wg.Go(func() {
			req := remoting.NewClientRequest(remoting.UnregisterClient, remoting.Fields{
				{Key: "clientID", Value: id}, {Key: "consumerGroup", Value: c.group}}, nil)
			if _, err := c.client.callOK(ctx, addr, req); err != nil {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// waitGroupCtx waits for wg or ctx, whichever comes first.
func waitGroupCtx(ctx context.Context, wg *sync.WaitGroup) error {
	done := make(chan struct{})
	go func() {
		wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// controlLoop runs rebalances, periodic offset commits and lock renewals,
// one at a time. firstOK says whether the rebalance in Start succeeded.
func (c *Consumer) controlLoop(firstOK bool) {
	defer close(c.loopDone)
	rebalance := time.NewTicker(c.cfg.RebalanceInterval)
	defer rebalance.Stop()
	commit := time.NewTicker(c.cfg.OffsetCommitInterval)
	defer commit.Stop()
	var renewC <-chan time.Time
	if c.lockingOrderly() {
		renew := time.NewTicker(c.cfg.LockRenewInterval)
		defer renew.Stop()
		renewC = renew.C
	}
	retry := time.NewTimer(retryBackoffMin)
	defer retry.Stop()
	backoff := retryBackoffMin
	if firstOK {
		retry.Stop()
	}
	for {
		select {
		case <-c.life.Done():
			return
		case <-c.client.done:
			c.log.Warn("client closed under a running consumer: consumption stopped without committing")
			c.stopLife()
			return
		case <-commit.C:
			c.commitOwned()
			continue
		case <-renewC:
			c.renewLocks(c.life)
			continue
		case <-c.rebalanceNow:
		case <-rebalance.C:
		case <-retry.C:
		}
		if c.rebalance(c.life) {
			backoff = retryBackoffMin
			retry.Stop()
		} else if c.life.Err() == nil {
			retry.Reset(jitter(backoff))
			backoff = min(2*backoff, retryBackoffMax)
		}
	}
}

// Backoff of a rebalance that could not complete (a member list, an offset
// or a lock that could not be had): retried soon rather than at the next
// RebalanceInterval.
const (
	retryBackoffMin = 100 * time.Millisecond
	retryBackoffMax = 2 * time.Second
)

// lockingOrderly reports whether queues are locked at the brokers.
func (c *Consumer) lockingOrderly() bool { return c.cfg.Orderly && !c.cfg.Broadcasting }

func (c *Consumer) queueCount() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.queues)
}

// Queues lists the queues this member consumes now, sorted (topics without
// namespace). It is meant for monitoring and tests.
func (c *Consumer) Queues() []MessageQueue {
	c.mu.Lock()
	out := make([]MessageQueue, 0, len(c.queues))
	for mq := range c.queues {
		out = append(out, c.bareQueue(mq))
	}
	c.mu.Unlock()
	slices.SortFunc(out, compareQueues)
	return out
}

// MemberID is the id this member has in its group (the client id, with a
// "#n" suffix for a second consumer of the same group in one Client), or
// "" before Start.
func (c *Consumer) MemberID() string { return c.memberID() }

func (c *Consumer) bareQueue(mq MessageQueue) MessageQueue {
	mq.Topic = c.client.bareName(mq.Topic)
	return mq
}

// consumerMember.

func (c *Consumer) wireGroup() string { return c.group }

func (c *Consumer) setMemberID(id string) { c.id.Store(&id) }

func (c *Consumer) memberID() string {
	if p := c.id.Load(); p != nil {
		return *p
	}
	return ""
}

func (c *Consumer) heartbeat() payload.ConsumerData {
	d := c.data
	d.Subscriptions = slices.Clone(d.Subscriptions) // payload.Heartbeat.Encode writes into them
	return d
}

func (c *Consumer) rebalanceSoon() {
	select {
	case c.rebalanceNow <- struct{}{}:
	default:
	}
}

// consumerData is this consumer's registration in heartbeats.
func (c *Consumer) consumerData() payload.ConsumerData {
	d := payload.ConsumerData{
		Group:        c.group,
		ConsumeType:  payload.ConsumePassively,
		MessageModel: payload.Clustering,
	}
	if c.cfg.Broadcasting {
		d.MessageModel = payload.Broadcasting
	}
	switch c.cfg.ConsumeFrom {
	case ConsumeFromFirstOffset:
		d.ConsumeFrom = payload.ConsumeFromFirstOffset
	case ConsumeFromTimestamp:
		d.ConsumeFrom = payload.ConsumeFromTimestamp
	default:
		d.ConsumeFrom = payload.ConsumeFromLastOffset
	}
	version := time.Now().UnixNano()
	for _, s := range c.subs {
		sd := payload.SubscriptionData{Topic: s.topic, Expression: s.expr, Version: version,
			ExpressionType: payload.ExpressionTag, Tags: []string{}, Codes: []string{}}
		if s.sql {
			sd.ExpressionType = payload.ExpressionSQL92
		}
		for _, tag := range s.tags {
			sd.Tags = append(sd.Tags, tag)
			sd.Codes = append(sd.Codes, strconv.FormatInt(message.TagsHashCode(tag), 10))
		}
		d.Subscriptions = append(d.Subscriptions, sd)
	}
	return d
}

// subscriptionOf returns the subscription of a wire topic.
func (c *Consumer) subscriptionOf(topic string) *subscription {
	for i := range c.subs {
		if c.subs[i].topic == topic {
			return &c.subs[i]
		}
	}
	return nil
}
