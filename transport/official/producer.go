package official

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"
	"time"

	rocketmq "github.com/apache/rocketmq-client-go/v2"
	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/apache/rocketmq-client-go/v2/producer"
	"github.com/rocketkit/rocketkit/client"
	"github.com/rocketkit/rocketkit/protocol/message"
	"github.com/rocketkit/rocketkit/transport"
)

// Defaults of client.ProducerConfig, as package client applies them.
const (
	defaultSendTimeout    = 3 * time.Second
	defaultRetries        = 2
	defaultCompressOver   = 4096
	defaultCompressLevel  = 5
	defaultMaxMessageSize = 4 << 20
)

// plainGroupSuffix names the group of the plain producer a transactional
// producer sends its non-transactional messages with. It must differ from
// the transactional group: a broker sends check-backs to the group's
// newest producer, and the official client's plain producer never reads
// them (wire doc §11.6).
const plainGroupSuffix = "-plain"

// producerDefaults applies package client's defaults to cfg.
func producerDefaults(cfg client.ProducerConfig) client.ProducerConfig {
	if cfg.SendTimeout == 0 {
		cfg.SendTimeout = defaultSendTimeout
	}
	switch {
	case cfg.Retries == 0:
		cfg.Retries = defaultRetries
	case cfg.Retries < 0:
		cfg.Retries = 0
	}
	if cfg.CompressOver == 0 {
		cfg.CompressOver = defaultCompressOver
	}
	if cfg.CompressLevel == 0 {
		cfg.CompressLevel = defaultCompressLevel
	}
	if cfg.MaxMessageSize == 0 {
		cfg.MaxMessageSize = defaultMaxMessageSize
	}
	return cfg
}

// prod is a Producer on the official client: a plain producer, and for a
// transaction producer a transactional one of the same group.
type prod struct {
	b   *backend
	cfg client.ProducerConfig
	sel *selector
	tx  *txProducer // nil for a plain producer

	first firstSends // of the plain producer

	mu     sync.Mutex
	plain  rocketmq.Producer // created on first use for a transaction producer; guarded by mu
	closed bool              // guarded by mu
	sends  sync.WaitGroup    // calls in flight, async sends until done ran; Add under mu while !closed
}

var _ transport.Producer = (*prod)(nil)

func (b *backend) NewProducer(cfg client.ProducerConfig) (transport.Producer, error) {
	p, err := b.newProd(cfg)
	if err != nil {
		return nil, err
	}
	if _, err := p.plainProducer(); err != nil {
		return nil, err
	}
	return p, nil
}

func (b *backend) NewTransactionProducer(cfg client.ProducerConfig, checker client.TransactionChecker) (transport.Producer, error) {
	if checker == nil {
		return nil, errors.New("official: a transaction producer needs a TransactionChecker")
	}
	p, err := b.newProd(cfg)
	if err != nil {
		return nil, err
	}
	if p.tx, err = newTxProducer(p, checker); err != nil {
		return nil, err
	}
	return p, nil
}

func (b *backend) newProd(cfg client.ProducerConfig) (*prod, error) {
	if b.closed.Load() {
		return nil, client.ErrClosed
	}
	cfg = producerDefaults(cfg)
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("official: %w", err)
	}
	return &prod{b: b, cfg: cfg, sel: newSelector(b)}, nil
}

// options returns the official client's options for a producer of group.
func (p *prod) options(group string) []producer.Option {
	b := p.b
	opts := []producer.Option{
		producer.WithNameServer(b.nameServers()),
		producer.WithGroupName(group),
		producer.WithInstanceName(b.instanceName(group)),
		producer.WithSendMsgTimeout(p.cfg.SendTimeout),
		producer.WithRetry(p.cfg.Retries),
		producer.WithCompressLevel(p.cfg.CompressLevel),
		producer.WithQueueSelector(p.sel),
	}
	// The official client compresses bodies of at least its threshold,
	// package client bodies larger than CompressOver.
	over := math.MaxInt
	if p.cfg.CompressOver >= 0 {
		over = p.cfg.CompressOver + 1
	}
	opts = append(opts, producer.WithCompressMsgBodyOverHowmuch(over))
	if b.cfg.Namespace != "" {
		opts = append(opts, producer.WithNamespace(b.cfg.Namespace))
	}
	if b.cfg.UnitName != "" {
		opts = append(opts, producer.WithUnitName(b.cfg.UnitName))
	}
	if b.cfg.Credentials.AccessKey != "" {
		opts = append(opts, producer.WithCredentials(b.credentials()))
	}
	if b.cfg.TLS {
		opts = append(opts, producer.WithTls(true))
	}
	return opts
}

// plainProducer returns the started plain producer, creating it first.
func (p *prod) plainProducer() (rocketmq.Producer, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.plain != nil {
		return p.plain, nil
	}
	group := p.cfg.Group
	if p.tx != nil {
		group += plainGroupSuffix
	}
	pp, err := rocketmq.NewProducer(p.options(group)...)
	if err != nil {
		return nil, fmt.Errorf("official: new producer %s: %w", group, err)
	}
	if err := pp.Start(); err != nil {
		_ = pp.Shutdown()
		return nil, fmt.Errorf("official: start producer %s: %w", group, err)
	}
	p.plain = pp
	return pp, nil
}

// enter registers a call in flight; ErrClosed after Close.
func (p *prod) enter() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return client.ErrClosed
	}
	p.sends.Add(1)
	return nil
}

// prepare checks msg and converts it, with its queue choice.
func (p *prod) prepare(msg *client.Message, opts []client.SendOption) (*primitive.Message, func(), error) {
	if err := checkMessage(msg, p.cfg.MaxMessageSize); err != nil {
		return nil, func() {}, err
	}
	pm := toPrimitive(msg)
	return pm, p.sel.choose(pm, msg, opts), nil
}

