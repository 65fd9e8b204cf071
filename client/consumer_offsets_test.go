package client

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestOffsetTracker(t *testing.T) {
	tr := newOffsetTracker(10)
	if got := tr.committed(); got != 10 {
		t.Fatalf("start: committed %d, want 10", got)
	}
	for _, off := range []int64{10, 11, 12, 14} { // 13 filtered out
		if !tr.add(off) {
			t.Fatalf("add(%d) refused", off)
		}
	}
	tr.setEnd(15)
	if tr.add(12) {
		t.Fatal("add of a pending offset accepted")
	}
	steps := []struct {
		finish int64
		want   int64
	}{
		{11, 10}, // 10 still processing: never commit past it
		{14, 10},
		{10, 12},
		{12, 15}, // all done: the pull's nextBeginOffset
	}
	for _, s := range steps {
		if !tr.finish(s.finish) {
			t.Fatalf("finish(%d) not pending", s.finish)
		}
		if got := tr.committed(); got != s.want {
			t.Fatalf("after finish(%d): committed %d, want %d", s.finish, got, s.want)
		}
	}
	if tr.finish(12) || tr.inFlight() != 0 {
		t.Fatal("finished twice")
	}
	// After an OFFSET_MOVED the queue may go backwards.
	tr.add(20)
	tr.setEnd(3)
	tr.add(3)
	if got := tr.committed(); got != 3 {
		t.Fatalf("after a move back: committed %d, want 3", got)
	}
	tr.finish(3)
	tr.finish(20)
	if got := tr.committed(); got != 3 {
		t.Fatalf("committed %d, want the end 3", got)
	}
}

// The committed offset is always the smallest unfinished offset, or the
// end when none is, whatever order messages finish in.
func TestOffsetTrackerRandomOrder(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for range 20 {
		tr := newOffsetTracker(0)
		var pending []int64
		next, last := int64(0), int64(0)
		for range 1000 {
			if r.IntN(2) == 0 || len(pending) == 0 {
				n := 1 + r.IntN(32)
				for range n {
					next += int64(1 + r.IntN(2)) // gaps: filtered messages
					tr.add(next)
					pending = append(pending, next)
					last = next
				}
				next++
				tr.setEnd(next)
			} else {
				i := r.IntN(len(pending))
				tr.finish(pending[i])
				pending = slices.Delete(pending, i, i+1)
			}
			want := next
			if len(pending) > 0 {
				want = slices.Min(pending)
			}
			if got := tr.committed(); got != want {
				t.Fatalf("committed %d, want %d", got, want)
			}
			if span := tr.span(); len(pending) > 0 && span != last-slices.Min(pending) || len(pending) == 0 && span != 0 {
				t.Fatalf("span %d of %v", span, pending)
			}
			if tr.inFlight() != len(pending) {
				t.Fatalf("in flight %d, want %d", tr.inFlight(), len(pending))
			}
		}
	}
}

func TestFileOffsets(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "g", "offsets.json")
	s, err := openFileOffsets(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := openFileOffsets(path); err == nil || !strings.Contains(err.Error(), "another consumer") {
		t.Fatalf("second open = %v, want refused", err)
	}
	q0, q1 := MessageQueue{"t", "b", 0}, MessageQueue{"t", "b", 1}
	if _, found, _ := s.read(t.Context(), q0); found {
		t.Fatal("offset found in a new store")
	}
	if err := s.write(t.Context(), map[MessageQueue]int64{q0: 5, q1: 7}, true); err != nil {
		t.Fatal(err)
	}
	if err := s.write(t.Context(), map[MessageQueue]int64{q1: 9}, false); err != nil {
		t.Fatal(err)
	}
	if err := s.close(); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil || !strings.Contains(string(b), `"offset": 9`) {
		t.Fatalf("file %s, %v", b, err)
	}
	if tmp, _ := filepath.Glob(filepath.Join(dir, "g", "*.tmp")); len(tmp) != 0 {
		t.Fatalf("temporary files left: %v", tmp)
	}
	s, err = openFileOffsets(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.close()
	for q, want := range map[MessageQueue]int64{q0: 5, q1: 9} {
		if off, found, _ := s.read(t.Context(), q); !found || off != want {
			t.Fatalf("reopened: %v at %d (%v), want %d", q, off, found, want)
		}
	}

	if err := os.WriteFile(filepath.Join(dir, "bad.json"), []byte("{"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := openFileOffsets(filepath.Join(dir, "bad.json")); err == nil || !strings.Contains(err.Error(), "corrupt") {
		t.Fatalf("corrupt file: %v", err)
	}
}
