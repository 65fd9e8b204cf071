package brokermetrics

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/rocketkit/rocketkit/admin"
)

// Admin is what a Cluster asks of a cluster; *admin.Client implements it.
type Admin interface {
	Cluster(ctx context.Context) (admin.ClusterInfo, error)
	BrokerRuntimeInfo(ctx context.Context, addr string) (map[string]string, error)
	SubscriptionGroups(ctx context.Context, addr string) (map[string]admin.SubscriptionGroup, error)
	ConsumeStats(ctx context.Context, group, topic string) ([]admin.QueueProgress, error)
	Topics(ctx context.Context) ([]string, error)
	TopicStats(ctx context.Context, topic string) (admin.TopicStats, error)
}

var _ Admin = (*admin.Client)(nil)

// ClusterConfig bounds what a Cluster scrape costs. Zero values mean the
// documented defaults.
type ClusterConfig struct {
	// CacheFor is how long a scrape's result is served to later requests
	// before the cluster is asked again. Default 5s.
	CacheFor time.Duration
	// Timeout bounds one scrape; what is not read by then is left out and
	// rocketkit_scrape_truncated is 1. Default 10s.
	Timeout time.Duration
	// MaxCalls bounds the admin requests of one scrape (each dials a
	// connection). Default 500.
	MaxCalls int
	// MaxBrokers bounds the master brokers read, sorted by cluster and
	// broker name. Default 32.
	MaxBrokers int
	// MaxGroups bounds the consumer groups whose lag is read, sorted by
	// name. Default 100.
	MaxGroups int
	// MaxTopics bounds the topics whose offsets are read, sorted by name,
	// system topics left out. Default 100; -1 reads none.
	MaxTopics int
	// Logger receives failed admin requests at Debug level. nil discards.
	Logger *slog.Logger
}

func (c *ClusterConfig) setDefaults() {
	set := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	if c.CacheFor == 0 {
		c.CacheFor = 5 * time.Second
	}
	if c.Timeout == 0 {
		c.Timeout = 10 * time.Second
	}
	set(&c.MaxCalls, 500)
	set(&c.MaxBrokers, 32)
	set(&c.MaxGroups, 100)
	set(&c.MaxTopics, 100)
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
}

// Validate reports a configuration that cannot be used.
func (c *ClusterConfig) Validate() error {
	var errs []error
	if c.CacheFor < 0 || c.Timeout < 0 {
		errs = append(errs, errors.New("brokermetrics: CacheFor and Timeout must not be negative"))
	}
	if c.MaxCalls < 0 || c.MaxBrokers < 0 || c.MaxGroups < 0 || c.MaxTopics < -1 {
		errs = append(errs, fmt.Errorf("brokermetrics: negative limit (MaxCalls %d, MaxBrokers %d, MaxGroups %d, MaxTopics %d)",
			c.MaxCalls, c.MaxBrokers, c.MaxGroups, c.MaxTopics))
	}
	return errors.Join(errs...)
}

// Cluster serves the metrics of any RocketMQ cluster, Apache RocketMQ's
// or this kit's broker, read through the admin protocol: it is an
// http.Handler for /metrics. Safe for concurrent use: requests arriving
// while a scrape runs wait for it and share its result.
//
// A scrape asks the name server for the cluster (1 request), then each
// master broker for its runtime info and its subscription groups (2 per
// broker), each group for its consume stats (1 route request + 1 per
// master serving it), the name server for the topic list (1) and each
// non-system topic for its stats (1 route request + 1 per master). With B
// brokers, G groups and T topics that is about 3 + 2B + (G+T)(1+B)
// requests, bounded by ClusterConfig's limits; the result is cached for
// CacheFor, so scraping every 15s costs one scrape per 15s.
type Cluster struct {
	admin Admin
	cfg   ClusterConfig

	mu   sync.Mutex // held during a scrape: later requests wait for it
	body []byte     // the last exposition; guarded by mu
	at   time.Time  // when body was made; guarded by mu
}

// NewCluster returns a Cluster reading through a (an *admin.Client).
func NewCluster(a Admin, cfg ClusterConfig) (*Cluster, error) {
	if a == nil {
		return nil, errors.New("brokermetrics: NewCluster needs an admin client")
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg.setDefaults()
	return &Cluster{admin: a, cfg: cfg}, nil
}

// ServeHTTP serves the exposition, scraping the cluster when the cached
// one is older than CacheFor. The scrape runs to its Timeout even if the
// request that started it goes away, since others may be waiting.
func (c *Cluster) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := c.exposition(r.Context())
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", ContentType)
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	if r.Method != http.MethodHead {
		_, _ = w.Write(body)
	}
}

