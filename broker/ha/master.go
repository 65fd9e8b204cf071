package ha

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rocketkit/rocketkit/broker/store"
)

// Defaults, Java's MessageStoreConfig values.
const (
	// DefaultTransferBatch is haTransferBatchSize.
	DefaultTransferBatch = 32 << 10
	// DefaultHeartbeatInterval is haSendHeartbeatInterval.
	DefaultHeartbeatInterval = 5 * time.Second
	// DefaultHousekeepingInterval is haHousekeepingInterval.
	DefaultHousekeepingInterval = 20 * time.Second
	// DefaultMaxGapNotInSync is haMaxGapNotInSync.
	DefaultMaxGapNotInSync = 256 << 20
	// pollInterval is how often an idle streamer looks at the log without
	// a Notify (Java's WriteSocketService waits 100 ms).
	pollInterval = 100 * time.Millisecond
)

// MasterConfig configures a Master. A zero value means the documented
// default.
type MasterConfig struct {
	// Store is the master's store, whose log is shipped. Required.
	Store *store.Store
	// Log receives connection events and errors. nil discards.
	Log *slog.Logger
	// TransferBatch is the most log bytes one transfer carries (a record
	// larger than that goes alone). Default 32 KiB (haTransferBatchSize);
	// at most MaxBodySize.
	TransferBatch int
	// HeartbeatInterval is how long an idle connection waits before it
	// sends an empty transfer. Default 5s (haSendHeartbeatInterval).
	HeartbeatInterval time.Duration
	// HousekeepingInterval closes a connection on which no report arrived
	// for this long, and bounds every write. Default 20s
	// (haHousekeepingInterval), and at least 4 HeartbeatIntervals; it
	// must exceed the slaves' HeartbeatInterval.
	HousekeepingInterval time.Duration
	// MaxGapNotInSync: a slave further behind the offset WaitReplicated
	// waits for is not available for SYNC_MASTER. Default 256 MiB
	// (haMaxGapNotInSync).
	MaxGapNotInSync int64

	pollInterval time.Duration // 0: pollInterval; tests stretch it
}

func (c *MasterConfig) setDefaults() {
	if c.Log == nil {
		c.Log = slog.New(slog.DiscardHandler)
	}
	if c.TransferBatch <= 0 {
		c.TransferBatch = DefaultTransferBatch
	}
	c.TransferBatch = min(c.TransferBatch, MaxBodySize)
	if c.HeartbeatInterval <= 0 {
		c.HeartbeatInterval = DefaultHeartbeatInterval
	}
	c.HousekeepingInterval = defaultHousekeeping(c.HousekeepingInterval, c.HeartbeatInterval)
	if c.MaxGapNotInSync <= 0 {
		c.MaxGapNotInSync = DefaultMaxGapNotInSync
	}
	if c.pollInterval <= 0 {
		c.pollInterval = pollInterval
	}
}

func defaultHousekeeping(h, heartbeat time.Duration) time.Duration {
	if h <= 0 {
		h = max(DefaultHousekeepingInterval, 4*heartbeat)
	}
	return h
}

// Status is the outcome of WaitReplicated.
type Status int

const (
	// Replicated: a slave acknowledged the offset (SEND_OK).
	Replicated Status = iota
	// SlaveNotAvailable: no slave is connected, or the most advanced one
	// is more than MaxGapNotInSync behind the offset (SLAVE_NOT_AVAILABLE).
	SlaveNotAvailable
	// ReplicationTimeout: no slave acknowledged the offset in time, ctx
	// ended, or the master closed (FLUSH_SLAVE_TIMEOUT).
	ReplicationTimeout
)

func (s Status) String() string {
	switch s {
	case Replicated:
		return "REPLICATED"
	case SlaveNotAvailable:
		return "SLAVE_NOT_AVAILABLE"
	case ReplicationTimeout:
		return "REPLICATION_TIMEOUT"
	}
	return fmt.Sprintf("Status(%d)", int(s))
}

// SlaveInfo describes a connected slave (one that reported its offset).
type SlaveInfo struct {
	// Addr is the slave's remote address.
	Addr string
	// AckOffset is the slave's last reported max physical offset.
	AckOffset int64
	// ConnectedAt is when the connection was accepted.
	ConnectedAt time.Time
}

