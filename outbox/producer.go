package outbox

import (
	"context"
	"fmt"
	"time"

	"github.com/rocketkit/rocketkit/client"
	"github.com/rocketkit/rocketkit/transport"
)

// Sender sends the relay's messages: a *Producer (NewProducer), or any
// transport.Producer or *client.Producer. The relay calls Send for one
// message and SendBatch for several bound for one queue, from several
// goroutines, always with a queue selector of its own (client.WithSelector:
// a message's SHARDING_KEY property picks its queue, see Record.Message),
// so one sharding key always maps to one queue. Cancelling ctx abandons
// the send; the relay then treats its outcome as unknown and looks the
// rows up by key before sending them again.
//
// A Sender should not retry on its own (a retried timeout can store a
// message twice): NewProducer's producers never do, and package client's
// never retry a send whose queue was chosen by a selector.
type Sender interface {
	Send(ctx context.Context, msg *client.Message, opts ...client.SendOption) (*client.SendResult, error)
	SendBatch(ctx context.Context, msgs []*client.Message, opts ...client.SendOption) (*client.SendResult, error)
}

var (
	_ Sender = (*Producer)(nil)
	_ Sender = transport.Producer(nil)
	_ Sender = (*client.Producer)(nil)
)

// ProducerConfig configures NewProducer. A zero value field means its
// documented default.
type ProducerConfig struct {
	// Group is the producer group. Default "rocketkit-outbox".
	Group string `koanf:"group"`
	// SendTimeout bounds one send when the relay's own deadline
	// (RelayConfig.SendTimeout) is not earlier. Default 3s.
	SendTimeout time.Duration `koanf:"send-timeout"`
}

// DefaultProducerGroup is ProducerConfig.Group's default.
const DefaultProducerGroup = "rocketkit-outbox"

// Producer is a producer configured for the relay and the txcheck sweeper:
// no client-side retries (a retried timeout can store a message twice;
// the relay retries itself, after a key lookup). It is safe for
// concurrent use.
type Producer struct {
	p transport.Producer
}

// NewProducer returns a producer of cfg.Group on b, ready to send. Close
// it after the relays that use it, and before b.
func NewProducer(b transport.Backend, cfg ProducerConfig) (*Producer, error) {
	if b == nil {
		return nil, fmt.Errorf("%w: a producer needs a transport backend", ErrInvalidConfig)
	}
	if cfg.Group == "" {
		cfg.Group = DefaultProducerGroup
	}
	if cfg.SendTimeout < 0 {
		return nil, fmt.Errorf("%w: producer send-timeout %v is negative", ErrInvalidConfig, cfg.SendTimeout)
	}
	p, err := b.NewProducer(client.ProducerConfig{Group: cfg.Group, SendTimeout: cfg.SendTimeout, Retries: -1})
	if err != nil {
		return nil, fmt.Errorf("outbox: new producer: %w", err)
	}
	return &Producer{p: p}, nil
}

// Send implements Sender.
func (p *Producer) Send(ctx context.Context, msg *client.Message, opts ...client.SendOption) (*client.SendResult, error) {
	return p.p.Send(ctx, msg, opts...)
}

// SendBatch implements Sender.
func (p *Producer) SendBatch(ctx context.Context, msgs []*client.Message, opts ...client.SendOption) (*client.SendResult, error) {
	return p.p.SendBatch(ctx, msgs, opts...)
}

// Close closes the producer; sends in flight finish first. It is
// idempotent.
func (p *Producer) Close() error { return p.p.Close() }
