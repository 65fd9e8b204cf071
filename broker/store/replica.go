package store

import (
	"fmt"

	"github.com/rocketkit/rocketkit/protocol/message"
)

// Replication (package broker/ha) ships commit-log bytes from a master's
// store to a slave's: ReadLog on the master, AppendReplica on the slave.
// The slave's log is byte-for-byte the master's (same commit-log offsets,
// queue offsets and store timestamps, so offset message ids and consumer
// offsets mean the same on both), while its consume queues, key index and
// segment boundaries are its own, built as recovery builds them.

// ReadLog appends to dst the whole records stored from commit-log offset
// from, at most max bytes (but always at least one whole record when one
// exists, even if larger than max), and returns them. from must be a
// record boundary (the master only ships from offsets a slave reported,
// which are ends of what it received). from == MaxPhysicalOffset():
// nothing, nil error. from below MinPhysicalOffset or above
// MaxPhysicalOffset: an error wrapping ErrNotFound (say which); so is a
// from that does not start a record.
//
// Records may come from several segments. ReadLog takes no lock: it reads
// what concurrent Appends made readable, and reports ErrNotFound when
// retention deletes the segment while it reads.
func (s *Store) ReadLog(dst []byte, from int64, max int) ([]byte, error) {
	if s.closed.Load() {
		return dst, ErrClosed
	}
	end := s.cl.readable.Load()
	switch {
	case from == end:
		return dst, nil
	case from > end:
		return dst, fmt.Errorf("store: read log at %d: above the max physical offset %d: %w", from, end, ErrNotFound)
	}
	if segs := s.cl.segments(); len(segs) == 0 || from < segs[0].base {
		lo := end
		if len(segs) > 0 {
			lo = segs[0].base
		}
		return dst, fmt.Errorf("store: read log at %d: below the min physical offset %d: %w", from, lo, ErrNotFound)
	}
	start := len(dst)
	avail := end - from
	out, err := s.cl.read(dst, from, int(min(avail, int64(maxInt(max, message.MinRecordSize)))))
	if err != nil {
		return dst[:start], s.readLogErr(from, err)
	}
	p := 0 // whole records found in out[start:]
	for start+p+4 <= len(out) {
		size := int(int32(be.Uint32(out[start+p:])))
		if size < message.MinRecordSize || size > maxRecordSize || int64(p+size) > avail {
			return dst[:start], s.notRecordErr(from, p, fmt.Sprintf("TOTALSIZE %d", size))
		}
		if start+p+size > len(out) {
			if p > 0 {
				break // the next record does not fit in max
			}
			// The first record alone is larger than max: read it whole.
			if out, err = s.cl.read(out[:start], from, size); err != nil {
				return dst[:start], s.readLogErr(from, err)
			}
		}
		rec := out[start+p:]
		if recMagic(rec) != message.MagicCode || recPhysOffset(rec) != from+int64(p) {
			return dst[:start], s.notRecordErr(from, p, "MAGICCODE or PHYSICALOFFSET")
		}
		p += size
	}
	if p == 0 {
		return dst[:start], s.notRecordErr(from, 0, fmt.Sprintf("%d bytes before the end of the log", avail))
	}
	return out[:start+p], nil
}

func maxInt(a, b int) int {
	if a > b {
		return a
	}
	return b
}

// readLogErr explains a failed read of the log at from.
func (s *Store) readLogErr(from int64, err error) error {
	if segs := s.cl.segments(); len(segs) > 0 && from < segs[0].base {
		return fmt.Errorf("store: read log at %d: below the min physical offset %d (deleted by retention while read): %w",
			from, segs[0].base, ErrNotFound)
	}
	return fmt.Errorf("store: read log at %d: %w", from, err)
}

// notRecordErr reports bytes at from+p that are not a record: at from,
// the caller's offset is not a record boundary; further on, the log is
// damaged.
func (s *Store) notRecordErr(from int64, p int, what string) error {
	if p == 0 {
		return fmt.Errorf("store: read log at %d: no record starts there (%s): %w", from, what, ErrNotFound)
	}
	return fmt.Errorf("store: read log at %d: record at %d is damaged (%s): %w", from, from+int64(p), what, ErrCorrupt)
}

// replicaCount is a per-queue tally within one AppendReplica.
type replicaCount struct {
	id    QueueID
	next  int64 // the queue's next offset before the batch
	n     int64
	fresh bool // a queue new to a log that began above 0: it begins at next
}

// replicaRec is one validated record of an AppendReplica batch.
type replicaRec struct {
	rel  int // position in the batch
	size int32
	id   QueueID
	qoff int64
	ts   int64
	tags int64
	keys []string
}

