package namesrv

// The route table: Java's RouteInfoManager. Every change takes mu for
// writing; answers take it for reading and copy out what they need.

import (
	"cmp"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/rocketkit/rocketkit/protocol/payload"
)

// addrKey identifies a registered broker process (Java's BrokerAddrInfo).
type addrKey struct{ cluster, addr string }

// liveBroker is what the table keeps of a broker process between its
// registrations (Java's BrokerLiveInfo).
type liveBroker struct {
	name    string
	id      int64
	haAddr  string
	last    time.Time     // last registration
	timeout time.Duration // expiry after last
	version payload.DataVersion
	conn    *conn // the connection it registered over; nil when crafted in tests
}

// brokerGroup is one broker name: its master (id 0) and slaves (Java's
// BrokerData).
type brokerGroup struct {
	cluster string
	name    string
	addrs   map[int64]string
}

// queueShare is one broker name's queues of a topic (Java's QueueData).
type queueShare struct {
	read, write, perm, sysFlag int
}

type routeTable struct {
	deleteOnRegister bool          // Config.DeleteTopicWithBrokerRegistration
	expiry           time.Duration // Config.BrokerExpiry

	mu       sync.RWMutex
	topics   map[string]map[string]queueShare // topic → broker name → share; guarded by mu
	brokers  map[string]*brokerGroup          // by broker name; guarded by mu
	clusters map[string]map[string]struct{}   // cluster → broker names; guarded by mu
	live     map[addrKey]*liveBroker          // guarded by mu
	filters  map[addrKey][]string             // filter servers; guarded by mu
}

func newRouteTable(cfg Config) *routeTable {
	return &routeTable{
		deleteOnRegister: cfg.DeleteTopicWithBrokerRegistration,
		expiry:           cfg.BrokerExpiry,
		topics:           make(map[string]map[string]queueShare),
		brokers:          make(map[string]*brokerGroup),
		clusters:         make(map[string]map[string]struct{}),
		live:             make(map[addrKey]*liveBroker),
		filters:          make(map[addrKey][]string),
	}
}

// registration is a decoded REGISTER_BROKER.
type registration struct {
	cluster, addr, name, haAddr string
	id                          int64
	timeout                     time.Duration // 0: the table's expiry
	actingMaster                *bool         // enableActingMaster; nil from brokers before 5.0
	body                        payload.RegisterBrokerBody
	conn                        *conn
	now                         time.Time
}

// registerResult is what a slave learns about its master.
type registerResult struct{ haAddr, masterAddr string }

