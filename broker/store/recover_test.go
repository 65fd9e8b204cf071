package store

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// noCk is a config whose background checkpointer never runs, so tests
// decide what the checkpoint covers.
func noCk(dir string, seg int64) Config {
	return Config{Dir: dir, SegmentSize: seg, CheckpointInterval: time.Hour}
}

// fillStore appends n messages to T/0 and T/1 (alternating) with keys.
func fillStore(t testing.TB, s *Store, from, n int) {
	t.Helper()
	for i := from; i < from+n; i++ {
		appendMsgs(t, s, msg{topic: "T", queue: int32(i % 2), tags: "A", keys: []string{"key-" + body(i)}, uniq: "U" + body(i), body: body(i)})
	}
}

// crashCopy copies s's directory as a crash would leave it.
func crashCopy(t testing.TB, s *Store) string {
	t.Helper()
	dst := t.TempDir()
	copyDir(t, s.dir, dst)
	if _, err := os.Stat(filepath.Join(dst, "abort")); err != nil {
		t.Fatalf("crash copy has no abort marker: %v", err)
	}
	return dst
}

// checkQueues verifies that T/0 and T/1 hold exactly messages 0..n-1 and
// that the next append continues at the right offsets.
func checkQueues(t *testing.T, s *Store, n int) {
	t.Helper()
	for q := range int32(2) {
		got := getAll(t, s, "T", q)
		want := (n - int(q) + 1) / 2
		if len(got) != want {
			t.Fatalf("queue %d: %d records, want %d", q, len(got), want)
		}
		for j, m := range got {
			if string(m.Body) != body(2*j+int(q)) || m.QueueOffset != int64(j) {
				t.Fatalf("queue %d #%d: %q at %d", q, j, m.Body, m.QueueOffset)
			}
		}
		if _, max := s.QueueRange("T", q); max != int64(want) {
			t.Fatalf("queue %d: max %d, want %d", q, max, want)
		}
	}
	end := s.MaxPhysicalOffset()
	res := appendMsgs(t, s, msg{topic: "T", queue: int32(n % 2), body: body(n)})
	if res[0].QueueOffset != int64(n/2) || res[0].CommitLogOffset != end {
		t.Fatalf("next append: %+v, want queue offset %d at %d", res[0], n/2, end)
	}
}

func TestRecoverCrashWithoutDamage(t *testing.T) {
	s := openStore(t, noCk(t.TempDir(), 4096))
	fillStore(t, s, 0, 20)
	if err := s.checkpoint(); err != nil {
		t.Fatal(err)
	}
	fillStore(t, s, 20, 40)
	dir := crashCopy(t, s)
	r := openStore(t, noCk(dir, 4096))
	checkQueues(t, r, 60)
	for _, i := range []int{3, 25, 59} {
		offs, err := r.QueryByKey("T", "key-"+body(i), 5, 0, 0)
		if err != nil || len(offs) != 1 {
			t.Fatalf("key %d after crash: %v %v", i, offs, err)
		}
		offs, err = r.QueryByKey("T", "U"+body(i), 5, 0, 0)
		if err != nil || len(offs) != 1 {
			t.Fatalf("uniq key %d after crash: %v %v", i, offs, err)
		}
	}
	if m, _ := filepath.Glob(filepath.Join(dir, "commitlog", "*.broken*")); len(m) != 0 {
		t.Fatalf("undamaged log produced %v", m)
	}
}

// lastSegment returns the path of the last non-empty segment.
func lastSegment(t testing.TB, dir string) string {
	t.Helper()
	segs := segmentFiles(t, dir)
	for i := len(segs) - 1; i >= 0; i-- {
		if fi, err := os.Stat(segs[i]); err == nil && fi.Size() > 0 && filepath.Ext(segs[i]) == "" {
			return segs[i]
		}
	}
	t.Fatal("no segment")
	return ""
}

