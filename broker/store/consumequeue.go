package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"sync"

	"github.com/rocketkit/rocketkit/protocol/message"
)

const (
	// cqEntrySize is the size of one consume-queue entry: commit-log
	// offset int64, record size int32, tags code int64, big-endian.
	cqEntrySize = 20
	// cqChunkEntries entries share one in-memory chunk.
	cqChunkEntries = 4096
	cqChunkBytes   = cqChunkEntries * cqEntrySize
)

// QueueID names one consume queue.
type QueueID struct {
	Topic   string
	QueueID int32
}

// defaultCQFileEntries is how many entries a consume-queue file holds
// (Java's mappedFileSizeConsumeQueue: 300,000 entries of 20 bytes).
const defaultCQFileEntries = 300_000

// consumeQueue is the per (topic, queue) index into the commit log: entry
// i describes the record with queue offset i, for min <= i < max. All
// entries are kept in memory (20 bytes each, in fixed chunks so growth
// never copies much) and written by the checkpointer to files of perFile
// entries, each named by its first queue offset. Retention raises min
// and deletes the files whose entries all lie below it.
type consumeQueue struct {
	id QueueID

	// next is the next queue offset Append assigns. Store.mu should be held.
	next int64

	mu sync.RWMutex
	// base is the queue offset of the first entry of chunks[0]; each chunk
	// holds cqChunkEntries entries, the last one fewer. Entries in
	// [base, min) are dropped but still in their chunk. Lock mu.
	base   int64
	min    int64    // first offset held. Lock mu.
	max    int64    // next offset to be published. Lock mu.
	chunks [][]byte // entries [base, max). Lock mu; bytes never change once written.

	// File state, owned by whoever holds Store.ckMu (or recovery).
	dir     string // <root>/consumequeue/<topic>/<queueId>
	perFile int64
	files   []*cqFile // ascending; entries [files[0].first, flushed)
	flushed int64     // entries below flushed are in the files
}

// cqFile is one consume-queue file, holding entries [first, end) once
// full; entry o lies at byte (o-first)*20.
type cqFile struct {
	first, end int64
	path       string
	f          file
}

func newConsumeQueue(id QueueID, root string, perFile int64) *consumeQueue {
	return &consumeQueue{id: id, dir: filepath.Dir(cqPath(root, id, 0)), perFile: perFile}
}

// cqPath is <root>/consumequeue/<topic>/<queueId>/<20-digit first offset>.
func cqPath(root string, id QueueID, first int64) string {
	return filepath.Join(root, "consumequeue", id.Topic, strconv.Itoa(int(id.QueueID)), segmentName(first))
}

// resetLocked empties the queue, which continues at first. mu should be
// held (or the queue not yet shared).
func (q *consumeQueue) resetLocked(first int64) {
	q.chunks = nil
	q.base, q.min, q.max, q.next = first, first, first, first
}

// fileEnd is where a file starting at first ends: at the next multiple
// of perFile.
func (q *consumeQueue) fileEnd(first int64) int64 { return (first/q.perFile + 1) * q.perFile }

// appendLocked publishes one entry. mu should be held for writing.
func (q *consumeQueue) appendLocked(off int64, size int32, tags int64) {
	n := len(q.chunks)
	if n == 0 || len(q.chunks[n-1]) == cqChunkBytes {
		initial := 64 * cqEntrySize
		if n > 0 {
			initial = cqChunkBytes
		}
		q.chunks = append(q.chunks, make([]byte, 0, initial))
		n++
	}
	c := q.chunks[n-1]
	c = binary.BigEndian.AppendUint64(c, uint64(off))
	c = binary.BigEndian.AppendUint32(c, uint32(size))
	c = binary.BigEndian.AppendUint64(c, uint64(tags))
	q.chunks[n-1] = c
	q.max++
}

