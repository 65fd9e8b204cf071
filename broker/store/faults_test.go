package store

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// faultCfg is a store with small segments, consume-queue files (4
// entries) and index files (8 entries), so that a few appends create new
// files of every kind, and no background checkpoint or cleaner.
func faultCfg(dir string, fsys fileSystem) Config {
	return Config{Dir: dir, SegmentSize: 2048, CheckpointInterval: time.Hour, fsys: fsys,
		cqFileEntries: 4, indexEntries: 8, indexSlots: 8, Retention: Retention{Disabled: true}}
}

// fillMsg is message i of fillStore.
func fillMsg(i int) msg {
	return msg{topic: "T", queue: int32(i % 2), tags: "A", keys: []string{"key-" + body(i)}, uniq: "U" + body(i), body: body(i)}
}

// readCk reads and decodes dir's checkpoint.
func readCk(t *testing.T, dir string) ([]byte, checkpoint) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "checkpoint"))
	if err != nil {
		t.Fatal(err)
	}
	ck, err := unmarshalCheckpoint(b)
	if err != nil {
		t.Fatal(err)
	}
	return b, ck
}

// fillToRoll appends fillStore messages from i on while they fit in the
// current segment and returns the number of the first that does not: its
// Append rolls to a new segment.
func fillToRoll(t *testing.T, s *Store, i int) int {
	t.Helper()
	for {
		segs := s.cl.segments()
		used := s.MaxPhysicalOffset() - segs[len(segs)-1].base
		if used+int64(len(fillMsg(i).entry().Record)) > s.cfg.SegmentSize {
			return i
		}
		appendMsgs(t, s, fillMsg(i))
		i++
	}
}

// checkRecovered opens a crash copy (or dir itself) and checks that T/0
// and T/1 hold messages 0..n-1 for some n in [acked, acked+maybe], every
// key of the first acked found; it returns the store.
func checkRecovered(t *testing.T, dir string, acked, maybe int) *Store {
	t.Helper()
	r := openStore(t, faultCfg(dir, nil))
	n := len(getAll(t, r, "T", 0)) + len(getAll(t, r, "T", 1))
	if n < acked || n > acked+maybe {
		t.Fatalf("recovered %d records, want %d acknowledged (and up to %d unacknowledged)", n, acked, maybe)
	}
	queryAll(t, r, acked)
	checkQueues(t, r, n)
	return r
}

