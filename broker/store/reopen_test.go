package store

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// queryAll checks that every key of messages 0..n-1 is found exactly once.
func queryAll(t *testing.T, s *Store, n int) {
	t.Helper()
	for i := range n {
		for _, k := range []string{"key-" + body(i), "U" + body(i)} {
			got, err := s.QueryByKey("T", k, 4, 0, 0)
			if err != nil || len(got) != 1 {
				t.Fatalf("key %s: %v %v", k, got, err)
			}
		}
	}
}

// ixSlotsValid returns the slotsValid field of the only index file.
func ixSlotsValid(t *testing.T, dir string) uint32 {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, "index", "*"))
	if len(files) != 1 {
		t.Fatalf("index files: %v", files)
	}
	b, err := os.ReadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	return binary.BigEndian.Uint32(b[20:])
}

// A clean Close saves the active index slot table; Open uses it, later
// appends extend it, and a crash after them still finds every key.
func TestIndexSlotsSavedAtClose(t *testing.T) {
	dir := t.TempDir()
	s := openStore(t, noCk(dir, 1<<20))
	fillStore(t, s, 0, 30)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if got := ixSlotsValid(t, dir); got != 60 {
		t.Fatalf("slotsValid after Close = %d, want 60", got)
	}
	s = openStore(t, noCk(dir, 1<<20))
	queryAll(t, s, 30)
	fillStore(t, s, 30, 20)
	if err := s.checkpoint(); err != nil {
		t.Fatal(err)
	}
	fillStore(t, s, 50, 10) // after the checkpoint: replayed by recovery
	crashed := crashCopy(t, s)
	queryAll(t, s, 60)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if got := ixSlotsValid(t, dir); got != 120 {
		t.Fatalf("slotsValid after second Close = %d, want 120", got)
	}

	r := openStore(t, noCk(crashed, 1<<20))
	queryAll(t, r, 60)
	checkQueues(t, r, 60)
	r = openStore(t, noCk(dir, 1<<20))
	queryAll(t, r, 60)
	checkQueues(t, r, 60)
}

// A saved slot table pointing past the entries (a damaged header or table)
// is not trusted: the entries are checked from the first.
func TestIndexSlotsSavedButDamaged(t *testing.T) {
	dir := t.TempDir()
	s := openStore(t, noCk(dir, 1<<20))
	fillStore(t, s, 0, 20)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "index", "*"))
	f, err := os.OpenFile(files[0], os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	// Every slot claims entry 1000, beyond the 40 saved.
	var v [4]byte
	binary.BigEndian.PutUint32(v[:], 1000)
	for i := range int64(8) {
		if _, err := f.WriteAt(v[:], ixHeaderSize+4*i); err != nil {
			t.Fatal(err)
		}
	}
	_ = f.Close()
	r := openStore(t, noCk(dir, 1<<20))
	queryAll(t, r, 20)
}

// Consume queues larger than one in-memory chunk load intact, and a torn
// entry in a later chunk is cut there.
func TestQueueLoadAcrossChunks(t *testing.T) {
	dir := t.TempDir()
	s := openStore(t, noCk(dir, 1<<30))
	const n = 2*cqChunkEntries + 100
	es := make([]Entry, 0, 100)
	for i := 0; i < n; i += len(es) {
		es = es[:0]
		for j := i; j < min(n, i+100); j++ {
			es = append(es, msg{topic: "Q", body: body(j)}.entry())
		}
		if _, err := s.Append(t.Context(), es); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openStore(t, noCk(dir, 1<<30))
	if lo, hi := s.QueueRange("Q", 0); lo != 0 || hi != n {
		t.Fatalf("range after reopen = [%d, %d), want [0, %d)", lo, hi, n)
	}
	for _, o := range []int64{0, cqChunkEntries - 1, cqChunkEntries, n - 1} {
		r, err := s.Get("Q", 0, o, 1, nil, nil)
		if err != nil || r.Count != 1 {
			t.Fatalf("get %d: %v %+v", o, err, r)
		}
		if got := bodies(t, r.Records); got[0] != body(int(o)) {
			t.Fatalf("offset %d holds %q", o, got[0])
		}
	}
	crashed := crashCopy(t, s)
	cq := cqPath(crashed, QueueID{"Q", 0}, 0)
	// Tear the entry at cqChunkEntries+10: the queue keeps what precedes it
	// and recovery re-adds the rest from the log.
	truncate(t, cq, (cqChunkEntries+10)*cqEntrySize+7)
	r := openStore(t, noCk(crashed, 1<<30))
	if lo, hi := r.QueueRange("Q", 0); lo != 0 || hi != n {
		t.Fatalf("range after crash = [%d, %d), want [0, %d)", lo, hi, n)
	}
	res, err := r.Get("Q", 0, n-1, 1, nil, nil)
	if err != nil || res.Count != 1 || bodies(t, res.Records)[0] != body(n-1) {
		t.Fatalf("last after crash: %v %+v", err, res)
	}
}

// A checkpoint starts once CheckpointBytes were written, long before
// CheckpointInterval, so a crash afterwards replays only the rest.
func TestCheckpointByVolume(t *testing.T) {
	dir := t.TempDir()
	cfg := noCk(dir, 1<<20)
	cfg.CheckpointBytes = 4096
	s := openStore(t, cfg)
	fillStore(t, s, 0, 100) // about 20 KiB
	end := s.MaxPhysicalOffset()
	for {
		b, err := os.ReadFile(filepath.Join(dir, "checkpoint"))
		if err != nil {
			t.Fatal(err)
		}
		ck, err := unmarshalCheckpoint(b)
		if err != nil {
			t.Fatal(err)
		}
		if ck.Dispatched >= end-4096 {
			break
		}
		time.Sleep(time.Millisecond) // the test timeout bounds the wait
	}
	crashed := crashCopy(t, s)
	r := openStore(t, noCk(crashed, 1<<20))
	checkQueues(t, r, 100)
	queryAll(t, r, 100)
}
