package client

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rocketkit/rocketkit/client/internal/rpc"
	"github.com/rocketkit/rocketkit/protocol/payload"
	"github.com/rocketkit/rocketkit/protocol/remoting"
)

// Client is one process's presence in a RocketMQ cluster: its connections
// (one per broker or name server address, shared by every producer and
// consumer made from it), topic routes, heartbeats and the requests
// brokers send it. Make one per cluster and process, make producers and
// consumers from it, and Close it last. It is safe for concurrent use.
type Client struct {
	cfg  Config
	log  *slog.Logger
	id   string     // ip@instance[@unit]
	host netip.Addr // this host's address, for message ids
	pool *rpc.Pool

	routes *routeTable
	faults *faultTracker
	ns     atomic.Int32 // index of the name server that answered last

	mu        sync.Mutex
	producers map[string]producerMember // by wire group; guarded by mu
	consumers map[consumerMember]int    // member index in its group (0 = the client id); guarded by mu
	leaving   map[consumerMember]bool   // closing: out of heartbeats, index still taken; guarded by mu

	// hbMu orders heartbeats and a closing consumer's UNREGISTER_CLIENT: a
	// heartbeat built before the consumer left cannot arrive after its
	// unregistration and register it again (a ghost member).
	hbMu   sync.Mutex
	closed bool // guarded by mu

	replies replyTable // Producer.Request calls waiting for their reply (request.go)

	heartbeatNow chan struct{} // buffered 1
	refreshTopic chan string   // topics whose route to re-read now; buffered
	done         chan struct{}
	wg           sync.WaitGroup
}

// producerMember is a producer as the Client sees it: its group is in the
// heartbeat, and a transactional one answers check-backs.
type producerMember interface {
	wireGroup() string
	// checkTransaction answers a CHECK_TRANSACTION_STATE that arrived on
	// conn for m; only transactional producers do anything.
	checkTransaction(ctx context.Context, conn *rpc.Conn, req *remoting.Command, m *MessageExt)
}

// consumerMember is a consumer as the Client sees it.
type consumerMember interface {
	wireGroup() string
	memberID() string
	// setMemberID is called once, by registerConsumer, before the
	// consumer appears in a heartbeat.
	setMemberID(id string)
	heartbeat() payload.ConsumerData
	// rebalanceSoon asks the consumer to rebalance now (a member joined or
	// left its group).
	rebalanceSoon()
	// runningInfo answers GET_CONSUMER_RUNNING_INFO.
	runningInfo(jstack bool) []byte
	// resetOffsets answers RESET_CONSUMER_CLIENT_OFFSET for the queues it
	// owns.
	resetOffsets(ctx context.Context, offsets map[MessageQueue]int64) (int, error)
}

// New checks cfg and returns a running Client. It dials nothing yet:
// connections are made on first use.
func New(cfg Config, opts ...Option) (*Client, error) {
	var o options
	for _, opt := range opts {
		opt.apply(&o)
	}
	if o.logger == nil {
		o.logger = slog.New(slog.DiscardHandler)
	}
	cfg.NameServers = append([]string(nil), cfg.NameServers...)
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	c := &Client{
		cfg:          cfg,
		log:          o.logger,
		host:         localIPv4(),
		routes:       newRouteTable(),
		faults:       newFaultTracker(cfg.BrokerBackoff),
		producers:    make(map[string]producerMember),
		consumers:    make(map[consumerMember]int),
		leaving:      make(map[consumerMember]bool),
		heartbeatNow: make(chan struct{}, 1),
		refreshTopic: make(chan string, 16),
		done:         make(chan struct{}),
	}
	c.id = c.host.String() + "@" + cfg.InstanceName
	if cfg.UnitName != "" {
		c.id += "@" + cfg.UnitName
	}
	ro := rpc.Options{
		Dial:           o.dial,
		Handler:        c.serveRequest,
		RequestTimeout: cfg.RequestTimeout,
		Logger:         c.log,
		SerializeType:  remoting.SerializeRocketMQ,
	}
	if cfg.JSONHeaders {
		ro.SerializeType = remoting.SerializeJSON
	}
	if cfg.TLS {
		ro.TLS = o.tls
		if ro.TLS == nil {
			ro.TLS = &tls.Config{MinVersion: tls.VersionTLS12}
		}
	}
	if cfg.Credentials.AccessKey != "" {
		ro.BeforeRequest = signer(cfg.Credentials)
	}
	c.pool = rpc.NewPool(ro)
	c.wg.Go(c.routeLoop)
	c.wg.Go(c.heartbeatLoop)
	return c, nil
}

// ID is the client id brokers know this client by (ip@instance[@unit]).
func (c *Client) ID() string { return c.id }

// Close stops the background work and closes every connection. Close
// producers and consumers first: a consumer closed here is closed without
// draining. Close is idempotent.
func (c *Client) Close() error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	c.closed = true
	c.mu.Unlock()
	close(c.done)
	c.wg.Wait()
	return c.pool.Close()
}

func (c *Client) isClosed() bool {
	select {
	case <-c.done:
		return true
	default:
		return false
	}
}

// call sends req to addr and returns the answer, whatever its code.
func (c *Client) call(ctx context.Context, addr string, req *remoting.Command) (*remoting.Command, error) {
	if c.isClosed() {
		return nil, ErrClosed
	}
	return c.pool.Call(ctx, addr, req)
}

