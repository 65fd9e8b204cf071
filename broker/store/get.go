package store

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"

	"github.com/rocketkit/rocketkit/protocol/message"
)

// Filter selects records during Get. A nil Filter matches everything.
type Filter interface {
	// MatchTagsCode is asked first, with the consume-queue tags code.
	MatchTagsCode(code int64) bool
	// MatchRecord is asked for records that passed MatchTagsCode, with the
	// raw record (which must not be retained).
	MatchRecord(rec []byte) bool
}

// GetStatus is the outcome of Get (wire doc §5.6).
type GetStatus int

const (
	// GetFound: at least one record matched.
	GetFound GetStatus = iota
	// GetNoMatched: records were scanned but the filter rejected all of
	// them; NextBeginOffset is past them (PULL_RETRY_IMMEDIATELY).
	GetNoMatched
	// GetNotFound: offset == max (or the queue is empty and offset is 0);
	// nothing to read yet (PULL_NOT_FOUND, suspendable).
	GetNotFound
	// GetOffsetMoved: offset < min or > max, or the queue is empty and
	// offset != 0 (PULL_OFFSET_MOVED).
	GetOffsetMoved
)

func (s GetStatus) String() string {
	switch s {
	case GetFound:
		return "FOUND"
	case GetNoMatched:
		return "NO_MATCHED"
	case GetNotFound:
		return "NOT_FOUND"
	case GetOffsetMoved:
		return "OFFSET_MOVED"
	}
	return fmt.Sprintf("GetStatus(%d)", int(s))
}

// GetResult is what Get found.
type GetResult struct {
	Status GetStatus
	// Records are the matching raw records, back to back, appended to the
	// dst passed to Get.
	Records []byte
	// Count is the number of records appended.
	Count int
	// NextBeginOffset is where the consumer continues: after the last
	// scanned entry, or as §5.6 prescribes for the other statuses.
	NextBeginOffset int64
	MinOffset       int64
	MaxOffset       int64
}

const (
	// defaultGetMsgs applies when maxMsgs <= 0.
	defaultGetMsgs = 32
	// getScanFactor bounds the entries scanned per Get to this many times
	// maxMsgs, so a selective filter cannot make one call read the queue.
	getScanFactor = 16
	// maxGetScan caps the scanned entries regardless of maxMsgs.
	maxGetScan = 8192
	// maxGetBytes caps the returned bytes (the first record always fits).
	maxGetBytes = 1 << 20
)

var entryPool = sync.Pool{New: func() any { return new([]byte) }}

// QueueRange returns the first and the next-to-be-written offset of a
// queue; 0, 0 for an unknown queue.
func (s *Store) QueueRange(topic string, queueID int32) (minOffset, maxOffset int64) {
	if q := s.queue(topic, queueID); q != nil {
		return q.bounds()
	}
	return 0, 0
}

// Get reads up to maxMsgs matching records of (topic, queueID) starting at
// offset, following wire doc §5.6 steps 1-5. With a filter it scans at
// most 16*maxMsgs entries per call, so NextBeginOffset may advance past
// rejected records without a match (GetNoMatched). It returns about 1 MiB
// at most (a larger first record is returned alone). Records adjacent in
// the log are read with one pread. Records are appended to dst, which may
// be nil; dst is only retained through the result.
//
// Every record is checked against its consume-queue entry (QUEUEOFFSET,
// PHYSICALOFFSET, size); a mismatch returns ErrCorrupt.
func (s *Store) Get(topic string, queueID int32, offset int64, maxMsgs int, filter Filter, dst []byte) (GetResult, error) {
	if s.closed.Load() {
		return GetResult{}, ErrClosed
	}
	r, err := s.get(topic, queueID, offset, maxMsgs, filter, dst)
	if errors.Is(err, errRemoved) {
		// Retention deleted records while they were read; it raised the
		// queue's min first, so this read answers OffsetMoved (or reads
		// what is left).
		r, err = s.get(topic, queueID, offset, maxMsgs, filter, dst[:len(dst):len(dst)])
	}
	if errors.Is(err, errRemoved) {
		err = fmt.Errorf("store: get: records removed while read twice: %w", ErrNotFound)
	}
	return r, err
}

// errRemoved: a record Get was about to read lay in a segment retention
// has deleted meanwhile.
var errRemoved = errors.New("store: record removed by retention")

