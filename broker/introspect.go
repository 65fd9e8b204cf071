package broker

// Read-only views of the broker's state for observers (package
// broker/brokermetrics, the console): which groups exist, who is
// connected, and what the store holds on disk.

import (
	"slices"

	"github.com/rocketkit/rocketkit/broker/store"
)

// ConsumerGroups lists the consumer groups that have committed offsets or
// live members, sorted. Safe for concurrent use.
func (b *Broker) ConsumerGroups() []string {
	groups := append(b.offsets.groups(""), b.clients.groupNames()...)
	slices.Sort(groups)
	return slices.Compact(groups)
}

// GroupClients counts the live clients of each consumer and producer
// group.
type GroupClients struct {
	// Consumers maps a consumer group to its members (client instances).
	Consumers map[string]int
	// Producers maps a producer group to its connections that sent a
	// heartbeat or a message naming it.
	Producers map[string]int
}

// GroupClients returns the live clients per group. Safe for concurrent
// use.
func (b *Broker) GroupClients() GroupClients {
	t := b.clients
	out := GroupClients{Consumers: map[string]int{}, Producers: map[string]int{}}
	t.mu.RLock()
	defer t.mu.RUnlock()
	for name, g := range t.consumers {
		out.Consumers[name] = len(g.members)
	}
	for name, conns := range t.producers {
		out.Producers[name] = len(conns)
	}
	return out
}

// StoreFootprint returns what the message store holds on disk.
func (b *Broker) StoreFootprint() store.Footprint { return b.store.Footprint() }

// StoreLatencies returns the store's flush, fsync and checkpoint latency
// histograms since start.
func (b *Broker) StoreLatencies() store.Latencies { return b.store.Latencies() }

// StoreCounters returns the store's message counters since start (as
// GET_BROKER_RUNTIME_INFO's msgPutTotalTodayNow and msgGetTotalTodayNow).
func (b *Broker) StoreCounters() store.Counters { return b.store.Counters() }
