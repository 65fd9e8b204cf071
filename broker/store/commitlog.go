package store

import (
	"fmt"
	"path/filepath"
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

// commitLog is the append-only log of records, split into segments.
//
// Writers (Append, under Store.mu) call reserve and write; readers call
// read at any time, concurrently, and only ever see bytes below readable.
// The segment list is copy-on-write so readers never lock.
type commitLog struct {
	fsys    fileSystem
	dir     string
	segSize int64

	segs atomic.Pointer[[]*segment] // ascending by base; replaced, never mutated

	end      int64        // next write position. Store.mu should be held.
	readable atomic.Int64 // bytes [0, readable) are written and may be read
	written  atomic.Int64 // like readable; read by the flusher
	flushed  atomic.Int64 // bytes [0, flushed) are durable

	flushMu sync.Mutex // serialises sync
	// syncErr is the first failed sync. After it every sync fails with it:
	// the kernel may have dropped the dirty pages whose write-back failed,
	// so a later fsync that succeeds proves nothing about them.
	syncErr error // Lock flushMu.

	flushLat, fsyncLat latencyHistogram // sync rounds and their fsyncs (latency.go)
}

func newCommitLog(fsys fileSystem, dir string, segSize int64) *commitLog {
	c := &commitLog{fsys: fsys, dir: dir, segSize: segSize}
	c.segs.Store(new([]*segment))
	return c
}

func (c *commitLog) segments() []*segment { return *c.segs.Load() }

// minOffset is the first offset still stored.
func (c *commitLog) minOffset() int64 {
	if s := c.segments(); len(s) > 0 {
		return s[0].base
	}
	return c.end
}

// setEnd publishes a new end after recovery or a write.
func (c *commitLog) setEnd(end int64) {
	c.end = end
	c.written.Store(end)
	c.readable.Store(end)
}

// reserveLocked makes sure n bytes can be written at c.end, rolling to a
// new segment when the current one would pass segSize (a batch larger than
// a segment gets a segment of its own). Store.mu should be held.
func (c *commitLog) reserveLocked(n int) error {
	segs := c.segments()
	if len(segs) > 0 {
		last := segs[len(segs)-1]
		used := c.end - last.base
		if used == 0 || used+int64(n) <= c.segSize {
			return nil
		}
	}
	seg, err := openSegment(c.fsys, c.dir, c.end, true)
	if err != nil {
		return err
	}
	if err := c.fsys.SyncDir(c.dir); err != nil {
		_ = seg.f.Close()
		return fmt.Errorf("sync commit-log directory: %w", err)
	}
	next := append(cloneSegs(segs), seg)
	c.segs.Store(&next)
	return nil
}

func cloneSegs(s []*segment) []*segment { return append([]*segment(nil), s...) }

// writeLocked writes buf at c.end (after reserveLocked) with one write
// call and advances end, written and readable. Store.mu should be held.
func (c *commitLog) writeLocked(buf []byte) error {
	segs := c.segments()
	last := segs[len(segs)-1]
	if _, err := last.f.WriteAt(buf, c.end-last.base); err != nil {
		return err
	}
	c.setEnd(c.end + int64(len(buf)))
	return nil
}

// segmentFor returns the segment holding off, or nil.
func (c *commitLog) segmentFor(off int64) (*segment, int64) {
	segs := c.segments()
	i := sort.Search(len(segs), func(i int) bool { return segs[i].base > off }) - 1
	if i < 0 {
		return nil, 0
	}
	limit := c.readable.Load()
	if i+1 < len(segs) {
		limit = segs[i+1].base
	}
	return segs[i], limit
}

// read appends the n log bytes at off to dst. The range may span segments.
func (c *commitLog) read(dst []byte, off int64, n int) ([]byte, error) {
	if n < 0 || off < 0 || off+int64(n) > c.readable.Load() {
		return dst, ErrNotFound
	}
	start := len(dst)
	dst = grow(dst, n)
	buf := dst[start:]
	for len(buf) > 0 {
		seg, limit := c.segmentFor(off)
		if seg == nil {
			return dst[:start], ErrNotFound
		}
		k := min(int64(len(buf)), limit-off)
		if k <= 0 || !seg.users.acquire() {
			return dst[:start], ErrNotFound // retention deleted it meanwhile
		}
		_, err := seg.f.ReadAt(buf[:k], off-seg.base)
		if seg.users.release() {
			_ = seg.f.Close()
		}
		if err != nil {
			return dst[:start], fmt.Errorf("read commit log at %d: %w", off, err)
		}
		buf = buf[k:]
		off += k
	}
	return dst, nil
}

// grow extends b by n bytes (contents of the new bytes unspecified).
func grow(b []byte, n int) []byte {
	if cap(b)-len(b) < n {
		nb := make([]byte, len(b), max(2*cap(b), len(b)+n))
		copy(nb, b)
		b = nb
	}
	return b[:len(b)+n]
}

// sync makes everything written so far durable and returns the new flushed
// offset. It is called by the flusher, the checkpointer and Close. Once a
// sync failed, every later one returns that error and flushed stays.
func (c *commitLog) sync() (int64, error) {
	c.flushMu.Lock()
	defer c.flushMu.Unlock()
	if c.syncErr != nil {
		return c.flushed.Load(), c.syncErr
	}
	target := c.written.Load()
	done := c.flushed.Load()
	if target <= done {
		return done, nil
	}
	start := time.Now()
	segs := c.segments()
	for i, seg := range segs {
		segEnd := target
		if i+1 < len(segs) {
			segEnd = segs[i+1].base
		}
		if segEnd <= done || seg.base >= target || !seg.users.acquire() {
			continue // a retired segment was synced before retention took it
		}
		t0 := time.Now()
		err := seg.f.Sync()
		c.fsyncLat.observe(time.Since(t0))
		if seg.users.release() {
			_ = seg.f.Close()
		}
		if err != nil {
			c.syncErr = fmt.Errorf("sync %s: %w", filepath.Base(seg.path), err)
			return done, c.syncErr
		}
	}
	c.flushed.Store(target)
	c.flushLat.observe(time.Since(start))
	return target, nil
}

// dropBefore takes the segments ending at or before off out of the list
// (readers no longer find them) and returns them. off must be a segment
// base below the last segment's. Store.mu should be held.
func (c *commitLog) dropBefore(off int64) []*segment {
	segs := c.segments()
	k := 0
	for k < len(segs)-1 && segs[k+1].base <= off {
		k++
	}
	if k == 0 {
		return nil
	}
	rest := cloneSegs(segs[k:])
	c.segs.Store(&rest)
	return segs[:k:k]
}

// close closes every segment file.
func (c *commitLog) close() error {
	var first error
	for _, seg := range c.segments() {
		if err := seg.f.Close(); err != nil && first == nil {
			first = err
		}
	}
	return first
}
