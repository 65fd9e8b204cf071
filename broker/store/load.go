package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"strconv"
)

// loadQueues reads every consume-queue file, keeping plausible entries for
// records below logEnd. Queues of deleted topics that predate the deletion
// are removed. Recovery only.
func (s *Store) loadQueues(r *recovery, logEnd int64) error {
	root := s.path("consumequeue")
	topics, err := s.fsys.ReadDir(root)
	if err != nil {
		return fmt.Errorf("list consume queues: %w", err)
	}
	for _, t := range topics {
		if !t.IsDir() || !validTopic(t.Name()) {
			continue
		}
		qdirs, err := s.fsys.ReadDir(filepath.Join(root, t.Name()))
		if err != nil {
			return fmt.Errorf("list consume queues: %w", err)
		}
		for _, qd := range qdirs {
			qid, err := strconv.ParseInt(qd.Name(), 10, 32)
			if !qd.IsDir() || err != nil || qid < 0 {
				continue
			}
			if err := s.loadQueue(r, QueueID{t.Name(), int32(qid)}, logEnd); err != nil {
				return err
			}
		}
	}
	return nil
}

func (s *Store) loadQueue(r *recovery, id QueueID, logEnd int64) error {
	q := newConsumeQueue(id, s.dir, s.cfg.cqFileEntries)
	files, err := listSegments(s.fsys, q.dir)
	if err != nil || len(files) == 0 {
		return err
	}
	dropped, droppedFiles, err := q.load(s.fsys, files, logEnd)
	if err != nil {
		_ = q.close()
		return fmt.Errorf("load consume queue %s/%d: %w", id.Topic, id.QueueID, err)
	}
	if dropped > 0 || droppedFiles > 0 {
		s.log.Warn("consume queue had invalid or torn entries or files out of sequence; dropped them",
			"topic", id.Topic, "queue_id", id.QueueID, "entries", dropped, "files", droppedFiles)
	}
	if d, ok := r.ck.Deleted[id.Topic]; ok && q.max > q.min {
		if off, _, _ := q.entryLocked(q.min); off < d {
			s.log.Warn("removing consume queue of a deleted topic", "topic", id.Topic, "queue_id", id.QueueID)
			_ = q.close()
			return s.fsys.RemoveAll(q.dir)
		}
	}
	// Entries of records that retention deleted: raise min past them (Java's
	// correctMinOffset) and finish deleting the files holding only those.
	q.trimLocked(q.searchLocked(r.logMin))
	if _, err := q.dropFiles(s.fsys); err != nil {
		_ = q.close()
		return err
	}
	s.queues[id] = q
	return nil
}

// countCQEntries counts the queue offsets of records below end, summed
// over the queues: entries retention removed count too, so the sum
// matches the checkpoint's (the sum of every queue's max). Recovery only.
func (s *Store) countCQEntries(end int64) int64 {
	var total int64
	for _, q := range s.queues {
		total += q.searchLocked(end)
	}
	return total
}

// loadIndex opens the index files, dropping entries of records at or past
// the checkpoint (replay re-adds them) and rebuilding the active slot
// table. It reports false, after removing every index file, when the index
// must be rebuilt from the whole log. Recovery only.
func (s *Store) loadIndex(r *recovery) (bool, error) {
	ix := s.ix
	bases, err := listSegments(s.fsys, ix.dir)
	if err != nil {
		return false, err
	}
	ok := r.ckOK
	for _, base := range bases {
		if !ok {
			break
		}
		x, err := ix.loadFile(base, r.ck.Dispatched)
		if err != nil {
			s.log.Warn("index file unusable; rebuilding the index", "file", segmentName(base), "err", err)
			ok = false
			break
		}
		if x.count == 0 || (x.lastPhys < r.ck.LogMin && base != bases[len(bases)-1]) {
			// Empty, or every record it indexes is gone: retention had
			// dropped it before the checkpoint (the count excludes it).
			_ = x.f.Close()
			if err := s.fsys.Remove(x.path); err != nil {
				return false, err
			}
			continue
		}
		ix.files = append(ix.files, x)
		ix.total += int64(x.count)
	}
	if ok && ix.total != r.ck.IndexEntries {
		s.log.Warn("index is behind the checkpoint; rebuilding it", "entries", ix.total, "expected", r.ck.IndexEntries)
		ok = false
	}
	if ok {
		return true, nil
	}
	for _, x := range ix.files {
		_ = x.f.Close()
	}
	ix.files, ix.total = nil, 0
	for _, base := range bases {
		if err := s.fsys.Remove(filepath.Join(ix.dir, segmentName(base))); err != nil && !errors.Is(err, os.ErrNotExist) {
			return false, err
		}
	}
	return false, s.fsys.SyncDir(ix.dir)
}

