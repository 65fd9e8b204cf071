package store

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"sync"
	"time"
)

// flusher coordinates group commit: Append (FlushSync) kicks it and waits
// for a round to end; one goroutine syncs everything written so far and
// wakes all waiters at once.
type flusher struct {
	kick chan struct{} // capacity 1: at most one round pending

	mu   sync.Mutex
	done chan struct{} // closed when the current round ends. Lock mu.
	err  error         // set on a failed sync or at close. Lock mu.
}

func (f *flusher) init() {
	f.kick = make(chan struct{}, 1)
	f.done = make(chan struct{})
}

// roundEnded wakes the waiters of the current round.
func (f *flusher) roundEnded(err error) {
	f.mu.Lock()
	if err != nil && f.err == nil {
		f.err = err
	}
	close(f.done)
	f.done = make(chan struct{})
	f.mu.Unlock()
}

// finish wakes every waiter for good (Close).
func (f *flusher) finish(err error) {
	if err == nil {
		err = ErrClosed
	}
	f.roundEnded(err)
}

// runFlusher syncs the log: every FlushInterval in FlushAsync mode, on
// demand (and every FlushInterval as a backstop) in FlushSync mode.
func (s *Store) runFlusher() {
	defer s.wg.Done()
	t := time.NewTicker(s.cfg.FlushInterval)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
		case <-s.flush.kick:
		}
		_, err := s.cl.sync()
		if err != nil {
			s.setWriteErr(err)
			err = s.writeErr()
		}
		s.flush.roundEnded(err)
	}
}

// waitFlushed waits until the log is durable up to end. The answer is
// PutOK only if that is seen within SyncFlushTimeout: a flush that ends
// after the deadline (both may be ready at once) is late, so the status
// never depends on which of the two the select happens to pick.
func (s *Store) waitFlushed(ctx context.Context, end int64) (PutStatus, error) {
	deadline := s.cfg.now().Add(s.cfg.SyncFlushTimeout)
	timer := time.NewTimer(s.cfg.SyncFlushTimeout)
	defer timer.Stop()
	for {
		s.flush.mu.Lock()
		done, err := s.flush.done, s.flush.err
		s.flush.mu.Unlock()
		if s.cl.flushed.Load() >= end {
			if s.cfg.now().After(deadline) {
				return PutFlushDiskTimeout, nil
			}
			return PutOK, nil
		}
		if err != nil {
			if errors.Is(err, ErrClosed) {
				return PutFlushDiskTimeout, nil
			}
			return PutFlushDiskTimeout, err
		}
		select {
		case s.flush.kick <- struct{}{}:
		default:
		}
		select {
		case <-done:
		case <-timer.C:
			return PutFlushDiskTimeout, nil
		case <-ctx.Done():
			return PutFlushDiskTimeout, nil
		}
	}
}

// runCheckpointer persists consume queues and the index and advances the
// checkpoint every CheckpointInterval, and whenever Append reports that
// CheckpointBytes were written since the last one.
func (s *Store) runCheckpointer() {
	defer s.wg.Done()
	t := time.NewTicker(s.cfg.CheckpointInterval)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
		case <-s.ckKick:
		}
		if err := s.checkpoint(); err != nil {
			s.log.Warn("checkpoint failed; will retry", "err", err)
		}
	}
}

// ckSnapshot is the state a checkpoint persists, taken under mu so that
// it matches one log position.
type ckSnapshot struct {
	end       int64
	storeTime int64
	queues    []*consumeQueue
	counts    []int64
	cqTotal   int64
	ix        ixSnapshot
	deleted   map[string]int64
	logMin    int64
}

// snapshotLocked: mu should be held.
func (s *Store) snapshotLocked() ckSnapshot {
	snap := ckSnapshot{end: s.cl.end, storeTime: s.lastStoreTs, deleted: maps.Clone(s.deleted), logMin: s.logMin}
	for _, q := range s.queues {
		q.mu.RLock()
		n := q.max
		q.mu.RUnlock()
		snap.queues = append(snap.queues, q)
		snap.counts = append(snap.counts, n)
		snap.cqTotal += n
	}
	snap.ix = s.ix.snapshotLocked()
	return snap
}

// checkpoint makes the current state durable: log sync, consume queues,
// index, then the checkpoint file. It is skipped when nothing changed.
func (s *Store) checkpoint() error {
	s.ckMu.Lock()
	defer s.ckMu.Unlock()
	s.mu.Lock()
	snap := s.snapshotLocked()
	s.ckDue = snap.end + s.cfg.CheckpointBytes
	s.mu.Unlock()
	return s.persistLocked(snap)
}

// persistLocked writes snap. ckMu should be held.
func (s *Store) persistLocked(snap ckSnapshot) error {
	if snap.end == s.lastCk.Dispatched && snap.cqTotal == s.lastCk.CQEntries &&
		snap.ix.total == s.lastCk.IndexEntries && maps.Equal(snap.deleted, s.lastCk.Deleted) &&
		snap.logMin == s.lastCk.LogMin {
		return nil
	}
	start := time.Now()
	if s.cl.flushed.Load() < snap.end {
		if _, err := s.cl.sync(); err != nil {
			s.setWriteErr(err)
			return fmt.Errorf("checkpoint: %w", err)
		}
	}
	for i, q := range snap.queues {
		if err := q.flushTo(s.fsys, snap.counts[i]); err != nil {
			return fmt.Errorf("checkpoint: %w", err)
		}
	}
	if err := s.ix.flush(snap.ix); err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	ck := checkpoint{
		Dispatched: snap.end, LogFlushed: s.cl.flushed.Load(), CQEntries: snap.cqTotal,
		IndexEntries: snap.ix.total, StoreTime: snap.storeTime, Deleted: snap.deleted,
		LogMin: snap.logMin,
	}
	if err := writeFileAtomic(s.fsys, s.path("checkpoint"), ck.marshal()); err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	s.lastCk = ck
	s.counts.checkpointLat.observe(time.Since(start))
	return nil
}
