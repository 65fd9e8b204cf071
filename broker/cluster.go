package broker

// Registration with name servers (Config.NamesrvAddr): Java's
// BrokerController.registerBrokerAll and BrokerOuterAPI. The registrar is
// a component: it gets the topic table and a dialer, not the *Broker.

import (
	"bufio"
	"context"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rocketkit/rocketkit/protocol/payload"
	"github.com/rocketkit/rocketkit/protocol/remoting"
)

// registerTimeout bounds one REGISTER_BROKER or UNREGISTER_BROKER round
// trip (registerBrokerTimeoutMills of RocketMQ 4.x).
const registerTimeout = 6 * time.Second

// ParseNamesrvAddr splits a namesrvAddr value ("a:9876;b:9876") into its
// addresses. Blank entries are skipped; each other entry must be
// host:port with a port in 1..65535, and appear once.
func ParseNamesrvAddr(s string) ([]string, error) {
	var out []string
	for part := range strings.SplitSeq(s, ";") {
		addr := strings.TrimSpace(part)
		if addr == "" {
			continue
		}
		_, port, err := net.SplitHostPort(addr)
		if err != nil {
			return nil, fmt.Errorf("name server %q is not host:port: %w", addr, err)
		}
		if n, perr := strconv.Atoi(port); perr != nil || n < 1 || n > 65535 {
			return nil, fmt.Errorf("name server %q: port %q is not 1-65535", addr, port)
		}
		for _, seen := range out {
			if seen == addr {
				return nil, fmt.Errorf("name server %q is listed twice", addr)
			}
		}
		out = append(out, addr)
	}
	return out, nil
}

// registrar registers the broker with every name server.
type registrar struct {
	topics *topicTable
	repl   *replication // a slave learns its master from the answers
	perm   int          // brokerPermission, masking the topics registered
	dial   func(ctx context.Context, network, addr string) (net.Conn, error)
	log    *slog.Logger
	period time.Duration
	ident  remoting.Fields // brokerAddr, brokerName, brokerId, clusterName
	haAddr string

	seen atomic.Int64 // topics.version last registered

	mu      sync.Mutex // serialises rounds; guards what follows
	servers []*nameServer
	version payload.DataVersion
	stopped bool // after unregisterAll: no more rounds
}

// nameServer is one name server and the connection to it, used by one
// round at a time.
type nameServer struct {
	addr   string
	nc     net.Conn
	r      *bufio.Reader
	opaque int32
}

// newRegistrar builds the registrar of the broker at addr (ip:port).
// It registers repl's HA address (haServerAddr), which a name server
// passes to the slaves of this broker; without one (a slave, or a
// standalone master) Java's default, the listening port plus one.
func newRegistrar(cfg Config, addr string, repl *replication, topics *topicTable, dial func(context.Context, string, string) (net.Conn, error), log *slog.Logger) *registrar {
	addrs, _ := ParseNamesrvAddr(cfg.NamesrvAddr) // validated by Config.Validate
	host, port, _ := net.SplitHostPort(addr)
	p, _ := strconv.Atoi(port)
	haAddr := net.JoinHostPort(host, strconv.Itoa(p+1))
	if repl != nil && repl.haAddr != "" {
		haAddr = repl.haAddr
	}
	if dial == nil {
		dial = (&net.Dialer{}).DialContext
	}
	r := &registrar{
		topics: topics, repl: repl, perm: cfg.BrokerPermission, dial: dial, log: log,
		period: min(max(cfg.RegisterNameServerPeriod, 10*time.Second), 60*time.Second),
		ident: remoting.Fields{{Key: "brokerAddr", Value: addr}, {Key: "brokerName", Value: cfg.BrokerName},
			{Key: "brokerId", Value: strconv.FormatInt(cfg.BrokerID, 10)}, {Key: "clusterName", Value: cfg.ClusterName}},
		haAddr:  haAddr,
		version: payload.DataVersion{Timestamp: time.Now().UnixMilli()},
	}
	for _, a := range addrs {
		r.servers = append(r.servers, &nameServer{addr: a})
	}
	return r
}

// changeDelay is how soon after a topic change no request registered
// (a dead-letter topic created on a send-back, say) the registrar
// registers it; changes within it go in one round.
const changeDelay = time.Second

// run registers every period and changeDelay after a topic change, until
// done is closed.
func (r *registrar) run(done <-chan struct{}) {
	tick := time.NewTicker(r.period)
	defer tick.Stop()
	// A slave that has not learnt its master yet (it registered before
	// the master did) registers every second until it has.
	fast := time.NewTicker(time.Second)
	defer fast.Stop()
	var soon <-chan time.Time
	for {
		select {
		case <-done:
			return
		case <-tick.C:
			r.registerAll(false)
		case <-fast.C:
			if !r.repl.knowsMaster() {
				r.registerAll(false)
			}
		case <-r.topics.changed:
			if soon == nil {
				soon = time.After(changeDelay)
			}
		case <-soon:
			soon = nil
			r.registerAll(true)
		}
	}
}

// registerAll sends REGISTER_BROKER with the whole topic table to every
// name server at once and waits for their answers; with onlyIfChanged,
// only when the table changed since the last round. It reports how many
// name servers accepted it; a failure is logged and retried next round.
func (r *registrar) registerAll(onlyIfChanged bool) int { return r.register(onlyIfChanged, nil) }

// registerChanged registers a changed topic table with every name server
// and returns when the round ended, or changeGrace after the first name
// server accepted it (clients can route the change from that one): a name
// server that cannot be reached (its host cut off) holds the round up to
// registerTimeout, longer than a client waits for the request that changed
// the table. The round goes on in the background; Close (unregisterAll)
// waits for it.
func (r *registrar) registerChanged() {
	if r.topics.version.Load() == r.seen.Load() {
		return
	}
	first, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		r.register(true, first)
	}()
	select {
	case <-first:
	case <-done:
		return
	}
	grace := time.NewTimer(changeGrace)
	defer grace.Stop()
	select {
	case <-done:
	case <-grace.C:
	}
}