// AppendReplica writes records a master shipped (ReadLog output), which
// must start at at == MaxPhysicalOffset() (else an error wrapping
// ErrReplicaGap naming both offsets). Each record keeps the commit-log
// offset, queue offset and store timestamp the master gave it; consume
// queues and the key index are updated as recovery's dispatch does (tags
// code from Config.TagsCode or the TAGS property, keys from KEYS and
// UNIQ_KEY); OnAppend is called per queue as Append does.
//
// Every record is validated before anything is written: TOTALSIZE within
// bounds and the batch made of whole records, MAGICCODE, structure and
// BODYCRC (message.Decode), a legal topic and queue id, PHYSICALOFFSET
// equal to its position and QUEUEOFFSET equal to its queue's next offset
// (consecutive within the batch). Otherwise it returns an error wrapping
// ErrInvalidReplica and stores nothing.
//
// An empty store (its log ends at 0) takes a first batch at any offset:
// its log then begins there, durably, as a slave's does whose master's
// log no longer begins at 0 (retention deleted its first segments), and
// each queue begins at the queue offset of its first record.
//
// One exception: a record with queue offset 0 for a queue that has
// records is the master's topic restarting after DELETE_TOPIC (a deletion
// is not in the log, and the master's queues of a topic received again
// start at 0). The slave then deletes the topic as the master did
// (DeleteTopic: its queues, and its older records for recovery) at that
// record, after storing the batch's records before it, and goes on.
//
// The slave rolls to a new segment at its own record boundaries (when the
// next record would take the current segment past SegmentSize), so its
// segment files may differ from the master's while every offset is the
// same. AppendReplica does not wait for a flush, whatever the FlushMode:
// the flusher syncs every FlushInterval as in FlushAsync mode. It
// serialises with Append (s.mu); readers are not blocked.
//
// Other errors: ErrClosed, and ErrWriteFailed (sticky, as for Append).
func (s *Store) AppendReplica(at int64, records []byte) error {
	if s.closed.Load() {
		return ErrClosed
	}
	end := s.cl.readable.Load()
	if at != end && (end != 0 || at < 0 || len(records) == 0) {
		return replicaGap(at, end)
	}
	if len(records) == 0 {
		return nil
	}
	recs, maxTs, err := s.parseReplica(at, records)
	if err != nil {
		return err
	}
	if at != end {
		if err := s.startAt(at); err != nil {
			return err
		}
	}

	s.mu.Lock()
	if s.closed.Load() {
		s.mu.Unlock()
		return ErrClosed
	}
	if s.werr != nil {
		err := s.werr
		s.mu.Unlock()
		return err
	}
	if at != s.cl.end {
		end := s.cl.end
		s.mu.Unlock()
		return replicaGap(at, end)
	}
	var tally [4]replicaCount
	counts := tally[:0]
	for i := range recs {
		r := &recs[i]
		j := 0
		for j < len(counts) && counts[j].id != r.id {
			j++
		}
		if j == len(counts) {
			c := replicaCount{id: r.id}
			if q := s.queues[r.id]; q != nil {
				c.next = q.next
			} else if s.logMin > 0 {
				// Its records before the log's start are not here.
				c.next, c.fresh = r.qoff, true
			}
			counts = append(counts, c)
		}
		if next := counts[j].next + counts[j].n; r.qoff != next {
			s.mu.Unlock()
			if r.qoff == 0 {
				return s.replicaTopicRestart(at, records, r)
			}
			hint := ""
			if next == 0 {
				hint = " (the topic was deleted on the slave alone?)"
			}
			return fmt.Errorf("store: append replica at %d: record at %d of %s/%d has queue offset %d, the queue's next is %d%s: %w",
				at, at+int64(r.rel), r.id.Topic, r.id.QueueID, r.qoff, next, hint, ErrInvalidReplica)
		}
		counts[j].n++
	}
	if err := s.cl.writeRecordsLocked(records, recs); err != nil {
		s.setWriteErrLocked(err)
		err = s.werr
		s.mu.Unlock()
		return err
	}
	s.lastStoreTs = max(s.lastStoreTs, maxTs)
	s.checkpointIfDueLocked()
	for _, c := range counts {
		q := s.queueLocked(c.id)
		if c.fresh {
			q.mu.Lock()
			q.resetLocked(c.next)
			q.flushed = c.next
			q.mu.Unlock()
		}
		q.next += c.n
	}
	var cur *consumeQueue
	for i := range recs {
		r := &recs[i]
		q := s.queues[r.id]
		if q != cur {
			if cur != nil {
				cur.mu.Unlock()
			}
			cur = q
			cur.mu.Lock()
		}
		q.appendLocked(at+int64(r.rel), r.size, r.tags)
	}
	cur.mu.Unlock()
	for i := range recs {
		r := &recs[i]
		s.ix.addLocked(r.id.Topic, r.keys, at+int64(r.rel), r.ts)
	}
	s.mu.Unlock()

	if s.cfg.OnAppend != nil {
		for _, c := range counts {
			s.cfg.OnAppend(c.id.Topic, c.id.QueueID)
		}
	}
	return nil
}

