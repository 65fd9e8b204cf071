package broker

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/rocketkit/rocketkit/protocol/remoting"
)

// requestCounters counts requests served per request code (codes < 1024).
type requestCounters [1024]atomic.Int64

func (rc *requestCounters) inc(code int16) {
	if code >= 0 && int(code) < len(rc) {
		rc[code].Add(1)
	}
}

// Stats is a snapshot of the broker's counters.
type Stats struct {
	// Requests counts requests received per request name (e.g.
	// "PULL_MESSAGE"), since start.
	Requests map[string]int64
	// HeldPulls is the number of pulls waiting for messages now.
	HeldPulls int
	// Connections is the number of open client connections.
	Connections int
	// RefusedConnections counts connections closed on accept because
	// Config.MaxConnections were open, since start.
	RefusedConnections int64
	// ReadPauses counts the times a connection's reader stopped because it
	// had Config.MaxInflightRequests unanswered, since start.
	ReadPauses int64
	// FramesWritten and Writes count the frames (answers and the broker's
	// own requests) written to clients and the socket writes that carried
	// them, since start: answers to requests a client pipelined leave
	// together (see conn).
	FramesWritten, Writes int64
	// PendingTransactions counts half messages awaiting their outcome, per
	// real topic: produced but not (yet) visible, which is not lag.
	PendingTransactions map[string]int
	// DiscardedTransactions counts half messages dropped after
	// TransactionCheckMax unanswered checks, since start.
	DiscardedTransactions int64
	// TransactionChecks counts CHECK_TRANSACTION_STATE requests sent.
	TransactionChecks int64
	// DelayedMessages counts messages parked until their delay level is due.
	DelayedMessages int64
	// TimedMessages counts messages parked until their delivery time
	// (TIMER_DELIVER_MS).
	TimedMessages int64
}

// Stats returns the broker's counters.
func (b *Broker) Stats() Stats {
	s := Stats{
		Requests:              make(map[string]int64),
		HeldPulls:             b.holds.count(),
		PendingTransactions:   b.tx.pendingByTopic(),
		DiscardedTransactions: b.tx.discarded.Load(),
		TransactionChecks:     b.tx.checked.Load(),
		DelayedMessages:       b.delays.pending(),
		TimedMessages:         b.timer.count(),
		RefusedConnections:    b.refusedConns.Load(),
		ReadPauses:            b.readPauses.Load(),
		FramesWritten:         b.framesWritten.Load(),
		Writes:                b.writes.Load(),
	}
	for code := range b.requests {
		if n := b.requests[code].Load(); n > 0 {
			s.Requests[remoting.RequestName(int16(code))] = n
		}
	}
	b.mu.Lock()
	s.Connections = len(b.conns)
	b.mu.Unlock()
	return s
}

// WaitQuiet waits until the broker has received no request for quiet, or
// ctx ends (then it returns ctx's error). Requests held as long polls do
// not count as activity once received, so consumers waiting for messages
// leave the broker quiet.
//
// Tests use it before shutting a client down: the official client reads a
// flag in every RPC that its Shutdown writes without synchronisation, and
// the broker counts each request atomically after reading it, so once the
// broker is quiet every RPC it saw also happens before the Shutdown for the
// race detector.
func (b *Broker) WaitQuiet(ctx context.Context, quiet time.Duration) error {
	total := func() int64 {
		var n int64
		for i := range b.requests {
			n += b.requests[i].Load()
		}
		return n
	}
	tick := time.NewTicker(max(quiet/10, time.Millisecond))
	defer tick.Stop()
	last, since := total(), time.Now()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
		if n := total(); n != last {
			last, since = n, time.Now()
		} else if time.Since(since) >= quiet {
			return nil
		}
	}
}