// callWithin is call with the wait bounded by d too (rpc.Pool.CallTimeout):
// as call with context.WithTimeout(ctx, d), without its allocations.
func (c *Client) callWithin(ctx context.Context, addr string, req *remoting.Command, d time.Duration) (*remoting.Command, error) {
	if c.isClosed() {
		return nil, ErrClosed
	}
	return c.pool.CallTimeout(ctx, addr, req, d)
}

// callOK is call for requests whose only good answer is SUCCESS.
func (c *Client) callOK(ctx context.Context, addr string, req *remoting.Command) (*remoting.Command, error) {
	resp, err := c.call(ctx, addr, req)
	if err != nil {
		return nil, err
	}
	if resp.Code != remoting.Success {
		return resp, brokerError(addr, req, resp)
	}
	return resp, nil
}

// oneway sends req to addr without waiting for an answer.
func (c *Client) oneway(ctx context.Context, addr string, req *remoting.Command) error {
	if c.isClosed() {
		return ErrClosed
	}
	conn, err := c.pool.Conn(ctx, addr)
	if err != nil {
		return err
	}
	return conn.Oneway(ctx, req)
}

// callNameServer sends a request to the name servers in turn, starting with
// the one that answered last, until one answers. newReq builds a fresh
// request per attempt.
func (c *Client) callNameServer(ctx context.Context, newReq func() *remoting.Command) (*remoting.Command, error) {
	n := len(c.cfg.NameServers)
	start := int(c.ns.Load())
	var errs []error
	for i := range n {
		k := (start + i) % n
		addr := c.cfg.NameServers[k]
		// Each name server left gets an equal share of the time left, so
		// one that does not answer (its host cut off) cannot take the
		// whole budget from the others, round after round.
		actx, cancel := ctx, context.CancelFunc(func() {})
		if deadline, ok := ctx.Deadline(); ok && i < n-1 {
			actx, cancel = context.WithTimeout(ctx, time.Until(deadline)/time.Duration(n-i))
		}
		resp, err := c.call(actx, addr, newReq())
		cancel()
		if err == nil {
			c.ns.Store(int32(k))
			return resp, nil
		}
		errs = append(errs, err)
		if ctx.Err() != nil || errors.Is(err, ErrClosed) {
			break
		}
	}
	return nil, fmt.Errorf("client: no name server answered: %w", errors.Join(errs...))
}

// registerProducer adds p's group to the heartbeat.
func (c *Client) registerProducer(p producerMember) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return ErrClosed
	}
	if _, ok := c.producers[p.wireGroup()]; ok {
		return fmt.Errorf("%w: %s", ErrGroupTaken, p.wireGroup())
	}
	c.producers[p.wireGroup()] = p
	return nil
}

func (c *Client) unregisterProducer(p producerMember) {
	c.mu.Lock()
	if c.producers[p.wireGroup()] == p {
		delete(c.producers, p.wireGroup())
	}
	c.mu.Unlock()
}

// registerConsumer adds a consumer and gives it its member id: the client
// id for the first consumer of a group in this client, the client id with a
// "#n" suffix for others (n = 2, 3, ...; the lowest free), so that brokers
// see each as its own member.
func (c *Client) registerConsumer(cm consumerMember) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return ErrClosed
	}
	taken := map[int]bool{}
	for other, n := range c.consumers {
		if other.wireGroup() == cm.wireGroup() {
			taken[n] = true
		}
	}
	n := 0
	for taken[n] {
		n++
	}
	id := c.id
	if n > 0 {
		id = fmt.Sprintf("%s#%d", c.id, n+1)
	}
	cm.setMemberID(id)
	c.consumers[cm] = n
	return nil
}

// unregisterConsumer takes a consumer out of the client in three steps:
// out of the heartbeats, then leave (UNREGISTER_CLIENT, sent by leave with
// heartbeats held back), then its member index is free for another
// consumer of the group. leave may be nil.
func (c *Client) unregisterConsumer(cm consumerMember, leave func()) {
	c.mu.Lock()
	if _, ok := c.consumers[cm]; ok {
		c.leaving[cm] = true
	}
	c.mu.Unlock()
	if leave != nil {
		c.hbMu.Lock()
		leave()
		c.hbMu.Unlock()
	}
	c.mu.Lock()
	delete(c.consumers, cm)
	delete(c.leaving, cm)
	c.mu.Unlock()
}

// consumersOf lists the consumers of a wire group ("" = all).
func (c *Client) consumersOf(group string) []consumerMember {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []consumerMember
	for cm := range c.consumers {
		if group == "" || cm.wireGroup() == group {
			out = append(out, cm)
		}
	}
	return out
}

// localIPv4 is this host's first non-loopback IPv4 address, or 127.0.0.1.
func localIPv4() netip.Addr {
	addrs, err := net.InterfaceAddrs()
	if err == nil {
		for _, a := range addrs {
			if p, ok := a.(*net.IPNet); ok {
				if ip, ok := netip.AddrFromSlice(p.IP); ok && ip.Unmap().Is4() && !ip.IsLoopback() {
					return ip.Unmap()
				}
			}
		}
	}
	return netip.MustParseAddr("127.0.0.1")
}