// appendRawLocked publishes encoded entries (a multiple of 20 bytes).
// Recovery only.
func (q *consumeQueue) appendRawLocked(b []byte) {
	for len(b) > 0 {
		n := len(q.chunks)
		if n == 0 || len(q.chunks[n-1]) == cqChunkBytes {
			q.chunks = append(q.chunks, make([]byte, 0, min(cqChunkBytes, max(64*cqEntrySize, len(b)))))
			n++
		}
		c := q.chunks[n-1]
		k := min(len(b), cqChunkBytes-len(c))
		q.chunks[n-1] = append(c, b[:k]...)
		b = b[k:]
		q.max += int64(k / cqEntrySize)
	}
}

// entryLocked returns the entry for queue offset o, min <= o < max. mu
// should be held.
func (q *consumeQueue) entryLocked(o int64) (off int64, size int32, tags int64) {
	i := o - q.base
	c := q.chunks[i/cqChunkEntries]
	return decodeCQEntry(c[(i%cqChunkEntries)*cqEntrySize:])
}

func decodeCQEntry(b []byte) (off int64, size int32, tags int64) {
	return int64(binary.BigEndian.Uint64(b)), int32(binary.BigEndian.Uint32(b[8:])), int64(binary.BigEndian.Uint64(b[12:]))
}

// bounds returns min and max.
func (q *consumeQueue) bounds() (int64, int64) {
	q.mu.RLock()
	defer q.mu.RUnlock()
	return q.min, q.max
}

// appendEntries appends the raw entries for offsets [from, from+n) to dst,
// clipped at max; nothing when from lies below min (retention dropped it).
func (q *consumeQueue) appendEntries(dst []byte, from, n int64) []byte {
	q.mu.RLock()
	defer q.mu.RUnlock()
	if from < q.min {
		return dst
	}
	end := min(from+n, q.max)
	for from < end {
		i := from - q.base
		c := q.chunks[i/cqChunkEntries]
		k := min(end-from, cqChunkEntries-i%cqChunkEntries)
		start := (i % cqChunkEntries) * cqEntrySize
		dst = append(dst, c[start:start+k*cqEntrySize]...)
		from += k
	}
	return dst
}

// truncateLocked drops the entries with offsets >= o (recovery only). mu
// should be held.
func (q *consumeQueue) truncateLocked(o int64) {
	if o >= q.max {
		return
	}
	o = max(o, q.min)
	i := o - q.base
	ci := int(i / cqChunkEntries)
	q.chunks = q.chunks[:ci+1]
	q.chunks[ci] = q.chunks[ci][:(i%cqChunkEntries)*cqEntrySize]
	if len(q.chunks[ci]) == 0 {
		q.chunks = q.chunks[:ci]
	}
	q.max = o
	q.next = o
}

