package clusterhosts_test

// The cluster: name servers and brokers as rocketkit processes on their
// own hosts, and the test's handles on the drivers.

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/rocketkit/rocketkit/internal/clienttest"
	"github.com/rocketkit/rocketkit/internal/netns"
)

// The cluster's hosts: ns1 and ns2 run name servers, m1 and m2 the masters
// of broker-a and broker-b, s1 and s2 their slaves, client the drivers.
var hosts = []string{"ns1", "ns2", "m1", "m2", "s1", "s2", "client"}

const (
	clusterName  = "kc"
	namesrvPort  = "9876"
	brokerPort   = 10911
	haPort       = 10912
	startTimeout = 30 * time.Second
	// syncFlushTimeout is how long a SYNC_MASTER waits for its slave
	// before answering FLUSH_SLAVE_TIMEOUT.
	syncFlushTimeout = time.Second
)

// cluster is one scenario's hosts and the processes on them.
type cluster struct {
	t           *testing.T
	net         *netns.Net
	dir         string
	nameServers []string
	procs       map[string]*netns.Proc // by host
	confs       map[string]string      // broker.conf path by host
	start       time.Time
}

func newCluster(t *testing.T) *cluster {
	t.Helper()
	dir := t.TempDir() // before New: removed after its processes are killed
	n := netns.New(t, hosts...)
	c := &cluster{t: t, net: n, dir: dir, procs: map[string]*netns.Proc{}, confs: map[string]string{}, start: time.Now()}
	for _, h := range []string{"ns1", "ns2"} {
		c.nameServers = append(c.nameServers, n.Addr(h)+":"+namesrvPort)
	}
	return c
}

// startNamesrv starts a name server on host and waits until it listens.
func (c *cluster) startNamesrv(host string) {
	c.t.Helper()
	p := c.net.Start(host, "namesrv", []string{rocketkitBin, "namesrv", "--insecure",
		"--listen", c.net.Addr(host) + ":" + namesrvPort}, nil)
	p.WaitOutput("rocketkit namesrv listening on", startTimeout)
	c.procs[host] = p
}

// brokerSpec is what differs between the brokers of a scenario.
type brokerSpec struct {
	Name      string // brokerName
	ID        int    // brokerId: 0 master, 1 slave
	Role      string // brokerRole: SYNC_MASTER, ASYNC_MASTER or SLAVE
	SlaveRead bool   // slaveReadEnable
}

// startBroker writes host's broker.conf, starts the broker and waits
// until it has registered with the name servers and listens.
func (c *cluster) startBroker(host string, b brokerSpec) {
	c.t.Helper()
	conf := filepath.Join(c.dir, host+".broker.conf")
	lines := []string{
		"brokerClusterName=" + clusterName,
		"brokerName=" + b.Name,
		fmt.Sprintf("brokerId=%d", b.ID),
		"brokerRole=" + b.Role,
		"namesrvAddr=" + strings.Join(c.nameServers, ";"),
		fmt.Sprintf("listenPort=%d", brokerPort),
		"brokerIP1=" + c.net.Addr(host),
		"storePathRootDir=" + filepath.Join(c.dir, host+"-store"),
		"flushDiskType=ASYNC_FLUSH",
		fmt.Sprintf("syncFlushTimeout=%d", syncFlushTimeout.Milliseconds()),
		"haSendHeartbeatInterval=1000",
		fmt.Sprintf("slaveReadEnable=%t", b.SlaveRead),
		"registerNameServerPeriod=10000",
	}
	if b.Role != "SLAVE" { // a slave refuses it: only masters serve the HA port
		lines = append(lines, fmt.Sprintf("haListenPort=%d", haPort))
	}
	if err := os.WriteFile(conf, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		c.t.Fatal(err)
	}
	c.confs[host] = conf
	c.restartBroker(host)
}

// restartBroker starts host's broker (again) on its broker.conf and store.
func (c *cluster) restartBroker(host string) {
	c.t.Helper()
	p := c.net.Start(host, "broker", []string{rocketkitBin, "broker", "-c", c.confs[host], "--insecure"}, nil)
	p.WaitOutput("rocketkit broker listening on", startTimeout)
	c.procs[host] = p
}

// kill SIGKILLs host's process.
func (c *cluster) kill(host string) {
	c.t.Helper()
	c.procs[host].Kill()
	c.t.Logf("%v: SIGKILLed %s", c.since(), c.procs[host])
}

func (c *cluster) since() time.Duration { return time.Since(c.start).Round(time.Millisecond) }

// ctx is a context for one step of the scenario.
func (c *cluster) ctx(d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(c.t.Context(), d)
	c.t.Cleanup(cancel)
	return ctx
}