// exposition returns the cached exposition or makes a new one.
func (c *Cluster) exposition(ctx context.Context) ([]byte, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.body != nil && time.Since(c.at) < c.cfg.CacheFor {
		return c.body, nil
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), c.cfg.Timeout)
	defer cancel()
	var buf bytes.Buffer
	if _, err := c.scrape(ctx).WriteTo(&buf); err != nil {
		return nil, err
	}
	c.body, c.at = buf.Bytes(), time.Now()
	return c.body, nil
}

// masterBroker is one master to read.
type masterBroker struct{ cluster, name, addr string }

// scrape reads the cluster within the limits.
func (c *Cluster) scrape(ctx context.Context) *set {
	start := time.Now()
	s := newSet()
	sc := &scrapeState{ctx: ctx, budget: c.cfg.MaxCalls, log: c.cfg.Logger}
	defer func() {
		s.gauge(mScrapeDuration, helpScrapeDuration).add(time.Since(start).Seconds())
		s.gauge(mScrapeCalls, helpScrapeCalls).add(float64(sc.calls))
		s.gauge(mScrapeErrors, helpScrapeErrors).add(float64(sc.errors))
		s.gauge(mScrapeTruncated, helpScrapeTruncated).add(boolFloat(sc.truncated))
	}()
	var info admin.ClusterInfo
	if !sc.call(1, "cluster info", func() (err error) { info, err = c.admin.Cluster(ctx); return err }) {
		return s
	}
	masters, clusterOf := mastersOf(info)
	if len(masters) > c.cfg.MaxBrokers {
		masters, sc.truncated = masters[:c.cfg.MaxBrokers], true
	}
	groups := c.brokers(s, sc, masters)
	c.lag(s, sc, groups, clusterOf, len(masters))
	if c.cfg.MaxTopics >= 0 {
		c.topics(s, sc, info, clusterOf, len(masters))
	}
	return s
}

// mastersOf lists the master brokers sorted by cluster and name, and maps
// broker names to their cluster.
func mastersOf(info admin.ClusterInfo) ([]masterBroker, map[string]string) {
	clusterOf := map[string]string{}
	for cluster, names := range info.Clusters {
		for _, n := range names {
			clusterOf[n] = cluster
		}
	}
	var out []masterBroker
	for name, bd := range info.Brokers {
		if addr := bd.Master(); addr != "" {
			cl := clusterOf[name]
			if cl == "" {
				cl = bd.Cluster
				clusterOf[name] = cl
			}
			out = append(out, masterBroker{cluster: cl, name: name, addr: addr})
		}
	}
	slices.SortFunc(out, func(a, b masterBroker) int {
		if c := strings.Compare(a.cluster, b.cluster); c != 0 {
			return c
		}
		return strings.Compare(a.name, b.name)
	})
	return out, clusterOf
}

// brokers reads each master's runtime info and returns the union of their
// subscription groups.
func (c *Cluster) brokers(s *set, sc *scrapeState, masters []masterBroker) []string {
	up := s.gauge(mBrokerUp, helpBrokerUp)
	groupSet := map[string]bool{}
	for _, m := range masters {
		node := []string{"cluster", m.cluster, "broker", m.name}
		var rt map[string]string
		ok := sc.call(1, "runtime info of "+m.addr, func() (err error) {
			rt, err = c.admin.BrokerRuntimeInfo(sc.ctx, m.addr)
			return err
		})
		up.add(boolFloat(ok), node...)
		if ok {
			runtimeMetrics(s, rt, node)
		}
		var sgs map[string]admin.SubscriptionGroup
		if sc.call(1, "subscription groups of "+m.addr, func() (err error) {
			sgs, err = c.admin.SubscriptionGroups(sc.ctx, m.addr)
			return err
		}) {
			for g := range sgs {
				if !systemGroup(g) {
					groupSet[g] = true
				}
			}
		}
	}
	groups := make([]string, 0, len(groupSet))
	for g := range groupSet {
		groups = append(groups, g)
	}
	slices.Sort(groups)
	if len(groups) > c.cfg.MaxGroups {
		groups, sc.truncated = groups[:c.cfg.MaxGroups], true
	}
	return groups
}

