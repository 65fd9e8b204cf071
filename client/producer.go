package client

import (
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rocketkit/rocketkit/protocol/message"
)

// ProducerConfig configures a Producer. A zero value field means its
// documented default.
type ProducerConfig struct {
	// Group is the producer group; brokers route transaction check-backs
	// to a live member of it. Required.
	Group string `koanf:"group"`
	// SendTimeout bounds each attempt of a send when the caller's ctx has
	// no earlier deadline. Default 3s.
	SendTimeout time.Duration `koanf:"send-timeout"`
	// Retries is how many more attempts a sync send makes after a
	// retriable failure (transport error, SYSTEM_ERROR,
	// SERVICE_NOT_AVAILABLE, NO_PERMISSION, TOPIC_NOT_EXIST), each on
	// another broker when there is one. Default 2; -1 for none.
	Retries int `koanf:"retries"`
	// CompressOver compresses single-message bodies larger than this many
	// bytes with zlib, as the Java client does (consumers decompress).
	// Default 4096; -1 never compresses.
	CompressOver int `koanf:"compress-over"`
	// CompressLevel is the zlib level, 1..9. Default 5.
	CompressLevel int `koanf:"compress-level"`
	// MaxMessageSize refuses larger bodies before sending. Default 4 MiB,
	// the broker's default limit.
	MaxMessageSize int `koanf:"max-message-size"`
}

// WithDefaults returns c with every zero field set to its documented
// default, as NewProducer applies them; for other clients' adapters.
func (c ProducerConfig) WithDefaults() ProducerConfig {
	c.setDefaults()
	return c
}

func (c *ProducerConfig) setDefaults() {
	if c.SendTimeout == 0 {
		c.SendTimeout = 3 * time.Second
	}
	if c.Retries == 0 {
		c.Retries = 2
	}
	if c.Retries < 0 {
		c.Retries = 0
	}
	if c.CompressOver == 0 {
		c.CompressOver = 4096
	}
	if c.CompressLevel == 0 {
		c.CompressLevel = 5
	}
	if c.MaxMessageSize == 0 {
		c.MaxMessageSize = 4 << 20
	}
}

// Validate reports the first problem with c, naming the field.
func (c ProducerConfig) Validate() error {
	if err := message.ValidateGroup(c.Group); err != nil {
		return fmt.Errorf("client: producer Group: %w", err)
	}
	if c.SendTimeout < 0 {
		return fmt.Errorf("client: producer SendTimeout %v is negative", c.SendTimeout)
	}
	if c.CompressLevel < 1 || c.CompressLevel > 9 {
		return fmt.Errorf("client: producer CompressLevel %d is not in 1..9", c.CompressLevel)
	}
	if c.MaxMessageSize < 0 {
		return fmt.Errorf("client: producer MaxMessageSize %d is negative", c.MaxMessageSize)
	}
	return nil
}

// Producer sends messages. Make it with Client.NewProducer or
// Client.NewTransactionProducer; it is safe for concurrent use.
type Producer struct {
	c       *Client
	cfg     ProducerConfig
	group   string // on the wire
	checker TransactionChecker

	next   atomic.Uint32 // round-robin position
	closed atomic.Bool
	wg     sync.WaitGroup // async sends and check answers in flight
}

var _ producerMember = (*Producer)(nil)

// NewProducer returns a producer of cfg.Group. Brokers learn of the group
// from the next heartbeat; sends work at once.
func (c *Client) NewProducer(cfg ProducerConfig) (*Producer, error) {
	return c.newProducer(cfg, nil)
}

func (c *Client) newProducer(cfg ProducerConfig, checker TransactionChecker) (*Producer, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	p := &Producer{c: c, cfg: cfg, group: c.wireName(cfg.Group), checker: checker}
	if err := c.registerProducer(p); err != nil {
		return nil, err
	}
	c.triggerHeartbeat()
	return p, nil
}

func (p *Producer) wireGroup() string { return p.group }

// Close waits for async sends and check answers in flight and removes the
// group from the client's heartbeat. Sends after Close fail with
// ErrClosed. Close is idempotent.
func (p *Producer) Close() error {
	if p.closed.Swap(true) {
		return nil
	}
	p.wg.Wait()
	p.c.unregisterProducer(p)
	p.c.triggerHeartbeat()
	return nil
}