// register applies a registration as RouteInfoManager.registerBroker
// does. ok is false when Java answers "register broker failed": a broker
// id not registered yet whose body holds exactly one topic (an
// incremental registration before the full one).
func (t *routeTable) register(r registration) (res registerResult, ok bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	names := t.clusters[r.cluster]
	if names == nil {
		names = make(map[string]struct{})
		t.clusters[r.cluster] = names
	}
	names[r.name] = struct{}{}

	g := t.brokers[r.name]
	first := g == nil
	if first {
		g = &brokerGroup{cluster: r.cluster, name: r.name, addrs: make(map[int64]string)}
		t.brokers[r.name] = g
	}
	// A slave turned master (or the reverse): one address, one id.
	maps.DeleteFunc(g.addrs, func(id int64, addr string) bool { return addr == r.addr && id != r.id })

	if old, taken := g.addrs[r.id]; taken && old != r.addr {
		if prev := t.live[addrKey{r.cluster, old}]; prev != nil && prev.version.StateVersion > r.body.Topics.DataVersion.StateVersion {
			delete(t.live, addrKey{r.cluster, r.addr}) // the older claimant loses
			return registerResult{}, true
		}
	}
	if _, known := g.addrs[r.id]; !known && len(r.body.Topics.Table) == 1 {
		return registerResult{}, false
	}
	oldAddr := g.addrs[r.id]
	g.addrs[r.id] = r.addr
	first = first || oldAddr == ""

	key := addrKey{r.cluster, r.addr}
	prev := t.live[key]
	isMaster := r.id == payload.MasterID
	primeSlave := r.actingMaster != nil && !isMaster && r.id == slices.Min(slices.Collect(maps.Keys(g.addrs)))
	if isMaster || primeSlave {
		if t.deleteOnRegister {
			for topic, shares := range t.topics {
				if _, still := r.body.Topics.Table[topic]; !still {
					t.dropShare(topic, shares, r.name)
				}
			}
		}
		changed := prev == nil || prev.version != r.body.Topics.DataVersion
		if first || changed {
			for _, tc := range r.body.Topics.Table {
				perm := tc.Perm
				if primeSlave && *r.actingMaster {
					perm &^= payload.PermWrite
				}
				shares := t.topics[tc.Name]
				if shares == nil {
					shares = make(map[string]queueShare)
					t.topics[tc.Name] = shares
				}
				shares[r.name] = queueShare{read: tc.ReadQueues, write: tc.WriteQueues, perm: perm, sysFlag: tc.SysFlag}
			}
		}
	}
	timeout := r.timeout
	if timeout <= 0 {
		timeout = t.expiry
	}
	t.live[key] = &liveBroker{name: r.name, id: r.id, haAddr: r.haAddr, last: r.now, timeout: timeout,
		version: r.body.Topics.DataVersion, conn: r.conn}
	if len(r.body.FilterServers) == 0 {
		delete(t.filters, key)
	} else {
		t.filters[key] = slices.Clone(r.body.FilterServers)
	}
	if !isMaster {
		if master := g.addrs[payload.MasterID]; master != "" {
			if ml := t.live[addrKey{r.cluster, master}]; ml != nil {
				res = registerResult{haAddr: ml.haAddr, masterAddr: master}
			}
		}
	}
	return res, true
}

// dropShare removes broker name's queues from topic, and the topic when
// no broker holds it any more. mu must be held for writing.
func (t *routeTable) dropShare(topic string, shares map[string]queueShare, name string) {
	delete(shares, name)
	if len(shares) == 0 {
		delete(t.topics, topic)
	}
}

// unregister removes a broker process (RouteInfoManager.unRegisterBroker):
// its address leaves its group; the last one takes the group, its queues
// and, when no group is left, the cluster with it. It reports whether the
// broker was registered.
func (t *routeTable) unregister(cluster, addr, name string) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.unregisterLocked(cluster, addr, name)
}

func (t *routeTable) unregisterLocked(cluster, addr, name string) bool {
	key := addrKey{cluster, addr}
	_, was := t.live[key]
	delete(t.live, key)
	delete(t.filters, key)
	g := t.brokers[name]
	if g == nil {
		return was
	}
	maps.DeleteFunc(g.addrs, func(_ int64, a string) bool { return a == addr })
	if len(g.addrs) > 0 {
		return was
	}
	delete(t.brokers, name)
	if names := t.clusters[cluster]; names != nil {
		delete(names, name)
		if len(names) == 0 {
			delete(t.clusters, cluster)
		}
	}
	for topic, shares := range t.topics {
		t.dropShare(topic, shares, name)
	}
	return was
}

// expire unregisters every broker not heard from within its timeout
// (scanNotActiveBroker) and returns the connections they registered
// over, for the caller to close.
func (t *routeTable) expire(now time.Time) (dropped []string, conns []*conn) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for key, lb := range t.live {
		if now.Sub(lb.last) <= lb.timeout {
			continue
		}
		t.unregisterLocked(key.cluster, key.addr, lb.name)
		dropped = append(dropped, key.addr)
		if lb.conn != nil {
			conns = append(conns, lb.conn)
		}
	}
	return dropped, conns
}

// connClosed unregisters the brokers that registered over c, as Java's
// BrokerHousekeepingService does when a channel closes.
func (t *routeTable) connClosed(c *conn) (dropped []string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for key, lb := range t.live {
		if lb.conn == c {
			t.unregisterLocked(key.cluster, key.addr, lb.name)
			dropped = append(dropped, key.addr)
		}
	}
	return dropped
}