// runtimeMetrics maps a broker's runtime table to metrics; keys a broker
// does not report, or reports in a form that does not parse, are left out.
func runtimeMetrics(s *set, rt map[string]string, node []string) {
	num := func(key string) (float64, bool) {
		v, err := strconv.ParseFloat(strings.TrimSpace(rt[key]), 64)
		return v, err == nil
	}
	if v, ok := num("msgPutTotalTodayNow"); ok {
		s.counter(mBrokerIn, helpBrokerIn).add(v, node...)
	}
	if v, ok := num("msgGetTotalTodayNow"); ok {
		s.counter(mBrokerOut, helpBrokerOut).add(v, node...)
	}
	if tps, err := admin.ParseTPS(rt["putTps"]); err == nil {
		s.gauge(mBrokerPutTPS, helpBrokerPutTPS).add(tps[0], node...)
	}
	get := rt["getTransferredTps"]
	if get == "" {
		get = rt["getTransferedTps"]
	}
	if tps, err := admin.ParseTPS(get); err == nil {
		s.gauge(mBrokerGetTPS, helpBrokerGetTPS).add(tps[0], node...)
	}
	lo, okLo := num("commitLogMinOffset")
	hi, okHi := num("commitLogMaxOffset")
	if okLo && okHi {
		s.gauge(mStorageSize, helpStorageSize).add(max(0, hi-lo), node...)
	}
	if v, ok := num("commitLogDiskRatio"); ok && v >= 0 {
		s.gauge(mDiskRatio, helpDiskRatio).add(v, node...)
	}
	if v, ok := num("dispatchBehindBytes"); ok {
		s.gauge(mDispatchBehind, helpDispatchBehind).add(v, node...)
	}
}

// lag reads each group's consume stats.
func (c *Cluster) lag(s *set, sc *scrapeState, groups []string, clusterOf map[string]string, masters int) {
	lag := s.gauge(mLag, helpLag)
	for _, g := range groups {
		var qs []admin.QueueProgress
		if !sc.call(1+masters, "consume stats of "+g, func() (err error) {
			qs, err = c.admin.ConsumeStats(sc.ctx, g, "")
			if errors.Is(err, admin.ErrTopicNotFound) {
				return nil // no retry topic: the group never consumed
			}
			return err
		}) {
			if sc.stopped() {
				return
			}
			continue
		}
		for _, q := range qs {
			lag.addInt(q.Lag(), "cluster", clusterOf[q.BrokerName], "broker", q.BrokerName,
				"consumer_group", g, "topic", q.Topic, "queue_id", strconv.Itoa(q.QueueID))
		}
	}
}

// topics reads the offsets of the non-system topics.
func (c *Cluster) topics(s *set, sc *scrapeState, info admin.ClusterInfo, clusterOf map[string]string, masters int) {
	var all []string
	if !sc.call(1, "topic list", func() (err error) { all, err = c.admin.Topics(sc.ctx); return err }) {
		return
	}
	var topics []string
	for _, t := range all {
		if !systemTopic(t, info) {
			topics = append(topics, t)
		}
	}
	if len(topics) > c.cfg.MaxTopics {
		topics, sc.truncated = topics[:c.cfg.MaxTopics], true
	}
	maxOff := s.gauge(mTopicMaxOffset, helpTopicMaxOffset)
	held := s.gauge(mTopicMessages, helpTopicMessages)
	for _, t := range topics {
		var st admin.TopicStats
		if !sc.call(1+masters, "stats of topic "+t, func() (err error) {
			st, err = c.admin.TopicStats(sc.ctx, t)
			return err
		}) {
			if sc.stopped() {
				return
			}
			continue
		}
		type sum struct{ max, held int64 }
		byBroker := map[string]*sum{}
		for _, q := range st.Queues {
			b := byBroker[q.BrokerName]
			if b == nil {
				b = &sum{}
				byBroker[q.BrokerName] = b
			}
			b.max += q.MaxOffset
			b.held += max(0, q.MaxOffset-q.MinOffset)
		}
		for name, b := range byBroker {
			node := []string{"cluster", clusterOf[name], "broker", name, "topic", t}
			maxOff.addInt(b.max, node...)
			held.addInt(b.held, node...)
		}
	}
}

func boolFloat(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
