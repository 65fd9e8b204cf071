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
	"time"

	"github.com/rocketkit/rocketkit/broker/store"
)

const (
	// minBackoff and maxBackoff bound the pause between two connection
	// attempts: it doubles after each attempt that got nothing from the
	// master, and starts over after one that did.
	minBackoff = 100 * time.Millisecond
	maxBackoff = 5 * time.Second
	// dialTimeout bounds one connection attempt (Java's HAClient: 5s).
	dialTimeout = 5 * time.Second
	// keepBuffer is the largest body buffer kept between transfers.
	keepBuffer = 4 << 20
)

// SlaveConfig configures a Slave. A zero value means the documented
// default.
type SlaveConfig struct {
	// Store is the slave's store; it receives the master's records through
	// AppendReplica and must not be appended to otherwise. Required.
	Store *store.Store
	// MasterAddr returns the master's HA address to connect to now, "" if
	// unknown yet (asked again after a pause). It is called before every
	// connection attempt, so the address may change between them (taken
	// from the name server's registration, say). Required.
	MasterAddr func() string
	// Dial opens a connection. Default: a net.Dialer.
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
	// HeartbeatInterval is how often the slave reports its offset when
	// nothing arrives. Default 5s (haSendHeartbeatInterval).
	HeartbeatInterval time.Duration
	// HousekeepingInterval closes the connection when nothing (not even a
	// heartbeat) arrived from the master for this long, and bounds every
	// write. Default 20s (haHousekeepingInterval), and at least 4
	// HeartbeatIntervals; it must exceed the master's HeartbeatInterval.
	HousekeepingInterval time.Duration
	// Log receives connection events and errors. nil discards.
	Log *slog.Logger
}

func (c *SlaveConfig) setDefaults() {
	if c.Dial == nil {
		var d net.Dialer
		c.Dial = d.DialContext
	}
	if c.HeartbeatInterval <= 0 {
		c.HeartbeatInterval = DefaultHeartbeatInterval
	}
	c.HousekeepingInterval = defaultHousekeeping(c.HousekeepingInterval, c.HeartbeatInterval)
	if c.Log == nil {
		c.Log = slog.New(slog.DiscardHandler)
	}
}

// SlaveStatus is a snapshot of a Slave.
type SlaveStatus struct {
	// MasterAddr is the address of the current connection, or of the last
	// attempt.
	MasterAddr string
	// Connected: a connection to the master is open.
	Connected bool
	// Offset is the store's max physical offset: what was replicated.
	Offset int64
	// LastTransfer is when records last arrived (zero: never).
	LastTransfer time.Time
}

// Slave replicates a master's log into its store: it connects to the
// master's HA port, reports its offset, applies every transfer with
// AppendReplica and acknowledges it, and reconnects after any error.
// Java's HAClient.
type Slave struct {
	cfg SlaveConfig
	log *slog.Logger

	mu     sync.Mutex
	status SlaveStatus // Offset unused. Lock mu.
}

// NewSlave returns a Slave for cfg. It panics without cfg.Store or
// cfg.MasterAddr.
func NewSlave(cfg SlaveConfig) *Slave {
	if cfg.Store == nil || cfg.MasterAddr == nil {
		panic("ha: NewSlave: SlaveConfig.Store and MasterAddr are required")
	}
	cfg.setDefaults()
	return &Slave{cfg: cfg, log: cfg.Log}
}

// Status returns what the slave is doing. Safe for concurrent use.
func (s *Slave) Status() SlaveStatus {
	s.mu.Lock()
	st := s.status
	s.mu.Unlock()
	st.Offset = s.cfg.Store.MaxPhysicalOffset()
	return st
}

// Run connects to the master, replicates, and reconnects after every
// failure with a backoff (100ms doubling to 5s, back to 100ms after a
// connection that received something) until ctx ends. It returns once
// ctx ended and everything it started has stopped. Call it once, and
// close the store only after it returned.
func (s *Slave) Run(ctx context.Context) {
	backoff := minBackoff
	for ctx.Err() == nil {
		addr := s.cfg.MasterAddr()
		if addr == "" {
			s.log.Debug("ha: master address unknown; waiting", "retry_in", backoff)
		} else {
			progressed, err := s.session(ctx, addr)
			if ctx.Err() != nil {
				break
			}
			if progressed {
				backoff = minBackoff
			}
			s.logSessionEnd(addr, err, backoff)
		}
		t := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
		case <-t.C:
		}
		t.Stop()
		backoff = min(2*backoff, maxBackoff)
	}
}

