package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rocketkit/rocketkit/protocol/message"
)

// replicaMsgs returns n messages over topics A (4 queues) and B (2
// queues), with tags and keys, some with large bodies.
func replicaMsgs(from, n int) []msg {
	var out []msg
	for i := from; i < from+n; i++ {
		m := msg{topic: "A", queue: int32(i % 4), tags: "TagA", keys: []string{fmt.Sprintf("k%d", i), "shared"},
			uniq: fmt.Sprintf("U%08d", i), body: body(i)}
		if i%3 == 0 {
			m.topic, m.queue, m.tags = "B", int32(i%2), "TagB"
		}
		if i%17 == 5 {
			m.body += strings.Repeat("x", 1500+i) // larger than a ReadLog chunk
		}
		out = append(out, m)
	}
	return out
}

// fillMaster appends msgs to s as the broker does: one at a time, and
// every fifth call a batch of three.
func fillMaster(t testing.TB, s *Store, ms []msg) {
	t.Helper()
	for i := 0; i < len(ms); {
		k := 1
		if i%5 == 4 {
			k = min(3, len(ms)-i)
		}
		var es []Entry
		for _, m := range ms[i : i+k] {
			es = append(es, m.entry())
		}
		if _, err := s.Append(context.Background(), es); err != nil {
			t.Fatalf("Append: %v", err)
		}
		i += k
	}
}

// replicate copies master's log to slave chunk by chunk (ReadLog with
// chunk as max) and returns the number of chunks.
func replicate(t testing.TB, master, slave *Store, chunk int) int {
	t.Helper()
	n := 0
	var buf []byte
	for {
		from := slave.MaxPhysicalOffset()
		var err error
		buf, err = master.ReadLog(buf[:0], from, chunk)
		if err != nil {
			t.Fatalf("ReadLog(%d, %d): %v", from, chunk, err)
		}
		if len(buf) == 0 {
			if from != master.MaxPhysicalOffset() {
				t.Fatalf("ReadLog(%d) returned nothing below the max %d", from, master.MaxPhysicalOffset())
			}
			return n
		}
		if size := int(recSize(buf)); len(buf) > chunk && len(buf) != size {
			t.Fatalf("ReadLog(%d, %d) returned %d bytes: more than max and more than one record (%d)", from, chunk, len(buf), size)
		}
		if err := slave.AppendReplica(from, buf); err != nil {
			t.Fatalf("AppendReplica(%d, %d bytes): %v", from, len(buf), err)
		}
		n++
	}
}

// sameStores asserts that slave reads like master: the whole log, every
// queue's range and records, every record by offset, every key query.
func sameStores(t testing.TB, master, slave *Store, ms []msg) {
	t.Helper()
	if a, b := master.MaxPhysicalOffset(), slave.MaxPhysicalOffset(); a != b {
		t.Fatalf("max physical offset: master %d, slave %d", a, b)
	}
	if a, b := master.MinPhysicalOffset(), slave.MinPhysicalOffset(); a != b {
		t.Fatalf("min physical offset: master %d, slave %d", a, b)
	}
	logA, err := master.ReadLog(nil, master.MinPhysicalOffset(), 1<<30)
	if err != nil {
		t.Fatal(err)
	}
	logB, err := slave.ReadLog(nil, slave.MinPhysicalOffset(), 1<<30)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(logA, logB) {
		t.Fatalf("logs differ: master %d bytes, slave %d", len(logA), len(logB))
	}
	if a, b := master.Queues(), slave.Queues(); !slices.Equal(a, b) {
		t.Fatalf("queues: master %v, slave %v", a, b)
	}
	for _, id := range master.Queues() {
		lo, hi := master.QueueRange(id.Topic, id.QueueID)
		slo, shi := slave.QueueRange(id.Topic, id.QueueID)
		if lo != slo || hi != shi {
			t.Fatalf("%v: range master [%d, %d), slave [%d, %d)", id, lo, hi, slo, shi)
		}
		for off := lo; off < hi; {
			a, errA := master.Get(id.Topic, id.QueueID, off, 7, nil, nil)
			b, errB := slave.Get(id.Topic, id.QueueID, off, 7, nil, nil)
			if errA != nil || errB != nil {
				t.Fatalf("%v @%d: Get: master %v, slave %v", id, off, errA, errB)
			}
			if a.Status != GetFound || b.Status != a.Status || b.NextBeginOffset != a.NextBeginOffset || !bytes.Equal(a.Records, b.Records) {
				t.Fatalf("%v @%d: master %v next %d (%d bytes), slave %v next %d (%d bytes)", id, off,
					a.Status, a.NextBeginOffset, len(a.Records), b.Status, b.NextBeginOffset, len(b.Records))
			}
			for _, m := range decodeAll(t, a.Records) {
				ra, errA := master.ReadRecord(m.CommitLogOffset)
				rb, errB := slave.ReadRecord(m.CommitLogOffset)
				if errA != nil || errB != nil || !bytes.Equal(ra, rb) {
					t.Fatalf("ReadRecord(%d): master %v, slave %v", m.CommitLogOffset, errA, errB)
				}
				// The tags code drives broker-side filtering: equal too.
				ea := master.queue(id.Topic, id.QueueID).appendEntries(nil, m.QueueOffset, 1)
				eb := slave.queue(id.Topic, id.QueueID).appendEntries(nil, m.QueueOffset, 1)
				if !bytes.Equal(ea, eb) {
					t.Fatalf("%v @%d: consume-queue entry master %x, slave %x", id, m.QueueOffset, ea, eb)
				}
			}
			off = a.NextBeginOffset
		}
		if ts := int64(1); master.SearchOffset(id.Topic, id.QueueID, ts) != slave.SearchOffset(id.Topic, id.QueueID, ts) {
			t.Fatalf("%v: SearchOffset differs", id)
		}
	}
	keys := map[[2]string]bool{{"A", "shared"}: true, {"B", "shared"}: true, {"A", "nope"}: true}
	for _, m := range ms {
		keys[[2]string{m.topic, m.keys[0]}] = true
		keys[[2]string{m.topic, m.uniq}] = true
	}
	for k := range keys {
		a, errA := master.QueryByKey(k[0], k[1], 1000, 0, 0)
		b, errB := slave.QueryByKey(k[0], k[1], 1000, 0, 0)
		if errA != nil || errB != nil || !slices.Equal(a, b) {
			t.Fatalf("QueryByKey(%s, %s): master %v %v, slave %v %v", k[0], k[1], a, errA, b, errB)
		}
	}
}

