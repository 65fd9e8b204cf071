package store

import (
	"context"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"
)

// rareCfg: 4 KiB segments, consume-queue files of 8 entries, small index
// files, no background checkpoint, and a cleaner that tests run by hand
// and that deletes every segment but the last, 3 at a time.
func rareCfg(dir string) Config {
	return Config{Dir: dir, SegmentSize: 4096, CheckpointInterval: time.Hour,
		cqFileEntries: 8, indexEntries: 16, indexSlots: 8,
		Retention: Retention{CleanInterval: time.Hour, ReservedTime: -1, DeleteHours: allHours(), BatchMax: 3}}
}

// cqEntryAt reads the commit-log offset of entry o of the queue file that
// starts at first.
func cqEntryAt(t *testing.T, path string, first, o int64) int64 {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return int64(binary.BigEndian.Uint64(b[(o-first)*cqEntrySize:]))
}

// A consume queue that misses entries before the replay start, so that
// the first record replayed for it lies past its end, is rebuilt from the
// whole log (rebuildGapped, the second replay pass): here retention had
// deleted the oldest segments, so the rebuilt queue starts at its oldest
// record still in the log, not at 0, and holds every record after it.
func TestRecoverGappedQueue(t *testing.T) {
	tests := []struct {
		name string
		hurt func(t *testing.T, dir string, min int64)
	}{
		{"queue files lost", func(t *testing.T, dir string, _ int64) {
			if err := os.RemoveAll(filepath.Join(dir, "consumequeue", "T", "1")); err != nil {
				t.Fatal(err)
			}
		}},
		{"queue cut before the oldest record left", func(t *testing.T, dir string, min int64) {
			// The first file left (it holds the queue's min) keeps only
			// entries below min: the queue loads empty at a max below the
			// first record of it that the log still holds.
			files, _ := filepath.Glob(filepath.Join(dir, "consumequeue", "T", "1", "*"))
			first, _ := parseSegmentName(filepath.Base(files[0]))
			if min-first < 2 {
				t.Skipf("queue min %d too close to its first file %d", min, first)
			}
			truncate(t, files[0], (min-first-1)*cqEntrySize)
		}},
		{"every queue lost, no checkpoint", func(t *testing.T, dir string, _ int64) {
			if err := os.RemoveAll(filepath.Join(dir, "consumequeue")); err != nil {
				t.Fatal(err)
			}
			if err := os.Remove(filepath.Join(dir, "checkpoint")); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := openStore(t, rareCfg(t.TempDir()))
			appended := fillRetention(t, s, 0, 150)
			if n, err := s.clean(); err != nil || n != 3 {
				t.Fatalf("clean: %d, %v", n, err)
			}
			appended = append(appended, fillRetention(t, s, 150, 30)...)
			min1, _ := s.QueueRange("T", 1)
			if min1 < 8 {
				t.Fatalf("setup: queue 1 min %d; retention kept too much", min1)
			}
			dir := crashCopy(t, s)
			tt.hurt(t, dir, min1)

			r := openStore(t, rareCfg(dir))
			info := r.Recovery()
			if info.RebuiltQueues == 0 || info.FromCheckpoint {
				t.Fatalf("recovery %+v: want queues rebuilt from the whole log", info)
			}
			checkRetained(t, r, appended, 0)
			if lo, _ := r.QueueRange("T", 1); lo != min1 {
				t.Fatalf("queue 1 rebuilt from %d, want %d", lo, min1)
			}
			res := fillRetention(t, r, 180, 3)
			if res[1].QueueOffset != 60 { // message 181 goes to T/1
				t.Fatalf("append after recovery: queue offset %d, want 60", res[1].QueueOffset)
			}
		})
	}
}

