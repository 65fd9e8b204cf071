package store

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"

	"github.com/rocketkit/rocketkit/protocol/message"
)

// recovery is the state of one Open's recovery.
type recovery struct {
	s       *Store
	crashed bool
	ck      checkpoint
	ckOK    bool
	segs    []*segment
	sizes   []int64
	ixFrom  int64            // records at or past this get index entries
	gapped  map[QueueID]bool // queues that missed entries before the replay start
	only    map[QueueID]bool // second pass: dispatch only to these queues
	lastTs  int64            // newest store timestamp replayed
	logMin  int64            // records below were deleted by retention
	info    RecoveryInfo     // reported by Store.Recovery
}

// recover brings the store to a consistent state; see doc.go, Recovery.
func (s *Store) recover() error {
	r := &recovery{s: s, gapped: map[QueueID]bool{}}
	if _, err := s.fsys.Stat(s.path("abort")); err == nil {
		r.crashed = true
		r.info.Crashed = true
		s.log.Warn("abort marker found: the previous run did not close cleanly; recovering")
	}
	if err := r.readCheckpoint(); err != nil {
		return err
	}
	if err := r.openSegments(); err != nil {
		return err
	}
	if err := r.finishClean(); err != nil {
		return err
	}
	rawEnd := r.rawEnd()
	first := int64(0)
	if len(r.segs) > 0 {
		first = r.segs[0].base
	}
	r.logMin = max(first, r.ck.LogMin)
	if r.ckOK && r.ck.Dispatched > rawEnd {
		// The log is shorter than the checkpoint says was durable: trust
		// nothing derived from it and rebuild from the whole log.
		s.log.Warn("commit log ends before the checkpoint; durable data is missing, rebuilding",
			"log_end", rawEnd, "checkpoint", r.ck.Dispatched)
		r.ck, r.ckOK = checkpoint{Deleted: r.ck.Deleted, LogMin: r.ck.LogMin}, false
	}
	if err := s.loadQueues(r, rawEnd); err != nil {
		return err
	}
	cqOK := r.ckOK && s.countCQEntries(r.ck.Dispatched) == r.ck.CQEntries
	if r.ckOK && !cqOK {
		s.log.Warn("consume queues are behind the checkpoint; rebuilding them from the whole log")
	}
	ixOK, err := s.loadIndex(r)
	if err != nil {
		return err
	}
	from := first
	r.info.Checkpoint = -1
	if r.ckOK {
		r.info.Checkpoint = r.ck.Dispatched
	}
	if cqOK && ixOK {
		from = max(first, r.ck.Dispatched)
		r.info.FromCheckpoint = true
	}
	r.info.ReplayedFrom = from

	r.ixFrom = from
	if ixOK {
		r.ixFrom = max(first, r.ck.Dispatched)
	}
	validEnd, err := r.scanAndReplay(from)
	if err != nil {
		return err
	}
	if err := r.repairLog(validEnd); err != nil {
		return err
	}
	s.cl.setEnd(validEnd)
	s.cl.flushed.Store(validEnd)
	r.info.End = validEnd
	if err := r.fixQueues(validEnd); err != nil {
		return err
	}
	s.lastStoreTs = max(r.lastTs, r.ck.StoreTime)
	s.logMin = r.logMin
	for t, off := range r.ck.Deleted {
		s.deleted[t] = off
	}
	r.info.RebuiltQueues = len(r.gapped)
	s.recovery = r.info
	// Persist what recovery rebuilt before accepting appends.
	s.lastCk = checkpoint{Dispatched: -1}
	if err := s.checkpoint(); err != nil {
		return err
	}
	return nil
}

func (r *recovery) readCheckpoint() error {
	b, err := os.ReadFile(r.s.path("checkpoint"))
	switch {
	case errors.Is(err, os.ErrNotExist):
		r.ck = checkpoint{Deleted: map[string]int64{}}
		return nil
	case err != nil:
		return fmt.Errorf("read checkpoint: %w", err)
	}
	ck, err := unmarshalCheckpoint(b)
	if err != nil {
		r.s.log.Warn("checkpoint unreadable; rebuilding consume queues and index from the whole log", "err", err)
		r.ck = checkpoint{Deleted: map[string]int64{}}
		return nil
	}
	r.ck, r.ckOK = ck, true
	return nil
}

// openSegments opens every segment, keeping the contiguous prefix; a
// segment that does not start where the previous one ends, and all later
// ones, are set aside as *.broken.
func (r *recovery) openSegments() error {
	s := r.s
	dir := s.path("commitlog")
	bases, err := listSegments(s.fsys, dir)
	if err != nil {
		return err
	}
	for i, base := range bases {
		if n := len(r.segs); n > 0 && r.segs[n-1].base+r.sizes[n-1] != base {
			s.log.Warn("commit-log segments are not contiguous; setting the rest aside",
				"segment", segmentName(base), "expected_offset", r.segs[n-1].base+r.sizes[n-1])
			for _, b := range bases[i:] {
				if err := r.setAside(filepath.Join(dir, segmentName(b))); err != nil {
					return err
				}
			}
			break
		}
		seg, err := openSegment(s.fsys, dir, base, false)
		if err != nil {
			return err
		}
		size, err := fileSize(seg.f)
		if err != nil {
			_ = seg.f.Close()
			return err
		}
		r.segs = append(r.segs, seg)
		r.sizes = append(r.sizes, size)
	}
	segs := append([]*segment(nil), r.segs...)
	s.cl.segs.Store(&segs)
	return nil
}