func TestReplicaRoundTrip(t *testing.T) {
	master := openStore(t, Config{Dir: t.TempDir(), SegmentSize: 4096})
	ms := replicaMsgs(0, 120)
	fillMaster(t, master, ms)
	if len(segmentFiles(t, master.dir)) < 5 {
		t.Fatalf("want several master segments, got %d", len(segmentFiles(t, master.dir)))
	}

	slaveDir := t.TempDir()
	var woken sync.Map // QueueID -> *atomic.Int64
	onAppend := func(topic string, q int32) {
		v, _ := woken.LoadOrStore(QueueID{topic, q}, new(atomic.Int64))
		v.(*atomic.Int64).Add(1)
	}
	// The slave's segments are smaller than the master's: it rolls at its
	// own record boundaries and keeps every offset.
	slaveCfg := Config{Dir: slaveDir, SegmentSize: 3000, OnAppend: onAppend}
	slave, err := Open(slaveCfg)
	if err != nil {
		t.Fatal(err)
	}
	chunks := replicate(t, master, slave, 700)
	if chunks < 20 {
		t.Fatalf("only %d chunks: the test should copy in many small pieces", chunks)
	}
	sameStores(t, master, slave, ms)
	for _, id := range master.Queues() {
		v, ok := woken.Load(id)
		if !ok || v.(*atomic.Int64).Load() == 0 {
			t.Fatalf("OnAppend never called for %v", id)
		}
	}
	checkSegments(t, slave, 3000)
	if a, b := segmentFiles(t, master.dir), segmentFiles(t, slaveDir); len(a) >= len(b) {
		t.Fatalf("the slave (3000-byte segments) should have more segments than the master (4096): %d, %d", len(b), len(a))
	}

	// A clean reopen reads the same.
	if err := slave.Close(); err != nil {
		t.Fatal(err)
	}
	slaveCfg.OnAppend = nil
	slave = openStore(t, slaveCfg)
	if ri := slave.Recovery(); ri.Crashed || ri.DroppedBytes != 0 || ri.SetAside != 0 {
		t.Fatalf("clean reopen of the slave recovered something: %+v", ri)
	}
	sameStores(t, master, slave, ms)

	// More records, replicated after the reopen, then a crash (a copy of
	// the directory without Close, before any checkpoint covers the tail).
	more := replicaMsgs(120, 60)
	fillMaster(t, master, more)
	replicate(t, master, slave, 1000)
	sameStores(t, master, slave, append(ms, more...))
	crashDir := t.TempDir()
	copyDir(t, slaveDir, crashDir)
	crashed := openStore(t, Config{Dir: crashDir, SegmentSize: 3000})
	if ri := crashed.Recovery(); !ri.Crashed || ri.DroppedBytes != 0 || ri.End != master.MaxPhysicalOffset() {
		t.Fatalf("crash recovery of the slave: %+v, want every byte kept up to %d", ri, master.MaxPhysicalOffset())
	}
	sameStores(t, master, crashed, append(ms, more...))
	// And it goes on replicating.
	last := replicaMsgs(180, 10)
	fillMaster(t, master, last)
	replicate(t, master, crashed, 32<<10)
	sameStores(t, master, crashed, append(append(ms, more...), last...))
}

