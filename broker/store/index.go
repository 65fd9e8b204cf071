package store

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"sync"
)

// Index files: see doc.go for the layout. An index file is a hash table of
// slots (bucket -> newest entry) followed by append-only entries, each
// linking to the previous entry of its bucket. Only the slot table of the
// active file is held in memory, together with the entries not yet written;
// lookups walk chains with pread.
const (
	ixMagic       = 0x524B4958 // "RKIX"
	ixVersion     = 1
	ixHeaderSize  = 64
	ixEntrySize   = 24
	ixFlagSealed  = 1
	defaultIxSlot = 1 << 20 // 4 MiB slot table
	defaultIxMax  = 4 << 20 // 96 MiB of entries per file
	maxChainWalk  = 1 << 20 // bound on entries visited per lookup and file
)

type indexFile struct {
	base       int64 // commit-log offset of the first record it indexes; the file name
	path       string
	f          file // nil until the first flush
	slots      uint32
	maxEntries uint32

	// Guarded by index.mu.
	slotTab  []uint32 // bucket -> 1-based newest entry; nil once sealed on disk
	count    uint32   // entries in total
	flushed  uint32   // entries [0, flushed) are in the file
	pending  []byte   // encoded entries [flushed, count)
	sealed   bool
	lastPhys int64     // commit-log offset of the last entry
	users    fileUsers // lookups in flight; retention retires the file
	minTs    int64     // store time (s) of the first entry
	maxTs    int64     // store time (s) of the last entry
}

func (x *indexFile) entriesBase() int64 { return ixHeaderSize + 4*int64(x.slots) }

type index struct {
	fsys       fileSystem
	dir        string
	slots      uint32
	maxEntries uint32

	mu    sync.RWMutex
	files []*indexFile // ascending by base; the last one is active
	total int64        // entries in all files. Lock mu.
}

func newIndex(fsys fileSystem, dir string, slots, maxEntries uint32) *index {
	return &index{fsys: fsys, dir: dir, slots: slots, maxEntries: maxEntries}
}

// keyHash is FNV-1a (32 bit) of topic + "#" + key, computed without
// building the string.
func keyHash(topic, key string) uint32 {
	h := uint32(2166136261)
	for i := 0; i < len(topic); i++ {
		h = (h ^ uint32(topic[i])) * 16777619
	}
	h = (h ^ '#') * 16777619
	for i := 0; i < len(key); i++ {
		h = (h ^ uint32(key[i])) * 16777619
	}
	return h
}

func encodeIxEntry(dst []byte, hash, prev uint32, phys int64, tsSec uint32) []byte {
	start := len(dst)
	dst = binary.BigEndian.AppendUint32(dst, hash)
	dst = binary.BigEndian.AppendUint32(dst, prev)
	dst = binary.BigEndian.AppendUint64(dst, uint64(phys))
	dst = binary.BigEndian.AppendUint32(dst, tsSec)
	return binary.BigEndian.AppendUint32(dst, crc32.Checksum(dst[start:], castagnoli))
}

type ixEntry struct {
	hash, prev uint32
	phys       int64
	ts         int64 // seconds
}

func decodeIxEntry(b []byte) (ixEntry, bool) {
	e := ixEntry{
		hash: binary.BigEndian.Uint32(b),
		prev: binary.BigEndian.Uint32(b[4:]),
		phys: int64(binary.BigEndian.Uint64(b[8:])),
		ts:   int64(binary.BigEndian.Uint32(b[16:])),
	}
	return e, crc32.Checksum(b[:20], castagnoli) == binary.BigEndian.Uint32(b[20:])
}

// addLocked indexes keys of the record at phys stored at tsMs, skipping
// empty and repeated keys. Store.mu should be held.
func (ix *index) addLocked(topic string, keys []string, phys, tsMs int64) {
	if len(keys) == 0 {
		return
	}
	ix.mu.Lock()
	defer ix.mu.Unlock()
	tsSec := tsMs / 1000
	for i, k := range keys {
		if k == "" || containsStr(keys[:i], k) {
			continue
		}
		x := ix.activeLocked(phys)
		h := keyHash(topic, k)
		b := h % x.slots
		x.pending = encodeIxEntry(x.pending, h, x.slotTab[b], phys, uint32(tsSec))
		x.count++
		x.slotTab[b] = x.count
		if x.count == 1 {
			x.minTs = tsSec
		}
		x.maxTs = tsSec
		x.lastPhys = phys
		ix.total++
	}
}