// finishClean deletes the segments below the checkpoint's LogMin that a
// crash left behind in the middle of a clean (the last segment stays).
func (r *recovery) finishClean() error {
	k := 0
	for k < len(r.segs)-1 && r.segs[k+1].base <= r.ck.LogMin {
		k++
	}
	if k == 0 {
		return nil
	}
	r.s.log.Warn("finishing an interrupted clean: deleting commit-log segments below the retained minimum",
		"segments", k, "min_offset", r.segs[k].base)
	for _, seg := range r.segs[:k] {
		_ = seg.f.Close()
		if err := r.s.fsys.Remove(seg.path); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("delete segment: %w", err)
		}
	}
	if err := r.s.fsys.SyncDir(r.s.path("commitlog")); err != nil {
		return err
	}
	r.segs, r.sizes = r.segs[k:], r.sizes[k:]
	segs := append([]*segment(nil), r.segs...)
	r.s.cl.segs.Store(&segs)
	return nil
}

func (r *recovery) rawEnd() int64 {
	if n := len(r.segs); n > 0 {
		return r.segs[n-1].base + r.sizes[n-1]
	}
	return 0
}

// setAside renames a file to <name>.broken (or .broken.N if taken).
func (r *recovery) setAside(path string) error {
	dst := r.brokenName(path)
	fi, statErr := r.s.fsys.Stat(path)
	if err := r.s.fsys.Rename(path, dst); err != nil {
		return fmt.Errorf("set aside %s: %w", path, err)
	}
	r.info.SetAside++
	if statErr == nil {
		r.info.DroppedBytes += fi.Size()
	}
	r.s.log.Warn("set aside damaged file", "file", dst)
	return r.s.fsys.SyncDir(filepath.Dir(path))
}

func (r *recovery) brokenName(path string) string {
	dst := path + ".broken"
	for i := 1; ; i++ {
		if _, err := r.s.fsys.Stat(dst); errors.Is(err, os.ErrNotExist) {
			return dst
		}
		dst = path + ".broken." + strconv.Itoa(i)
	}
}

// scanAndReplay validates the log from `from` to its end, dispatching every
// valid record to consume queues and index, and returns the valid end.
func (r *recovery) scanAndReplay(from int64) (int64, error) {
	s := r.s
	pos := from
	for i, seg := range r.segs {
		segEnd := seg.base + r.sizes[i]
		if segEnd <= pos && !(segEnd == pos && i == len(r.segs)-1) {
			continue
		}
		if pos < seg.base {
			break // not contiguous; cannot happen after openSegments
		}
		start := pos
		end, err := scanSegment(seg.f, seg.base, r.sizes[i], start, r.dispatch)
		if err != nil {
			return 0, err
		}
		if end == start && start > seg.base && end < segEnd {
			// The scan start (from the checkpoint) is not a record
			// boundary: distrust it and validate the segment from its start.
			s.log.Warn("checkpoint offset does not start a record; rescanning the segment",
				"segment", segmentName(seg.base), "offset", start)
			r.info.FromCheckpoint, r.info.ReplayedFrom = false, seg.base
			end, err = scanSegment(seg.f, seg.base, r.sizes[i], seg.base, r.dispatch)
			if err != nil {
				return 0, err
			}
		}
		pos = end
		if end < segEnd {
			break
		}
	}
	if len(r.gapped) > 0 {
		if err := r.rebuildGapped(pos); err != nil {
			return 0, err
		}
	}
	return pos, nil
}

// dispatch feeds one valid record to its consume queue and the index.
// Replay is idempotent: entries already present are kept when they match.
func (r *recovery) dispatch(m *message.Ext, rec []byte, pos int64) {
	s := r.s
	if r.only == nil {
		r.info.Replayed++
	}
	r.lastTs = max(r.lastTs, m.StoreTimestamp)
	if d, ok := r.ck.Deleted[m.Topic]; ok && pos < d {
		return
	}
	if !validTopic(m.Topic) {
		return
	}
	id := QueueID{m.Topic, m.QueueID}
	if r.only == nil || r.only[id] {
		r.dispatchCQ(id, m, pos, int32(len(rec)))
	}
	if r.only == nil && pos >= r.ixFrom {
		s.ix.addLocked(m.Topic, recordKeys(m.Properties), pos, m.StoreTimestamp)
	}
}