// startAt makes an empty store's log begin at off instead of 0 (see
// AppendReplica), durably. It returns an error when the store holds
// anything (or ever did: its log does not end at 0).
func (s *Store) startAt(off int64) error {
	s.ckMu.Lock()
	defer s.ckMu.Unlock()
	s.mu.Lock()
	if end := s.cl.end; end != 0 || len(s.cl.segments()) > 0 || len(s.queues) > 0 {
		s.mu.Unlock()
		return replicaGap(off, end)
	}
	s.cl.setEnd(off)
	s.cl.flushed.Store(off)
	if err := s.cl.reserveLocked(0); err != nil { // the first segment, at off
		s.cl.setEnd(0)
		s.cl.flushed.Store(0)
		s.mu.Unlock()
		return fmt.Errorf("store: append replica at %d: begin the log there: %w", off, err)
	}
	s.logMin = off
	s.ckDue = off + s.cfg.CheckpointBytes
	snap := s.snapshotLocked()
	s.mu.Unlock()
	if err := s.persistLocked(snap); err != nil {
		return fmt.Errorf("store: append replica at %d: begin the log there: %w", off, err)
	}
	return nil
}

// replicaTopicRestart stores a batch whose record r starts r.id's queue
// again at 0: the records before r, then DeleteTopic (the master deleted
// the topic and received it again), then r and the rest.
func (s *Store) replicaTopicRestart(at int64, records []byte, r *replicaRec) error {
	if r.rel > 0 {
		if err := s.AppendReplica(at, records[:r.rel]); err != nil {
			return err
		}
	}
	if err := s.DeleteTopic(r.id.Topic); err != nil {
		return fmt.Errorf("store: append replica at %d: follow the master's deletion of %s: %w", at, r.id.Topic, err)
	}
	return s.AppendReplica(at+int64(r.rel), records[r.rel:])
}

func replicaGap(at, end int64) error {
	return fmt.Errorf("store: append replica at %d: the log ends at %d: %w", at, end, ErrReplicaGap)
}

// parseReplica validates the records of an AppendReplica batch starting
// at log offset at, everything but queue offsets (which need s.mu), and
// returns them with the newest store timestamp.
func (s *Store) parseReplica(at int64, records []byte) ([]replicaRec, int64, error) {
	bad := func(rel int, format string, args ...any) error {
		return fmt.Errorf("store: append replica at %d: record at %d: %s: %w",
			at, at+int64(rel), fmt.Sprintf(format, args...), ErrInvalidReplica)
	}
	recs := make([]replicaRec, 0, len(records)/1024+1)
	var maxTs int64
	for rel := 0; rel < len(records); {
		rest := records[rel:]
		if len(rest) < posMagic+4 {
			return nil, 0, bad(rel, "%d trailing bytes, not a record", len(rest))
		}
		n := int(recSize(rest))
		switch {
		case n < message.MinRecordSize || n > maxRecordSize:
			return nil, 0, bad(rel, "TOTALSIZE %d out of bounds", n)
		case n > len(rest):
			return nil, 0, bad(rel, "TOTALSIZE %d, only %d bytes left: not a whole record", n, len(rest))
		case recMagic(rest) != message.MagicCode:
			return nil, 0, bad(rel, "MAGICCODE %#x", uint32(recMagic(rest)))
		}
		m, _, err := message.Decode(rest[:n], true)
		if err != nil {
			return nil, 0, bad(rel, "%v", err)
		}
		switch {
		case m.CommitLogOffset != at+int64(rel):
			return nil, 0, bad(rel, "PHYSICALOFFSET %d differs from its position", m.CommitLogOffset)
		case !validTopic(m.Topic):
			return nil, 0, bad(rel, "illegal topic %q", m.Topic)
		case m.QueueID < 0:
			return nil, 0, bad(rel, "negative queue id %d", m.QueueID)
		case m.QueueOffset < 0:
			return nil, 0, bad(rel, "negative queue offset %d", m.QueueOffset)
		}
		tags := recordTagsCode(m.Properties)
		if s.cfg.TagsCode != nil {
			tags = s.cfg.TagsCode(m.Topic, m.Properties)
		}
		recs = append(recs, replicaRec{
			rel: rel, size: int32(n), id: QueueID{m.Topic, m.QueueID}, qoff: m.QueueOffset,
			ts: m.StoreTimestamp, tags: tags, keys: recordKeys(m.Properties),
		})
		maxTs = max(maxTs, m.StoreTimestamp)
		rel += n
	}
	return recs, maxTs, nil
}

// writeRecordsLocked writes the validated records buf (recs describe them)
// at c.end, rolling to a new segment at a record boundary whenever the
// next record would take the current segment past segSize, and then
// advances end, written and readable once. On an error end stays where it
// was (what was written past it is valid records, which recovery keeps).
// Store.mu should be held.
func (c *commitLog) writeRecordsLocked(buf []byte, recs []replicaRec) error {
	start := c.end
	for i := 0; i < len(recs); {
		if err := c.reserveLocked(int(recs[i].size)); err != nil {
			c.end = start
			return err
		}
		segs := c.segments()
		last := segs[len(segs)-1]
		room := c.segSize - (c.end - last.base)
		n := int64(recs[i].size)
		j := i + 1
		for j < len(recs) && n+int64(recs[j].size) <= room {
			n += int64(recs[j].size)
			j++
		}
		rel := c.end - start
		if _, err := last.f.WriteAt(buf[rel:rel+n], c.end-last.base); err != nil {
			c.end = start
			return err
		}
		c.end += n
		i = j
	}
	c.setEnd(c.end)
	return nil
}