func (s *Store) get(topic string, queueID int32, offset int64, maxMsgs int, filter Filter, dst []byte) (GetResult, error) {
	r := GetResult{Records: dst}
	q := s.queue(topic, queueID)
	if q != nil {
		r.MinOffset, r.MaxOffset = q.bounds()
	}
	switch {
	case r.MaxOffset == 0:
		r.Status = GetNotFound
		if offset != 0 {
			r.Status = GetOffsetMoved
		}
		return r, nil
	case offset < r.MinOffset:
		r.Status, r.NextBeginOffset = GetOffsetMoved, r.MinOffset
		return r, nil
	case offset == r.MaxOffset:
		r.Status, r.NextBeginOffset = GetNotFound, offset
		return r, nil
	case offset > r.MaxOffset:
		r.Status, r.NextBeginOffset = GetOffsetMoved, r.MaxOffset
		return r, nil
	}
	if maxMsgs <= 0 {
		maxMsgs = defaultGetMsgs
	}
	window := int64(maxMsgs)
	if filter != nil {
		window *= getScanFactor
	}
	window = min(window, maxGetScan, r.MaxOffset-offset)
	pe := entryPool.Get().(*[]byte)
	ents := q.appendEntries((*pe)[:0], offset, window)
	defer func() { *pe = ents[:0]; entryPool.Put(pe) }()
	if len(ents) == 0 {
		return GetResult{}, errRemoved // retention raised min since bounds
	}

	g := getter{s: s, filter: filter, out: dst}
	scanned := int64(0)
	for ; scanned < int64(len(ents)/cqEntrySize); scanned++ {
		off, size, tags := decodeCQEntry(ents[scanned*cqEntrySize:])
		if filter != nil && !filter.MatchTagsCode(tags) {
			continue
		}
		if g.count+g.runN >= maxMsgs || (g.count+g.runN > 0 && g.bytes+g.runBytes+int(size) > maxGetBytes) {
			if err := g.flushRun(); err != nil {
				return GetResult{}, err
			}
			if g.count >= maxMsgs || (g.count > 0 && g.bytes+int(size) > maxGetBytes) {
				break
			}
		}
		if g.runN > 0 && off != g.runEnd {
			if err := g.flushRun(); err != nil {
				return GetResult{}, err
			}
		}
		g.add(offset+scanned, off, size)
	}
	if err := g.flushRun(); err != nil {
		return GetResult{}, err
	}
	r.Records, r.Count = g.out, g.count
	s.counts.got.Add(int64(g.count))
	r.NextBeginOffset = offset + scanned
	r.Status = GetFound
	if r.Count == 0 {
		r.Status = GetNoMatched
	}
	return r, nil
}

// getter accumulates a run of records adjacent in the log so that they are
// read with one pread.
type getter struct {
	s      *Store
	filter Filter
	out    []byte
	count  int
	bytes  int

	runStart, runEnd int64 // log range of the run
	runN, runBytes   int
	// runQOff is the queue offset of the run's first record. Records of one
	// queue adjacent in the log have consecutive queue offsets.
	runQOff int64
}

func (g *getter) add(qoff, off int64, size int32) {
	if g.runN == 0 {
		g.runStart, g.runEnd, g.runQOff = off, off, qoff
	}
	g.runEnd += int64(size)
	g.runN++
	g.runBytes += int(size)
}

// flushRun reads the pending run, checks every record against its
// consume-queue entry and applies MatchRecord.
func (g *getter) flushRun() error {
	if g.runN == 0 {
		return nil
	}
	start := len(g.out)
	out, err := g.s.cl.read(g.out, g.runStart, g.runBytes)
	if err != nil {
		if segs := g.s.cl.segments(); errors.Is(err, ErrNotFound) && len(segs) > 0 && g.runStart < segs[0].base {
			return errRemoved
		}
		if errors.Is(err, ErrNotFound) {
			return fmt.Errorf("store: get: consume-queue entry at queue offset %d points past the log: %w", g.runQOff, ErrCorrupt)
		}
		return fmt.Errorf("store: get: %w", err)
	}
	w := start
	for i, p := 0, start; i < g.runN; i++ {
		rec := out[p:]
		n := int(recSize(rec))
		if n < message.MinRecordSize || n > len(rec) || recQueueOffset(rec) != g.runQOff+int64(i) || recPhysOffset(rec) != g.runStart+int64(p-start) {
			return fmt.Errorf("store: get: record at commit-log offset %d does not match queue offset %d: %w",
				g.runStart+int64(p-start), g.runQOff+int64(i), ErrCorrupt)
		}
		rec = rec[:n]
		if g.filter == nil || g.filter.MatchRecord(rec) {
			if w != p {
				copy(out[w:], rec)
			}
			w += n
			g.count++
			g.bytes += n
		}
		p += n
	}
	g.out = out[:w]
	g.runN, g.runBytes = 0, 0
	return nil
}

// ReadRecord returns the raw record at commitLogOffset, or ErrNotFound if
// no record starts there.
func (s *Store) ReadRecord(commitLogOffset int64) ([]byte, error) {
	if s.closed.Load() {
		return nil, ErrClosed
	}
	var hdr [4]byte
	if _, err := s.cl.read(hdr[:0], commitLogOffset, 4); err != nil {
		return nil, err
	}
	n := int(be.Uint32(hdr[:]))
	if n < message.MinRecordSize || n > maxRecordSize {
		return nil, ErrNotFound
	}
	rec, err := s.cl.read(make([]byte, 0, n), commitLogOffset, n)
	if err != nil {
		return nil, err
	}
	if recMagic(rec) != message.MagicCode || recPhysOffset(rec) != commitLogOffset {
		return nil, ErrNotFound
	}
	return rec, nil
}

