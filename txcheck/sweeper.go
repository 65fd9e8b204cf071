package txcheck

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rocketkit/rocketkit/client"
	"github.com/rocketkit/rocketkit/outbox"
	"github.com/rocketkit/rocketkit/outbox/sqlkit"
)

// Sweeper compensates by key for transactional messages whose outcome
// never reached the broker for good. Every committed key older than
// Sweeper.After is looked up on the broker: found → verified; not found →
// the broker discarded the half message (no producer answered within its
// check window), so the sweeper sends the recorded message again, as a
// normal message with the same key. Several sweepers may run at once (FOR
// UPDATE SKIP LOCKED); a sweeper that dies between re-send and mark finds
// the re-sent message by key on its next pass.
type Sweeper struct {
	cfg    Config
	sender outbox.Sender
	lookup outbox.KeyLookup
	log    *slog.Logger
	table  sweepTable

	mu     sync.Mutex
	cancel context.CancelFunc // guarded by mu
	done   chan struct{}      // guarded by mu

	verified, resent, pruned atomic.Int64
}

// SweepStats counts what a sweeper did since it was created.
type SweepStats struct {
	Verified int64 // keys found on the broker
	Resent   int64 // messages sent again
	Pruned   int64 // verified keys deleted after the retention
}

// NewSweeper returns a sweeper over the key table of cfg on db. sender
// re-sends (an outbox.Producer, which does not retry on its own, or any
// transport.Producer), lookup finds messages by key (outbox.AdminLookup).
func NewSweeper(cfg Config, db outbox.Beginner, sender outbox.Sender, lookup outbox.KeyLookup, opts ...Option) (*Sweeper, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if db == nil || sender == nil || lookup == nil {
		return nil, fmt.Errorf("%w: a sweeper needs a database, a sender and a key lookup", ErrInvalidConfig)
	}
	s := newSettings(opts)
	return &Sweeper{
		cfg: cfg, sender: sender, lookup: lookup, log: s.logger.With("table", cfg.Table),
		table: newSQLSweepTable(db, cfg.Table),
	}, nil
}

// Start sweeps every Sweeper.Interval in the background until Close; ctx
// is not used after Start returns. The table must exist (Producer.Start
// or Migrate creates it).
func (s *Sweeper) Start(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cancel != nil {
		return nil
	}
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	s.cancel, s.done = cancel, make(chan struct{})
	go func() {
		defer close(s.done)
		_ = s.Run(runCtx)
	}()
	return nil
}

// Close stops a started sweeper and waits for it.
func (s *Sweeper) Close() error {
	s.mu.Lock()
	cancel, done := s.cancel, s.done
	s.mu.Unlock()
	if cancel == nil {
		return nil
	}
	cancel()
	<-done
	return nil
}

// Run sweeps every Sweeper.Interval until ctx ends, then returns nil.
func (s *Sweeper) Run(ctx context.Context) error {
	t := time.NewTicker(s.cfg.Sweeper.Interval)
	defer t.Stop()
	for {
		if _, err := s.Sweep(ctx); err != nil && ctx.Err() == nil {
			s.log.Warn("txcheck sweep failed", "error", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// Stats returns the sweeper's counters.
func (s *Sweeper) Stats() SweepStats {
	return SweepStats{Verified: s.verified.Load(), Resent: s.resent.Load(), Pruned: s.pruned.Load()}
}

// Sweep runs one pass: it verifies (and if need be re-sends) every due key,
// batch by batch, then prunes verified keys past the retention.
func (s *Sweeper) Sweep(ctx context.Context) (SweepStats, error) {
	before := s.Stats()
	for ctx.Err() == nil {
		n, err := s.sweepBatch(ctx)
		if err != nil {
			return s.since(before), err
		}
		if n < s.cfg.Sweeper.BatchSize {
			break
		}
	}
	for ctx.Err() == nil {
		n, err := s.table.prune(ctx, s.cfg.Sweeper.Retention)
		if err != nil {
			if sqlkit.IsRetryable(err) {
				break
			}
			return s.since(before), fmt.Errorf("txcheck: prune %s: %w", s.cfg.Table, sqlkit.MarkClosed(err))
		}
		s.pruned.Add(n)
		if n < pruneBatch {
			break
		}
	}
	return s.since(before), ctx.Err()
}

func (s *Sweeper) since(b SweepStats) SweepStats {
	a := s.Stats()
	return SweepStats{Verified: a.Verified - b.Verified, Resent: a.Resent - b.Resent, Pruned: a.Pruned - b.Pruned}
}

// due is one key to verify.
type due struct {
	rec     outbox.Record
	created float64
	found   bool
	err     error
}

// sweepBatch verifies one batch in one transaction holding the rows'
// locks, and returns the number of rows it looked at.
func (s *Sweeper) sweepBatch(ctx context.Context) (int, error) {
	sc := s.cfg.Sweeper
	n, err := s.table.sweepDue(ctx, sc.After, sc.BatchSize, func(ctx context.Context, rows []*due, mark markFunc) error {
		s.lookupAll(ctx, rows)
		for _, d := range rows {
			switch {
			case d.err != nil:
				continue // try again next sweep
			case d.found:
				if err := mark(ctx, d.rec.Key, false); err != nil {
					return err
				}
				s.verified.Add(1)
			default:
				if err := s.resend(ctx, d.rec); err != nil {
					s.log.Warn("txcheck re-send failed", "topic", d.rec.Topic, "key", d.rec.Key, "error", err)
					continue
				}
				if err := mark(ctx, d.rec.Key, true); err != nil {
					return err
				}
				s.resent.Add(1)
				s.log.Info("txcheck re-sent a message the broker never delivered", "topic", d.rec.Topic, "key", d.rec.Key)
			}
		}
		return nil
	})
	if err != nil {
		return n, fmt.Errorf("txcheck: sweep %s: %w", s.cfg.Table, sqlkit.MarkClosed(err))
	}
	return n, nil
}

func (s *Sweeper) lookupAll(ctx context.Context, rows []*due) {
	sem := make(chan struct{}, s.cfg.Sweeper.LookupConcurrency)
	var wg sync.WaitGroup
	for _, d := range rows {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			lctx, cancel := context.WithTimeout(ctx, s.cfg.SendTimeout)
			defer cancel()
			since := time.Unix(int64(d.created), 0).Add(-time.Hour)
			d.found, d.err = s.lookup.LookupKey(lctx, outbox.LookupParams{Topic: d.rec.Topic, Key: d.rec.Key, Since: since})
			if d.err != nil {
				s.log.Warn("txcheck key lookup failed", "topic", d.rec.Topic, "key", d.rec.Key, "error", d.err)
			}
		}()
	}
	wg.Wait()
}

func (s *Sweeper) resend(ctx context.Context, rec outbox.Record) error {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.SendTimeout)
	defer cancel()
	var opts []client.SendOption
	if rec.ShardingKey != "" {
		opts = append(opts, client.HashKey(rec.ShardingKey)) // the queue the relay would pick
	}
	res, err := s.sender.Send(ctx, rec.Message(), opts...)
	if err != nil {
		return err
	}
	if res == nil {
		return errors.New("no send result")
	}
	if res.Status != client.SendOK {
		s.log.Warn("txcheck re-send stored without its durability guarantee", "key", rec.Key, "status", res.Status.String())
	}
	return nil
}
