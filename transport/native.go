package transport

import "github.com/rocketkit/rocketkit/client"

// NativeName is the Name of the Native backend.
const NativeName = "rocketkit"

// native is the Backend on the kit's own client.
type native struct {
	c     *client.Client
	owned bool
}

var _ Backend = (*native)(nil)

// Native returns the backend on the kit's own client, connecting as cfg
// says. Close closes the client.
func Native(cfg client.Config, opts ...client.Option) (Backend, error) {
	c, err := client.New(cfg, opts...)
	if err != nil {
		return nil, err
	}
	return &native{c: c, owned: true}, nil
}

// NativeOn returns the backend on an existing client, which Close leaves
// open.
func NativeOn(c *client.Client) Backend { return &native{c: c} }

func (n *native) Name() string { return NativeName }

func (n *native) NewProducer(cfg client.ProducerConfig) (Producer, error) {
	p, err := n.c.NewProducer(cfg)
	if err != nil {
		return nil, err
	}
	return p, nil
}

func (n *native) NewTransactionProducer(cfg client.ProducerConfig, checker client.TransactionChecker) (Producer, error) {
	p, err := n.c.NewTransactionProducer(cfg, checker)
	if err != nil {
		return nil, err
	}
	return p, nil
}

func (n *native) NewConsumer(cfg client.ConsumerConfig, h client.Handler) (Consumer, error) {
	c, err := n.c.NewConsumer(cfg, h)
	if err != nil {
		return nil, err
	}
	return c, nil
}

// Client returns the client underneath.
func (n *native) Client() *client.Client { return n.c }

func (n *native) Close() error {
	if n.owned {
		return n.c.Close()
	}
	return nil
}