func TestRecoverDamagedTail(t *testing.T) {
	tests := []struct {
		name    string
		damage  func(t *testing.T, seg string, lastRec int64) // lastRec: offset of the last record in seg
		keep    int                                           // messages that survive
		broken  bool
		segSize int64
	}{
		{"truncated mid-record", func(t *testing.T, seg string, last int64) {
			truncate(t, seg, fileLen(t, seg)-10)
		}, 29, true, 1 << 20},
		{"truncated inside header", func(t *testing.T, seg string, last int64) {
			truncate(t, seg, last+3)
		}, 29, true, 1 << 20},
		{"garbage appended", func(t *testing.T, seg string, last int64) {
			appendFile(t, seg, bytes.Repeat([]byte{0xA5}, 100))
		}, 30, true, 1 << 20},
		{"zeros appended", func(t *testing.T, seg string, last int64) {
			appendFile(t, seg, make([]byte, 4096))
		}, 30, true, 1 << 20},
		{"body crc mismatch", func(t *testing.T, seg string, last int64) {
			flipByte(t, seg, last+89) // BODY starts at 88 with IPv4 hosts
		}, 29, true, 1 << 20},
		{"wrong physical offset", func(t *testing.T, seg string, last int64) {
			flipByte(t, seg, last+posCommitLogOffset+7)
		}, 29, true, 1 << 20},
		{"torn record in small segments", func(t *testing.T, seg string, last int64) {
			truncate(t, seg, fileLen(t, seg)-1)
		}, 29, true, 2048},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := openStore(t, noCk(t.TempDir(), tt.segSize))
			fillStore(t, s, 0, 10)
			if err := s.checkpoint(); err != nil {
				t.Fatal(err)
			}
			fillStore(t, s, 10, 20)
			last := s.MaxPhysicalOffset() - int64(len(msg{topic: "T", queue: 1, tags: "A", keys: []string{"key-" + body(29)}, uniq: "U" + body(29), body: body(29)}.entry().Record))
			dir := crashCopy(t, s)
			seg := lastSegment(t, dir)
			base, _ := parseSegmentName(filepath.Base(seg))
			tt.damage(t, seg, last-base)

			r := openStore(t, noCk(dir, tt.segSize))
			checkQueues(t, r, tt.keep)
			broken, _ := filepath.Glob(filepath.Join(dir, "commitlog", "*.broken"))
			if tt.broken != (len(broken) == 1) {
				t.Fatalf(".broken files: %v", broken)
			}
			if _, err := r.QueryByKey("T", "key-"+body(29), 5, 0, 0); err != nil {
				t.Fatal(err)
			}
			// And the recovered store survives another clean cycle.
			if err := r.Close(); err != nil {
				t.Fatal(err)
			}
			r2 := openStore(t, noCk(dir, tt.segSize))
			if got := len(getAll(t, r2, "T", 0)) + len(getAll(t, r2, "T", 1)); got != tt.keep+1 {
				t.Fatalf("after reopen: %d records, want %d", got, tt.keep+1)
			}
		})
	}
}

func TestRecoverDamageInMiddleSegment(t *testing.T) {
	s := openStore(t, noCk(t.TempDir(), 1024))
	fillStore(t, s, 0, 60)
	dir := crashCopy(t, s)
	segs := segmentFiles(t, dir)
	if len(segs) < 5 {
		t.Fatalf("want >= 5 segments, have %d", len(segs))
	}
	// Corrupt the first record of the third segment: the valid log ends at
	// the end of the second one, and the rest is set aside.
	flipByte(t, segs[2], posMagic)
	base2, _ := parseSegmentName(filepath.Base(segs[2]))
	r := openStore(t, noCk(dir, 1024))
	if r.MaxPhysicalOffset() != base2 {
		t.Fatalf("valid end %d, want %d", r.MaxPhysicalOffset(), base2)
	}
	broken, _ := filepath.Glob(filepath.Join(dir, "commitlog", "*.broken"))
	if len(broken) != len(segs)-2 {
		t.Fatalf("broken files %v, want %d", broken, len(segs)-2)
	}
	n := len(getAll(t, r, "T", 0)) + len(getAll(t, r, "T", 1))
	if n == 0 || n >= 60 {
		t.Fatalf("%d records survived", n)
	}
	checkQueues(t, r, n)
}