// TestReplicaFollowsTopicDeletion: a topic the master deletes and then
// receives again starts its queues at 0; the slave deletes it as well at
// that record and keeps replicating, whether the restart comes at the
// start of a batch or after older records of the topic in the same batch,
// and reads like the master after a reopen and after a crash.
func TestReplicaFollowsTopicDeletion(t *testing.T) {
	master := openStore(t, Config{Dir: t.TempDir(), SegmentSize: 4096})
	slaveDir := t.TempDir()
	slave := openStore(t, Config{Dir: slaveDir, SegmentSize: 4096})
	var all []msg
	fill := func(from, n int) {
		ms := replicaMsgs(from, n)
		fillMaster(t, master, ms)
		all = append(all, ms...)
	}
	fill(0, 60)
	replicate(t, master, slave, 700)
	if _, hi := slave.QueueRange("A", 1); hi == 0 {
		t.Fatal("the slave has no A/1 records before the deletion")
	}

	// The restart at the start of a batch: the slave has every old record.
	if err := master.DeleteTopic("A"); err != nil {
		t.Fatal(err)
	}
	fill(60, 40)
	if lo, hi := master.QueueRange("A", 1); lo != 0 || hi == 0 || hi > 40 {
		t.Fatalf("master A/1 after deletion: [%d, %d), want a fresh queue", lo, hi)
	}
	replicate(t, master, slave, 700)
	sameStores(t, master, slave, all)

	// The restart inside a batch: old A records, the deletion, new ones,
	// all in one chunk.
	fill(100, 30)
	if err := master.DeleteTopic("A"); err != nil {
		t.Fatal(err)
	}
	fill(130, 30)
	if chunks := replicate(t, master, slave, 1<<20); chunks != 1 {
		t.Fatalf("%d chunks, want the old and the restarted records in one", chunks)
	}
	sameStores(t, master, slave, all)

	// A crash copy and a clean reopen recover the deletions.
	crashDir := t.TempDir()
	copyDir(t, slaveDir, crashDir)
	sameStores(t, master, openStore(t, Config{Dir: crashDir, SegmentSize: 4096}), all)
	if err := slave.Close(); err != nil {
		t.Fatal(err)
	}
	slave = openStore(t, Config{Dir: slaveDir, SegmentSize: 4096})
	sameStores(t, master, slave, all)
	fill(160, 10)
	replicate(t, master, slave, 700)
	sameStores(t, master, slave, all)
}

// checkSegments asserts that every segment of s but the last holds whole
// records and is at most segSize bytes, or holds a single larger record.
func checkSegments(t testing.TB, s *Store, segSize int64) {
	t.Helper()
	segs := s.cl.segments()
	for i, seg := range segs[:len(segs)-1] {
		size := segs[i+1].base - seg.base
		rec, err := s.ReadRecord(seg.base)
		if err != nil {
			t.Fatalf("segment %d does not start with a record: %v", seg.base, err)
		}
		if size > segSize && int64(len(rec)) != size {
			t.Fatalf("segment %d holds %d bytes, more than %d", seg.base, size, segSize)
		}
	}
}

// TestReplicaRebuildFromScratch: a slave whose consume queues, index and
// checkpoint are lost rebuilds them from the replicated log alone, equal
// to the master's (so AppendReplica dispatches as recovery does).
func TestReplicaRebuildFromScratch(t *testing.T) {
	master := openStore(t, Config{Dir: t.TempDir(), SegmentSize: 4096})
	ms := replicaMsgs(0, 80)
	fillMaster(t, master, ms)
	dir := t.TempDir()
	slave, err := Open(Config{Dir: dir, SegmentSize: 5000})
	if err != nil {
		t.Fatal(err)
	}
	replicate(t, master, slave, 2000)
	if err := slave.Close(); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"consumequeue", "index", "checkpoint"} {
		if err := os.RemoveAll(slave.path(p)); err != nil {
			t.Fatal(err)
		}
	}
	rebuilt := openStore(t, Config{Dir: dir, SegmentSize: 5000})
	if ri := rebuilt.Recovery(); ri.FromCheckpoint || ri.Replayed != int64(len(ms)) {
		t.Fatalf("rebuild: %+v, want %d records replayed from the start", ri, len(ms))
	}
	sameStores(t, master, rebuilt, ms)
}

