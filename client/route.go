package client

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/rocketkit/rocketkit/protocol/payload"
	"github.com/rocketkit/rocketkit/protocol/remoting"
)

// defaultTopic is the topic whose route a producer borrows for a topic the
// name servers do not know yet (the broker creates it on the first send
// when autoCreateTopicEnable is on); defaultTopicQueues caps the queues
// used then, as the Java client does.
const (
	defaultTopic       = "TBW102"
	defaultTopicQueues = 4
)

// allQueues is newTopicRoute's maxQueues for a topic's own route.
const allQueues = int(^uint(0) >> 1)

// topicRoute is a topic's route with the queue lists producers and
// consumers use, built once per route change.
type topicRoute struct {
	data payload.TopicRoute
	// publish lists the writable queues on brokers that have a master, in
	// broker then queue order.
	publish []MessageQueue
	// subscribe lists the readable queues, sorted as allocation needs.
	subscribe []MessageQueue
	fetched   time.Time
}

func newTopicRoute(topic string, data payload.TopicRoute, maxQueues int) *topicRoute {
	r := &topicRoute{data: data, fetched: time.Now()}
	for _, q := range data.Queues {
		b, ok := data.Broker(q.BrokerName)
		if q.Writable() && ok && b.Master() != "" {
			for i := range min(q.WriteQueues, max(maxQueues, 0)) {
				r.publish = append(r.publish, MessageQueue{Topic: topic, BrokerName: q.BrokerName, QueueID: i})
			}
		}
		if q.Readable() {
			for i := range q.ReadQueues {
				r.subscribe = append(r.subscribe, MessageQueue{Topic: topic, BrokerName: q.BrokerName, QueueID: i})
			}
		}
	}
	slices.SortFunc(r.publish, compareQueues)
	slices.SortFunc(r.subscribe, compareQueues)
	return r
}

// routeTable caches routes by wire topic. Lookups of a topic not cached yet
// share one name-server request.
type routeTable struct {
	mu       sync.RWMutex
	routes   map[string]*topicRoute        // guarded by mu
	brokers  map[string]payload.BrokerData // by broker name, from every route; guarded by mu
	inflight map[string]*routeFetch        // guarded by mu
}

type routeFetch struct {
	done  chan struct{}
	route *topicRoute
	err   error
}

func newRouteTable() *routeTable {
	return &routeTable{routes: make(map[string]*topicRoute), brokers: make(map[string]payload.BrokerData),
		inflight: make(map[string]*routeFetch)}
}

func (t *routeTable) get(topic string) *topicRoute {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.routes[topic]
}

// put stores a route and reports whether it differs from the one before,
// and whether it names a broker address no route named before.
func (t *routeTable) put(topic string, r *topicRoute) (changed, newBroker bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	old := t.routes[topic]
	t.routes[topic] = r
	for _, b := range r.data.Brokers {
		if known, ok := t.brokers[b.BrokerName]; !ok || !maps.Equal(known.Addrs, b.Addrs) {
			newBroker = true
		}
		t.brokers[b.BrokerName] = b
	}
	return old == nil || !old.data.Equal(r.data), newBroker
}

func (t *routeTable) topics() []string {
	t.mu.RLock()
	defer t.mu.RUnlock()
	out := make([]string, 0, len(t.routes))
	for topic := range t.routes {
		out = append(out, topic)
	}
	return out
}

// broker returns a broker group by name from any route seen.
func (t *routeTable) broker(name string) (payload.BrokerData, bool) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	b, ok := t.brokers[name]
	return b, ok
}