// Master serves the HA port: it streams its store's log to every slave
// that connects, from the offset the slave reports, and tracks what each
// slave acknowledged for SYNC_MASTER sends (WaitReplicated). Java's
// HAService, AcceptSocketService and HAConnection. All methods are safe
// for concurrent use.
type Master struct {
	cfg MasterConfig
	log *slog.Logger

	mu     sync.Mutex
	closed bool
	lns    map[net.Listener]struct{}
	conns  map[*masterConn]struct{}
	wg     sync.WaitGroup // Serve calls and connection goroutines
	done   chan struct{}  // closed by Close

	// wakes holds every connection's wake channel; Notify sends to each
	// without blocking. Replaced under mu, read without a lock.
	wakes atomic.Pointer[[]chan struct{}]

	ackMu  sync.Mutex
	slaves map[*masterConn]struct{} // connections that reported. Lock ackMu.
	best   int64                    // highest ack among slaves; -1 none. Lock ackMu.
	acked  chan struct{}            // closed and replaced when best grows. Lock ackMu.
}

// NewMaster returns a Master for cfg. It panics without cfg.Store.
func NewMaster(cfg MasterConfig) *Master {
	if cfg.Store == nil {
		panic("ha: NewMaster: MasterConfig.Store is nil")
	}
	cfg.setDefaults()
	m := &Master{
		cfg: cfg, log: cfg.Log,
		lns: map[net.Listener]struct{}{}, conns: map[*masterConn]struct{}{},
		done: make(chan struct{}), slaves: map[*masterConn]struct{}{}, best: -1, acked: make(chan struct{}),
	}
	m.wakes.Store(new([]chan struct{}))
	return m
}

// Serve accepts slave connections on ln until Close, which makes it
// return nil; it closes ln. Any other accept error that persists (the
// listener was closed elsewhere) is returned. Transient accept errors
// (too many open files) are logged and retried with a backoff.
func (m *Master) Serve(ln net.Listener) error {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		_ = ln.Close()
		return nil
	}
	m.lns[ln] = struct{}{}
	m.wg.Add(1)
	m.mu.Unlock()
	defer m.wg.Done()
	m.log.Info("ha: master serving", "addr", ln.Addr().String())

	var backoff time.Duration
	for {
		conn, err := ln.Accept()
		if err != nil {
			if m.isClosed() {
				return nil
			}
			if errors.Is(err, net.ErrClosed) {
				m.mu.Lock()
				delete(m.lns, ln)
				m.mu.Unlock()
				return fmt.Errorf("ha: accept: %w", err)
			}
			backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
			m.log.Warn("ha: accept failed; retrying", "err", err, "retry_in", backoff)
			select {
			case <-time.After(backoff):
			case <-m.done:
				return nil
			}
			continue
		}
		backoff = 0
		m.startConn(conn)
	}
}

func (m *Master) isClosed() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.closed
}

// Notify tells the streamers that records were appended. It never blocks
// and takes no lock: call it from the store's OnAppend.
func (m *Master) Notify() {
	for _, ch := range *m.wakes.Load() {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
}

// WaitReplicated blocks until some slave has acknowledged offset (the end
// offset of a write), timeout passed or ctx ended. It answers
// SlaveNotAvailable at once when no slave is connected or the most
// advanced one is more than MaxGapNotInSync behind offset (Java's
// isSlaveOK), Replicated when a slave has it, else ReplicationTimeout.
// Waiters wake once per acknowledgement that raises the best slave's
// offset, however many they are.
func (m *Master) WaitReplicated(ctx context.Context, offset int64, timeout time.Duration) Status {
	m.ackMu.Lock()
	best, n, ch := m.best, len(m.slaves), m.acked
	m.ackMu.Unlock()
	switch {
	case n == 0 || offset-best > m.cfg.MaxGapNotInSync:
		return SlaveNotAvailable
	case best >= offset:
		return Replicated
	}
	m.Notify() // as Java's handleHA wakes the streamers
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	for {
		select {
		case <-ch:
		case <-timer.C:
			return ReplicationTimeout
		case <-ctx.Done():
			return ReplicationTimeout
		case <-m.done:
			return ReplicationTimeout
		}
		m.ackMu.Lock()
		best, ch = m.best, m.acked
		m.ackMu.Unlock()
		if best >= offset {
			return Replicated
		}
	}
}

// Slaves lists the connected slaves that reported their offset, in no
// particular order.
func (m *Master) Slaves() []SlaveInfo {
	m.ackMu.Lock()
	defer m.ackMu.Unlock()
	out := make([]SlaveInfo, 0, len(m.slaves))
	for c := range m.slaves {
		out = append(out, SlaveInfo{Addr: c.addr, AckOffset: c.ack, ConnectedAt: c.connectedAt})
	}
	return out
}

// Close closes the listeners and every connection and waits until Serve
// and all connection goroutines returned. Waiting WaitReplicated calls
// return ReplicationTimeout. It is idempotent. Close the Master before
// its store.
func (m *Master) Close() error {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		m.wg.Wait()
		return nil
	}
	m.closed = true
	close(m.done)
	var errs []error
	for ln := range m.lns {
		if err := ln.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
			errs = append(errs, err)
		}
	}
	conns := make([]*masterConn, 0, len(m.conns))
	for c := range m.conns {
		conns = append(conns, c)
	}
	m.mu.Unlock()
	for _, c := range conns {
		c.close()
	}
	m.wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("ha: close: %w", err)
	}
	return nil
}