// A failure writing, syncing or creating a commit-log file surfaces from
// Append (ErrWriteFailed wrapping the cause), stays sticky, and neither a
// later checkpoint nor Close claims the unsynced records durable; a crash
// copy and the store itself both reopen with every acknowledged record.
func TestFaultCommitLog(t *testing.T) {
	tests := []struct {
		name  string
		mode  FlushMode
		arm   func(f *faultFS)
		roll  bool // the failing Append rolls to a new segment
		maybe int  // the failing record may survive
	}{
		{"torn write", FlushAsync, func(f *faultFS) { f.tornWrite.Store(true); f.failNextWrite.Store(true) }, false, 0},
		{"sync, SYNC_FLUSH", FlushSync, func(f *faultFS) { f.failNextSync.Store(true) }, false, 1},
		{"create segment", FlushAsync, func(f *faultFS) { f.failNextCreate.Store(true) }, true, 0},
		{"sync directory at roll", FlushAsync, func(f *faultFS) { f.failNextSyncDir.Store(true) }, true, 0},
		{"write of a new segment", FlushAsync, func(f *faultFS) { f.failNextWrite.Store(true) }, true, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			fsys := &faultFS{match: "commitlog"}
			cfg := faultCfg(dir, fsys)
			cfg.FlushMode = tt.mode
			s := openStore(t, cfg)
			fillStore(t, s, 0, 10)
			if err := s.checkpoint(); err != nil {
				t.Fatal(err)
			}
			n := 10
			if tt.roll {
				n = fillToRoll(t, s, n)
			}
			endBefore := s.MaxPhysicalOffset()
			tt.arm(fsys)
			res, err := s.Append(t.Context(), []Entry{fillMsg(n).entry()})
			if !errors.Is(err, ErrWriteFailed) || !errors.Is(err, errInjected) {
				t.Fatalf("Append with a failing %s: %+v, %v; want ErrWriteFailed wrapping the fault", tt.name, res, err)
			}
			for _, r := range res {
				if r.Status == PutOK {
					t.Fatalf("Append reported PutOK with a failing %s", tt.name)
				}
			}
			if _, err := s.Append(t.Context(), []Entry{fillMsg(n + 1).entry()}); !errors.Is(err, ErrWriteFailed) {
				t.Fatalf("Append after the failure: %v, want sticky ErrWriteFailed", err)
			}
			crash := crashCopy(t, s)
			// The fault fired once; the store must not retry its way to a
			// checkpoint over the record whose write or sync failed.
			err = s.checkpoint()
			if _, ck := readCk(t, dir); ck.Dispatched > endBefore {
				t.Fatalf("checkpoint (%v) advanced to %d, past the failed record at %d", err, ck.Dispatched, endBefore)
			}
			if f := s.cl.flushed.Load(); f > endBefore {
				t.Fatalf("flushed offset %d moved past the failed record at %d", f, endBefore)
			}
			if err := s.Close(); err == nil && tt.mode == FlushSync {
				t.Fatal("Close after a failed sync returned nil")
			}
			if _, err := os.Stat(filepath.Join(dir, "abort")); err != nil {
				t.Fatal("abort marker removed after a write failure")
			}
			checkRecovered(t, crash, n, tt.maybe)
			checkRecovered(t, dir, n, tt.maybe)
		})
	}
}

// In FlushAsync mode a failed background sync is sticky too: Append fails
// from then on and no checkpoint covers the records the sync missed.
func TestFaultCommitLogAsyncSync(t *testing.T) {
	dir := t.TempDir()
	fsys := &faultFS{match: "commitlog"}
	s := openStore(t, faultCfg(dir, fsys))
	fillStore(t, s, 0, 10)
	if err := s.checkpoint(); err != nil {
		t.Fatal(err)
	}
	_, ck0 := readCk(t, dir)
	fillStore(t, s, 10, 5)
	fsys.failNextSync.Store(true)
	if err := s.checkpoint(); !errors.Is(err, errInjected) {
		t.Fatalf("checkpoint with a failing log sync: %v", err)
	}
	if err := s.checkpoint(); err == nil {
		t.Fatal("second checkpoint after a failed log sync succeeded: it would claim unsynced records durable")
	}
	if _, ck := readCk(t, dir); ck.Dispatched != ck0.Dispatched {
		t.Fatalf("checkpoint advanced from %d to %d over a failed sync", ck0.Dispatched, ck.Dispatched)
	}
	if f := s.cl.flushed.Load(); f != ck0.Dispatched {
		t.Fatalf("flushed offset %d, want %d (the last good sync)", f, ck0.Dispatched)
	}
	if _, err := s.Append(t.Context(), []Entry{fillMsg(15).entry()}); !errors.Is(err, ErrWriteFailed) {
		t.Fatalf("Append after a failed sync: %v", err)
	}
	if err := s.Close(); err == nil {
		t.Fatal("Close after a failed sync returned nil")
	}
	r := checkRecovered(t, dir, 15, 0)
	if info := r.Recovery(); !info.Crashed || !info.FromCheckpoint || info.ReplayedFrom != ck0.Dispatched || info.Replayed != 5 {
		t.Fatalf("recovery %+v, want a crash replayed from the checkpoint at %d (5 records)", info, ck0.Dispatched)
	}
}