// encodeAt encodes m as a record at log offset phys with queue offset
// qoff, as a master would have stored it.
func encodeAt(m msg, qoff, phys int64) []byte {
	return encodeAtTime(m, qoff, phys, 1_700_000_000_000+phys)
}

func encodeAtTime(m msg, qoff, phys, ts int64) []byte {
	rec := m.entry().Record
	message.PatchOffsets(rec, qoff, phys, ts)
	return rec
}

// TestAppendReplicaKeepsTimestamps: replicated records keep the master's
// store timestamps, even ahead of the slave's clock, and a later Append on
// the store (after a promotion) never stores an older one, so store
// timestamps never decrease within the log (SearchOffset relies on it).
func TestAppendReplicaKeepsTimestamps(t *testing.T) {
	dir := t.TempDir()
	s := openStore(t, Config{Dir: dir})
	ahead := time.Now().Add(time.Hour).UnixMilli()
	r0 := encodeAtTime(msg{topic: "T", body: "from the master"}, 0, 0, ahead)
	if err := s.AppendReplica(0, r0); err != nil {
		t.Fatal(err)
	}
	got := getAll(t, s, "T", 0)
	if len(got) != 1 || got[0].StoreTimestamp != ahead {
		t.Fatalf("replicated record: %+v, want store time %d", got, ahead)
	}
	res := appendMsgs(t, s, msg{topic: "T", body: "after promotion"})
	if res[0].StoreTimestamp < ahead {
		t.Fatalf("Append after AppendReplica stored time %d, before the replicated %d", res[0].StoreTimestamp, ahead)
	}
	if off := s.SearchOffset("T", 0, ahead); off != 0 {
		t.Fatalf("SearchOffset(%d) = %d, want 0", ahead, off)
	}
	// Recovery agrees (the checkpoint's store time, or the scan).
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openStore(t, Config{Dir: dir})
	if res := appendMsgs(t, s, msg{topic: "T", body: "after reopen"}); res[0].StoreTimestamp < ahead {
		t.Fatalf("after reopen: store time %d before %d", res[0].StoreTimestamp, ahead)
	}
}

