package store

import (
	"encoding/binary"
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

// consumeQueue is the per (topic, queue) index into the commit log: entry
// i describes the record with queue offset min+i. All entries are kept in
// memory (20 bytes each, in fixed chunks so growth never copies much) and
// written to the queue's file by the checkpointer.
type consumeQueue struct {
	id QueueID

	// next is the next queue offset Append assigns. Store.mu should be held.
	next int64

	mu     sync.RWMutex
	min    int64    // first offset held. Lock mu.
	max    int64    // next offset to be published. Lock mu.
	chunks [][]byte // entries [min, max). Lock mu; bytes never change once written.

	// File state, owned by whoever holds Store.ckMu (or recovery).
	path    string
	f       file
	flushed int64 // entries [min, flushed) are in the file
}

func newConsumeQueue(id QueueID, root string) *consumeQueue {
	return &consumeQueue{id: id, path: cqPath(root, id, 0)}
}

// cqPath is <root>/consumequeue/<topic>/<queueId>/<20-digit first offset>.
func cqPath(root string, id QueueID, first int64) string {
	return filepath.Join(root, "consumequeue", id.Topic, strconv.Itoa(int(id.QueueID)), segmentName(first))
}

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

// entryLocked returns the entry for queue offset o, min <= o < max. mu
// should be held.
func (q *consumeQueue) entryLocked(o int64) (off int64, size int32, tags int64) {
	i := o - q.min
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
// clipped to what exists.
func (q *consumeQueue) appendEntries(dst []byte, from, n int64) []byte {
	q.mu.RLock()
	defer q.mu.RUnlock()
	from = max(from, q.min)
	end := min(from+n, q.max)
	for from < end {
		i := from - q.min
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
	i := o - q.min
	ci := int(i / cqChunkEntries)
	q.chunks = q.chunks[:ci+1]
	q.chunks[ci] = q.chunks[ci][:(i%cqChunkEntries)*cqEntrySize]
	if len(q.chunks[ci]) == 0 {
		q.chunks = q.chunks[:ci]
	}
	q.max = o
	q.next = o
}

// flushTo writes entries [flushed, upto) to the queue file and syncs it.
// Store.ckMu should be held.
func (q *consumeQueue) flushTo(fsys fileSystem, upto int64) error {
	if upto <= q.flushed {
		return nil
	}
	if q.f == nil {
		if err := q.create(fsys); err != nil {
			return err
		}
	}
	buf := q.appendEntries(nil, q.flushed, upto-q.flushed)
	if _, err := q.f.WriteAt(buf, (q.flushed-q.min)*cqEntrySize); err != nil {
		return fmt.Errorf("write consume queue %s/%d: %w", q.id.Topic, q.id.QueueID, err)
	}
	if err := q.f.Sync(); err != nil {
		return fmt.Errorf("sync consume queue %s/%d: %w", q.id.Topic, q.id.QueueID, err)
	}
	q.flushed = q.flushed + int64(len(buf)/cqEntrySize)
	return nil
}

// create makes the queue file and makes its directory entries durable.
func (q *consumeQueue) create(fsys fileSystem) error {
	qdir := filepath.Dir(q.path)
	if err := fsys.MkdirAll(qdir, 0o755); err != nil {
		return fmt.Errorf("create consume queue: %w", err)
	}
	f, err := fsys.OpenFile(q.path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return fmt.Errorf("create consume queue: %w", err)
	}
	if err := f.Truncate((q.flushed - q.min) * cqEntrySize); err != nil {
		_ = f.Close()
		return fmt.Errorf("create consume queue: %w", err)
	}
	for _, d := range []string{qdir, filepath.Dir(qdir), filepath.Dir(filepath.Dir(qdir))} {
		if err := fsys.SyncDir(d); err != nil {
			_ = f.Close()
			return fmt.Errorf("create consume queue: %w", err)
		}
	}
	q.f = f
	return nil
}

// load reads the queue file at q.path, keeping the longest prefix of
// plausible entries: sizes of at least a minimal record, strictly
// increasing commit-log offsets, records ending at or before logEnd. The
// file is truncated to that prefix. It returns how many entries (or bytes
// of a torn entry) were dropped.
func (q *consumeQueue) load(fsys fileSystem, logEnd int64) (dropped int64, err error) {
	f, err := fsys.OpenFile(q.path, os.O_RDWR, 0o644)
	if err != nil {
		return 0, err
	}
	size, err := fileSize(f)
	if err != nil {
		_ = f.Close()
		return 0, err
	}
	// Read straight into the in-memory chunks, one chunk per pread.
	prev := int64(-1)
	valid := int64(0)
read:
	for valid+cqEntrySize <= size {
		c := make([]byte, min(size-valid, cqChunkBytes), cqChunkBytes)
		c = c[:len(c)-len(c)%cqEntrySize]
		if _, err := f.ReadAt(c, valid); err != nil && err != io.EOF {
			_ = f.Close()
			return 0, fmt.Errorf("read consume queue %s: %w", q.path, err)
		}
		for p := 0; p < len(c); p += cqEntrySize {
			off, sz, _ := decodeCQEntry(c[p:])
			if sz < message.MinRecordSize || off <= prev || off < 0 || off+int64(sz) > logEnd {
				if p > 0 {
					q.chunks = append(q.chunks, c[:p])
				}
				q.max += int64(p / cqEntrySize)
				valid += int64(p)
				break read
			}
			prev = off
		}
		q.chunks = append(q.chunks, c)
		q.max += int64(len(c) / cqEntrySize)
		valid += int64(len(c))
	}
	if valid < size {
		if err := f.Truncate(valid); err != nil {
			_ = f.Close()
			return 0, fmt.Errorf("truncate consume queue %s: %w", q.path, err)
		}
		dropped = (size - valid + cqEntrySize - 1) / cqEntrySize
	}
	q.f = f
	q.next = q.max
	q.flushed = q.max
	return dropped, nil
}

// truncateFile cuts the file after recovery truncated the entries.
// Recovery only.
func (q *consumeQueue) truncateFile() error {
	if q.f == nil || q.flushed <= q.max {
		return nil
	}
	q.flushed = q.max
	if err := q.f.Truncate((q.max - q.min) * cqEntrySize); err != nil {
		return fmt.Errorf("truncate consume queue %s: %w", q.path, err)
	}
	return nil
}

func (q *consumeQueue) close() error {
	if q.f == nil {
		return nil
	}
	err := q.f.Close()
	q.f = nil
	return err
}
