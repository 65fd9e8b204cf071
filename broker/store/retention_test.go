package store

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fakeClock is the retention clock of a test.
type fakeClock struct{ ns atomic.Int64 }

func (c *fakeClock) now() time.Time  { return time.Unix(0, c.ns.Load()) }
func (c *fakeClock) set(t time.Time) { c.ns.Store(t.UnixNano()) }

// retentionStore opens a store in dir with 4 KiB segments, small
// consume-queue and index files, the cleaner's loop idle (tests call
// clean) and the clock and disk usage given.
func retentionStore(t *testing.T, dir string, clk *fakeClock, usage *atomic.Int64, r Retention) *Store {
	t.Helper()
	r.CleanInterval = time.Hour
	r.Now = clk.now
	r.DiskUsage = func(string) (float64, error) { return float64(usage.Load()) / 100, nil }
	s, err := Open(Config{Dir: dir, SegmentSize: 4096, Logger: testLogger(t), Retention: r,
		cqFileEntries: 8, indexEntries: 16, indexSlots: 8})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// fillRetention appends n keyed messages over T/0..2 and returns them.
func fillRetention(t *testing.T, s *Store, from, n int) []AppendResult {
	t.Helper()
	var out []AppendResult
	for i := from; i < from+n; i++ {
		out = append(out, appendMsgs(t, s, msg{topic: "T", queue: int32(i % 3), keys: []string{fmt.Sprintf("k%d", i)},
			body: body(i) + string(make([]byte, 150))})...)
	}
	return out
}

// checkRetained asserts what a store keeps after a clean: min offsets
// match the log's minimum, a read below a queue's min is OffsetMoved to
// it, and every appended record at or above the log's minimum is read
// back from its queue, in order, without gaps.
func checkRetained(t *testing.T, s *Store, appended []AppendResult, from int) {
	t.Helper()
	minPhys := s.MinPhysicalOffset()
	for q := range int32(3) {
		var want []AppendResult
		for i, a := range appended {
			if (i+from)%3 == int(q) && a.CommitLogOffset >= minPhys {
				want = append(want, a)
			}
		}
		lo, hi := s.QueueRange("T", q)
		if len(want) == 0 || lo != want[0].QueueOffset || hi != want[len(want)-1].QueueOffset+1 {
			t.Fatalf("queue %d: range [%d, %d), want the %d records at or above log min %d", q, lo, hi, len(want), minPhys)
		}
		if lo > 0 {
			r, err := s.Get("T", q, lo-1, 1, nil, nil)
			if err != nil || r.Status != GetOffsetMoved || r.NextBeginOffset != lo {
				t.Fatalf("queue %d: get below min: %v %+v, want OFFSET_MOVED to %d", q, err, r, lo)
			}
		}
		off := lo
		for _, w := range want {
			r, err := s.Get("T", q, off, 1, nil, nil)
			if err != nil || r.Status != GetFound {
				t.Fatalf("queue %d @%d: %v %v", q, off, err, r.Status)
			}
			m := decodeAll(t, r.Records)[0]
			if m.CommitLogOffset != w.CommitLogOffset || m.QueueOffset != w.QueueOffset {
				t.Fatalf("queue %d @%d: record at %d, want %d", q, off, m.CommitLogOffset, w.CommitLogOffset)
			}
			off = r.NextBeginOffset
		}
	}
}

func countFiles(t *testing.T, pattern string) int {
	t.Helper()
	m, err := filepath.Glob(pattern)
	if err != nil {
		t.Fatal(err)
	}
	return len(m)
}

// Segments go when older than ReservedTime, only in DeleteHours, oldest
// first, BatchMax per run, never the last; consume-queue and index files
// pointing only below the new minimum go with them; all of it survives a
// reopen.
func TestRetentionDeletesExpiredSegments(t *testing.T) {
	dir := t.TempDir()
	var clk fakeClock
	var usage atomic.Int64
	start := time.Now()
	clk.set(start)
	s := retentionStore(t, dir, &clk, &usage, Retention{ReservedTime: 2 * time.Hour, BatchMax: 3,
		DeleteHours: []int{start.Add(5 * time.Hour).Hour()}})
	appended := fillRetention(t, s, 0, 300)
	if err := s.checkpoint(); err != nil {
		t.Fatal(err)
	}
	segs := len(segmentFiles(t, dir))
	cqFiles := countFiles(t, filepath.Join(dir, "consumequeue", "T", "0", "*"))
	ixFiles := countFiles(t, filepath.Join(dir, "index", "*"))
	if segs < 10 || cqFiles < 5 || ixFiles < 5 {
		t.Fatalf("setup: %d segments, %d queue files, %d index files", segs, cqFiles, ixFiles)
	}

	clk.set(start.Add(time.Hour)) // a delete hour? no; young anyway
	if n, err := s.clean(); n != 0 || err != nil {
		t.Fatalf("clean of young segments: %d, %v", n, err)
	}
	clk.set(start.Add(3 * time.Hour)) // expired, but not a delete hour
	if n, err := s.clean(); n != 0 || err != nil {
		t.Fatalf("clean outside deleteWhen: %d, %v", n, err)
	}
	clk.set(start.Add(5 * time.Hour)) // the delete hour
	if n, err := s.clean(); n != 3 || err != nil {
		t.Fatalf("clean in deleteWhen: %d, %v; want the batch of 3", n, err)
	}
	if got := len(segmentFiles(t, dir)); got != segs-3 {
		t.Fatalf("%d segments left of %d, want 3 fewer", got, segs)
	}
	checkRetained(t, s, appended, 0)
	for {
		n, err := s.clean()
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			break
		}
	}
	if got := len(segmentFiles(t, dir)); got != 1 {
		t.Fatalf("%d segments left, want only the last one", got)
	}
	checkRetained(t, s, appended, 0)
	if n := countFiles(t, filepath.Join(dir, "consumequeue", "T", "0", "*")); n >= cqFiles || n > 2 {
		t.Fatalf("%d consume-queue files left of %d", n, cqFiles)
	}
	if n := countFiles(t, filepath.Join(dir, "index", "*")); n >= ixFiles {
		t.Fatalf("%d index files left of %d", n, ixFiles)
	}
	if got, err := s.QueryByKey("T", "k0", 10, 0, 0); err != nil || len(got) != 0 {
		t.Fatalf("key of a deleted message: %v, %v", got, err)
	}
	if got, err := s.QueryByKey("T", "k299", 10, 0, 0); err != nil || len(got) != 1 {
		t.Fatalf("key of a retained message: %v, %v", got, err)
	}

	// Reopen cleanly: nothing is rebuilt, and queues continue.
	minPhys := s.MinPhysicalOffset()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = retentionStore(t, dir, &clk, &usage, Retention{ReservedTime: 2 * time.Hour, DeleteHours: []int{1}})
	if s.MinPhysicalOffset() != minPhys {
		t.Fatalf("min after reopen %d, want %d", s.MinPhysicalOffset(), minPhys)
	}
	checkRetained(t, s, appended, 0)
	more := fillRetention(t, s, 300, 3)
	if more[0].QueueOffset != 100 {
		t.Fatalf("queue offsets restarted: %+v", more[0])
	}
}