// changeGrace is how long registerChanged waits for the other name servers
// once one accepted.
const changeGrace = 500 * time.Millisecond

// register is registerAll; it closes accepted, if given, when the first
// name server accepted the registration.
func (r *registrar) register(onlyIfChanged bool, accepted chan struct{}) int {
	var once sync.Once
	if onlyIfChanged && r.topics.version.Load() == r.seen.Load() {
		return 0
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	v := r.topics.version.Load()
	switch {
	case r.stopped:
		return 0
	case v != r.seen.Load():
		r.seen.Store(v)
		r.version.Counter++
		r.version.Timestamp = time.Now().UnixMilli()
	case onlyIfChanged:
		return 0 // a concurrent round registered it
	}
	table := r.topics.registration()
	if rw := PermRead | PermWrite; r.perm&rw != rw { // Java's registerBrokerAll
		for name, tc := range table {
			tc.Perm &= r.perm
			table[name] = tc
		}
	}
	body := payload.RegisterBrokerBody{
		Topics: payload.TopicConfigWrapper{Table: table, DataVersion: r.version},
	}.Encode()
	fields := append(r.ident.Clone(),
		remoting.Field{Key: "haServerAddr", Value: r.haAddr},
		remoting.Field{Key: "enableActingMaster", Value: "false"},
		remoting.Field{Key: "compressed", Value: "false"},
		remoting.Field{Key: "bodyCrc32", Value: strconv.Itoa(int(payload.BodyCRC32(body)))})
	ok := r.each(func(ns *nameServer) error {
		resp, err := ns.call(r.dial, remoting.NewRequest(remoting.RegisterBroker, fields, body))
		if err == nil && resp.Code != remoting.Success {
			err = remoting.ErrorForCode(resp.Code, resp.Remark)
		}
		if err != nil {
			r.log.Warn("register with name server failed; retrying next round", "namesrv", ns.addr, "err", err)
			return err
		}
		r.repl.learnMaster(resp.ExtFields.Get("masterAddr"), resp.ExtFields.Get("haServerAddr"))
		if accepted != nil {
			once.Do(func() { close(accepted) })
		}
		return nil
	})
	return ok
}

// unregisterAll sends UNREGISTER_BROKER to every name server, closes the
// connections and stops further rounds.
func (r *registrar) unregisterAll() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.stopped {
		return
	}
	r.stopped = true
	r.each(func(ns *nameServer) error {
		defer ns.close()
		resp, err := ns.call(r.dial, remoting.NewRequest(remoting.UnregisterBroker, r.ident.Clone(), nil))
		if err == nil && resp.Code != remoting.Success {
			err = remoting.ErrorForCode(resp.Code, resp.Remark)
		}
		if err != nil {
			r.log.Warn("unregister from name server failed; it drops this broker when its registration expires", "namesrv", ns.addr, "err", err)
		}
		return err
	})
}

// each runs f for every name server concurrently and returns how many
// succeeded. r.mu must be held.
func (r *registrar) each(f func(*nameServer) error) int {
	var wg sync.WaitGroup
	errs := make([]error, len(r.servers))
	for i, ns := range r.servers {
		wg.Go(func() { errs[i] = f(ns) })
	}
	wg.Wait()
	n := 0
	for _, err := range errs {
		if err == nil {
			n++
		}
	}
	return n
}

// call sends req and reads its answer within registerTimeout, dialling
// first when there is no connection. Any failure closes the connection;
// when it was one kept from an earlier round (the name server may have
// restarted since), the request is sent once more on a new one.
func (ns *nameServer) call(dial func(context.Context, string, string) (net.Conn, error), req *remoting.Command) (*remoting.Command, error) {
	ctx, cancel := context.WithTimeout(context.Background(), registerTimeout)
	defer cancel()
	for {
		reused := ns.nc != nil
		if !reused {
			nc, err := dial(ctx, "tcp", ns.addr)
			if err != nil {
				return nil, err
			}
			ns.nc, ns.r = nc, bufio.NewReader(nc)
		}
		deadline, _ := ctx.Deadline()
		_ = ns.nc.SetDeadline(deadline)
		ns.opaque++
		req.Opaque = ns.opaque
		resp, err := ns.exchange(req)
		if err == nil {
			return resp, nil
		}
		ns.close()
		if !reused || ctx.Err() != nil {
			return nil, err
		}
	}
}

func (ns *nameServer) exchange(req *remoting.Command) (*remoting.Command, error) {
	if _, err := ns.nc.Write(remoting.AppendFrame(nil, req)); err != nil {
		return nil, err
	}
	for {
		resp, err := remoting.ReadCommand(ns.r, remoting.DefaultMaxFrame)
		if err != nil {
			return nil, err
		}
		if resp.IsResponse() && resp.Opaque == req.Opaque {
			return resp, nil
		}
		// Anything else (a stale answer, a NOTIFY_MIN_BROKER_ID_CHANGE
		// from a Java name server) needs no answer here.
	}
}

func (ns *nameServer) close() {
	if ns.nc != nil {
		_ = ns.nc.Close()
		ns.nc, ns.r = nil, nil
	}
}

// abandon stops further rounds and drops the connections to the name
// servers without unregistering (Broker.Halt): each name server notices
// the closed connection, or the silence, as it would a killed broker.
func (r *registrar) abandon() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.stopped = true
	for _, ns := range r.servers {
		ns.close()
	}
}
