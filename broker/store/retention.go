package store

import (
	"errors"
	"fmt"
	"os"
	"syscall"
	"time"
)

// Retention configures the cleaner, RocketMQ's CleanCommitLogService and
// CleanConsumeQueueService (see doc.go, "Retention"). A zero value means
// Java's defaults; each field names the MessageStoreConfig key it mirrors.
type Retention struct {
	// Disabled turns the cleaner off: nothing is ever deleted.
	Disabled bool
	// ReservedTime (fileReservedTime) is how long a segment is kept after
	// its last write. Default 72h; negative: no time at all (a segment
	// may go as soon as the next one has started).
	ReservedTime time.Duration
	// DeleteHours (deleteWhen) are the hours of the day, 0-23 in the
	// clock's location, in which expired segments are deleted. Default
	// [4].
	DeleteHours []int
	// CleanInterval (cleanResourceInterval) is how often the cleaner
	// runs. Default 10s.
	CleanInterval time.Duration
	// DeleteInterval (deleteCommitLogFilesInterval) is the pause between
	// two segment deletions of one run. Default 100ms; negative: none.
	DeleteInterval time.Duration
	// BatchMax (deleteFileBatchMax) caps the segments one run deletes.
	// Default 10.
	BatchMax int
	// DiskMaxUsedRatio (diskMaxUsedSpaceRatio) is the disk usage in
	// percent above which expired segments are deleted at any hour.
	// Default 75; clamped to 10-95 as Java does.
	DiskMaxUsedRatio int
	// CleanForciblyRatio (diskSpaceCleanForciblyRatio) is the disk usage
	// in percent above which segments are deleted whatever their age,
	// oldest first. Default 85; clamped to 30-85.
	CleanForciblyRatio int
	// WarningRatio (diskSpaceWarningLevelRatio) is the disk usage in
	// percent above which the forced clean runs too (Java also refuses
	// writes then; this store does not). Default 90; clamped to 35-90.
	WarningRatio int
	// NoForcedClean (cleanFileForciblyEnable=false) keeps the age rule
	// even above CleanForciblyRatio and WarningRatio.
	NoForcedClean bool
	// Now is the clock for "older than" and "hour of day". nil: time.Now.
	Now func() time.Time
	// DiskUsage reports the used fraction (0-1) of the file system holding
	// dir. nil: statfs(2), (blocks - free blocks) / blocks, as Java's
	// UtilAll.getDiskPartitionSpaceUsedPercent.
	DiskUsage func(dir string) (float64, error)

	hours [24]bool
}

// Defaults of Retention, RocketMQ's.
const (
	DefaultReservedTime       = 72 * time.Hour
	DefaultDeleteHour         = 4
	DefaultCleanInterval      = 10 * time.Second
	DefaultDeleteInterval     = 100 * time.Millisecond
	DefaultBatchMax           = 10
	DefaultDiskMaxUsedRatio   = 75
	DefaultCleanForciblyRatio = 85
	DefaultWarningRatio       = 90
)

func (r *Retention) setDefaults() {
	switch {
	case r.ReservedTime == 0:
		r.ReservedTime = DefaultReservedTime
	case r.ReservedTime < 0:
		r.ReservedTime = 0
	}
	if len(r.DeleteHours) == 0 {
		r.DeleteHours = []int{DefaultDeleteHour}
	}
	for _, h := range r.DeleteHours {
		if h >= 0 && h < 24 {
			r.hours[h] = true
		}
	}
	if r.CleanInterval <= 0 {
		r.CleanInterval = DefaultCleanInterval
	}
	switch {
	case r.DeleteInterval == 0:
		r.DeleteInterval = DefaultDeleteInterval
	case r.DeleteInterval < 0:
		r.DeleteInterval = 0
	}
	if r.BatchMax <= 0 {
		r.BatchMax = DefaultBatchMax
	}
	r.DiskMaxUsedRatio = clampRatio(r.DiskMaxUsedRatio, DefaultDiskMaxUsedRatio, 10, 95)
	r.CleanForciblyRatio = clampRatio(r.CleanForciblyRatio, DefaultCleanForciblyRatio, 30, 85)
	r.WarningRatio = clampRatio(r.WarningRatio, DefaultWarningRatio, 35, 90)
	if r.Now == nil {
		r.Now = time.Now
	}
	if r.DiskUsage == nil {
		r.DiskUsage = statfsUsage
	}
}

func clampRatio(v, def, lo, hi int) int {
	if v == 0 {
		v = def
	}
	return min(max(v, lo), hi)
}

func (r *Retention) validate() error {
	for _, h := range r.DeleteHours {
		if h < 0 || h > 23 {
			return fmt.Errorf("store: Retention.DeleteHours: %d is not an hour of the day (0-23)", h)
		}
	}
	return nil
}

// statfsUsage is the used fraction of the file system holding dir.
func statfsUsage(dir string) (float64, error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return 0, &os.PathError{Op: "statfs", Path: dir, Err: err}
	}
	if st.Blocks == 0 {
		return 0, nil
	}
	return float64(st.Blocks-st.Bfree) / float64(st.Blocks), nil
}

// runCleaner runs clean every CleanInterval until the store closes.
func (s *Store) runCleaner() {
	defer s.wg.Done()
	t := time.NewTicker(s.cfg.Retention.CleanInterval)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
		}
		if _, err := s.clean(); err != nil {
			s.log.Warn("retention: clean failed; will retry", "err", err)
		}
	}
}