// Above diskMaxUsedSpaceRatio the age still counts (at any hour); above
// diskSpaceCleanForciblyRatio segments go whatever their age, unless
// cleanFileForciblyEnable is off.
func TestRetentionDiskUsage(t *testing.T) {
	for _, tt := range []struct {
		name      string
		usage     int64
		noForce   bool
		age       time.Duration
		wantClean bool
	}{
		{"below max used", 70, false, 100 * time.Hour, false},
		{"above max used, young", 80, false, time.Hour, false},
		{"above max used, expired", 80, false, 100 * time.Hour, true},
		{"above forcibly, young", 86, false, time.Hour, true},
		{"above warning, young", 95, false, time.Hour, true},
		{"above forcibly, forced clean off", 95, true, time.Hour, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			var clk fakeClock
			var usage atomic.Int64
			usage.Store(tt.usage)
			now := time.Now()
			clk.set(now.Add(tt.age))
			s := retentionStore(t, dir, &clk, &usage, Retention{NoForcedClean: tt.noForce, BatchMax: 100,
				DeleteHours: []int{(now.Add(tt.age).Hour() + 12) % 24}})
			appended := fillRetention(t, s, 0, 100)
			n, err := s.clean()
			if err != nil {
				t.Fatal(err)
			}
			if (n > 0) != tt.wantClean {
				t.Fatalf("deleted %d segments at %d%% used, want clean %v", n, tt.usage, tt.wantClean)
			}
			if tt.wantClean && len(segmentFiles(t, dir)) != 1 {
				t.Fatalf("%d segments left", len(segmentFiles(t, dir)))
			}
			checkRetained(t, s, appended, 0)
		})
	}
}

// removeHookFS calls before ahead of every Remove and Rename while armed.
type removeHookFS struct {
	osFS
	armed  atomic.Bool
	before func(op, name string)
}

func (f *removeHookFS) Remove(name string) error {
	if f.armed.Load() {
		f.before("remove", name)
	}
	return f.osFS.Remove(name)
}

