package outbox

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rocketkit/rocketkit/client"
	"github.com/rocketkit/rocketkit/outbox/sqlkit"
	"github.com/rocketkit/rocketkit/tracing"
)

// Relay sends committed outbox rows to the broker. See the package
// documentation for the claim, lease and compensation protocol; several
// relays (in one process or many) may run against one table.
//
// It is an fx-friendly component: Start(ctx) creates the table if needed
// and returns, with the relay running in the background until Close. Run
// is the blocking alternative for standalone use.
type Relay struct {
	cfg     Config
	db      Beginner
	sender  Sender
	lookup  KeyLookup
	sel     *queueSelector    // picks the queue of every send
	sendOpt client.SendOption // client.WithSelector(sel)
	lister  queueLister       // nil unless the sender can list a topic's queues
	log     *slog.Logger
	metrics Metrics        // nil: none
	tracer  tracing.Tracer // nil: none
	q       queries
	hooks   hooks // tests only
	loop    relayLoop

	mu     sync.Mutex
	state  int                // relayIdle, relayRunning, relayClosed; guarded by mu
	cancel context.CancelFunc // stops the running loops; guarded by mu
	done   chan struct{}      // closed when the run ends; guarded by mu
	runErr error              // why the last run ended; guarded by mu

	stats relayCounters
}

const (
	relayIdle = iota
	relayRunning
	relayClosed
)

// relayLoop is what the relay's loops (worker, pruner) do to the table and
// the broker. The relay itself is the only implementation; virtual-time
// tests replace it with a fake, so the loops' timing (poll interval,
// backoffs, dead-lease scans, pruning) runs in a testing/synctest bubble,
// which cannot contain the network I/O of the real ones.
type relayLoop interface {
	// claim takes a batch (nil when there is nothing to claim).
	claim(ctx context.Context, withDead bool) (*batch, error)
	// process sends and marks a claimed batch.
	process(ctx context.Context, b *batch) processResult
	// Prune deletes sent rows past the retention.
	Prune(ctx context.Context) (int64, error)
}

var _ relayLoop = (*Relay)(nil)

// hooks let tests stop a relay at chosen points (crash tests). Each gets
// the token of the claim it belongs to, so that a test can tell apart the
// claims the workers process at once.
type hooks struct {
	afterClaim  func(token int64, rows int)
	sendPlan    func(token int64, chunks int) // the sends a claim is about to make
	beforeSend  func(token int64)
	afterSend   func(token int64, err error)
	beforeMark  func(token int64)
	afterMarked func(token int64, rows int)
}

// RelayStats counts what a relay did since it was created (Relay.Stats),
// or what one batch added to the counts (Metrics). The rows not sent yet
// are Relay.Backlog, read from the table.
type RelayStats struct {
	Claimed int64 // rows claimed
	Sent    int64 // rows sent and marked sent, Retried included
	Found   int64 // rows with an unknown outcome found on the broker and marked sent
	// Retried counts rows sent again after an attempt whose outcome was
	// unknown (a failed send, or a relay that died after its claim) and
	// that the key lookup did not find on the broker; they count in Sent
	// too.
	Retried int64
	// Compensated counts rows whose outcome was unknown that key-based
	// compensation settled without a duplicate: found on the broker and
	// marked sent (Found), or not found and sent again (Retried).
	Compensated int64
	Failed      int64 // rows whose send failed (looked up, then retried)
	Released    int64 // claimed rows released unsent (held back by a failure)
	Pruned      int64 // sent rows deleted
	Batches     int64 // sends (one message or one batch) that succeeded
}

// Metrics receives what a relay does (WithMetrics), for a metrics library
// to count: a Prometheus or OpenTelemetry adapter implements it; the
// package depends on none. Relayed is called from the relay's workers,
// concurrently: it must be safe for concurrent use and must not block.
type Metrics interface {
	// Relayed is called with what a batch added to the relay's Stats once
	// its outcome is committed (Claimed, Sent, Found, Retried,
	// Compensated, Failed, Released; Batches is left zero), and with
	// Pruned after each Prune that deleted rows.
	Relayed(RelayStats)
}

type relayCounters struct {
	claimed, sent, found, retried, failed, released, pruned, batches atomic.Int64
}