func TestRecoverRebuildsConsumeQueues(t *testing.T) {
	tests := []struct {
		name  string
		crash bool
		hurt  func(t *testing.T, dir string)
	}{
		{"queue dir deleted after clean close", false, func(t *testing.T, dir string) {
			if err := os.RemoveAll(filepath.Join(dir, "consumequeue")); err != nil {
				t.Fatal(err)
			}
		}},
		{"queue file truncated after clean close", false, func(t *testing.T, dir string) {
			p := cqPath(dir, QueueID{"T", 1}, 0)
			truncate(t, p, 3*cqEntrySize+7)
		}},
		{"queue file deleted after crash", true, func(t *testing.T, dir string) {
			if err := os.Remove(cqPath(dir, QueueID{"T", 0}, 0)); err != nil {
				t.Fatal(err)
			}
		}},
		{"queue file garbage after crash", true, func(t *testing.T, dir string) {
			appendFile(t, cqPath(dir, QueueID{"T", 0}, 0), bytes.Repeat([]byte{1}, 45))
		}},
		{"checkpoint deleted", false, func(t *testing.T, dir string) {
			if err := os.Remove(filepath.Join(dir, "checkpoint")); err != nil {
				t.Fatal(err)
			}
		}},
		{"checkpoint garbage", true, func(t *testing.T, dir string) {
			if err := os.WriteFile(filepath.Join(dir, "checkpoint"), []byte("nonsense"), 0o644); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := openStore(t, noCk(t.TempDir(), 4096))
			fillStore(t, s, 0, 30)
			if err := s.checkpoint(); err != nil {
				t.Fatal(err)
			}
			fillStore(t, s, 30, 10)
			dir := s.dir
			if tt.crash {
				dir = crashCopy(t, s)
			} else if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			tt.hurt(t, dir)
			r := openStore(t, noCk(dir, 4096))
			checkQueues(t, r, 40)
			offs, err := r.QueryByKey("T", "key-"+body(5), 5, 0, 0)
			if err != nil || len(offs) != 1 {
				t.Fatalf("index: %v %v", offs, err)
			}
		})
	}
}

func TestRecoverEmptyStoreAndEmptySegment(t *testing.T) {
	dir := t.TempDir()
	s := openStore(t, noCk(dir, 4096))
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openStore(t, noCk(dir, 4096))
	fillStore(t, s, 0, 4)
	crash := crashCopy(t, s)
	// A crash right after a roll leaves an empty last segment.
	end := s.MaxPhysicalOffset()
	if err := os.WriteFile(filepath.Join(crash, "commitlog", segmentName(end)), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	r := openStore(t, noCk(crash, 4096))
	checkQueues(t, r, 4)
}

func fileLen(t testing.TB, p string) int64 {
	t.Helper()
	fi, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}

func truncate(t testing.TB, p string, n int64) {
	t.Helper()
	if err := os.Truncate(p, n); err != nil {
		t.Fatal(err)
	}
}

func appendFile(t testing.TB, p string, b []byte) {
	t.Helper()
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.Write(b); err != nil {
		t.Fatal(err)
	}
}

func flipByte(t testing.TB, p string, off int64) {
	t.Helper()
	f, err := os.OpenFile(p, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var b [1]byte
	if _, err := f.ReadAt(b[:], off); err != nil {
		t.Fatal(err)
	}
	b[0] ^= 0xFF
	if _, err := f.WriteAt(b[:], off); err != nil {
		t.Fatal(err)
	}
}