// A consume-queue entry that points elsewhere than the record the log
// holds at its queue offset is cut there and the queue re-filled from the
// log: past the checkpoint (its files were written by a checkpoint whose
// own file failed) and below it when the checkpoint is gone.
func TestRecoverQueueEntryDisagreesWithLog(t *testing.T) {
	tests := []struct {
		name     string
		queue    int32
		off      int64 // the damaged entry
		dropCk   bool
		fromCkpt bool
	}{
		{"past the checkpoint", 0, 12, false, true},
		{"below the checkpoint, checkpoint lost", 1, 3, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			fsys := &faultFS{match: "checkpoint", root: dir}
			s := openStore(t, faultCfg(dir, fsys))
			fillStore(t, s, 0, 20)
			if err := s.checkpoint(); err != nil {
				t.Fatal(err)
			}
			fillStore(t, s, 20, 10)
			// Queue files reach past the checkpoint, which stays behind.
			fsys.failNextRename.Store(true)
			if err := s.checkpoint(); !errors.Is(err, errInjected) {
				t.Fatalf("checkpoint: %v", err)
			}
			crash := crashCopy(t, s)
			first := tt.off / 4 * 4 // faultCfg: 4 entries per file
			p := cqPath(crash, QueueID{"T", tt.queue}, first)
			// Still strictly ascending, plausible and inside the log, so
			// loading keeps it; only the record tells it is wrong.
			wrong := cqEntryAt(t, p, first, tt.off) + 1
			f, err := os.OpenFile(p, os.O_RDWR, 0)
			if err != nil {
				t.Fatal(err)
			}
			var b [8]byte
			binary.BigEndian.PutUint64(b[:], uint64(wrong))
			if _, err := f.WriteAt(b[:], (tt.off-first)*cqEntrySize); err != nil {
				t.Fatal(err)
			}
			_ = f.Close()
			if tt.dropCk {
				if err := os.Remove(filepath.Join(crash, "checkpoint")); err != nil {
					t.Fatal(err)
				}
			}
			r := openStore(t, faultCfg(crash, nil))
			info := r.Recovery()
			if info.TruncatedQueues != 1 || info.FromCheckpoint != tt.fromCkpt {
				t.Fatalf("recovery %+v: want one queue cut, from the checkpoint: %v", info, tt.fromCkpt)
			}
			checkQueues(t, r, 30)
			queryAll(t, r, 30)
		})
	}
}

// Segments that do not follow each other (one missing, or cut short) end
// the log: the rest is set aside as *.broken and consume queues are cut
// back to the records left, also when the checkpoint lay past the hole.
func TestRecoverNonContiguousSegments(t *testing.T) {
	tests := []struct {
		name       string
		checkpoint bool                                  // a checkpoint covers every record
		hurt       func(t *testing.T, seg2 string) int64 // returns the bytes of segment 2 kept
	}{
		{"segment missing", false, func(t *testing.T, seg2 string) int64 {
			if err := os.Remove(seg2); err != nil {
				t.Fatal(err)
			}
			return 0
		}},
		{"segment missing below the checkpoint", true, func(t *testing.T, seg2 string) int64 {
			if err := os.Remove(seg2); err != nil {
				t.Fatal(err)
			}
			return 0
		}},
		{"segment cut short", false, func(t *testing.T, seg2 string) int64 {
			n := fileLen(t, seg2) / 2
			truncate(t, seg2, n)
			return n
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := openStore(t, noCk(t.TempDir(), 1024))
			var res []AppendResult
			for i := range 60 {
				res = append(res, appendMsgs(t, s, fillMsg(i))...)
			}
			if tt.checkpoint {
				if err := s.checkpoint(); err != nil {
					t.Fatal(err)
				}
			}
			dir := crashCopy(t, s)
			segs := segmentFiles(t, dir)
			if len(segs) < 5 {
				t.Fatalf("want >= 5 segments, have %d", len(segs))
			}
			base2, _ := parseSegmentName(filepath.Base(segs[2]))
			var later int64
			for _, p := range segs[3:] {
				later += fileLen(t, p)
			}
			kept := tt.hurt(t, segs[2])
			end, n := int64(0), 0
			for _, r := range res {
				if r.CommitLogOffset+int64(r.Size) <= base2+kept {
					end, n = r.CommitLogOffset+int64(r.Size), n+1
				}
			}

			r := openStore(t, noCk(dir, 1024))
			info := r.Recovery()
			if r.MaxPhysicalOffset() != end || info.End != end {
				t.Fatalf("log end %d (reported %d), want %d", r.MaxPhysicalOffset(), info.End, end)
			}
			if info.SetAside < len(segs)-3 || info.DroppedBytes < later {
				t.Fatalf("recovery %+v: want the %d later segments (%d bytes) set aside", info, len(segs)-3, later)
			}
			for _, p := range segs[3:] {
				if _, err := os.Stat(p + ".broken"); err != nil {
					t.Fatalf("%s not set aside: %v", filepath.Base(p), err)
				}
			}
			checkQueues(t, r, n)
			queryAll(t, r, n)
		})
	}
}