func (f *removeHookFS) Rename(o, n string) error {
	if f.armed.Load() {
		f.before("rename", n)
	}
	return f.osFS.Rename(o, n)
}

// A crash at any point of a clean (before each file deletion and each
// checkpoint rename) recovers to a consistent store: the old or the new
// minimum, never a mix, every retained record readable from its queue,
// and the clean finished when its checkpoint was written.
func TestRetentionCrashDuringClean(t *testing.T) {
	dir := t.TempDir()
	var snaps []string
	fsys := &removeHookFS{}
	fsys.before = func(op, name string) {
		dst := t.TempDir()
		copyDir(t, dir, dst)
		snaps = append(snaps, op+" "+filepath.Base(name)+"\x00"+dst)
	}
	s, err := Open(Config{Dir: dir, SegmentSize: 4096, Logger: testLogger(t), fsys: fsys,
		cqFileEntries: 8, indexEntries: 16, indexSlots: 8,
		Retention: Retention{CleanInterval: time.Hour, ReservedTime: -1, DeleteHours: allHours(), BatchMax: 100}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	appended := fillRetention(t, s, 0, 200)
	fsys.armed.Store(true)
	n, err := s.clean()
	fsys.armed.Store(false)
	if err != nil || n < 5 {
		t.Fatalf("clean: %d, %v", n, err)
	}
	newMin := s.MinPhysicalOffset()
	if len(snaps) < n+2 {
		t.Fatalf("only %d crash points", len(snaps))
	}
	sawFinish := false
	for _, snap := range snaps {
		point, sdir, _ := strings.Cut(snap, "\x00")
		t.Run(point, func(t *testing.T) {
			before := len(segmentFiles(t, sdir))
			ck, _ := os.ReadFile(filepath.Join(sdir, "checkpoint"))
			c, err := unmarshalCheckpoint(ck)
			if err != nil {
				t.Fatal(err)
			}
			r := openStore(t, Config{Dir: sdir, SegmentSize: 4096, cqFileEntries: 8, indexEntries: 16, indexSlots: 8,
				Retention: Retention{Disabled: true}})
			got := r.MinPhysicalOffset()
			if got != 0 && got != newMin {
				t.Fatalf("min %d after recovery, want 0 or %d", got, newMin)
			}
			if c.LogMin == newMin && got != newMin {
				t.Fatalf("checkpoint says %d but recovery kept %d", newMin, got)
			}
			if c.LogMin == newMin && len(segmentFiles(t, sdir)) > 1 {
				t.Fatalf("%d segments after finishing the clean", len(segmentFiles(t, sdir)))
			}
			sawFinish = sawFinish || (c.LogMin == newMin && before > 1)
			checkRetained(t, r, appended, 0)
			if res := fillRetention(t, r, 200, 3); res[0].QueueOffset != 66 || res[0].CommitLogOffset != appended[len(appended)-1].CommitLogOffset+int64(appended[len(appended)-1].Size) {
				t.Fatalf("append after recovery: %+v", res[0])
			}
		})
	}
	if !sawFinish {
		t.Fatal("no crash point between the checkpoint and the segment deletions")
	}
}

func allHours() []int {
	h := make([]int, 24)
	for i := range h {
		h[i] = i
	}
	return h
}

// Reads racing a clean never fail: a read of a deleted record answers
// OffsetMoved, one in flight finishes on the open file.
func TestRetentionReadsDuringClean(t *testing.T) {
	dir := t.TempDir()
	var clk fakeClock
	var usage atomic.Int64
	clk.set(time.Now())
	s := retentionStore(t, dir, &clk, &usage, Retention{ReservedTime: -1, DeleteHours: allHours(),
		BatchMax: 1, DeleteInterval: -1})
	fillRetention(t, s, 0, 300)
	clk.set(time.Now().Add(time.Second))
	var wg sync.WaitGroup
	stop := make(chan struct{})
	var errs []error
	var mu sync.Mutex
	for q := range int32(3) {
		wg.Go(func() {
			for off := int64(0); ; {
				select {
				case <-stop:
					return
				default:
				}
				r, err := s.Get("T", q, off, 4, nil, nil)
				if err == nil {
					_, err = s.QueryByKey("T", fmt.Sprintf("k%d", off*3+int64(q)), 1, 0, 0)
				}
				if err != nil {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
					return
				}
				switch r.Status {
				case GetFound, GetOffsetMoved:
					off = r.NextBeginOffset
				default:
					off = 0
				}
			}
		})
	}
	for {
		n, err := s.clean()
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			break
		}
	}
	close(stop)
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	if got := segmentFiles(t, dir); len(got) != 1 {
		t.Fatalf("segments left: %v", got)
	}
}