func containsStr(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// activeLocked returns the file to add to, rolling when the active one is
// full. ix.mu should be held.
func (ix *index) activeLocked(phys int64) *indexFile {
	if n := len(ix.files); n > 0 && ix.files[n-1].count < ix.files[n-1].maxEntries {
		return ix.files[n-1]
	}
	x := &indexFile{
		base: phys, path: filepath.Join(ix.dir, segmentName(phys)),
		slots: ix.slots, maxEntries: ix.maxEntries, slotTab: make([]uint32, ix.slots),
	}
	ix.files = append(ix.files, x)
	return x
}

// ixSnapshot is what a checkpoint persists: the entry count of every file.
type ixSnapshot struct {
	files  []*indexFile
	counts []uint32
	total  int64
}

// snapshotLocked records the current counts. Store.mu should be held (so
// that the counts match the log end).
func (ix *index) snapshotLocked() ixSnapshot {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	s := ixSnapshot{files: append([]*indexFile(nil), ix.files...), total: ix.total}
	for _, x := range ix.files {
		s.counts = append(s.counts, x.count)
	}
	return s
}

// flush writes the entries of snap to their files and syncs them, then
// seals full files that are no longer active. Store.ckMu should be held.
func (ix *index) flush(snap ixSnapshot) error {
	for i, x := range snap.files {
		ix.mu.RLock()
		from, upto := x.flushed, snap.counts[i]
		var buf []byte
		if upto > from {
			buf = append(buf, x.pending[:int(upto-from)*ixEntrySize]...)
		}
		sealNow := !x.sealed && i < len(snap.files)-1 && upto == x.count
		ix.mu.RUnlock()
		if len(buf) > 0 {
			if err := ix.ensureFile(x); err != nil {
				return err
			}
			if _, err := x.f.WriteAt(buf, x.entriesBase()+int64(from)*ixEntrySize); err != nil {
				return fmt.Errorf("write index %s: %w", filepath.Base(x.path), err)
			}
			if err := x.f.Sync(); err != nil {
				return fmt.Errorf("sync index %s: %w", filepath.Base(x.path), err)
			}
			ix.mu.Lock()
			x.pending = append(x.pending[:0:0], x.pending[len(buf):]...)
			x.flushed = upto
			ix.mu.Unlock()
		}
		if sealNow {
			if err := ix.writeSlots(x, true); err != nil {
				return err
			}
			ix.mu.Lock()
			x.sealed, x.slotTab = true, nil
			ix.mu.Unlock()
		}
	}
	return nil
}

// ensureFile creates x's file with a header and an empty (sparse) slot
// table. Store.ckMu should be held.
func (ix *index) ensureFile(x *indexFile) error {
	if x.f != nil {
		return nil
	}
	if err := ix.fsys.MkdirAll(ix.dir, 0o755); err != nil {
		return fmt.Errorf("create index: %w", err)
	}
	f, err := ix.fsys.OpenFile(x.path, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return fmt.Errorf("create index: %w", err)
	}
	err = f.Truncate(x.entriesBase())
	if err == nil {
		_, err = f.WriteAt(x.header(false, 0), 0)
	}
	if err == nil {
		err = ix.fsys.SyncDir(ix.dir)
	}
	if err != nil {
		_ = f.Close()
		return fmt.Errorf("create index %s: %w", filepath.Base(x.path), err)
	}
	ix.mu.Lock()
	x.f = f
	ix.mu.Unlock()
	return nil
}

func (x *indexFile) header(sealed bool, slotsValid uint32) []byte {
	b := make([]byte, 0, ixHeaderSize)
	b = binary.BigEndian.AppendUint32(b, ixMagic)
	b = binary.BigEndian.AppendUint32(b, ixVersion)
	b = binary.BigEndian.AppendUint32(b, x.slots)
	b = binary.BigEndian.AppendUint32(b, x.maxEntries)
	flags := uint32(0)
	if sealed {
		flags = ixFlagSealed
	}
	b = binary.BigEndian.AppendUint32(b, flags)
	b = binary.BigEndian.AppendUint32(b, slotsValid)
	b = binary.BigEndian.AppendUint64(b, uint64(x.base))
	b = b[:ixHeaderSize-4]
	return binary.BigEndian.AppendUint32(b, crc32.Checksum(b, castagnoli))
}

// writeSlots writes the in-memory slot table and then a header saying it
// reflects all flushed entries (sealed: the file is complete). Store.ckMu
// should be held and every entry flushed.
func (ix *index) writeSlots(x *indexFile, sealed bool) error {
	ix.mu.RLock()
	buf := make([]byte, 4*len(x.slotTab))
	for i, v := range x.slotTab {
		binary.BigEndian.PutUint32(buf[4*i:], v)
	}
	n := x.flushed
	ix.mu.RUnlock()
	if err := ix.ensureFile(x); err != nil {
		return err
	}
	if _, err := x.f.WriteAt(buf, ixHeaderSize); err != nil {
		return fmt.Errorf("write index slots %s: %w", filepath.Base(x.path), err)
	}
	if err := x.f.Sync(); err != nil {
		return fmt.Errorf("sync index %s: %w", filepath.Base(x.path), err)
	}
	if _, err := x.f.WriteAt(x.header(sealed, n), 0); err != nil {
		return fmt.Errorf("write index header %s: %w", filepath.Base(x.path), err)
	}
	if err := x.f.Sync(); err != nil {
		return fmt.Errorf("sync index %s: %w", filepath.Base(x.path), err)
	}
	return nil
}

// saveActiveSlots writes the active file's slot table at a clean Close,
// so that the next Open reads it instead of rebuilding it from every
// entry. The header first says no slots are valid (so a crash while the
// table is rewritten leaves nothing trusted), then the table, then a
// header with slotsValid = the flushed entries. Store.ckMu should be held
// and every entry flushed.
func (ix *index) saveActiveSlots() error {
	ix.mu.RLock()
	var x *indexFile
	if n := len(ix.files); n > 0 {
		x = ix.files[n-1]
	}
	ix.mu.RUnlock()
	if x == nil || x.sealed || x.f == nil || x.flushed == 0 || x.flushed != x.count {
		return nil
	}
	if _, err := x.f.WriteAt(x.header(false, 0), 0); err != nil {
		return fmt.Errorf("write index header %s: %w", filepath.Base(x.path), err)
	}
	if err := x.f.Sync(); err != nil {
		return fmt.Errorf("sync index %s: %w", filepath.Base(x.path), err)
	}
	return ix.writeSlots(x, false)
}

// closeFiles closes every file. The active slot table is persisted only by
// saveActiveSlots; otherwise Open rebuilds it from the entries.
func (ix *index) closeFiles() error {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	var first error
	for _, x := range ix.files {
		if x.f != nil {
			if err := x.f.Close(); err != nil && first == nil {
				first = err
			}
			x.f = nil
		}
	}
	return first
}

// walk calls fn with the commit-log offset of every entry whose hash is h
// and whose store second lies in [fromSec, toSec], newest first, until fn
// returns false. The lock is taken per step, never across a pread.
func (ix *index) walk(h uint32, fromSec, toSec int64, fn func(phys int64) bool) error {
	ix.mu.RLock()
	files := append([]*indexFile(nil), ix.files...)
	ix.mu.RUnlock()
	for fi := len(files) - 1; fi >= 0; fi-- {
		x := files[fi]
		if !x.users.acquire() {
			continue // retention deleted it meanwhile
		}
		done, err := ix.walkFile(x, h, fromSec, toSec, fn)
		if x.users.release() {
			_ = x.f.Close()
		}
		if done || err != nil {
			return err
		}
	}
	return nil
}

// walkFile walks the chain of h in one file; done reports that fn asked
// to stop.
func (ix *index) walkFile(x *indexFile, h uint32, fromSec, toSec int64, fn func(phys int64) bool) (done bool, err error) {
	var buf [ixEntrySize]byte
	b := h % x.slots
	ix.mu.RLock()
	if x.count == 0 || x.maxTs < fromSec || x.minTs > toSec {
		ix.mu.RUnlock()
		return false, nil
	}
	var cur uint32
	haveSlot := x.slotTab != nil
	if haveSlot {
		cur = x.slotTab[b]
	}
	f := x.f
	ix.mu.RUnlock()
	if !haveSlot {
		if f == nil {
			return false, ErrClosed
		}
		if _, err := f.ReadAt(buf[:4], ixHeaderSize+4*int64(b)); err != nil {
			return false, fmt.Errorf("read index slot: %w", err)
		}
		cur = binary.BigEndian.Uint32(buf[:4])
	}
	for steps := 0; cur != 0 && steps < maxChainWalk; steps++ {
		ix.mu.RLock()
		inMem := cur > x.flushed
		if inMem {
			copy(buf[:], x.pending[int(cur-1-x.flushed)*ixEntrySize:])
		}
		f = x.f
		ix.mu.RUnlock()
		if !inMem {
			if f == nil {
				return false, ErrClosed
			}
			if _, err := f.ReadAt(buf[:], x.entriesBase()+int64(cur-1)*ixEntrySize); err != nil {
				return false, fmt.Errorf("read index entry: %w", err)
			}
		}
		e, ok := decodeIxEntry(buf[:])
		if !ok || e.prev >= cur {
			return false, fmt.Errorf("index %s entry %d: %w", filepath.Base(x.path), cur, ErrCorrupt)
		}
		if e.hash == h && e.ts >= fromSec && e.ts <= toSec && !fn(e.phys) {
			return true, nil
		}
		cur = e.prev
	}
	return false, nil
}

// dropBelowLocked takes the files whose entries all index records below
// phys out of the index (never the active, last one) and returns them;
// the caller removes and retires them. Store.mu should be held.
func (ix *index) dropBelowLocked(phys int64) []*indexFile {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	k := 0
	for k < len(ix.files)-1 && ix.files[k].lastPhys < phys && ix.files[k].flushed == ix.files[k].count {
		ix.total -= int64(ix.files[k].count)
		k++
	}
	gone := ix.files[:k:k]
	ix.files = append([]*indexFile(nil), ix.files[k:]...)
	return gone
}