// clean is one run of the cleaner: when it is a DeleteHours hour or the
// disk is fuller than DiskMaxUsedRatio, it deletes the expired segments
// (every one, whatever its age, when the disk is fuller than
// CleanForciblyRatio or WarningRatio), oldest first, at most BatchMax. It
// returns how many it deleted.
func (s *Store) clean() (int, error) {
	r := &s.cfg.Retention
	now := r.Now()
	timeUp := r.hours[now.Hour()]
	usage, err := r.DiskUsage(s.dir)
	if err != nil {
		s.log.Warn("retention: cannot read disk usage", "err", err)
		usage = 0
	}
	forced := !r.NoForcedClean &&
		(usage > float64(r.WarningRatio)/100 || usage > float64(r.CleanForciblyRatio)/100)
	full := forced || usage > float64(r.DiskMaxUsedRatio)/100
	if !timeUp && !full {
		return 0, nil
	}
	if full {
		s.log.Warn("retention: disk usage is high; reclaiming space", "used", usage, "forced", forced)
	}
	return s.deleteSegments(now, forced)
}

// deleteSegments deletes the oldest segments that expired by now (all
// but the last when forced). Crash safety comes from the order: everything
// is checkpointed first; then consume queues, index and the log minimum
// move in memory and a checkpoint records the new minimum (LogMin); only
// then are files deleted, consume queues and index first, segments oldest
// first. Recovery finishes a clean a crash interrupted (segments below
// LogMin go, queues and index are cut at the first segment).
func (s *Store) deleteSegments(now time.Time, forced bool) (int, error) {
	s.ckMu.Lock()
	locked := true
	defer func() {
		if locked {
			s.ckMu.Unlock()
		}
	}()
	s.mu.Lock()
	snap := s.snapshotLocked()
	s.mu.Unlock()
	if err := s.persistLocked(snap); err != nil {
		return 0, err
	}
	newMin := s.expiredBefore(now, forced, snap.end)
	if newMin < 0 {
		return 0, nil
	}

	s.mu.Lock()
	for _, q := range s.queues {
		q.mu.Lock()
		q.trimLocked(q.searchLocked(newMin))
		q.mu.Unlock()
	}
	ixGone := s.ix.dropBelowLocked(newMin)
	for t, off := range s.deleted {
		if off <= newMin {
			delete(s.deleted, t) // every record of the deleted topic is gone
		}
	}
	s.logMin = newMin
	segsGone := s.cl.dropBefore(newMin)
	snap = s.snapshotLocked()
	s.mu.Unlock()

	if err := s.persistLocked(snap); err != nil {
		// The files stay; the next Open keeps them and reads the old
		// minimum from the checkpoint.
		for _, seg := range segsGone {
			if seg.users.retire() {
				_ = seg.f.Close()
			}
		}
		return 0, fmt.Errorf("retention: %w", err)
	}
	var errs []error
	for _, q := range snap.queues {
		if _, err := q.dropFiles(s.fsys); err != nil {
			errs = append(errs, err)
		}
	}
	for _, x := range ixGone {
		if err := s.fsys.Remove(x.path); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, fmt.Errorf("delete index file: %w", err))
		}
		if x.users.retire() && x.f != nil {
			_ = x.f.Close()
		}
	}
	if len(ixGone) > 0 {
		if err := s.fsys.SyncDir(s.ix.dir); err != nil {
			errs = append(errs, err)
		}
	}
	s.ckMu.Unlock()
	locked = false

	n, err := s.removeSegments(segsGone)
	s.log.Info("retention: deleted commit-log segments", "segments", n, "min_offset", newMin, "forced", forced)
	return n, errors.Join(append(errs, err)...)
}

// expiredBefore returns the base of the first segment to keep: the
// segments before it (never the last, never one ending after end, at most
// BatchMax) are expired: forced, or the first record after the segment,
// which was stored no earlier than the segment's last write, is older than
// ReservedTime. It returns -1 when none is.
func (s *Store) expiredBefore(now time.Time, forced bool, end int64) int64 {
	r := &s.cfg.Retention
	segs := s.cl.segments()
	k := 0
	for k < len(segs)-1 && k < r.BatchMax && segs[k+1].base <= end {
		if !forced {
			ts, err := s.storeTimeAt(segs[k+1].base, headerPeekSize)
			if err != nil || now.UnixMilli()-ts < r.ReservedTime.Milliseconds() {
				break // the rest is younger: segments go in order only
			}
		}
		k++
	}
	if k == 0 {
		return -1
	}
	return segs[k].base
}

// removeSegments deletes the files of segments taken out of the log, with
// DeleteInterval between two. When the store closes meanwhile, the rest
// stay for the next Open to delete (they lie below the checkpoint's
// LogMin).
func (s *Store) removeSegments(segs []*segment) (int, error) {
	var (
		errs []error
		n    int
	)
	for i, seg := range segs {
		stopped := false
		if d := s.cfg.Retention.DeleteInterval; i > 0 && d > 0 {
			t := time.NewTimer(d)
			select {
			case <-t.C:
			case <-s.stop:
				stopped = true
			}
			t.Stop()
		}
		if !stopped {
			if err := s.fsys.Remove(seg.path); err != nil && !errors.Is(err, os.ErrNotExist) {
				errs = append(errs, fmt.Errorf("delete segment: %w", err))
			} else {
				n++
			}
		}
		if seg.users.retire() {
			_ = seg.f.Close() // else the last read in flight closes it
		}
	}
	if err := s.fsys.SyncDir(s.path("commitlog")); err != nil {
		errs = append(errs, err)
	}
	return n, errors.Join(errs...)
}