// createTopic creates a new topic of 4 queues on every master, routed by
// both name servers, and returns its name.
func (c *cluster) createTopic(prefix string, brokers ...string) string {
	c.t.Helper()
	topic := clienttest.UniqueName(prefix)
	d := c.net.StartDriver("client", "topic-"+topic, "topic", topicInput{NameServers: c.nameServers,
		Topic: topic, Cluster: clusterName, Queues: 4, Brokers: brokers})
	if err := d.Result(c.ctx(30*time.Second), nil); err != nil {
		c.t.Fatalf("create topic %s: %v", topic, err)
	}
	return topic
}

// routes returns what each name server routes for topic, for messages.
func (c *cluster) routes(topic string) map[string]string {
	var out map[string]string
	d := c.net.StartDriver("client", "routes", "routes", topicInput{NameServers: c.nameServers, Topic: topic})
	if err := d.Result(c.ctx(30*time.Second), &out); err != nil {
		return map[string]string{"error": err.Error()}
	}
	return out
}

// loadHandle is the test's handle on a running load driver.
type loadHandle struct {
	c     *cluster
	name  string
	topic string
	d     *netns.Driver
}

// startLoad starts a load driver on the client host.
func (c *cluster) startLoad(name, clientKind, topic string, rate int) *loadHandle {
	c.t.Helper()
	return c.startLoadOf(name, clientKind, topic, rate, 0)
}

// startLoadOf starts a load driver that sends limit messages (0: until
// stopped).
func (c *cluster) startLoadOf(name, clientKind, topic string, rate int, limit int64) *loadHandle {
	c.t.Helper()
	in := loadInput{Client: clientKind, NameServers: c.nameServers, Topic: topic,
		Group: clienttest.UniqueName("pg-" + name), Prefix: name, Senders: 4, Rate: rate, SendTimeout: 3 * time.Second,
		Limit: limit}
	return &loadHandle{c: c, name: name, topic: topic, d: c.net.StartDriver("client", "load-"+name, "load", in)}
}

// phase counts the load's later sends under phase.
func (l *loadHandle) phase(phase string) {
	l.c.t.Helper()
	if err := l.d.Send("cmd", command{Op: "phase", Phase: phase}); err != nil {
		l.c.t.Fatal(err)
	}
	if err := l.d.Recv(l.c.ctx(30*time.Second), "phased", nil); err != nil {
		l.c.t.Fatalf("load %s: phase %s: %v", l.name, phase, err)
	}
}

// wait waits for w in the current phase and fails the test when the load
// does not get there within w.Timeout.
func (l *loadHandle) wait(what string, w waitFor) map[string]int {
	l.c.t.Helper()
	if err := l.d.Send("cmd", command{Op: "wait", Wait: w}); err != nil {
		l.c.t.Fatal(err)
	}
	var res waited
	if err := l.d.Recv(l.c.ctx(w.Timeout+30*time.Second), "waited", &res); err != nil {
		l.c.t.Fatalf("load %s: %s: %v", l.name, what, err)
	}
	if !res.Met {
		l.c.t.Fatalf("load %s: %s: not within %v (%+v); the phase's sends: %v; routes: %v",
			l.name, what, w.Timeout, w, res.Counts, l.c.routes(l.topic))
	}
	l.c.t.Logf("%v: load %s: %s: %v", l.c.since(), l.name, what, res.Counts)
	return res.Counts
}

// stop ends the load and returns its records.
func (l *loadHandle) stop() []sendRecord {
	l.c.t.Helper()
	if err := l.d.Send("cmd", command{Op: "stop"}); err != nil {
		l.c.t.Fatal(err)
	}
	var recs []sendRecord
	if err := l.d.Result(l.c.ctx(60*time.Second), &recs); err != nil {
		l.c.t.Fatalf("load %s: %v", l.name, err)
	}
	l.c.t.Logf("%v: load %s stopped after %d sends", l.c.since(), l.name, len(recs))
	return recs
}

// consumerHandle is the test's handle on a running consume driver.
type consumerHandle struct {
	c    *cluster
	name string
	d    *netns.Driver
}

// startConsumer starts a consumer of a new group of clientKind reading
// topic from the first offset, and waits until it has started; finish
// tells it what to wait for.
func (c *cluster) startConsumer(name, clientKind, topic string) *consumerHandle {
	c.t.Helper()
	in := consumeInput{Client: clientKind, NameServers: c.nameServers, Topic: topic,
		Group: clienttest.UniqueName("cg-" + name), WantLater: true, Quiet: time.Second, Timeout: time.Minute}
	h := &consumerHandle{c: c, name: name, d: c.net.StartDriver("client", "consume-"+name, "consume", in)}
	if err := h.d.Recv(c.ctx(time.Minute), "started", nil); err != nil {
		if rerr := h.d.Result(c.ctx(10*time.Second), nil); rerr != nil {
			err = rerr
		}
		c.t.Fatalf("consumer %s: %v", name, err)
	}
	c.t.Logf("%v: consumer %s started", c.since(), name)
	return h
}

