package transport

import (
	"context"

	"github.com/rocketkit/rocketkit/client"
)

// Backend makes producers and consumers on one cluster. Implementations
// are safe for concurrent use. Close the producers and consumers before
// the Backend.
type Backend interface {
	// Name says which client runs underneath: "rocketkit" or "official".
	Name() string
	// NewProducer returns a producer of cfg.Group.
	NewProducer(cfg client.ProducerConfig) (Producer, error)
	// NewTransactionProducer returns a producer that can
	// SendInTransaction; checker answers the broker's check-backs.
	NewTransactionProducer(cfg client.ProducerConfig, checker client.TransactionChecker) (Producer, error)
	// NewConsumer returns a consumer, not started, that calls h with the
	// messages of cfg's subscriptions.
	NewConsumer(cfg client.ConsumerConfig, h client.Handler) (Consumer, error)
	// Close releases what the backend holds (connections, timers).
	Close() error
}

// Producer sends messages; see client.Producer for the contract of each
// method, which every backend honours.
type Producer interface {
	Send(ctx context.Context, msg *client.Message, opts ...client.SendOption) (*client.SendResult, error)
	SendBatch(ctx context.Context, msgs []*client.Message, opts ...client.SendOption) (*client.SendResult, error)
	SendAsync(ctx context.Context, msg *client.Message, done func(*client.SendResult, error), opts ...client.SendOption)
	SendOneway(ctx context.Context, msg *client.Message, opts ...client.SendOption) error
	SendInTransaction(ctx context.Context, msg *client.Message,
		execute func(ctx context.Context, res *client.SendResult) client.TransactionState) (*client.SendResult, client.TransactionState, error)
	// Request sends msg as a request and waits, until ctx's deadline, for
	// the reply a responder sends back (client.NewReply): request-reply.
	Request(ctx context.Context, msg *client.Message, opts ...client.SendOption) (*client.MessageExt, error)
	Close() error
}

// Consumer delivers messages to its handler between Start and Close; see
// client.Consumer.
type Consumer interface {
	Start(ctx context.Context) error
	Close(ctx context.Context) error
}

var (
	_ Producer = (*client.Producer)(nil)
	_ Consumer = (*client.Consumer)(nil)
)
