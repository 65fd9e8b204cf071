package broker

import (
	"cmp"
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

	"github.com/rocketkit/rocketkit/broker/acl"
	"github.com/rocketkit/rocketkit/broker/store"
)

// Broker is a running name server + broker serving the RocketMQ remoting
// protocol on one listener. Create it with Start; stop it with Close.
type Broker struct {
	cfg       Config
	log       *slog.Logger
	ln        net.Listener
	addr      string         // advertised ip:port, put into routes
	storeHost netip.AddrPort // STOREHOST of every stored record
	startedAt time.Time

	store     *store.Store
	writer    *writer // every message enters the store through it (put.go)
	topics    *topicTable
	clients   *clientTable
	offsets   *offsetTable
	subGroups *subGroupTable   // subscriptionGroup.json (subgroups.go)
	runtime   *runtimeStats    // GET_BROKER_RUNTIME_INFO (runtime_info.go)
	settings  *runtimeSettings // broker config changed at runtime (brokerconf_runtime.go)
	holds     *pullHolds
	locks     *lockTable
	lockWaits *lockWaits
	delays    *delayLevels   // DELAY=level
	timer     *deliveryTimer // TIMER_DELIVER_MS
	tx        *transactions
	registrar *registrar   // nil without Config.NamesrvAddr (cluster.go)
	repl      *replication // master/slave replication (replication.go)
	acl       *acl.Watcher // nil when ACL is off (Config.ACLEnable)
	tls       *tls.Config  // nil when TLS is off (Config.TLSMode)

	refusedConns atomic.Int64 // connections closed at MaxConnections
	readPauses   atomic.Int64 // reader waits at MaxInflightRequests

	framesWritten, writes atomic.Int64 // to clients (conn.reply, flushLocked)

	requests requestCounters
	traffic  trafficCounters // per topic and group (traffic.go)

	mu     sync.Mutex
	conns  map[*conn]struct{} // guarded by mu
	closed bool               // guarded by mu

	done chan struct{} // closed by Close; stops background loops
	// life is cancelled with done, for work that takes a context (the
	// requests the broker sends clients on a request's behalf).
	life      context.Context
	endOfLife context.CancelFunc
	wg        sync.WaitGroup
}