// startConn registers conn and starts its reader and writer.
func (m *Master) startConn(conn net.Conn) {
	c := &masterConn{
		m: m, conn: conn, addr: conn.RemoteAddr().String(), connectedAt: time.Now(),
		start: make(chan int64, 1), wake: make(chan struct{}, 1), done: make(chan struct{}),
	}
	c.log = m.log.With("slave", c.addr)
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		_ = conn.Close()
		return
	}
	m.conns[c] = struct{}{}
	m.updateWakesLocked()
	m.wg.Add(2)
	m.mu.Unlock()
	c.log.Info("ha: slave connected")
	go c.readLoop()
	go c.writeLoop()
}

// updateWakesLocked republishes the wake channels. mu should be held.
func (m *Master) updateWakesLocked() {
	w := make([]chan struct{}, 0, len(m.conns))
	for c := range m.conns {
		w = append(w, c.wake)
	}
	m.wakes.Store(&w)
}

// removeConn forgets a closed connection.
func (m *Master) removeConn(c *masterConn) {
	m.mu.Lock()
	delete(m.conns, c)
	m.updateWakesLocked()
	m.mu.Unlock()
	m.ackMu.Lock()
	delete(m.slaves, c)
	m.best = -1
	for s := range m.slaves {
		m.best = max(m.best, s.ack)
	}
	m.ackMu.Unlock()
}

// ackLocked records a slave's report. ackMu should be held.
func (m *Master) ackLocked(c *masterConn, off int64) {
	c.ack = off
	m.slaves[c] = struct{}{}
	if off > m.best {
		m.best = off
		close(m.acked)
		m.acked = make(chan struct{})
	}
}

// masterConn is one slave's connection: readLoop takes its reports,
// writeLoop streams the log from its first report on.
type masterConn struct {
	m           *Master
	conn        net.Conn
	addr        string
	connectedAt time.Time
	log         *slog.Logger

	start     chan int64    // the first report, readLoop to writeLoop
	wake      chan struct{} // capacity 1: Notify
	done      chan struct{} // closed by close
	closeOnce sync.Once
	sent      atomic.Int64 // end of what writeLoop has sent or is sending

	ack int64 // last report. Lock m.ackMu.
}

// close closes the connection (idempotent); both loops end.
func (c *masterConn) close() {
	c.closeOnce.Do(func() {
		close(c.done)
		_ = c.conn.Close()
		c.m.removeConn(c)
	})
}

// closing reports whether close was called (an error after it is ours).
func (c *masterConn) closing() bool {
	select {
	case <-c.done:
		return true
	default:
		return false
	}
}