func (s *Slave) logSessionEnd(addr string, err error, retry time.Duration) {
	switch {
	case errors.Is(err, ErrProtocol), errors.Is(err, store.ErrInvalidReplica),
		errors.Is(err, store.ErrReplicaGap), errors.Is(err, store.ErrWriteFailed):
		s.log.Error("ha: replication from the master failed; reconnecting", "master", addr, "err", err, "retry_in", retry)
	case errors.Is(err, io.EOF):
		s.log.Warn("ha: master closed the connection; reconnecting", "master", addr, "retry_in", retry)
	default:
		s.log.Warn("ha: connection to the master failed; reconnecting", "master", addr, "err", err, "retry_in", retry)
	}
}

// session is one connection: it reports, receives and applies transfers
// until an error or ctx's end. progressed: at least one frame was
// accepted.
func (s *Slave) session(ctx context.Context, addr string) (progressed bool, err error) {
	s.mu.Lock()
	s.status.MasterAddr = addr
	s.mu.Unlock()
	dctx, cancel := context.WithTimeout(ctx, dialTimeout)
	conn, err := s.cfg.Dial(dctx, "tcp", addr)
	cancel()
	if err != nil {
		return false, fmt.Errorf("dial %s: %w", addr, err)
	}
	s.setConnected(true)
	s.log.Info("ha: connected to the master", "master", addr, "offset", s.cfg.Store.MaxPhysicalOffset())

	stopAfter := context.AfterFunc(ctx, func() { _ = conn.Close() })
	kick := make(chan struct{}, 1)
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		if err := s.reportLoop(conn, kick, done); err != nil {
			_ = conn.Close() // the receive loop ends too
		}
	}()
	defer func() {
		close(done)
		_ = conn.Close()
		wg.Wait()
		stopAfter()
		s.setConnected(false)
	}()
	return s.receiveLoop(conn, kick)
}

func (s *Slave) setConnected(c bool) {
	s.mu.Lock()
	s.status.Connected = c
	s.mu.Unlock()
}

// receiveLoop applies the master's transfers until an error.
func (s *Slave) receiveLoop(conn net.Conn, kick chan<- struct{}) (progressed bool, err error) {
	st := s.cfg.Store
	var (
		hdr [headerSize]byte
		buf []byte
	)
	for {
		_ = conn.SetReadDeadline(time.Now().Add(s.cfg.HousekeepingInterval))
		off, size, err := readTransferHeader(conn, &hdr)
		if err != nil {
			if errors.Is(err, os.ErrDeadlineExceeded) {
				err = fmt.Errorf("nothing from the master for %v: %w", s.cfg.HousekeepingInterval, err)
			}
			return progressed, err
		}
		// An empty slave takes the master's first offset as its log's start
		// (the master's log no longer begins at 0): AppendReplica.
		want := st.MaxPhysicalOffset()
		empty := want == 0
		if off != want && (!empty || off < 0) {
			return progressed, fmt.Errorf("master sent offset %d, the slave's log ends at %d: %w", off, want, ErrProtocol)
		}
		if size == 0 {
			progressed = true // heartbeat
			continue
		}
		_ = conn.SetReadDeadline(time.Now().Add(s.cfg.HousekeepingInterval))
		if buf, err = readBody(conn, buf, size); err != nil {
			return progressed, fmt.Errorf("read %d-byte transfer at offset %d: %w", size, off, err)
		}
		if err := st.AppendReplica(off, buf); err != nil {
			return progressed, err
		}
		if empty && off != 0 {
			s.log.Info("ha: the master's log begins above 0; the slave's begins there too", "offset", off)
		}
		progressed = true
		s.mu.Lock()
		s.status.LastTransfer = time.Now()
		s.mu.Unlock()
		select {
		case kick <- struct{}{}:
		default:
		}
		if cap(buf) > keepBuffer {
			buf = nil // after a huge record
		}
	}
}

// reportLoop sends the slave's offset: at once, after each applied
// transfer (kick), and every HeartbeatInterval, until done.
func (s *Slave) reportLoop(conn net.Conn, kick <-chan struct{}, done <-chan struct{}) error {
	t := time.NewTicker(s.cfg.HeartbeatInterval)
	defer t.Stop()
	var b []byte
	for {
		b = appendReport(b[:0], s.cfg.Store.MaxPhysicalOffset())
		_ = conn.SetWriteDeadline(time.Now().Add(s.cfg.HousekeepingInterval))
		if _, err := conn.Write(b); err != nil {
			select {
			case <-done:
				return nil
			default:
			}
			s.log.Warn("ha: reporting to the master failed", "err", err)
			return err
		}
		select {
		case <-done:
			return nil
		case <-kick:
		case <-t.C:
		}
	}
}