func TestAppendReplicaRefuses(t *testing.T) {
	master := openStore(t, Config{Dir: t.TempDir()})
	fillMaster(t, master, replicaMsgs(0, 10))
	all, err := master.ReadLog(nil, 0, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	first := int(recSize(all))
	second := int(recSize(all[first:]))
	flip := func(b []byte, i int) []byte { b = bytes.Clone(b); b[i] ^= 0x40; return b }
	// The first body byte of a record with IPv4 hosts (as msg.entry makes).
	const bodyPos = posBornHost + hostV4 + 8 + hostV4 + 4 + 8 + 4
	// a0 is the master's first record (A/... queue offset 0, at 0).
	a0 := all[:first]

	tests := []struct {
		name    string
		at      int64
		records []byte
		want    error
	}{
		{"an empty store's first batch not at the offset it claims", 100, a0, ErrInvalidReplica},
		{"gap behind", -1, a0, ErrReplicaGap},
		{"not at its offset", 0, all[first : first+second], ErrInvalidReplica},
		{"truncated", 0, all[:first+second-1], ErrInvalidReplica},
		{"trailing bytes", 0, append(bytes.Clone(a0), 0, 0, 0), ErrInvalidReplica},
		{"corrupted body byte", 0, flip(all[:first+second], first+bodyPos), ErrInvalidReplica},
		{"corrupted body byte in the first record", 0, flip(a0, bodyPos), ErrInvalidReplica},
		{"bad magic", 0, flip(a0, posMagic), ErrInvalidReplica},
		{"size too small", 0, append([]byte{0, 0, 0, 10}, a0[4:]...), ErrInvalidReplica},
		{"size too large", 0, append([]byte{0x7f, 0, 0, 0}, a0[4:]...), ErrInvalidReplica},
		{"queue offset ahead", 0, encodeAt(msg{topic: "A", queue: 0, body: "x"}, 1, 0), ErrInvalidReplica},
		{"queue offsets not consecutive", 0, func() []byte {
			r0 := encodeAt(msg{topic: "A", queue: 0, body: "x"}, 0, 0)
			return append(r0, encodeAt(msg{topic: "A", queue: 0, body: "y"}, 2, int64(len(r0)))...)
		}(), ErrInvalidReplica},
		{"queue offset repeated", 0, func() []byte {
			r0 := encodeAt(msg{topic: "A", queue: 0, body: "x"}, 0, 0)
			r1 := encodeAt(msg{topic: "A", queue: 0, body: "y"}, 1, int64(len(r0)))
			return append(append(r0, r1...), encodeAt(msg{topic: "A", queue: 0, body: "z"}, 1, int64(len(r0)+len(r1)))...)
		}(), ErrInvalidReplica},
		{"illegal topic", 0, encodeAt(msg{topic: "..", queue: 0, body: "x"}, 0, 0), ErrInvalidReplica},
		{"negative queue", 0, encodeAt(msg{topic: "A", queue: -1, body: "x"}, 0, 0), ErrInvalidReplica},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var calls atomic.Int64
			dir := t.TempDir()
			slave := openStore(t, Config{Dir: dir, OnAppend: func(string, int32) { calls.Add(1) }})
			err := slave.AppendReplica(tt.at, tt.records)
			if !errors.Is(err, tt.want) {
				t.Fatalf("AppendReplica: %v, want %v", err, tt.want)
			}
			t.Log(err)
			if slave.MaxPhysicalOffset() != 0 || len(slave.Queues()) != 0 || calls.Load() != 0 {
				t.Fatalf("a refused batch left something: max %d, queues %v, OnAppend %d",
					slave.MaxPhysicalOffset(), slave.Queues(), calls.Load())
			}
			if r, err := slave.QueryByKey("A", "shared", 10, 0, 0); err != nil || len(r) != 0 {
				t.Fatalf("a refused batch was indexed: %v %v", r, err)
			}
			// Nothing half-written: the same store takes the real log.
			if err := slave.AppendReplica(0, all); err != nil {
				t.Fatalf("AppendReplica after a refusal: %v", err)
			}
			if err := slave.Close(); err != nil {
				t.Fatal(err)
			}
			reopened := openStore(t, Config{Dir: dir})
			if reopened.MaxPhysicalOffset() != master.MaxPhysicalOffset() || reopened.Recovery().DroppedBytes != 0 {
				t.Fatalf("reopened after a refusal: max %d, recovery %+v", reopened.MaxPhysicalOffset(), reopened.Recovery())
			}
		})
	}

	t.Run("gap names both offsets", func(t *testing.T) {
		slave := openStore(t, Config{Dir: t.TempDir()})
		if err := slave.AppendReplica(0, a0); err != nil {
			t.Fatal(err)
		}
		err := slave.AppendReplica(12345, all[first:first+second])
		if !errors.Is(err, ErrReplicaGap) || !strings.Contains(err.Error(), "12345") || !strings.Contains(err.Error(), fmt.Sprint(" ", first)) {
			t.Fatalf("gap error %q should name 12345 and %d", err, first)
		}
	})
	t.Run("queue offset behind an existing queue", func(t *testing.T) {
		slave := openStore(t, Config{Dir: t.TempDir()})
		if err := slave.AppendReplica(0, all); err != nil {
			t.Fatal(err)
		}
		at := slave.MaxPhysicalOffset()
		_, hi := master.QueueRange("A", 0)
		// A/0's last offset again (0 would be the topic starting over).
		err := slave.AppendReplica(at, encodeAt(msg{topic: "A", queue: 0, body: "dup"}, hi-1, at))
		if !errors.Is(err, ErrInvalidReplica) || slave.MaxPhysicalOffset() != at {
			t.Fatalf("duplicate queue offset: %v, max %d", err, slave.MaxPhysicalOffset())
		}
		if err := slave.AppendReplica(at, encodeAt(msg{topic: "A", queue: 0, body: "next"}, hi, at)); err != nil {
			t.Fatalf("next queue offset refused: %v", err)
		}
	})
	t.Run("empty", func(t *testing.T) {
		slave := openStore(t, Config{Dir: t.TempDir()})
		if err := slave.AppendReplica(0, nil); err != nil {
			t.Fatal(err)
		}
		if err := slave.AppendReplica(5, nil); !errors.Is(err, ErrReplicaGap) {
			t.Fatalf("empty batch at a gap: %v", err)
		}
	})
	t.Run("closed", func(t *testing.T) {
		slave := openStore(t, Config{Dir: t.TempDir()})
		_ = slave.Close()
		if err := slave.AppendReplica(0, all); !errors.Is(err, ErrClosed) {
			t.Fatalf("after Close: %v", err)
		}
		if _, err := slave.ReadLog(nil, 0, 10); !errors.Is(err, ErrClosed) {
			t.Fatalf("ReadLog after Close: %v", err)
		}
	})
}