// readLoop reads the slave's offset reports: the first one says where to
// start streaming, later ones acknowledge what arrived.
func (c *masterConn) readLoop() {
	defer c.m.wg.Done()
	defer c.close()
	var b [reportSize]byte
	last := int64(-1)
	for {
		_ = c.conn.SetReadDeadline(time.Now().Add(c.m.cfg.HousekeepingInterval))
		if _, err := io.ReadFull(c.conn, b[:]); err != nil {
			c.readFailed(err, last)
			return
		}
		off, err := parseReport(&b)
		if err != nil {
			c.log.Error("ha: slave sent garbage; closing the connection", "err", err)
			return
		}
		if last < 0 {
			from, err := c.checkStart(off)
			if err != nil {
				c.log.Error("ha: refusing slave; closing the connection", "err", err, "slave_offset", off)
				return
			}
			c.sent.Store(from)
			c.start <- from
			c.log.Info("ha: slave reported its offset; streaming from it", "offset", off, "from", from)
		} else if off < last || off > c.sent.Load() {
			c.log.Error("ha: slave sent an impossible acknowledgement; closing the connection",
				"err", fmt.Errorf("ack %d after %d, sent up to %d: %w", off, last, c.sent.Load(), ErrProtocol))
			return
		}
		if off != last {
			c.m.ackMu.Lock()
			c.m.ackLocked(c, off)
			c.m.ackMu.Unlock()
			last = off
		}
	}
}

// readFailed logs why reading the slave's reports ended.
func (c *masterConn) readFailed(err error, last int64) {
	switch {
	case c.closing():
	case errors.Is(err, io.EOF):
		c.log.Info("ha: slave disconnected", "ack_offset", last)
	case errors.Is(err, os.ErrDeadlineExceeded):
		c.log.Warn("ha: no report from the slave; closing the connection", "for", c.m.cfg.HousekeepingInterval, "ack_offset", last)
	case errors.Is(err, io.ErrUnexpectedEOF):
		c.log.Error("ha: slave closed the connection inside a report", "err", fmt.Errorf("truncated report: %w", ErrProtocol))
	default:
		c.log.Warn("ha: reading from the slave failed; closing the connection", "err", err)
	}
}

// checkStart decides where streaming starts for a slave at off: there,
// or, for an empty slave (0) of a log that no longer begins at 0, at the
// log's first offset (the slave's log then begins there too).
func (c *masterConn) checkStart(off int64) (int64, error) {
	s := c.m.cfg.Store
	lo, hi := s.MinPhysicalOffset(), s.MaxPhysicalOffset()
	switch {
	case off > hi:
		return 0, fmt.Errorf("slave offset %d, master log ends at %d: %w", off, hi, ErrDiverged)
	case off == 0:
		return lo, nil
	case off < lo:
		return 0, fmt.Errorf("slave offset %d, master log starts at %d: %w", off, lo, ErrBehindLog)
	}
	return off, nil
}

// writeLoop streams the log to the slave from its first report on:
// transfers of whole records while the log has more, a heartbeat (empty
// transfer) after HeartbeatInterval without one.
func (c *masterConn) writeLoop() {
	defer c.m.wg.Done()
	defer c.close()
	var next int64
	select {
	case next = <-c.start:
	case <-c.done:
		return
	}
	cfg := &c.m.cfg
	buf := make([]byte, 0, headerSize+cfg.TransferBatch)
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	lastWrite := time.Now()
	for {
		if next < cfg.Store.MaxPhysicalOffset() {
			var err error
			buf, err = cfg.Store.ReadLog(buf[:headerSize], next, cfg.TransferBatch)
			if err != nil {
				c.log.Error("ha: cannot read the log for the slave; closing the connection", "offset", next, "err", err)
				return
			}
			n := len(buf) - headerSize
			putTransferHeader(buf, next, n)
			c.sent.Store(next + int64(n))
			if !c.write(buf, "transfer") {
				return
			}
			next += int64(n)
			lastWrite = time.Now()
			if cap(buf) > 4*(headerSize+cfg.TransferBatch) {
				buf = make([]byte, 0, headerSize+cfg.TransferBatch) // after a huge record
			}
			continue
		}
		wait := min(cfg.pollInterval, cfg.HeartbeatInterval-time.Since(lastWrite))
		if wait <= 0 {
			if !c.write(appendTransferHeader(buf[:0], next, 0), "heartbeat") {
				return
			}
			lastWrite = time.Now()
			continue
		}
		timer.Reset(wait)
		select {
		case <-c.wake:
		case <-timer.C:
		case <-c.done:
			return
		}
	}
}

// write sends b with the housekeeping deadline, logging a failure.
func (c *masterConn) write(b []byte, what string) bool {
	_ = c.conn.SetWriteDeadline(time.Now().Add(c.m.cfg.HousekeepingInterval))
	if _, err := c.conn.Write(b); err != nil {
		if !c.closing() {
			c.log.Warn("ha: sending to the slave failed; closing the connection", "what", what, "err", err)
		}
		return false
	}
	return true
}