// searchLocked returns the first queue offset in [min, max] whose record
// starts at or after the commit-log offset phys (max if none does). mu
// should be held.
func (q *consumeQueue) searchLocked(phys int64) int64 {
	lo, hi := q.min, q.max
	for lo < hi {
		mid := lo + (hi-lo)/2
		if off, _, _ := q.entryLocked(mid); off < phys {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	return lo
}

// trimLocked drops the entries below o (retention) and the chunks they
// filled. mu should be held.
func (q *consumeQueue) trimLocked(o int64) {
	o = min(o, q.max)
	if o <= q.min {
		return
	}
	q.min = o
	for len(q.chunks) > 0 && len(q.chunks[0]) == cqChunkBytes && q.base+cqChunkEntries <= o {
		q.chunks[0] = nil
		q.chunks = q.chunks[1:]
		q.base += cqChunkEntries
	}
	if q.min == q.max {
		q.chunks, q.base = nil, q.max
	}
}

// flushTo writes entries [flushed, upto) to the queue files, starting a
// new file where one is full, and syncs them. Store.ckMu should be held.
func (q *consumeQueue) flushTo(fsys fileSystem, upto int64) error {
	for q.flushed < upto {
		var cf *cqFile
		if n := len(q.files); n > 0 && q.flushed < q.files[n-1].end {
			cf = q.files[n-1]
		} else {
			var err error
			if cf, err = q.createFile(fsys, q.flushed); err != nil {
				return err
			}
		}
		n := min(upto, cf.end) - q.flushed
		buf := q.appendEntries(nil, q.flushed, n)
		if int64(len(buf)) != n*cqEntrySize {
			return fmt.Errorf("flush consume queue %s/%d: entries %d..%d are not held: %w",
				q.id.Topic, q.id.QueueID, q.flushed, q.flushed+n, ErrCorrupt)
		}
		if _, err := cf.f.WriteAt(buf, (q.flushed-cf.first)*cqEntrySize); err != nil {
			return fmt.Errorf("write consume queue %s/%d: %w", q.id.Topic, q.id.QueueID, err)
		}
		if err := cf.f.Sync(); err != nil {
			return fmt.Errorf("sync consume queue %s/%d: %w", q.id.Topic, q.id.QueueID, err)
		}
		q.flushed += n
	}
	return nil
}

// createFile makes the (empty) file for entries from first on and makes
// its directory entries durable.
func (q *consumeQueue) createFile(fsys fileSystem, first int64) (*cqFile, error) {
	if err := fsys.MkdirAll(q.dir, 0o755); err != nil {
		return nil, fmt.Errorf("create consume queue: %w", err)
	}
	cf := &cqFile{first: first, end: q.fileEnd(first), path: filepath.Join(q.dir, segmentName(first))}
	f, err := fsys.OpenFile(cf.path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("create consume queue: %w", err)
	}
	if err := f.Truncate(0); err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("create consume queue: %w", err)
	}
	for _, d := range []string{q.dir, filepath.Dir(q.dir), filepath.Dir(filepath.Dir(q.dir))} {
		if err := fsys.SyncDir(d); err != nil {
			_ = f.Close()
			return nil, fmt.Errorf("create consume queue: %w", err)
		}
	}
	cf.f = f
	q.files = append(q.files, cf)
	return cf, nil
}

// load reads the queue files (their first offsets, ascending), keeping
// the longest prefix of plausible entries: sizes of at least a minimal
// record, strictly increasing commit-log offsets, records ending at or
// before logEnd, files starting where the previous one ended full. The
// file with the first implausible entry is truncated to the valid prefix,
// later files are removed. It returns how many entries (or bytes of a
// torn entry) and files were dropped.
func (q *consumeQueue) load(fsys fileSystem, firsts []int64, logEnd int64) (dropped, droppedFiles int64, err error) {
	q.resetLocked(firsts[0])
	q.flushed = firsts[0]
	prev := int64(-1)
	for i, first := range firsts {
		if first != q.max {
			droppedFiles, err = q.removeFiles(fsys, firsts[i:])
			break
		}
		cf := &cqFile{first: first, path: filepath.Join(q.dir, segmentName(first))}
		var full bool
		cf.f, full, dropped, err = q.loadFile(fsys, cf.path, logEnd, &prev)
		if err != nil {
			return dropped, droppedFiles, err
		}
		cf.end = max(q.fileEnd(first), q.max)
		q.files = append(q.files, cf)
		if !full || q.max < cf.end {
			droppedFiles, err = q.removeFiles(fsys, firsts[i+1:])
			break
		}
	}
	q.next = q.max
	q.flushed = q.max
	return dropped, droppedFiles, err
}

// loadFile reads one queue file straight into the in-memory chunks; full
// reports that every entry was plausible. prev is the commit-log offset of
// the entry before.
func (q *consumeQueue) loadFile(fsys fileSystem, path string, logEnd int64, prev *int64) (f file, full bool, dropped int64, err error) {
	f, err = fsys.OpenFile(path, os.O_RDWR, 0o644)
	if err != nil {
		return nil, false, 0, err
	}
	size, err := fileSize(f)
	if err != nil {
		_ = f.Close()
		return nil, false, 0, err
	}
	valid := int64(0)
	buf := make([]byte, min(size, cqChunkBytes))
read:
	for valid+cqEntrySize <= size {
		c := buf[:min(size-valid, cqChunkBytes)]
		c = c[:len(c)-len(c)%cqEntrySize]
		if _, err := f.ReadAt(c, valid); err != nil && err != io.EOF {
			_ = f.Close()
			return nil, false, 0, fmt.Errorf("read consume queue %s: %w", path, err)
		}
		for p := 0; p < len(c); p += cqEntrySize {
			off, sz, _ := decodeCQEntry(c[p:])
			if sz < message.MinRecordSize || off <= *prev || off < 0 || off+int64(sz) > logEnd {
				q.appendRawLocked(c[:p])
				valid += int64(p)
				break read
			}
			*prev = off
		}
		q.appendRawLocked(c)
		valid += int64(len(c))
	}
	if valid < size {
		if err := f.Truncate(valid); err != nil {
			_ = f.Close()
			return nil, false, 0, fmt.Errorf("truncate consume queue %s: %w", path, err)
		}
		dropped = (size - valid + cqEntrySize - 1) / cqEntrySize
	}
	return f, valid == size, dropped, nil
}

// removeFiles removes the files of the queue starting at firsts.
func (q *consumeQueue) removeFiles(fsys fileSystem, firsts []int64) (int64, error) {
	for _, first := range firsts {
		if err := fsys.Remove(filepath.Join(q.dir, segmentName(first))); err != nil && !errors.Is(err, os.ErrNotExist) {
			return 0, fmt.Errorf("remove consume queue file: %w", err)
		}
	}
	if len(firsts) > 0 {
		return int64(len(firsts)), fsys.SyncDir(q.dir)
	}
	return 0, nil
}

// truncateFile cuts the files after recovery truncated the entries: files
// starting at or after max go (but the first), the one holding max is cut.
// Recovery only.
func (q *consumeQueue) truncateFile(fsys fileSystem) error {
	if q.flushed <= q.max {
		return nil
	}
	q.flushed = q.max
	var gone []int64
	for len(q.files) > 1 && q.files[len(q.files)-1].first >= q.max {
		cf := q.files[len(q.files)-1]
		_ = cf.f.Close()
		gone = append(gone, cf.first)
		q.files = q.files[:len(q.files)-1]
	}
	if _, err := q.removeFiles(fsys, gone); err != nil {
		return err
	}
	if n := len(q.files); n > 0 {
		cf := q.files[n-1]
		if err := cf.f.Truncate(max(0, q.max-cf.first) * cqEntrySize); err != nil {
			return fmt.Errorf("truncate consume queue %s: %w", cf.path, err)
		}
	}
	return nil
}

// removeAll closes and removes every file (recovery rebuilds the queue).
func (q *consumeQueue) removeAll(fsys fileSystem) error {
	var firsts []int64
	for _, cf := range q.files {
		_ = cf.f.Close()
		firsts = append(firsts, cf.first)
	}
	q.files, q.flushed = nil, 0
	_, err := q.removeFiles(fsys, firsts)
	return err
}

// dropFiles removes the files whose entries all lie below min, never the
// last one (it carries the queue's max offset across a restart, as in
// Java). Store.ckMu should be held. It returns how many it removed.
func (q *consumeQueue) dropFiles(fsys fileSystem) (int, error) {
	q.mu.RLock()
	lo := q.min
	q.mu.RUnlock()
	var gone []int64
	for len(q.files) > 1 && q.files[0].end <= lo {
		cf := q.files[0]
		_ = cf.f.Close()
		gone = append(gone, cf.first)
		q.files = q.files[1:]
	}
	_, err := q.removeFiles(fsys, gone)
	return len(gone), err
}

func (q *consumeQueue) close() error {
	var first error
	for _, cf := range q.files {
		if err := cf.f.Close(); err != nil && first == nil {
			first = err
		}
	}
	q.files = nil
	return first
}