// NewRelay returns a relay for the table in cfg. sender sends (a *Producer
// from NewProducer, or any transport.Producer); lookup finds messages by
// key before a row with an unknown outcome is sent again (AdminLookup, or
// ResendUnknown to accept duplicates). db is normally a *sql.DB.
func NewRelay(cfg Config, db Beginner, sender Sender, lookup KeyLookup, opts ...Option) (*Relay, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if db == nil || sender == nil || lookup == nil {
		return nil, fmt.Errorf("%w: relay needs a database, a sender and a key lookup", ErrInvalidConfig)
	}
	s := newSettings(opts)
	sel := &queueSelector{}
	r := &Relay{
		cfg: cfg, db: db, sender: sender, lookup: lookup,
		sel: sel, sendOpt: client.WithSelector(sel), lister: listerOf(sender),
		log: s.logger.With("table", cfg.Table), metrics: s.metrics, tracer: s.tracer, q: newQueries(cfg.Table),
	}
	r.loop = r
	return r, nil
}

// Start creates or upgrades the table (unless Relay.SkipMigrations) and
// starts the relay in the background; ctx bounds only that start-up.
// Close stops it.
func (r *Relay) Start(ctx context.Context) error {
	runCtx, err := r.begin(context.Background())
	if err != nil {
		return err
	}
	if err := r.migrate(ctx); err != nil {
		r.end(err)
		return err
	}
	go func() { r.end(r.run(runCtx)) }()
	return nil
}

// Run creates or upgrades the table (unless Relay.SkipMigrations) and
// relays until ctx is cancelled or Close is called, then returns nil; it
// returns an error when the relay cannot go on (ErrDBClosed, a failed
// migration). Batches in flight when ctx is cancelled are finished (sent
// and marked) first, within the lease.
func (r *Relay) Run(ctx context.Context) error {
	ctx, err := r.begin(ctx)
	if err != nil {
		return err
	}
	err = r.migrate(ctx)
	if err == nil {
		err = r.run(ctx)
	} else if ctx.Err() != nil {
		err = nil // stopped while migrating
	}
	r.end(err)
	return err
}

// Close stops the relay and waits for it: batches in flight are finished.
// It returns the error that stopped the relay, if any. Close is
// idempotent; a closed relay cannot be started again.
func (r *Relay) Close() error {
	r.mu.Lock()
	st, cancel, done := r.state, r.cancel, r.done
	r.state = relayClosed
	r.mu.Unlock()
	if st != relayRunning {
		return nil
	}
	cancel()
	<-done
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.runErr
}

// Stats returns the relay's counters.
func (r *Relay) Stats() RelayStats {
	c := &r.stats
	found, retried := c.found.Load(), c.retried.Load()
	return RelayStats{
		Claimed: c.claimed.Load(), Sent: c.sent.Load(), Found: found, Retried: retried, Compensated: found + retried,
		Failed: c.failed.Load(), Released: c.released.Load(), Pruned: c.pruned.Load(), Batches: c.batches.Load(),
	}
}

// Backlog counts the rows not sent yet (pending, claimed or unknown).
func (r *Relay) Backlog(ctx context.Context) (int64, error) {
	var n int64
	if err := r.db.QueryRowContext(ctx, r.q.backlog).Scan(&n); err != nil {
		return 0, fmt.Errorf("outbox: count backlog of %s: %w", r.cfg.Table, dbErr(err))
	}
	return n, nil
}

// begin marks the relay running and returns the context its loops use,
// derived from parent and cancelled by Close.
func (r *Relay) begin(parent context.Context) (context.Context, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	switch r.state {
	case relayRunning:
		return nil, ErrRelayStarted
	case relayClosed:
		return nil, ErrRelayClosed
	}
	r.state = relayRunning
	r.done = make(chan struct{})
	r.runErr = nil
	ctx, cancel := context.WithCancel(parent)
	r.cancel = cancel
	return ctx, nil
}

// end records why the relay stopped and wakes Close.
func (r *Relay) end(err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.runErr = err
	r.cancel()
	if r.state == relayRunning {
		r.state = relayIdle
	}
	close(r.done)
}

func (r *Relay) migrate(ctx context.Context) error {
	if r.cfg.Relay.SkipMigrations {
		return nil
	}
	conner, ok := r.db.(sqlkit.Conner)
	if !ok {
		return fmt.Errorf("%w: migrations need a *sql.DB (or set relay.skip-migrations)", ErrInvalidConfig)
	}
	return Migrate(ctx, conner, r.cfg)
}