func (r *recovery) dispatchCQ(id QueueID, m *message.Ext, pos int64, size int32) {
	s := r.s
	q := s.queueLocked(id)
	qo := m.QueueOffset
	tags := recordTagsCode(m.Properties)
	if s.cfg.TagsCode != nil {
		tags = s.cfg.TagsCode(m.Topic, m.Properties)
	}
	switch {
	case q.max == q.min && qo > q.max && r.only != nil:
		// Second pass: the queue's first surviving record.
		q.resetLocked(qo)
		q.flushed = qo
	case qo < q.min:
		return
	case qo < q.max:
		if off, _, _ := q.entryLocked(qo); off == pos {
			return
		}
		s.log.Warn("consume-queue entry disagrees with the log; truncating the queue",
			"topic", id.Topic, "queue_id", id.QueueID, "offset", qo)
		q.truncateLocked(qo)
		r.info.TruncatedQueues++
	case qo > q.max:
		if r.only == nil {
			r.gapped[id] = true
		} else {
			s.log.Error("queue offsets in the log have a gap; skipping record",
				"topic", id.Topic, "queue_id", id.QueueID, "offset", qo, "expected", q.max)
		}
		return
	}
	q.appendLocked(pos, size, tags)
	q.next = q.max
}

// rebuildGapped rebuilds the queues that missed entries from the first
// segment on.
func (r *recovery) rebuildGapped(end int64) error {
	s := r.s
	r.only = r.gapped
	for id := range r.gapped {
		s.log.Warn("consume queue missed entries; rebuilding it from the whole log", "topic", id.Topic, "queue_id", id.QueueID)
		q := s.queues[id]
		q.resetLocked(0)
		if err := q.removeAll(s.fsys); err != nil {
			return err
		}
	}
	for i, seg := range r.segs {
		if seg.base >= end {
			break
		}
		if _, err := scanSegment(seg.f, seg.base, min(r.sizes[i], end-seg.base), seg.base, r.dispatch); err != nil {
			return err
		}
	}
	r.only = nil
	return nil
}

// repairLog cuts the log at validEnd: the segment holding it is copied to
// *.broken and truncated, later segments are set aside.
func (r *recovery) repairLog(validEnd int64) error {
	s := r.s
	keep := 0
	for i, seg := range r.segs {
		end := seg.base + r.sizes[i]
		if seg.base > validEnd {
			break
		}
		keep = i + 1
		if end <= validEnd {
			continue
		}
		s.log.Warn("commit log has a damaged or torn tail; truncating to the last whole record",
			"segment", segmentName(seg.base), "valid_offset", validEnd, "dropped_bytes", end-validEnd)
		if err := r.copyBroken(seg, r.sizes[i]); err != nil {
			return err
		}
		r.info.SetAside++
		r.info.DroppedBytes += end - validEnd
		if err := seg.f.Truncate(validEnd - seg.base); err != nil {
			return fmt.Errorf("truncate %s: %w", seg.path, err)
		}
		if err := seg.f.Sync(); err != nil {
			return fmt.Errorf("sync %s: %w", seg.path, err)
		}
		r.sizes[i] = validEnd - seg.base
	}
	for _, seg := range r.segs[keep:] {
		_ = seg.f.Close()
		if err := r.setAside(seg.path); err != nil {
			return err
		}
	}
	r.segs = r.segs[:keep]
	segs := append([]*segment(nil), r.segs...)
	s.cl.segs.Store(&segs)
	return nil
}

// copyBroken copies a damaged segment to <name>.broken before truncation.
func (r *recovery) copyBroken(seg *segment, size int64) error {
	fsys := r.s.fsys
	dst := r.brokenName(seg.path)
	f, err := fsys.OpenFile(dst, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return fmt.Errorf("copy damaged segment: %w", err)
	}
	buf := make([]byte, min(size, scanChunk))
	for off := int64(0); off < size && err == nil; off += int64(len(buf)) {
		n := min(int64(len(buf)), size-off)
		if _, err = seg.f.ReadAt(buf[:n], off); err == nil || err == io.EOF {
			_, err = f.WriteAt(buf[:n], off)
		}
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = fsys.SyncDir(filepath.Dir(dst))
	}
	if err != nil {
		return fmt.Errorf("copy damaged segment to %s: %w", dst, err)
	}
	r.s.log.Warn("copied damaged segment", "file", dst)
	return nil
}

// fixQueues drops consume-queue entries for records past validEnd and cuts
// their files accordingly.
func (r *recovery) fixQueues(validEnd int64) error {
	for _, q := range r.s.queues {
		n := q.max
		for n > q.min {
			off, size, _ := q.entryLocked(n - 1)
			if off+int64(size) <= validEnd {
				break
			}
			n--
		}
		if n < q.max {
			r.s.log.Warn("dropping consume-queue entries past the end of the log",
				"topic", q.id.Topic, "queue_id", q.id.QueueID, "from_offset", n, "count", q.max-n)
			q.truncateLocked(n)
		}
		if err := q.truncateFile(r.s.fsys); err != nil {
			return err
		}
	}
	return nil
}