// finish waits until the consumer got every body of want (or a minute
// passed) and nothing more came for a second, and returns what it got.
func (h *consumerHandle) finish(want []string) consumed {
	h.c.t.Helper()
	if err := h.d.Send("want", want); err != nil {
		h.c.t.Fatal(err)
	}
	var res consumed
	if err := h.d.Result(h.c.ctx(2*time.Minute), &res); err != nil {
		h.c.t.Fatalf("consumer %s: %v", h.name, err)
	}
	h.c.t.Logf("%v: consumer %s: %d of %d wanted in %v, by broker %v", h.c.since(), h.name,
		len(want)-res.Missing, len(want), res.Took.Round(time.Millisecond), res.ByBroker)
	return res
}

// consume reads topic with a new group of clientKind from the first
// offset until every body of want arrived (or a minute passed).
func (c *cluster) consume(name, clientKind, topic string, want []string) consumed {
	c.t.Helper()
	return c.startConsumer(name, clientKind, topic).finish(want)
}

// acked returns the bodies of the records with status SEND_OK.
func acked(recs ...[]sendRecord) []string {
	var out []string
	for _, rs := range recs {
		for _, r := range rs {
			if r.Status == statusOK {
				out = append(out, r.Body)
			}
		}
	}
	return out
}

// figures are a scenario's numbers, logged on one line.
type figures struct {
	sent, acked   int
	statuses      map[string]int // every outcome but SEND_OK, ERROR and UNFINISHED included
	unknownStored int            // ERROR and UNFINISHED sends consumed all the same
	lost          int            // SEND_OK messages some consumer never got
	duplicated    int            // deliveries beyond the first, over every consumer
	elapsed       time.Duration
}

// account counts the sends of recs against what each consumer received.
func account(recs []sendRecord, got []consumed, elapsed time.Duration) figures {
	f := figures{statuses: map[string]int{}, elapsed: elapsed}
	sent := map[string]bool{}
	for _, r := range recs {
		sent[r.Body] = true
		f.sent++
		if r.Status != statusOK {
			f.statuses[r.Status]++
		}
		for _, g := range got {
			if r.Status == statusOK && g.Counts[r.Body] == 0 {
				f.lost++
				break
			}
			if (r.Status == statusError || r.Status == statusUnfinished) && g.Counts[r.Body] > 0 {
				f.unknownStored++
				break
			}
		}
		if r.Status == statusOK {
			f.acked++
		}
	}
	for _, g := range got {
		for body, n := range g.Counts {
			if sent[body] && n > 1 {
				f.duplicated += n - 1
			}
		}
	}
	return f
}

func (f figures) String() string {
	var st []string
	for s, n := range f.statuses {
		st = append(st, fmt.Sprintf("%s=%d", s, n))
	}
	sort.Strings(st)
	return fmt.Sprintf("sent=%d acked=%d other=[%s] unknown-but-stored=%d lost=%d duplicated=%d elapsed=%v",
		f.sent, f.acked, strings.Join(st, " "), f.unknownStored, f.lost, f.duplicated, f.elapsed.Round(time.Millisecond))
}

// report logs the scenario's figures line, over every producer's sends
// and every consumer, then one line per producer, and fails the test when
// a SEND_OK message was lost.
func (c *cluster) report(recs map[string][]sendRecord, got []consumed) figures {
	c.t.Helper()
	var all []sendRecord
	names := make([]string, 0, len(recs))
	for name, rs := range recs {
		all = append(all, rs...)
		names = append(names, name)
	}
	sort.Strings(names)
	f := account(all, got, time.Since(c.start))
	c.t.Logf("FIGURES %s: %s (%d producers, %d consumers)", c.t.Name(), f, len(recs), len(got))
	for _, name := range names {
		c.t.Logf("  producer %s: %s", name, account(recs[name], got, time.Since(c.start)))
	}
	if f.lost > 0 {
		c.t.Errorf("%d SEND_OK messages were not consumed", f.lost)
	}
	return f
}

// errorsIn returns the errors of recs in phase, counted by message.
func errorsIn(recs []sendRecord, phase string) map[string]int {
	out := map[string]int{}
	for _, r := range recs {
		if r.Phase == phase && r.Status == statusError {
			out[r.Err]++
		}
	}
	return out
}