// Start validates cfg, opens the store (recovering it after a crash) and
// starts serving. Cancelling ctx aborts start-up only; use Close to stop.
func Start(ctx context.Context, cfg Config, opts ...Option) (*Broker, error) {
	var o options
	for _, opt := range opts {
		opt.apply(&o)
	}
	if o.logger == nil {
		o.logger = slog.New(slog.DiscardHandler)
	}
	if o.listen == nil {
		o.listen = net.Listen
	}
	if cfg.TLSMode == "" && o.tls != nil {
		cfg.TLSMode = TLSEnforcing
	}
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("broker: start: %w", err)
	}
	levels, _ := ParseDelayLevels(cfg.MessageDelayLevel) // validated above

	b := &Broker{
		cfg:       cfg,
		log:       o.logger,
		startedAt: time.Now(),
		conns:     make(map[*conn]struct{}),
		done:      make(chan struct{}),
	}
	var err error
	if b.tls, err = serverTLS(cfg, o.tls); err != nil {
		return nil, err
	}
	if b.acl, err = b.loadACL(); err != nil {
		return nil, err
	}
	b.locks = newLockTable(cfg.RebalanceLockMaxLiveTime)
	b.lockWaits = newLockWaits()
	b.clients = newClientTable(b)

	b.topics, err = loadTopicTable(cfg)
	if err != nil {
		return nil, err
	}
	b.offsets, err = loadOffsetTable(cfg.DataDir)
	if err != nil {
		return nil, err
	}
	if b.subGroups, err = loadSubGroupTable(cfg); err != nil {
		return nil, err
	}

	flushMode := store.FlushAsync
	if cfg.FlushDiskType == SyncFlush {
		flushMode = store.FlushSync
	}
	b.store, err = store.Open(store.Config{
		Dir:              cfg.DataDir,
		SegmentSize:      cfg.SegmentSize,
		FlushMode:        flushMode,
		FlushInterval:    cfg.FlushInterval,
		SyncFlushTimeout: cfg.SyncFlushTimeout,
		Logger:           b.log.With("component", "store"),
		OnAppend:         b.onAppend,
		Retention:        cfg.storeRetention(),
	})
	if err != nil {
		return nil, fmt.Errorf("broker: open store: %w", err)
	}
	b.topics.adoptStoredQueues(b.store.Queues())
	b.runtime = newRuntimeStats(b.store.Counters, b.startedAt)
	b.settings = newRuntimeSettings(cfg)

	b.ln, err = o.listen("tcp", cfg.Listen)
	if err != nil {
		return nil, errors.Join(fmt.Errorf("broker: listen on %s: %w", cfg.Listen, err), b.store.Close())
	}
	b.addr, b.storeHost, err = advertisedAddr(cfg.AdvertisedAddr, b.ln.Addr())
	if err == nil {
		err = b.startComponents(levels)
	}
	b.life, b.endOfLife = context.WithCancel(context.Background())
	if err == nil {
		err = b.startReplication(&o)
	}
	if err != nil {
		b.endOfLife()
		return nil, errors.Join(err, b.ln.Close(), b.store.Close())
	}

	b.wg.Add(2)
	go b.acceptLoop()
	go b.housekeepingLoop()
	b.wg.Go(func() { b.runtime.run(b.done) })
	if !cfg.isSlave() { // a slave writes nothing: its master delivers and checks
		b.delays.start(b.done, &b.wg)
		b.timer.start(b.done, &b.wg)
		b.tx.start(b.done, &b.wg)
	}
	if b.acl != nil {
		poll := cmp.Or(o.aclPoll, defaultACLPoll)
		b.wg.Go(func() { b.acl.Run(b.done, poll) })
	}
	if cfg.NamesrvAddr != "" {
		b.registrar = newRegistrar(cfg, b.addr, b.repl, b.topics, o.dial, b.log.With("component", "register"))
		n := b.registrar.registerAll(false)
		b.log.Info("registered with name servers", "namesrv", cfg.NamesrvAddr, "accepted", n,
			"of", len(b.registrar.servers), "broker_id", cfg.BrokerID)
		b.wg.Go(func() { b.registrar.run(b.done) })
	}
	b.log.Info("broker started", "addr", b.addr, "data", cfg.DataDir, "flush", cfg.FlushDiskType,
		"role", cfg.BrokerRole, "ha", b.repl.haAddr, "tls", cfg.TLSMode, "took", time.Since(b.startedAt))
	return b, nil
}

// startComponents builds what works on the open store: the writer, the
// pull holds, the delay-level and deliver-at components, and the
// transactions (recovered from the half and op queues). Their loops start
// with the accept loop.
func (b *Broker) startComponents(levels []time.Duration) error {
	b.writer = &writer{store: b.store, topics: b.topics, storeHost: b.storeHost, levels: len(levels), in: &b.traffic.in}
	b.holds = newPullHolds(b.store, &b.traffic.out)
	var err error
	b.delays, err = newDelayLevels(b.cfg.DataDir, levels, b.store, b.writer, b.log)
	if err != nil {
		return err
	}
	b.timer, err = newDeliveryTimer(b.cfg.DataDir, b.store, b.writer, b.log)
	if err != nil {
		return err
	}
	b.tx = newTransactions(b.cfg, b.storeHost, b.store, b.writer, b.clients, b.log)
	return b.tx.recover()
}