// storeTimeAt reads the store timestamp of the record at off.
func (s *Store) storeTimeAt(off int64, size int32) (int64, error) {
	var buf [headerPeekSize]byte
	n := min(int(size), headerPeekSize)
	if _, err := s.cl.read(buf[:0], off, n); err != nil {
		return 0, err
	}
	return recStoreTimestamp(buf[:n]), nil
}

// SearchOffset returns the earliest queue offset whose store timestamp is
// >= timestampMs: min if every record is newer, max if every record is
// older. It binary-searches, reading one record header per probe.
func (s *Store) SearchOffset(topic string, queueID int32, timestampMs int64) int64 {
	q := s.queue(topic, queueID)
	if q == nil {
		return 0
	}
	lo, hi := q.bounds()
	var ent []byte
	for lo < hi {
		mid := lo + (hi-lo)/2
		ent = q.appendEntries(ent[:0], mid, 1)
		if len(ent) < cqEntrySize {
			break
		}
		off, size, _ := decodeCQEntry(ent)
		ts, err := s.storeTimeAt(off, size)
		if err != nil {
			s.log.Warn("search offset: read failed", "topic", topic, "queue_id", queueID, "offset", mid, "err", err)
			break
		}
		if ts >= timestampMs {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	return lo
}

// QueryByKey returns the commit-log offsets of up to maxNum records of
// topic that carry key in KEYS or as UNIQ_KEY and were stored within
// [beginMs, endMs] (endMs <= 0: no upper bound), newest first. Every
// candidate is verified against the record, so hash collisions never
// surface. maxNum <= 0 means 64.
func (s *Store) QueryByKey(topic, key string, maxNum int, beginMs, endMs int64) ([]int64, error) {
	if s.closed.Load() {
		return nil, ErrClosed
	}
	if maxNum <= 0 {
		maxNum = 64
	}
	if endMs <= 0 {
		endMs = math.MaxInt64
	}
	var (
		out  []int64
		verr error
	)
	h := keyHash(topic, key)
	err := s.ix.walk(h, beginMs/1000, endMs/1000, func(phys int64) bool {
		if slices.Contains(out, phys) {
			return true
		}
		ok, err := s.recordHasKey(phys, topic, key, beginMs, endMs)
		if err != nil {
			verr = err
			return false
		}
		if ok {
			out = append(out, phys)
		}
		return len(out) < maxNum
	})
	if err == nil {
		err = verr
	}
	if err != nil {
		return out, fmt.Errorf("store: query by key: %w", err)
	}
	return out, nil
}

// recordHasKey verifies an index candidate.
func (s *Store) recordHasKey(phys int64, topic, key string, beginMs, endMs int64) (bool, error) {
	rec, err := s.ReadRecord(phys)
	if err != nil {
		if errors.Is(err, ErrNotFound) {
			return false, nil
		}
		return false, err
	}
	h, err := message.PeekHeader(rec)
	if err != nil || h.Topic != topic || h.StoreTimestamp < beginMs || h.StoreTimestamp > endMs {
		return false, nil
	}
	if v, ok := message.GetProperty(h.Properties, message.PropertyUniqKey); ok && v == key {
		return true, nil
	}
	if v, ok := message.GetProperty(h.Properties, message.PropertyKeys); ok {
		return slices.Contains(strings.Fields(v), key), nil
	}
	return false, nil
}

// Queues lists every queue that has a consume queue, sorted.
func (s *Store) Queues() []QueueID {
	s.qmu.RLock()
	out := make([]QueueID, 0, len(s.queues))
	for id := range s.queues {
		out = append(out, id)
	}
	s.qmu.RUnlock()
	slices.SortFunc(out, func(a, b QueueID) int {
		if c := strings.Compare(a.Topic, b.Topic); c != 0 {
			return c
		}
		return int(a.QueueID) - int(b.QueueID)
	})
	return out
}

// DeleteTopic drops the consume queues of topic (in memory and on disk).
// Its records stay in the commit log (there is no retention yet) but are
// never dispatched again, not even by recovery; appending to the topic
// later starts its queues at offset 0.
func (s *Store) DeleteTopic(topic string) error {
	if s.closed.Load() {
		return ErrClosed
	}
	s.ckMu.Lock()
	defer s.ckMu.Unlock()
	s.mu.Lock()
	var dropped []*consumeQueue
	s.qmu.Lock()
	for id, q := range s.queues {
		if id.Topic == topic {
			dropped = append(dropped, q)
			delete(s.queues, id)
		}
	}
	s.qmu.Unlock()
	s.deleted[topic] = s.cl.end
	snap := s.snapshotLocked()
	s.mu.Unlock()
	if err := s.persistLocked(snap); err != nil {
		return fmt.Errorf("store: delete topic %q: %w", topic, err)
	}
	for _, q := range dropped {
		_ = q.close()
	}
	if validTopic(topic) {
		if err := s.fsys.RemoveAll(s.path("consumequeue", topic)); err != nil {
			return fmt.Errorf("store: delete topic %q: %w", topic, err)
		}
		if err := s.fsys.SyncDir(s.path("consumequeue")); err != nil {
			return fmt.Errorf("store: delete topic %q: %w", topic, err)
		}
	}
	return nil
}