// blockedSyncStore opens a FlushSync store whose commit-log syncs block
// until release is called; SyncFlushTimeout is an hour, so only what the
// test does decides how Append ends.
func blockedSyncStore(t *testing.T, now func() time.Time) (*Store, *faultFS, func()) {
	t.Helper()
	fsys := &faultFS{match: "commitlog", entered: make(chan struct{}, 1)}
	s := openStore(t, Config{Dir: t.TempDir(), FlushMode: FlushSync, SyncFlushTimeout: time.Hour,
		CheckpointInterval: time.Hour, fsys: fsys, now: now, Retention: Retention{Disabled: true}})
	gate := make(chan struct{})
	fsys.gate.Store(&gate)
	var once atomic.Bool
	release := func() {
		if once.CompareAndSwap(false, true) {
			close(gate)
		}
	}
	t.Cleanup(release)
	return s, fsys, release
}

type appendOutcome struct {
	res []AppendResult
	err error
}

func appendAsync(s *Store, m msg) chan appendOutcome {
	ch := make(chan appendOutcome, 1)
	go func() {
		res, err := s.Append(context.Background(), []Entry{m.entry()})
		ch <- appendOutcome{res, err}
	}()
	return ch
}

func waitOutcome(t *testing.T, ch chan appendOutcome, what string) appendOutcome {
	t.Helper()
	select {
	case o := <-ch:
		return o
	case <-time.After(10 * time.Second):
		t.Fatalf("%s: Append still waiting after 10s", what)
		return appendOutcome{}
	}
}

// A sync that completes after SyncFlushTimeout is late: Append answers
// PutFlushDiskTimeout even though the flush, not the timer, woke it, and
// the record is stored. With the clock standing still the same sync
// answers PutOK.
func TestSyncFlushCompletesPastDeadline(t *testing.T) {
	for _, late := range []bool{false, true} {
		var clock atomic.Int64 // added to a fixed start
		start := time.Now()
		now := func() time.Time { return start.Add(time.Duration(clock.Load())) }
		s, fsys, release := blockedSyncStore(t, now)
		ch := appendAsync(s, msg{topic: "T", body: "x"})
		<-fsys.entered // Append took its deadline and waits for this sync
		if late {
			clock.Store(int64(2 * time.Hour))
		}
		release()
		o := waitOutcome(t, ch, "late flush")
		want := PutOK
		if late {
			want = PutFlushDiskTimeout
		}
		if o.err != nil || o.res[0].Status != want {
			t.Fatalf("late %v: %+v, %v; want %v", late, o.res, o.err, want)
		}
		if s.cl.flushed.Load() < s.MaxPhysicalOffset() || len(getAll(t, s, "T", 0)) != 1 {
			t.Fatalf("late %v: the record is not stored and synced", late)
		}
	}
}

