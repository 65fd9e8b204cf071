package outbox

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"sync"
	"time"

	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/apache/rocketmq-client-go/v2/producer"
)

// Sender sends messages synchronously; the official client's producer
// (producer.NewDefaultProducer) satisfies it. The relay calls SendSync
// from several goroutines, either with one message or with one batch
// message (Batch set, SHARDING_KEY set when the inner messages have
// one). Cancelling ctx abandons the send; the relay then treats the
// outcome as unknown.
type Sender interface {
	SendSync(ctx context.Context, msgs ...*primitive.Message) (*primitive.SendResult, error)
}

// QueueCounter tells how many queues a topic has (0 when not known yet).
type QueueCounter interface {
	QueueCount(topic string) int
}

// QueueSelector routes a message by its SHARDING_KEY with FNV-1a, exactly
// like the client's producer.NewHashQueueSelector (so both agree on every
// key's queue), and messages without one round robin. It also remembers
// each topic's queue count, which lets the relay put messages of
// different sharding keys bound for the same queue into one batch.
// It is safe for concurrent use.
type QueueSelector struct {
	mu     sync.Mutex
	counts map[string]int
	next   uint32
}

var (
	_ producer.QueueSelector = (*QueueSelector)(nil)
	_ QueueCounter           = (*QueueSelector)(nil)
)

// NewQueueSelector returns a selector for producer.WithQueueSelector.
func NewQueueSelector() *QueueSelector {
	return &QueueSelector{counts: map[string]int{}, next: rand.Uint32()}
}

// Select implements producer.QueueSelector.
func (s *QueueSelector) Select(msg *primitive.Message, queues []*primitive.MessageQueue, _ string) *primitive.MessageQueue {
	if len(queues) == 0 {
		return nil
	}
	s.mu.Lock()
	s.counts[msg.Topic] = len(queues)
	n := s.next
	s.next++
	s.mu.Unlock()
	if key := msg.GetShardingKey(); key != "" {
		return queues[queueSlot(key, len(queues))]
	}
	return queues[int(n%uint32(len(queues)))]
}

// QueueCount implements QueueCounter: the number of queues seen on the
// latest send to topic.
func (s *QueueSelector) QueueCount(topic string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.counts[topic]
}

// ProducerConfig configures NewProducer.
type ProducerConfig struct {
	// NameServers are the name server addresses. Required.
	NameServers []string `koanf:"name-servers"`
	// Group is the producer group. Default "rocketkit-outbox".
	Group string `koanf:"group"`
	// InstanceName must differ between client objects of one process.
	// Default: group, process id and a random suffix.
	InstanceName string `koanf:"instance-name"`
	// SendTimeout bounds one send. Default 3s.
	SendTimeout time.Duration `koanf:"send-timeout"`
}

// producerClient is what the official default producer offers.
type producerClient interface {
	Sender
	Start() error
	Shutdown() error
}

// Producer is an official producer configured for the relay: the
// QueueSelector above, and no client-side retries (a retried timeout can
// store a message twice; the relay retries itself, after a key lookup).
type Producer struct {
	client   producerClient
	selector *QueueSelector
}

var (
	_ Sender       = (*Producer)(nil)
	_ QueueCounter = (*Producer)(nil)
)

// NewProducer creates (but does not start) the producer. opts are appended
// to the official client's options and may override them.
func NewProducer(cfg ProducerConfig, opts ...producer.Option) (*Producer, error) {
	if len(cfg.NameServers) == 0 {
		return nil, fmt.Errorf("%w: producer name-servers are required", ErrInvalidConfig)
	}
	if cfg.Group == "" {
		cfg.Group = "rocketkit-outbox"
	}
	if cfg.InstanceName == "" {
		cfg.InstanceName = fmt.Sprintf("%s-%d-%x", cfg.Group, os.Getpid(), rand.Uint32())
	}
	if cfg.SendTimeout <= 0 {
		cfg.SendTimeout = 3 * time.Second
	}
	sel := NewQueueSelector()
	base := []producer.Option{
		producer.WithNameServer(primitive.NamesrvAddr(cfg.NameServers)),
		producer.WithGroupName(cfg.Group),
		producer.WithInstanceName(cfg.InstanceName),
		producer.WithQueueSelector(sel),
		producer.WithRetry(0),
		producer.WithSendMsgTimeout(cfg.SendTimeout),
	}
	p, err := producer.NewDefaultProducer(append(base, opts...)...)
	if err != nil {
		return nil, fmt.Errorf("outbox: new producer: %w", err)
	}
	return &Producer{client: p, selector: sel}, nil
}

// Start starts the client.
func (p *Producer) Start() error { return p.client.Start() }

// Shutdown stops the client.
func (p *Producer) Shutdown() error { return p.client.Shutdown() }

// SendSync implements Sender.
func (p *Producer) SendSync(ctx context.Context, msgs ...*primitive.Message) (*primitive.SendResult, error) {
	return p.client.SendSync(ctx, msgs...)
}

// QueueCount implements QueueCounter.
func (p *Producer) QueueCount(topic string) int { return p.selector.QueueCount(topic) }