// advertisedAddr picks the ip:port clients are told to dial.
func advertisedAddr(configured string, listened net.Addr) (string, netip.AddrPort, error) {
	if configured != "" {
		ap, err := netip.ParseAddrPort(configured)
		if err != nil {
			return "", netip.AddrPort{}, fmt.Errorf("broker: advertised address %q: %w", configured, err)
		}
		return ap.String(), ap, nil
	}
	ap, err := netip.ParseAddrPort(listened.String())
	if err != nil {
		return "", netip.AddrPort{}, fmt.Errorf("broker: listener address %q: %w", listened, err)
	}
	if ap.Addr().IsUnspecified() {
		// Bound to all interfaces: advertise loopback, which always works locally.
		lo := netip.MustParseAddr("127.0.0.1")
		if ap.Addr().Is6() && !ap.Addr().Is4In6() {
			lo = netip.IPv6Loopback()
		}
		ap = netip.AddrPortFrom(lo, ap.Port())
	}
	ap = netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
	return ap.String(), ap, nil
}

// Addr is the ip:port clients use as name server address.
func (b *Broker) Addr() string { return b.addr }

// Config returns the effective configuration, defaults applied.
func (b *Broker) Config() Config { return b.cfg }

// Close unregisters from the name servers (Config.NamesrvAddr), stops
// serving, drops every connection, flushes the store, persists offsets
// and topics, writes the checkpoint and removes the abort marker. It is
// safe to call more than once.
func (b *Broker) Close() error { return b.stop(false) }

// Halt stops the broker as a killed process stops, for failover tests:
// every connection (to clients, name servers, slaves, the master) drops
// at once, nothing is unregistered, and the consumer offsets, topics and
// delay offsets are not persisted (what the periodic persist wrote stays;
// the store keeps what was written, as the page cache keeps a killed
// process's writes). The next Start recovers the store as after a crash.
// It is safe to call more than once, and after Close.
func (b *Broker) Halt() error { return b.stop(true) }

func (b *Broker) stop(halt bool) error {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return nil
	}
	b.closed = true
	conns := make([]*conn, 0, len(b.conns))
	for c := range b.conns {
		conns = append(conns, c)
	}
	b.mu.Unlock()

	if b.registrar != nil {
		if halt {
			b.registrar.abandon()
		} else {
			b.registrar.unregisterAll() // clients move to other brokers first
		}
	}
	close(b.done)
	b.endOfLife()
	b.lockWaits.stop()
	err := b.ln.Close()
	for _, c := range conns {
		c.close()
	}
	haErr := b.repl.stop()
	b.wg.Wait()
	b.holds.dropAll()
	if halt {
		return errors.Join(ignoreClosed(err), haErr, b.store.Abandon())
	}
	return errors.Join(
		ignoreClosed(err),
		haErr,
		b.offsets.persist(),
		b.topics.persist(),
		b.delays.persist(),
		b.timer.persist(),
		b.store.Close(),
	)
}

func ignoreClosed(err error) error {
	if errors.Is(err, net.ErrClosed) {
		return nil
	}
	return err
}

// onAppend is the store's hook after messages became readable: it wakes the
// pulls held on the queue, or the delay level's delivery loop.
func (b *Broker) onAppend(topic string, queueID int32) {
	b.repl.appended()
	if b.cfg.isSlave() {
		b.topics.adoptReplicated(topic, queueID)
	}
	switch topic {
	case scheduleTopic:
		b.delays.notify(queueID)
		return
	case timerTopic:
		b.timer.notify()
		return
	}
	b.holds.notify(topic, queueID)
}

// housekeepingLoop persists offsets and expires silent clients.
func (b *Broker) housekeepingLoop() {
	defer b.wg.Done()
	persist := time.NewTicker(5 * time.Second)
	defer persist.Stop()
	expire := time.NewTicker(min(10*time.Second, max(b.cfg.ChannelExpiredTimeout/4, 10*time.Millisecond)))
	defer expire.Stop()
	for {
		select {
		case <-b.done:
			return
		case <-persist.C:
			if err := errors.Join(b.offsets.persist(), b.topics.persist(), b.delays.persist(),
				b.timer.persist()); err != nil {
				b.log.Error("persist broker metadata", "err", err)
			}
		case now := <-expire.C:
			b.clients.expire(now)
		}
	}
}