// brokerAddrs lists the addresses of every broker known: masters only, or
// slaves too.
func (t *routeTable) brokerAddrs(withSlaves bool) []string {
	t.mu.RLock()
	defer t.mu.RUnlock()
	var out []string
	for _, b := range t.brokers {
		for id, addr := range b.Addrs {
			if id == payload.MasterID || withSlaves {
				out = append(out, addr)
			}
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// route returns the wire topic's route, from the cache or the name servers.
func (c *Client) route(ctx context.Context, topic string) (*topicRoute, error) {
	if r := c.routes.get(topic); r != nil {
		return r, nil
	}
	t := c.routes
	t.mu.Lock()
	if r := t.routes[topic]; r != nil {
		t.mu.Unlock()
		return r, nil
	}
	f := t.inflight[topic]
	if f == nil {
		f = &routeFetch{done: make(chan struct{})}
		t.inflight[topic] = f
		t.mu.Unlock()
		f.route, f.err = c.fetchRoute(ctx, topic)
		t.mu.Lock()
		delete(t.inflight, topic)
		t.mu.Unlock()
		close(f.done)
	} else {
		t.mu.Unlock()
		select {
		case <-f.done:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	return f.route, f.err
}

// fetchRoute asks the name servers for a topic's route and caches it.
func (c *Client) fetchRoute(ctx context.Context, topic string) (*topicRoute, error) {
	data, err := c.queryRoute(ctx, topic)
	if err != nil {
		return nil, err
	}
	r := newTopicRoute(topic, data, allQueues)
	c.putRoute(topic, r)
	return r, nil
}

// putRoute caches a route; a broker not seen before gets the client's
// heartbeat at once (as Java does after a route update), so that it can
// reach this client's producers (check-backs) before the next period.
func (c *Client) putRoute(topic string, r *topicRoute) (changed bool) {
	changed, newBroker := c.routes.put(topic, r)
	if newBroker {
		c.triggerHeartbeat()
	}
	return changed
}

// queryRoute asks the name servers for a topic's route data.
func (c *Client) queryRoute(ctx context.Context, topic string) (payload.TopicRoute, error) {
	resp, err := c.callNameServer(ctx, func() *remoting.Command {
		return remoting.NewClientRequest(remoting.GetRouteInfoByTopic, remoting.Fields{{Key: "topic", Value: topic}}, nil)
	})
	if err != nil {
		return payload.TopicRoute{}, err
	}
	switch resp.Code {
	case remoting.Success:
	case remoting.TopicNotExist:
		return payload.TopicRoute{}, fmt.Errorf("%w: %s", ErrTopicNotExist, c.bareName(topic))
	default:
		return payload.TopicRoute{}, fmt.Errorf("client: route of %s: %w", c.bareName(topic),
			remoting.ErrorForCode(resp.Code, resp.Remark))
	}
	data, err := payload.ParseTopicRoute(resp.Body)
	if err != nil {
		return payload.TopicRoute{}, fmt.Errorf("client: route of %s: %w", c.bareName(topic), err)
	}
	return data, nil
}

// publishRoute returns the route a producer sends a topic's messages by:
// the topic's own, or for a topic the name servers do not know, TBW102's
// queues (at most 4) under the topic's name, so the broker creates it on
// the first send.
func (c *Client) publishRoute(ctx context.Context, topic string) (*topicRoute, error) {
	r, err := c.route(ctx, topic)
	if err == nil || !errors.Is(err, ErrTopicNotExist) {
		return r, err
	}
	data, derr := c.queryRoute(ctx, defaultTopic)
	if derr != nil {
		return nil, err
	}
	r = newTopicRoute(topic, data, defaultTopicQueues)
	if len(r.publish) == 0 {
		return nil, err
	}
	c.putRoute(topic, r)
	return r, nil
}

// refreshRoutes re-reads the route of every topic in use. A topic still
// unknown to the name servers keeps the route borrowed from TBW102.
func (c *Client) refreshRoutes(ctx context.Context) (changed bool) {
	for _, topic := range c.routes.topics() {
		data, err := c.queryRoute(ctx, topic)
		if err != nil {
			if !errors.Is(err, ErrTopicNotExist) {
				c.log.Warn("refresh topic route", "topic", c.bareName(topic), "err", err)
			}
			continue
		}
		if c.putRoute(topic, newTopicRoute(topic, data, allQueues)) {
			changed = true
			c.log.Debug("topic route changed", "topic", c.bareName(topic))
		}
	}
	return changed
}

// refreshSoon asks the route loop to re-read topic's route now, after a
// send to it failed (the broker may have moved or gone). Requests beyond
// the loop's queue are dropped: a refresh is already coming.
func (c *Client) refreshSoon(topic string) {
	select {
	case c.refreshTopic <- topic:
	default:
	}
}

func (c *Client) routeLoop() {
	t := time.NewTicker(c.cfg.RouteRefreshInterval)
	defer t.Stop()
	last := map[string]time.Time{} // when each topic was refreshed after an error
	for {
		select {
		case <-c.done:
			return
		case topic := <-c.refreshTopic:
			if time.Since(last[topic]) < time.Second {
				continue // at most one refresh a second per topic
			}
			last[topic] = time.Now()
			ctx, cancel := context.WithTimeout(context.Background(), c.cfg.RequestTimeout)
			if data, err := c.queryRoute(ctx, topic); err == nil && c.putRoute(topic, newTopicRoute(topic, data, allQueues)) {
				for _, cm := range c.consumersOf("") {
					cm.rebalanceSoon() // e.g. a master left: its queues are read from the slave now
				}
			}
			cancel()
		case <-t.C:
			ctx, cancel := context.WithTimeout(context.Background(), c.cfg.RouteRefreshInterval)
			if c.refreshRoutes(ctx) {
				for _, cm := range c.consumersOf("") {
					cm.rebalanceSoon()
				}
			}
			cancel()
		}
	}
}

// masterAddr returns the master address of a broker group (Java's
// findBrokerAddressInPublish): where sends, send-backs, queue locks and
// offset look-ups by position go. Slaves refuse writes, so there is no
// fallback to them.
func (c *Client) masterAddr(brokerName string) (string, error) {
	b, ok := c.routes.broker(brokerName)
	if !ok || b.Master() == "" {
		return "", fmt.Errorf("%w: %s", ErrNoMaster, brokerName)
	}
	return b.Master(), nil
}

// subscribeAddr returns the address, and its broker id, that a read of
// brokerName's queues goes to: a pull (id the broker last suggested), or a
// consumer offset read or commit (id payload.MasterID). See
// findSubscribeAddr.
func (c *Client) subscribeAddr(brokerName string, id int64) (string, int64, error) {
	b, _ := c.routes.broker(brokerName)
	addr, got, ok := findSubscribeAddr(b, id)
	if !ok {
		return "", 0, fmt.Errorf("client: no address known for broker %s", brokerName)
	}
	return addr, got, nil
}

// findSubscribeAddr picks the broker of group b that a read goes to, as
// Java's MQClientInstance.findBrokerAddressInSubscribe(name, id, false)
// does: broker id when the group has it; for a slave id it lacks, the next
// id; otherwise the group's lowest id, which is the master while the group
// has one and a slave while the master is down. ok is false when the group
// has no address at all.
func findSubscribeAddr(b payload.BrokerData, id int64) (addr string, got int64, ok bool) {
	if a := b.Addrs[id]; a != "" {
		return a, id, true
	}
	if id != payload.MasterID {
		if a := b.Addrs[id+1]; a != "" {
			return a, id + 1, true
		}
	}
	for bid, a := range b.Addrs {
		if a != "" && (!ok || bid < got) {
			addr, got, ok = a, bid, true
		}
	}
	return addr, got, ok
}