// loadFile opens one index file and validates it: a sealed file whose
// last entry lies below limit is trusted; otherwise every entry is checked
// (CRC, ascending offsets below limit, prev link equal to the rebuilt slot)
// and the file is cut after the last good one.
func (ix *index) loadFile(base, limit int64) (*indexFile, error) {
	path := filepath.Join(ix.dir, segmentName(base))
	f, err := ix.fsys.OpenFile(path, os.O_RDWR, 0o644)
	if err != nil {
		return nil, err
	}
	x, sealed, slotsValid, err := readIxHeader(f, base)
	if err != nil {
		_ = f.Close()
		return nil, err
	}
	x.path, x.f = path, f
	size, err := fileSize(f)
	if err != nil {
		_ = f.Close()
		return nil, err
	}
	n := uint32(min(max(0, (size-x.entriesBase())/ixEntrySize), int64(x.maxEntries)))
	var first, last ixEntry
	if sealed && n == x.maxEntries {
		var b [ixEntrySize]byte
		ok1, ok2 := false, false
		if _, err := f.ReadAt(b[:], x.entriesBase()); err == nil {
			first, ok1 = decodeIxEntry(b[:])
		}
		if _, err := f.ReadAt(b[:], x.entriesBase()+int64(n-1)*ixEntrySize); err == nil {
			last, ok2 = decodeIxEntry(b[:])
		}
		if ok1 && ok2 && last.phys < limit {
			x.count, x.flushed, x.sealed, x.lastPhys = n, n, true, last.phys
			x.minTs, x.maxTs = first.ts, last.ts
			return x, nil
		}
	}
	x.slotTab = make([]uint32, x.slots)
	valid := uint32(0)
	prevPhys := int64(-1)
	if !sealed && slotsValid > 0 && slotsValid <= n {
		// A clean Close saved the slot table for the first slotsValid
		// entries: trust them when they all lie below limit, and check only
		// the entries after them.
		if v, ok := x.loadSlots(f, slotsValid, limit); ok {
			valid = v
			var b [ixEntrySize]byte
			if _, err := f.ReadAt(b[:], x.entriesBase()); err == nil {
				e, _ := decodeIxEntry(b[:])
				x.minTs = e.ts
			}
			if _, err := f.ReadAt(b[:], x.entriesBase()+int64(valid-1)*ixEntrySize); err == nil {
				e, _ := decodeIxEntry(b[:])
				x.maxTs, prevPhys = e.ts, e.phys
			}
		}
	}
	buf := make([]byte, 0, scanChunk-scanChunk%ixEntrySize)
scan:
	for valid < n {
		k := min(int64(cap(buf)), int64(n-valid)*ixEntrySize)
		buf = buf[:k]
		if _, err := f.ReadAt(buf, x.entriesBase()+int64(valid)*ixEntrySize); err != nil && err != io.EOF {
			_ = f.Close()
			return nil, err
		}
		for p := 0; p < len(buf); p += ixEntrySize {
			e, ok := decodeIxEntry(buf[p:])
			b := e.hash % x.slots
			if !ok || e.phys < prevPhys || e.phys >= limit || e.prev != x.slotTab[b] {
				break scan
			}
			if valid == 0 {
				x.minTs = e.ts
			}
			x.maxTs = e.ts
			valid++
			x.slotTab[b] = valid
			prevPhys = e.phys
		}
	}
	x.count, x.flushed, x.lastPhys = valid, valid, prevPhys
	if sealed || size != x.entriesBase()+int64(valid)*ixEntrySize {
		if _, err := f.WriteAt(x.header(false, 0), 0); err != nil {
			_ = f.Close()
			return nil, err
		}
		if err := f.Truncate(x.entriesBase() + int64(valid)*ixEntrySize); err != nil {
			_ = f.Close()
			return nil, err
		}
	}
	return x, nil
}

// readIxHeader decodes and checks the header of an index file: the file,
// whether it is sealed, and its slotsValid.
func readIxHeader(f file, base int64) (*indexFile, bool, uint32, error) {
	var h [ixHeaderSize]byte
	if _, err := f.ReadAt(h[:], 0); err != nil {
		return nil, false, 0, fmt.Errorf("read index header: %w", err)
	}
	b := binary.BigEndian
	if crc32.Checksum(h[:ixHeaderSize-4], castagnoli) != b.Uint32(h[ixHeaderSize-4:]) ||
		b.Uint32(h[0:]) != ixMagic || b.Uint32(h[4:]) != ixVersion {
		return nil, false, 0, fmt.Errorf("index header: bad magic, version or crc: %w", ErrCorrupt)
	}
	x := &indexFile{base: base, slots: b.Uint32(h[8:]), maxEntries: b.Uint32(h[12:])}
	if x.slots == 0 || x.maxEntries == 0 || int64(b.Uint64(h[24:])) != base {
		return nil, false, 0, fmt.Errorf("index header: inconsistent: %w", ErrCorrupt)
	}
	slotsValid := b.Uint32(h[20:])
	sealed := b.Uint32(h[16:])&ixFlagSealed != 0 && slotsValid == x.maxEntries
	return x, sealed, slotsValid, nil
}

// loadSlots reads the saved slot table of an active file into x.slotTab
// when it covers the first k entries and the k-th entry is intact and lies
// below limit. It returns k and true, or 0 and false (x.slotTab zeroed)
// when the entries must be checked from the first.
func (x *indexFile) loadSlots(f file, k uint32, limit int64) (uint32, bool) {
	var b [ixEntrySize]byte
	if _, err := f.ReadAt(b[:], x.entriesBase()+int64(k-1)*ixEntrySize); err != nil {
		return 0, false
	}
	if e, ok := decodeIxEntry(b[:]); !ok || e.phys >= limit {
		return 0, false
	}
	buf := make([]byte, 4*int64(x.slots))
	if _, err := f.ReadAt(buf, ixHeaderSize); err != nil {
		return 0, false
	}
	for i := range x.slotTab {
		v := binary.BigEndian.Uint32(buf[4*i:])
		if v > k {
			clear(x.slotTab)
			return 0, false
		}
		x.slotTab[i] = v
	}
	return k, true
}