// run runs the workers and the pruner until ctx ends (nil) or one of them
// fails for good (its error).
func (r *Relay) run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg       sync.WaitGroup
		fatalMu  sync.Mutex
		fatalErr error
	)
	fail := func(err error) {
		if err == nil {
			return
		}
		fatalMu.Lock()
		if fatalErr == nil {
			fatalErr = err
		}
		fatalMu.Unlock()
		cancel()
	}
	for i := range r.cfg.Relay.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			fail(r.worker(ctx, i))
		}()
	}
	if r.cfg.Relay.Retention > 0 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			fail(r.pruner(ctx))
		}()
	}
	r.log.Info("outbox relay started", "workers", r.cfg.Relay.Workers)
	wg.Wait()
	r.log.Info("outbox relay stopped", "error", fatalErr)
	return fatalErr
}

// worker claims, sends and marks batches until ctx ends. It returns an
// error only when the relay cannot go on.
func (r *Relay) worker(ctx context.Context, id int) error {
	log := r.log.With("worker", id)
	rc := r.cfg.Relay
	var backoff, errBackoff time.Duration
	lastDead := time.Time{}
	for ctx.Err() == nil {
		withDead := time.Since(lastDead) >= deadScanEvery
		b, err := r.loop.claim(ctx, withDead)
		if withDead && err == nil {
			lastDead = time.Now()
		}
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			if errors.Is(err, ErrDBClosed) {
				return err
			}
			errBackoff = min(max(2*errBackoff, 50*time.Millisecond), rc.MaxRetryBackoff)
			log.Warn("outbox claim failed", "error", err, "retry_in", errBackoff)
			sleep(ctx, errBackoff)
			continue
		}
		errBackoff = 0
		if b == nil {
			sleep(ctx, rc.PollInterval)
			continue
		}
		// Finish the batch even when ctx ends: stopping mid-batch would
		// leave rows for the lease to expire.
		res := r.loop.process(context.WithoutCancel(ctx), b)
		if res.fatal != nil {
			return res.fatal
		}
		if res.failed > 0 {
			backoff = min(max(2*backoff, rc.RetryBackoff/4), rc.MaxRetryBackoff)
			log.Warn("outbox send failed; backing off", "rows", res.failed, "error", res.err, "retry_in", backoff)
			sleep(ctx, backoff)
			continue
		}
		backoff = 0
		switch {
		case len(b.rows) >= rc.BatchSize/2:
			// A backlog: claim again at once.
		case id > 0:
			// Only the first worker gathers small batches; the others
			// join when a backlog builds up.
			sleep(ctx, rc.PollInterval)
		case rc.BatchWait > 0:
			sleep(ctx, rc.BatchWait)
		}
	}
	return nil
}

// deadScanEvery is how often a worker looks for expired leases: rows
// whose outcome is unknown (their relay died, or their send failed and
// the backoff passed).
const deadScanEvery = 500 * time.Millisecond

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) {
	if d <= 0 {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

// pruner deletes sent rows older than the retention, in batches.
func (r *Relay) pruner(ctx context.Context) error {
	rc := r.cfg.Relay
	t := time.NewTicker(rc.PruneInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		if _, err := r.loop.Prune(ctx); err != nil {
			if errors.Is(err, ErrDBClosed) {
				return err
			}
			if ctx.Err() == nil {
				r.log.Warn("outbox prune failed", "error", err)
			}
		}
	}
}

// Prune deletes rows sent longer ago than the retention, in batches of
// Relay.PruneBatch, and returns how many it deleted. The relay calls it
// every Relay.PruneInterval.
func (r *Relay) Prune(ctx context.Context) (int64, error) {
	rc := r.cfg.Relay
	if rc.Retention < 0 {
		return 0, nil
	}
	var total int64
	for ctx.Err() == nil {
		var n int64
		err := sqlkit.Retry(ctx, 5, func() error {
			res, err := r.db.ExecContext(ctx, r.q.prune, rc.Retention.Microseconds(), rc.PruneBatch)
			if err != nil {
				return err
			}
			n, err = res.RowsAffected()
			return err
		})
		if err != nil {
			return total, fmt.Errorf("outbox: prune %s: %w", r.cfg.Table, dbErr(err))
		}
		total += n
		r.stats.pruned.Add(n)
		if r.metrics != nil && n > 0 {
			r.metrics.Relayed(RelayStats{Pruned: n})
		}
		if n < int64(rc.PruneBatch) {
			break
		}
	}
	return total, nil
}