func TestReadLog(t *testing.T) {
	s := openStore(t, Config{Dir: t.TempDir(), SegmentSize: 1000})
	res := appendMsgs(t, s, msg{topic: "T", body: "a"}, msg{topic: "T", body: strings.Repeat("b", 2000)},
		msg{topic: "T", body: "c"}, msg{topic: "T", body: "d"})
	end := s.MaxPhysicalOffset()
	size := func(i int) int { return int(res[i].Size) }

	tests := []struct {
		name string
		from int64
		max  int
		want []int // indexes of the records returned
		err  error
	}{
		{"one record that fits", 0, size(0), []int{0}, nil},
		{"max below the first record", 0, 1, []int{0}, nil},
		{"max 0", 0, 0, []int{0}, nil},
		{"max negative", 0, -5, []int{0}, nil},
		{"a record larger than max alone", res[1].CommitLogOffset, 100, []int{1}, nil},
		{"stops before a record that does not fit", 0, size(0) + 10, []int{0}, nil},
		{"spans segments", 0, 1 << 20, []int{0, 1, 2, 3}, nil},
		{"from the middle", res[2].CommitLogOffset, 1 << 20, []int{2, 3}, nil},
		{"at the end", end, 100, nil, nil},
		{"above the end", end + 1, 100, nil, ErrNotFound},
		{"negative", -1, 100, nil, ErrNotFound},
		{"not a record boundary", 5, 1 << 20, nil, ErrNotFound},
		{"inside a record, past its header", res[1].CommitLogOffset + 200, 1 << 20, nil, ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			prefix := []byte("prefix")
			got, err := s.ReadLog(prefix, tt.from, tt.max)
			if !errors.Is(err, tt.err) {
				t.Fatalf("ReadLog(%d, %d): %v, want %v", tt.from, tt.max, err, tt.err)
			}
			if !bytes.HasPrefix(got, prefix) {
				t.Fatalf("ReadLog dropped dst's content")
			}
			var want []byte
			for _, i := range tt.want {
				r, err := s.ReadRecord(res[i].CommitLogOffset)
				if err != nil {
					t.Fatal(err)
				}
				want = append(want, r...)
			}
			if !bytes.Equal(got[len(prefix):], want) {
				t.Fatalf("ReadLog(%d, %d) = %d bytes, want %d", tt.from, tt.max, len(got)-len(prefix), len(want))
			}
			if err != nil {
				t.Log(err)
			}
		})
	}
}

func TestReadLogBelowRetention(t *testing.T) {
	var clk fakeClock
	var usage atomic.Int64
	clk.set(time.Date(2026, 1, 1, 4, 0, 0, 0, time.Local))
	s := retentionStore(t, t.TempDir(), &clk, &usage, Retention{ReservedTime: -1, DeleteInterval: -1})
	fillRetention(t, s, 0, 200)
	if n, err := s.deleteSegments(clk.now(), true); err != nil || n == 0 {
		t.Fatalf("clean: %d %v", n, err)
	}
	lo := s.MinPhysicalOffset()
	_, err := s.ReadLog(nil, 0, 100)
	if !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "below the min") {
		t.Fatalf("ReadLog below min: %v", err)
	}
	if b, err := s.ReadLog(nil, lo, 100); err != nil || len(b) == 0 {
		t.Fatalf("ReadLog at min %d: %d bytes, %v", lo, len(b), err)
	}
}