// Send sends msg and waits for the broker's answer, retrying as
// ProducerConfig.Retries says (the official client retries a pinned
// queue too). Cancelling ctx abandons the wait.
func (p *prod) Send(ctx context.Context, msg *client.Message, opts ...client.SendOption) (*client.SendResult, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer p.sends.Done()
	pm, done, err := p.prepare(msg, opts)
	if err != nil {
		return nil, err
	}
	defer done()
	pp, err := p.plainProducer()
	if err != nil {
		return nil, err
	}
	var res *primitive.SendResult
	err = p.first.do(ctx, msg.Topic, func(func()) (err error) {
		res, err = pp.SendSync(ctx, pm)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("official: send to %s: %w", msg.Topic, err)
	}
	return p.b.sendResult(res)
}

// SendBatch sends msgs, all to one topic and none delayed, in one request.
// Each message gets its UNIQ_KEY here (the official client gives batched
// messages none), so the result's MsgID lists them as package client's
// does.
func (p *prod) SendBatch(ctx context.Context, msgs []*client.Message, opts ...client.SendOption) (*client.SendResult, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer p.sends.Done()
	if len(msgs) == 0 {
		return nil, errors.New("official: empty batch")
	}
	pms := make([]*primitive.Message, len(msgs))
	ids := make([]string, len(msgs))
	size := 0
	for i, m := range msgs {
		if err := checkMessage(m, p.cfg.MaxMessageSize); err != nil {
			return nil, fmt.Errorf("official: batch message %d: %w", i, err)
		}
		if m.Topic != msgs[0].Topic {
			return nil, fmt.Errorf("official: batch message %d is for topic %q, the batch for %q", i, m.Topic, msgs[0].Topic)
		}
		if m.DelayLevel != 0 || !m.DeliverAt.IsZero() {
			return nil, fmt.Errorf("official: batch message %d: delayed and timed messages cannot be batched", i)
		}
		size += len(m.Body)
		pms[i] = toPrimitive(m)
		ids[i] = primitive.CreateUniqID()
		pms[i].WithProperty(message.PropertyUniqKey, ids[i])
	}
	if size > p.cfg.MaxMessageSize {
		return nil, fmt.Errorf("official: batch bodies total %d bytes, more than MaxMessageSize %d", size, p.cfg.MaxMessageSize)
	}
	done := p.sel.choose(pms[0], msgs[0], opts) // the batch takes the first message's queue
	defer done()
	pp, err := p.plainProducer()
	if err != nil {
		return nil, err
	}
	var res *primitive.SendResult
	err = p.first.do(ctx, msgs[0].Topic, func(func()) (err error) {
		res, err = pp.SendSync(ctx, pms...)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("official: send batch to %s: %w", msgs[0].Topic, err)
	}
	out, err := p.b.sendResult(res)
	if err != nil {
		return nil, err
	}
	out.MsgID = strings.Join(ids, ",")
	return out, nil
}

// SendAsync sends msg and calls done once with the outcome, on a goroutine
// of its own. The official client does not retry async sends. A first
// send to a topic may wait for its turn (firstSends); cancelling ctx
// abandons that wait.
func (p *prod) SendAsync(ctx context.Context, msg *client.Message, done func(*client.SendResult, error), opts ...client.SendOption) {
	if err := p.enter(); err != nil {
		go done(nil, err)
		return
	}
	release := func() {}
	var once sync.Once
	finish := func(res *client.SendResult, err error) {
		once.Do(func() {
			defer p.sends.Done()
			release()
			done(res, err)
		})
	}
	pm, release, err := p.prepare(msg, opts)
	if err != nil {
		go finish(nil, err)
		return
	}
	pp, err := p.plainProducer()
	if err != nil {
		go finish(nil, err)
		return
	}
	err = p.first.do(ctx, msg.Topic, func(func()) error {
		return pp.SendAsync(ctx, func(_ context.Context, r *primitive.SendResult, err error) {
			if err != nil {
				finish(nil, fmt.Errorf("official: send to %s: %w", msg.Topic, err))
				return
			}
			finish(p.b.sendResult(r))
		}, pm)
	})
	if err != nil {
		go finish(nil, fmt.Errorf("official: send to %s: %w", msg.Topic, err))
	}
}

// SendOneway sends msg without waiting for an answer.
func (p *prod) SendOneway(ctx context.Context, msg *client.Message, opts ...client.SendOption) error {
	if err := p.enter(); err != nil {
		return err
	}
	defer p.sends.Done()
	pm, done, err := p.prepare(msg, opts)
	if err != nil {
		return err
	}
	defer done()
	pp, err := p.plainProducer()
	if err != nil {
		return err
	}
	if err := p.first.do(ctx, msg.Topic, func(func()) error { return pp.SendOneWay(ctx, pm) }); err != nil {
		return fmt.Errorf("official: send to %s: %w", msg.Topic, err)
	}
	return nil
}

// Close waits for the calls in flight (async sends until their done
// returned), then shuts the client objects down; a transaction producer
// that answered check-backs first lets the answers reach the broker (see
// txProducer.settle). Sends after Close fail with client.ErrClosed. Close
// is idempotent.
func (p *prod) Close() error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	p.mu.Unlock()
	p.sends.Wait()
	var errs []error
	if p.tx != nil {
		errs = append(errs, p.tx.close())
	}
	p.mu.Lock()
	pp := p.plain
	p.mu.Unlock()
	if pp != nil {
		errs = append(errs, pp.Shutdown())
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("official: close producer %s: %w", p.cfg.Group, err)
	}
	return nil
}