// Close while Appends wait for their sync: Close waits for the sync in
// flight, makes the rest durable itself and wakes every waiter, which
// answers PutOK (its records were synced); nothing hangs, and a reopen
// finds both records. Run a few times: whether the flusher or Close syncs
// the second record depends on scheduling, and both must work.
func TestCloseDuringSyncWait(t *testing.T) {
	for i := range 8 {
		s, fsys, release := blockedSyncStore(t, nil)
		a := appendAsync(s, msg{topic: "T", body: "a"})
		<-fsys.entered // the flusher syncs a's record and blocks
		b := appendAsync(s, msg{topic: "T", body: "b"})
		pollUntil(t, "b written", func() bool { return len(getAll(t, s, "T", 0)) == 2 })
		closed := make(chan error, 1)
		go func() { closed <- s.Close() }()
		pollUntil(t, "Close started", s.closed.Load)
		release()
		for _, o := range []appendOutcome{waitOutcome(t, a, "a"), waitOutcome(t, b, "b")} {
			if o.err != nil || o.res[0].Status != PutOK {
				t.Fatalf("round %d: append during Close: %+v, %v", i, o.res, o.err)
			}
		}
		select {
		case err := <-closed:
			if err != nil {
				t.Fatalf("Close: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("Close still running after 10s")
		}
		r := openStore(t, Config{Dir: s.dir, Retention: Retention{Disabled: true}})
		if got := bodies(t, mustGet(t, r, "T", 0, 0, 32, nil).Records); len(got) != 2 {
			t.Fatalf("round %d: after reopen %q", i, got)
		}
		if info := r.Recovery(); info.Crashed {
			t.Fatalf("round %d: clean Close left the abort marker", i)
		}
	}
}

// Close while Appends wait for a sync that then fails: each waiter gets
// ErrWriteFailed and PutFlushDiskTimeout, never PutOK; Close reports the
// failure and leaves the abort marker; the reopened store is consistent.
func TestCloseDuringFailingSyncWait(t *testing.T) {
	s, fsys, release := blockedSyncStore(t, nil)
	a := appendAsync(s, msg{topic: "T", body: "a"})
	<-fsys.entered
	b := appendAsync(s, msg{topic: "T", body: "b"})
	pollUntil(t, "b written", func() bool { return len(getAll(t, s, "T", 0)) == 2 })
	closed := make(chan error, 1)
	go func() { closed <- s.Close() }()
	pollUntil(t, "Close started", s.closed.Load)
	fsys.failNextSync.Store(true) // the blocked sync fails once released
	release()
	for _, o := range []appendOutcome{waitOutcome(t, a, "a"), waitOutcome(t, b, "b")} {
		if !errors.Is(o.err, ErrWriteFailed) || o.res[0].Status != PutFlushDiskTimeout {
			t.Fatalf("append waiting on a failed sync: %+v, %v", o.res, o.err)
		}
	}
	if err := <-closed; !errors.Is(err, errInjected) {
		t.Fatalf("Close after the failed sync: %v", err)
	}
	r := openStore(t, Config{Dir: s.dir, Retention: Retention{Disabled: true}})
	if info := r.Recovery(); !info.Crashed {
		t.Fatal("the abort marker did not survive a failed sync")
	}
	got := getAll(t, r, "T", 0)
	for j, m := range got {
		if m.QueueOffset != int64(j) {
			t.Fatalf("record %d has queue offset %d", j, m.QueueOffset)
		}
	}
}

// The background checkpointer retries after a failed checkpoint: it keeps
// running, and the checkpoint catches up with the log once the fault is
// gone.
func TestCheckpointerRetriesAfterFailure(t *testing.T) {
	dir := t.TempDir()
	fsys := &faultFS{match: "checkpoint", root: dir}
	cfg := faultCfg(dir, fsys)
	cfg.CheckpointBytes = 1 // every Append kicks the checkpointer
	s := openStore(t, cfg)
	fsys.failNextRename.Store(true)
	appendMsgs(t, s, fillMsg(0))
	pollUntil(t, "the checkpointer met the fault", func() bool { return !fsys.failNextRename.Load() })
	appendMsgs(t, s, fillMsg(1))
	end := s.MaxPhysicalOffset()
	pollUntil(t, "checkpoint at the log end", func() bool {
		b, err := os.ReadFile(filepath.Join(dir, "checkpoint"))
		ck, err2 := unmarshalCheckpoint(b)
		return err == nil && err2 == nil && ck.Dispatched == end
	})
}

// pollUntil polls cond every millisecond until it holds, failing after
// 10 seconds.
func pollUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 10s", what)
		}
		time.Sleep(time.Millisecond)
	}
}