// TestReplicaStartsMidLog: an empty slave starts at a master whose log no
// longer begins at 0 (its first batch is at the master's first offset):
// it reads like the master, each queue beginning where the master's does
// now, and crash copies and a reopen keep the start.
func TestReplicaStartsMidLog(t *testing.T) {
	var clk fakeClock
	var usage atomic.Int64
	clk.set(time.Date(2026, 1, 1, 4, 0, 0, 0, time.Local))
	master := retentionStore(t, t.TempDir(), &clk, &usage, Retention{ReservedTime: -1, DeleteInterval: -1})
	fillRetention(t, master, 0, 200)
	if n, err := master.deleteSegments(clk.now(), true); err != nil || n == 0 {
		t.Fatalf("clean: %d %v", n, err)
	}
	lo := master.MinPhysicalOffset()
	if qlo, _ := master.QueueRange("T", 1); lo == 0 || qlo == 0 {
		t.Fatalf("the master's log and queue T/1 should begin above 0: %d, %d", lo, qlo)
	}
	var keys []msg
	for _, i := range []int{3, 150, 199, 205} {
		keys = append(keys, msg{topic: "T", keys: []string{fmt.Sprintf("k%d", i)}, uniq: "none"})
	}

	slaveCfg := Config{Dir: t.TempDir(), SegmentSize: 4096, cqFileEntries: 8}
	slave := openStore(t, slaveCfg)
	// A first batch whose records are not at the offset it claims is
	// refused and leaves the store empty.
	first := mustReadLog(t, master, lo)
	if err := slave.AppendReplica(lo+int64(len(first)), first); !errors.Is(err, ErrInvalidReplica) {
		t.Fatalf("records of %d appended at %d: %v", lo, lo+int64(len(first)), err)
	}
	if err := slave.AppendReplica(lo, nil); !errors.Is(err, ErrReplicaGap) {
		t.Fatalf("an empty batch at %d: %v, want a gap", lo, err)
	}
	if slave.MaxPhysicalOffset() != 0 || slave.MinPhysicalOffset() != 0 {
		t.Fatalf("refused batches moved the log: [%d, %d)", slave.MinPhysicalOffset(), slave.MaxPhysicalOffset())
	}
	if err := slave.AppendReplica(lo, first); err != nil {
		t.Fatal(err)
	}
	if slave.MinPhysicalOffset() != lo || slave.MaxPhysicalOffset() != lo+int64(len(first)) {
		t.Fatalf("after the first batch at %d: log [%d, %d)", lo, slave.MinPhysicalOffset(), slave.MaxPhysicalOffset())
	}
	// The start is durable: a crash right after keeps it.
	crash0 := t.TempDir()
	copyDir(t, slaveCfg.Dir, crash0)
	if c := openStore(t, Config{Dir: crash0, SegmentSize: 4096}); c.MinPhysicalOffset() != lo || c.MaxPhysicalOffset() != slave.MaxPhysicalOffset() {
		t.Fatalf("crash copy after the first batch: log [%d, %d)", c.MinPhysicalOffset(), c.MaxPhysicalOffset())
	}
	replicate(t, master, slave, 700)
	sameStores(t, master, slave, keys)

	fillRetention(t, master, 200, 30)
	replicate(t, master, slave, 700)
	sameStores(t, master, slave, keys)
	crashDir := t.TempDir()
	copyDir(t, slaveCfg.Dir, crashDir)
	crashCfg := slaveCfg
	crashCfg.Dir = crashDir
	sameStores(t, master, openStore(t, crashCfg), keys)
	if err := slave.Close(); err != nil {
		t.Fatal(err)
	}
	slave = openStore(t, slaveCfg)
	sameStores(t, master, slave, keys)

	if err := openStore(t, Config{Dir: t.TempDir()}).AppendReplica(-5, first); !errors.Is(err, ErrReplicaGap) {
		t.Fatalf("a batch at -5: %v", err)
	}
}

// TestReplicaPromotion: a slave's store that took AppendReplica becomes a
// master's (Append), and a master's store goes on as a slave of another
// with the same log: offsets and timestamps continue.
func TestReplicaPromotion(t *testing.T) {
	master := openStore(t, Config{Dir: t.TempDir(), SegmentSize: 4096})
	ms := replicaMsgs(0, 40)
	fillMaster(t, master, ms)
	dir := t.TempDir()
	slave := openStore(t, Config{Dir: dir, SegmentSize: 4096})
	replicate(t, master, slave, 4096)
	wantNext := map[QueueID]int64{}
	for _, id := range master.Queues() {
		_, wantNext[id] = master.QueueRange(id.Topic, id.QueueID)
	}
	// Store timestamps of the master may lie ahead of the slave's clock.
	lastTs := int64(0)
	for _, id := range master.Queues() {
		for _, m := range getAll(t, master, id.Topic, id.QueueID) {
			lastTs = max(lastTs, m.StoreTimestamp)
		}
	}
	res := appendMsgs(t, slave, msg{topic: "A", queue: 1, body: "promoted"}, msg{topic: "C", queue: 0, body: "new"})
	if res[0].QueueOffset != wantNext[QueueID{"A", 1}] || res[0].CommitLogOffset != master.MaxPhysicalOffset() ||
		res[1].QueueOffset != 0 || res[0].StoreTimestamp < lastTs {
		t.Fatalf("Append after AppendReplica: %+v, want queue offset %d at %d, time >= %d",
			res, wantNext[QueueID{"A", 1}], master.MaxPhysicalOffset(), lastTs)
	}
	got := getAll(t, slave, "A", 1)
	if n := len(got); n != int(wantNext[QueueID{"A", 1}])+1 || string(got[n-1].Body) != "promoted" {
		t.Fatalf("A/1 after promotion: %d records", n)
	}
	// And the old master follows the promoted one from where they agree.
	if err := master.AppendReplica(master.MaxPhysicalOffset(), mustReadLog(t, slave, master.MaxPhysicalOffset())); err != nil {
		t.Fatalf("old master as a slave: %v", err)
	}
	sameStores(t, slave, master, ms)
}