// A failure writing, syncing, creating or renaming a consume-queue, index
// or checkpoint file makes the checkpoint fail with that error and leaves
// the previous checkpoint in place (the store claims nothing new durable);
// appends go on. A crash right then recovers every record from the old
// checkpoint; the next checkpoint succeeds once the fault is gone, and a
// clean Close and reopen keep everything.
func TestFaultDerivedFiles(t *testing.T) {
	type op struct {
		name string
		arm  func(f *faultFS)
	}
	write := op{"write", func(f *faultFS) { f.tornWrite.Store(true); f.failNextWrite.Store(true) }}
	sync := op{"sync", func(f *faultFS) { f.failNextSync.Store(true) }}
	create := op{"create", func(f *faultFS) { f.failNextCreate.Store(true) }}
	syncDir := op{"sync directory", func(f *faultFS) { f.failNextSyncDir.Store(true) }}
	rename := op{"rename", func(f *faultFS) { f.failNextRename.Store(true) }}
	ops := map[string][]op{
		"consumequeue": {write, sync, create, syncDir},
		"index":        {write, sync, create, syncDir},
		"checkpoint":   {write, sync, create, rename, syncDir},
	}
	for _, kind := range []string{"consumequeue", "index", "checkpoint"} {
		for _, o := range ops[kind] {
			t.Run(kind+" "+o.name, func(t *testing.T) {
				dir := t.TempDir()
				fsys := &faultFS{match: kind, root: dir}
				s := openStore(t, faultCfg(dir, fsys))
				fillStore(t, s, 0, 10)
				if err := s.checkpoint(); err != nil {
					t.Fatal(err)
				}
				ckBytes, ck0 := readCk(t, dir)
				fillStore(t, s, 10, 10) // new queue and index files are due
				o.arm(fsys)
				err := s.checkpoint()
				if !errors.Is(err, errInjected) {
					t.Fatalf("checkpoint with a failing %s %s: %v", kind, o.name, err)
				}
				renamed := kind == "checkpoint" && o.name == "sync directory" // the new one is in place, not yet durable
				if b, _ := readCk(t, dir); !renamed && !bytes.Equal(b, ckBytes) {
					t.Fatalf("the checkpoint changed although writing %s failed", kind)
				}
				if _, err := os.Stat(filepath.Join(dir, "checkpoint.tmp")); !errors.Is(err, os.ErrNotExist) {
					t.Fatalf("checkpoint.tmp left behind: %v", err)
				}
				appendMsgs(t, s, fillMsg(20)) // derived files failing never stops appends
				crash := crashCopy(t, s)

				if err := s.checkpoint(); err != nil {
					t.Fatalf("checkpoint once the fault is gone: %v", err)
				}
				if _, ck := readCk(t, dir); ck.Dispatched != s.MaxPhysicalOffset() {
					t.Fatalf("checkpoint at %d, want the log end %d", ck.Dispatched, s.MaxPhysicalOffset())
				}
				if err := s.Close(); err != nil {
					t.Fatal(err)
				}

				r := checkRecovered(t, crash, 21, 0)
				info := r.Recovery()
				if !renamed && (!info.FromCheckpoint || info.ReplayedFrom != ck0.Dispatched || info.Replayed != 11) {
					t.Fatalf("recovery %+v, want a replay of 11 records from the old checkpoint at %d", info, ck0.Dispatched)
				}
				checkRecovered(t, dir, 21, 0)
			})
		}
	}
}

// A checkpoint failing at Close makes Close return the error and keep the
// abort marker, so that the next Open recovers; it loses nothing.
func TestFaultCheckpointAtClose(t *testing.T) {
	dir := t.TempDir()
	fsys := &faultFS{match: "checkpoint", root: dir}
	s := openStore(t, faultCfg(dir, fsys))
	fillStore(t, s, 0, 12)
	fsys.failNextRename.Store(true)
	if err := s.Close(); !errors.Is(err, errInjected) {
		t.Fatalf("Close with a failing checkpoint rename: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "abort")); err != nil {
		t.Fatalf("abort marker removed although the final checkpoint failed: %v", err)
	}
	r := checkRecovered(t, dir, 12, 0)
	if info := r.Recovery(); !info.Crashed || info.Replayed != 12 {
		t.Fatalf("recovery %+v, want a crash recovery replaying all 12 records", info)
	}
}