// deleteTopic removes topic (DELETE_TOPIC_IN_NAMESRV): from the brokers
// of cluster only, or entirely when cluster is "".
func (t *routeTable) deleteTopic(topic, cluster string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if cluster == "" {
		delete(t.topics, topic)
		return
	}
	shares := t.topics[topic]
	if shares == nil {
		return
	}
	for name := range t.clusters[cluster] {
		t.dropShare(topic, shares, name)
	}
}

// topicList returns every routed topic, sorted.
func (t *routeTable) topicList() []string {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return slices.Sorted(maps.Keys(t.topics))
}

// routeJSON is TopicRouteData as the name server writes it.
type routeJSON struct {
	OrderTopicConf string              `json:"orderTopicConf,omitempty"`
	Queues         []queueJSON         `json:"queueDatas"`
	Brokers        []brokerJSON        `json:"brokerDatas"`
	FilterServers  map[string][]string `json:"filterServerTable"`
}

type queueJSON struct {
	BrokerName  string `json:"brokerName"`
	ReadQueues  int    `json:"readQueueNums"`
	WriteQueues int    `json:"writeQueueNums"`
	Perm        int    `json:"perm"`
	SysFlag     int    `json:"topicSysFlag"`
}

type brokerJSON struct {
	Cluster    string           `json:"cluster"`
	BrokerName string           `json:"brokerName"`
	Addrs      map[int64]string `json:"brokerAddrs"`
}

func (g *brokerGroup) json() brokerJSON {
	return brokerJSON{Cluster: g.cluster, BrokerName: g.name, Addrs: maps.Clone(g.addrs)}
}

// route returns topic's route (pickupTopicRouteData), brokers in name
// order; ok is false when no registered broker holds the topic.
func (t *routeTable) route(topic string) (r routeJSON, ok bool) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	shares := t.topics[topic]
	if shares == nil {
		return routeJSON{}, false
	}
	r.FilterServers = map[string][]string{}
	for _, name := range slices.Sorted(maps.Keys(shares)) {
		s := shares[name]
		r.Queues = append(r.Queues, queueJSON{BrokerName: name, ReadQueues: s.read, WriteQueues: s.write, Perm: s.perm, SysFlag: s.sysFlag})
		g := t.brokers[name]
		if g == nil {
			continue
		}
		r.Brokers = append(r.Brokers, g.json())
		for _, addr := range g.addrs {
			if fs := t.filters[addrKey{g.cluster, addr}]; len(fs) > 0 {
				r.FilterServers[addr] = slices.Clone(fs)
			}
		}
	}
	return r, len(r.Brokers) > 0
}

// clusterJSON is ClusterInfo (GET_BROKER_CLUSTER_INFO).
type clusterJSON struct {
	Brokers  map[string]brokerJSON `json:"brokerAddrTable"`
	Clusters map[string][]string   `json:"clusterAddrTable"`
}

func (t *routeTable) clusterInfo() clusterJSON {
	t.mu.RLock()
	defer t.mu.RUnlock()
	out := clusterJSON{Brokers: make(map[string]brokerJSON, len(t.brokers)), Clusters: make(map[string][]string, len(t.clusters))}
	for name, g := range t.brokers {
		out.Brokers[name] = g.json()
	}
	for c, names := range t.clusters {
		out.Clusters[c] = slices.Sorted(maps.Keys(names))
	}
	return out
}

// Broker is one registered broker process, as Server.Brokers lists it.
type Broker struct {
	Cluster string
	Name    string
	// ID is 0 for a master, 1 and up for slaves.
	ID int64
	// Addr is the address clients dial; HAAddr the one its slaves
	// replicate from.
	Addr, HAAddr string
	// LastRegistered is when its last REGISTER_BROKER arrived.
	LastRegistered time.Time
}

func (t *routeTable) list() []Broker {
	t.mu.RLock()
	defer t.mu.RUnlock()
	out := make([]Broker, 0, len(t.live))
	for key, lb := range t.live {
		out = append(out, Broker{Cluster: key.cluster, Name: lb.name, ID: lb.id, Addr: key.addr, HAAddr: lb.haAddr, LastRegistered: lb.last})
	}
	slices.SortFunc(out, func(a, b Broker) int {
		if c := strings.Compare(a.Name, b.Name); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
	return out
}