func mustReadLog(t testing.TB, s *Store, from int64) []byte {
	t.Helper()
	b, err := s.ReadLog(nil, from, 1<<30)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestAppendReplicaFlushSync: a FlushSync slave does not wait for a sync
// (the flusher would only run after FlushInterval, an hour here).
func TestAppendReplicaFlushSync(t *testing.T) {
	master := openStore(t, Config{Dir: t.TempDir()})
	fillMaster(t, master, replicaMsgs(0, 5))
	slave := openStore(t, Config{Dir: t.TempDir(), FlushMode: FlushSync, FlushInterval: time.Hour, CheckpointInterval: time.Hour})
	done := make(chan error, 1)
	go func() { done <- slave.AppendReplica(0, mustReadLog(t, master, 0)) }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("AppendReplica waited for a flush")
	}
}

// TestAppendReplicaConcurrent replicates while readers read the slave and
// its cleaner deletes segments (the disk is "full"): run with -race. The
// slave ends with every queue's max equal to the master's and reads what
// retention left.
func TestAppendReplicaConcurrent(t *testing.T) {
	master := openStore(t, Config{Dir: t.TempDir(), SegmentSize: 8192})
	ms := replicaMsgs(0, 400)
	var usage atomic.Int64
	slave := openStore(t, Config{Dir: t.TempDir(), SegmentSize: 4096, Retention: Retention{
		ReservedTime: -1, DeleteInterval: -1, CleanInterval: time.Millisecond,
		DeleteHours: []int{(time.Now().Hour() + 12) % 24}, // only when "full"
		DiskUsage:   func(string) (float64, error) { return float64(usage.Load()) / 100, nil },
	}})
	usage.Store(99) // forced clean, every millisecond

	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for r := range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				for _, id := range slave.Queues() {
					lo, hi := slave.QueueRange(id.Topic, id.QueueID)
					if _, err := slave.Get(id.Topic, id.QueueID, lo+(hi-lo)/2, 8, nil, nil); err != nil && !errors.Is(err, ErrNotFound) {
						t.Errorf("Get: %v", err)
						return
					}
				}
				if _, err := slave.ReadLog(nil, slave.MinPhysicalOffset(), 2000); err != nil && !errors.Is(err, ErrNotFound) {
					t.Errorf("ReadLog: %v", err)
					return
				}
				if _, err := slave.QueryByKey("A", fmt.Sprintf("k%d", r), 4, 0, 0); err != nil {
					t.Errorf("QueryByKey: %v", err)
					return
				}
			}
		}()
	}
	for i := 0; i < len(ms); i += 40 {
		fillMaster(t, master, ms[i:i+40])
		replicate(t, master, slave, 1500)
	}
	// The cleaner runs on its own timer: on a busy machine the replication
	// above can end before its first deletion. Wait for one, the readers
	// still running, before they stop.
	deadline := time.Now().Add(30 * time.Second)
	for slave.MinPhysicalOffset() == 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond) // polling the cleaner's effect; it signals nothing
	}
	cancel()
	wg.Wait()
	usage.Store(0) // the cleaner stops deleting (a run in flight may finish)
	if slave.MinPhysicalOffset() == 0 {
		t.Fatal("the slave's cleaner deleted nothing in 30s")
	}
	if slave.MaxPhysicalOffset() != master.MaxPhysicalOffset() {
		t.Fatalf("slave max %d, master %d", slave.MaxPhysicalOffset(), master.MaxPhysicalOffset())
	}
	for _, id := range master.Queues() {
		_, a := master.QueueRange(id.Topic, id.QueueID)
		lo, b := slave.QueueRange(id.Topic, id.QueueID)
		if a != b {
			t.Fatalf("%v: slave max %d, master %d", id, b, a)
		}
		for lo < b {
			r, err := slave.Get(id.Topic, id.QueueID, lo, 1000, nil, nil)
			if err == nil && r.Status == GetFound {
				break
			}
			if err != nil || r.Status != GetOffsetMoved || r.NextBeginOffset <= lo {
				t.Fatalf("%v: read at the slave's min %d: %v %v", id, lo, r.Status, err)
			}
			lo = r.NextBeginOffset // the last clean moved it meanwhile
		}
	}
}
