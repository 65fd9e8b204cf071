package store

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/rocketkit/rocketkit/protocol/message"
)

func TestAppendGetRoundTrip(t *testing.T) {
	dir := t.TempDir()
	s := openStore(t, Config{Dir: dir, SegmentSize: 4096})
	const n = 200
	for i := range n {
		res := appendMsgs(t, s, msg{topic: "T", queue: int32(i % 3), tags: "A", body: body(i)})
		if res[0].QueueOffset != int64(i/3) {
			t.Fatalf("msg %d: queue offset %d, want %d", i, res[0].QueueOffset, i/3)
		}
	}
	if segs := segmentFiles(t, dir); len(segs) < 3 {
		t.Fatalf("expected several segments, got %v", segs)
	}
	for q := range int32(3) {
		got := getAll(t, s, "T", q)
		if len(got) != (n-int(q)+2)/3 {
			t.Fatalf("queue %d: %d records", q, len(got))
		}
		for j, m := range got {
			want := body(j*3 + int(q))
			if string(m.Body) != want || m.QueueOffset != int64(j) || m.QueueID != q {
				t.Fatalf("queue %d #%d: body %q off %d, want %q", q, j, m.Body, m.QueueOffset, want)
			}
			rec, err := s.ReadRecord(m.CommitLogOffset)
			if err != nil || int(recSize(rec)) != len(rec) || recPhysOffset(rec) != m.CommitLogOffset {
				t.Fatalf("ReadRecord(%d): %v", m.CommitLogOffset, err)
			}
		}
	}
	if _, err := s.ReadRecord(1); !errors.Is(err, ErrNotFound) {
		t.Fatalf("ReadRecord mid-record: %v, want ErrNotFound", err)
	}
	if _, err := s.ReadRecord(s.MaxPhysicalOffset()); !errors.Is(err, ErrNotFound) {
		t.Fatalf("ReadRecord at end: %v, want ErrNotFound", err)
	}
}

func TestAppendBatch(t *testing.T) {
	s := openStore(t, Config{Dir: t.TempDir()})
	appendMsgs(t, s, msg{topic: "T", queue: 1, body: "first"})
	ms := []msg{
		{topic: "T", queue: 0, body: "a"}, {topic: "T", queue: 1, body: "b"},
		{topic: "T", queue: 0, body: "c"}, {topic: "U", queue: 0, body: "d"},
	}
	var entries []Entry
	for _, m := range ms {
		entries = append(entries, m.entry())
	}
	orig := bytes.Clone(entries[0].Record)
	var woke sync.Map
	s.cfg.OnAppend = func(topic string, q int32) { woke.Store(QueueID{topic, q}, true) }
	res, err := s.Append(t.Context(), entries)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(orig, entries[0].Record) {
		t.Error("batch Append modified the caller's record")
	}
	wantQ := []int64{0, 1, 1, 0}
	pos := res[0].CommitLogOffset
	for i, r := range res {
		if r.QueueOffset != wantQ[i] || r.CommitLogOffset != pos || r.StoreTimestamp != res[0].StoreTimestamp {
			t.Errorf("result %d: %+v, want queue offset %d at %d", i, r, wantQ[i], pos)
		}
		pos += int64(r.Size)
	}
	if s.MaxPhysicalOffset() != pos {
		t.Errorf("MaxPhysicalOffset %d, want %d", s.MaxPhysicalOffset(), pos)
	}
	if got := bodies(t, mustGet(t, s, "T", 0, 0, 32, nil).Records); !slices.Equal(got, []string{"a", "c"}) {
		t.Errorf("T/0 = %v", got)
	}
	for _, id := range []QueueID{{"T", 0}, {"T", 1}, {"U", 0}} {
		if _, ok := woke.Load(id); !ok {
			t.Errorf("OnAppend not called for %v", id)
		}
	}
	if got := s.Queues(); !slices.Equal(got, []QueueID{{"T", 0}, {"T", 1}, {"U", 0}}) {
		t.Errorf("Queues() = %v", got)
	}
	if c := s.Counters(); c.PutMessages != 5 || c.Appends != 2 {
		t.Errorf("Counters() = %+v, want 5 messages in 2 appends", c)
	}
}

func TestAppendInvalidEntry(t *testing.T) {
	s := openStore(t, Config{Dir: t.TempDir()})
	good := msg{topic: "T", body: "x"}.entry()
	tests := []struct {
		name string
		e    Entry
	}{
		{"short record", Entry{Topic: "T", Record: good.Record[:50]}},
		{"truncated record", Entry{Topic: "T", Record: good.Record[:len(good.Record)-1]}},
		{"topic mismatch", Entry{Topic: "U", Record: good.Record}},
		{"queue mismatch", Entry{Topic: "T", QueueID: 3, Record: good.Record}},
		{"bad magic", Entry{Topic: "T", Record: append([]byte{0, 0, 0, byte(len(good.Record)), 1, 2, 3, 4}, good.Record[8:]...)}},
		{"path topic", msg{topic: "..", body: "x"}.entry()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := s.Append(t.Context(), []Entry{good, tt.e}); !errors.Is(err, ErrInvalidEntry) {
				t.Fatalf("err = %v, want ErrInvalidEntry", err)
			}
		})
	}
	if s.MaxPhysicalOffset() != 0 {
		t.Fatal("invalid batch stored something")
	}
	if c := s.Counters(); c.PutMessages != 0 || c.Appends != 0 {
		t.Errorf("Counters() = %+v after refused appends, want zero", c)
	}
}

func mustGet(t testing.TB, s *Store, topic string, q int32, off int64, n int, f Filter) GetResult {
	t.Helper()
	r, err := s.Get(topic, q, off, n, f, nil)
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	return r
}

func TestGetStatuses(t *testing.T) {
	s := openStore(t, Config{Dir: t.TempDir()})
	for i := range 10 {
		appendMsgs(t, s, msg{topic: "T", tags: "A", body: body(i)})
	}
	tests := []struct {
		name      string
		topic     string
		offset    int64
		maxMsgs   int
		filter    Filter
		status    GetStatus
		next      int64
		count     int
		min, max_ int64
	}{
		{"unknown queue at 0", "X", 0, 32, nil, GetNotFound, 0, 0, 0, 0},
		{"unknown queue past 0", "X", 5, 32, nil, GetOffsetMoved, 0, 0, 0, 0},
		{"below min", "T", -1, 32, nil, GetOffsetMoved, 0, 0, 0, 10},
		{"at max", "T", 10, 32, nil, GetNotFound, 10, 0, 0, 10},
		{"past max", "T", 12, 32, nil, GetOffsetMoved, 10, 0, 0, 10},
		{"all", "T", 0, 32, nil, GetFound, 10, 10, 0, 10},
		{"limited", "T", 3, 4, nil, GetFound, 7, 4, 0, 10},
		{"default max", "T", 0, 0, nil, GetFound, 10, 10, 0, 10},
		{"all filtered", "T", 2, 32, tagFilter("B"), GetNoMatched, 10, 0, 0, 10},
		{"filter window bounded", "T", 0, 0, tagFilter("B"), GetNoMatched, 10, 0, 0, 10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := mustGet(t, s, tt.topic, 0, tt.offset, tt.maxMsgs, tt.filter)
			if r.Status != tt.status || r.NextBeginOffset != tt.next || r.Count != tt.count ||
				r.MinOffset != tt.min || r.MaxOffset != tt.max_ {
				t.Fatalf("got %v next %d count %d range [%d,%d], want %v next %d count %d range [%d,%d]",
					r.Status, r.NextBeginOffset, r.Count, r.MinOffset, r.MaxOffset,
					tt.status, tt.next, tt.count, tt.min, tt.max_)
			}
			if r.Count > 0 {
				ms := decodeAll(t, r.Records)
				if len(ms) != r.Count || ms[0].QueueOffset != tt.offset {
					t.Fatalf("records %d starting at %d", len(ms), ms[0].QueueOffset)
				}
			}
		})
	}
	// A selective filter scans at most 16*maxMsgs entries per call.
	for i := range 100 {
		appendMsgs(t, s, msg{topic: "T", tags: "A", body: body(i)})
	}
	r := mustGet(t, s, "T", 0, 0, 2, tagFilter("B"))
	if r.Status != GetNoMatched || r.NextBeginOffset != 32 {
		t.Fatalf("bounded scan: %v next %d, want NO_MATCHED next 32", r.Status, r.NextBeginOffset)
	}
}

// tagFilter matches one tag by hash code and then exactly, like the broker.
type tagFilter string

func (f tagFilter) MatchTagsCode(code int64) bool { return code == message.TagsHashCode(string(f)) }
func (f tagFilter) MatchRecord(rec []byte) bool {
	m, _, err := message.Decode(rec, false)
	return err == nil && m.Tags() == string(f)
}

// recordFilter rejects by body in MatchRecord only.
type recordFilter func(body string) bool

func (recordFilter) MatchTagsCode(int64) bool { return true }
func (f recordFilter) MatchRecord(rec []byte) bool {
	m, _, err := message.Decode(rec, false)
	return err == nil && f(string(m.Body))
}

func TestGetFilters(t *testing.T) {
	s := openStore(t, Config{Dir: t.TempDir(), SegmentSize: 2048})
	tags := []string{"A", "B", "A", "C", "A", "B"}
	for i := range 60 {
		appendMsgs(t, s, msg{topic: "T", tags: tags[i%len(tags)], body: body(i)})
		if i%7 == 0 { // interleave another queue so runs are not always adjacent
			appendMsgs(t, s, msg{topic: "T", queue: 1, body: "other"})
		}
	}
	tests := []struct {
		name   string
		filter Filter
		want   func(i int) bool
	}{
		{"nil", nil, func(int) bool { return true }},
		{"tag A", tagFilter("A"), func(i int) bool { return tags[i%len(tags)] == "A" }},
		{"tag C", tagFilter("C"), func(i int) bool { return tags[i%len(tags)] == "C" }},
		{"record odd", recordFilter(func(b string) bool { return b[len(b)-1]%2 == 1 }), func(i int) bool { return i%2 == 1 }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got, want []string
			for i := range 60 {
				if tt.want(i) {
					want = append(want, body(i))
				}
			}
			for off := int64(0); ; {
				r := mustGet(t, s, "T", 0, off, 4, tt.filter)
				if r.Status == GetNotFound {
					break
				}
				if r.Status == GetFound {
					got = append(got, bodies(t, r.Records)...)
					if r.Count > 4 {
						t.Fatalf("count %d > maxMsgs", r.Count)
					}
				}
				if r.NextBeginOffset <= off {
					t.Fatalf("no progress at %d: %+v", off, r)
				}
				off = r.NextBeginOffset
			}
			if !slices.Equal(got, want) {
				t.Fatalf("got %v\nwant %v", got, want)
			}
		})
	}
}

func TestGetAppendsToDst(t *testing.T) {
	s := openStore(t, Config{Dir: t.TempDir()})
	appendMsgs(t, s, msg{topic: "T", body: "x"})
	dst := []byte("prefix")
	r, err := s.Get("T", 0, 0, 32, nil, dst)
	if err != nil || !bytes.HasPrefix(r.Records, []byte("prefix")) || len(bodies(t, r.Records[6:])) != 1 {
		t.Fatalf("Get with dst: %v %q", err, r.Records)
	}
}

func TestReopenAfterCleanClose(t *testing.T) {
	dir := t.TempDir()
	s := openStore(t, Config{Dir: dir, SegmentSize: 4096})
	for i := range 50 {
		appendMsgs(t, s, msg{topic: "T", queue: int32(i % 2), tags: "A", keys: []string{"k" + body(i)}, body: body(i)})
	}
	end := s.MaxPhysicalOffset()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if _, err := s.Append(t.Context(), []Entry{msg{topic: "T", body: "x"}.entry()}); !errors.Is(err, ErrClosed) {
		t.Fatalf("Append after Close: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "abort")); !os.IsNotExist(err) {
		t.Fatalf("abort marker after clean close: %v", err)
	}
	s = openStore(t, Config{Dir: dir, SegmentSize: 4096})
	if s.MaxPhysicalOffset() != end {
		t.Fatalf("end %d, want %d", s.MaxPhysicalOffset(), end)
	}
	for q := range int32(2) {
		if got := getAll(t, s, "T", q); len(got) != 25 {
			t.Fatalf("queue %d: %d records after reopen", q, len(got))
		}
	}
	offs, err := s.QueryByKey("T", "k"+body(7), 10, 0, 0)
	if err != nil || len(offs) != 1 {
		t.Fatalf("QueryByKey after reopen: %v %v", offs, err)
	}
	res := appendMsgs(t, s, msg{topic: "T", queue: 1, body: "next"})
	if res[0].QueueOffset != 25 || res[0].CommitLogOffset != end {
		t.Fatalf("append after reopen: %+v", res[0])
	}
}

func TestOpenLocked(t *testing.T) {
	dir := t.TempDir()
	openStore(t, Config{Dir: dir})
	if _, err := Open(Config{Dir: dir}); !errors.Is(err, ErrLocked) {
		t.Fatalf("second Open: %v, want ErrLocked", err)
	}
}

func TestSearchOffset(t *testing.T) {
	s := openStore(t, Config{Dir: t.TempDir()})
	var ts []int64
	for i := range 40 {
		s.mu.Lock()
		s.lastStoreTs = int64(1_000_000 + i*10) // deterministic, increasing
		s.mu.Unlock()
		ts = append(ts, appendMsgs(t, s, msg{topic: "T", body: body(i)})[0].StoreTimestamp)
	}
	if !slices.IsSorted(ts) {
		t.Fatal("store timestamps decrease")
	}
	tests := []struct {
		name string
		ts   int64
		want int64
	}{
		{"before all", 0, 0},
		{"first", ts[0], 0},
		{"middle exact", ts[17], int64(slices.Index(ts, ts[17]))},
		{"between", ts[20] - 1, int64(sortSearch(ts, ts[20]-1))},
		{"after all", ts[39] + 1, 40},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := s.SearchOffset("T", 0, tt.ts); got != tt.want {
				t.Fatalf("SearchOffset(%d) = %d, want %d", tt.ts, got, tt.want)
			}
		})
	}
	if got := s.SearchOffset("X", 0, 5); got != 0 {
		t.Fatalf("unknown queue: %d", got)
	}
}

func sortSearch(ts []int64, v int64) int {
	i, _ := slices.BinarySearch(ts, v)
	return i
}

func TestDeleteTopic(t *testing.T) {
	dir := t.TempDir()
	s := openStore(t, Config{Dir: dir})
	for i := range 5 {
		appendMsgs(t, s, msg{topic: "T", body: body(i)}, msg{topic: "U", body: body(i)})
	}
	if err := s.DeleteTopic("T"); err != nil {
		t.Fatal(err)
	}
	if r := mustGet(t, s, "T", 0, 3, 32, nil); r.Status != GetOffsetMoved || r.NextBeginOffset != 0 {
		t.Fatalf("Get after delete: %+v", r)
	}
	if _, err := os.Stat(filepath.Join(dir, "consumequeue", "T")); !os.IsNotExist(err) {
		t.Fatalf("consume queue dir still there: %v", err)
	}
	res := appendMsgs(t, s, msg{topic: "T", body: "again"})
	if res[0].QueueOffset != 0 {
		t.Fatalf("recreated topic starts at %d", res[0].QueueOffset)
	}
	// Crash copy: recovery must not resurrect the deleted records.
	crash := t.TempDir()
	copyDir(t, dir, crash)
	for _, d := range []string{dir, crash} {
		if d == dir {
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
		}
		s2 := openStore(t, Config{Dir: d})
		if got := getAll(t, s2, "T", 0); len(got) != 1 || string(got[0].Body) != "again" {
			t.Fatalf("%s: T after reopen: %d records", d, len(got))
		}
		if got := getAll(t, s2, "U", 0); len(got) != 5 {
			t.Fatalf("U after reopen: %d records", len(got))
		}
		_ = s2.Close()
	}
}

func TestConcurrentAppendGet(t *testing.T) {
	s := openStore(t, Config{Dir: t.TempDir(), SegmentSize: 64 << 10})
	const writers, per = 4, 300
	var wg sync.WaitGroup
	var stop atomic.Bool
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range per {
				e := []Entry{msg{topic: "T", queue: int32(w % 2), keys: []string{body(i)}, body: body(i)}.entry()}
				if _, err := s.Append(context.Background(), e); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	var rg sync.WaitGroup
	for q := range int32(2) {
		rg.Add(1)
		go func() {
			defer rg.Done()
			off := int64(0)
			for !stop.Load() || off < writers*per/2 {
				r, err := s.Get("T", q, off, 32, nil, nil)
				if err != nil {
					t.Error(err)
					return
				}
				if r.Status == GetFound {
					// Not decodeAll: t.Fatalf must not run outside the
					// test's goroutine.
					ms, err := message.DecodeAll(r.Records, true)
					if err != nil {
						t.Errorf("queue %d @%d: %v", q, off, err)
						return
					}
					for _, m := range ms {
						if m.QueueOffset != off {
							t.Errorf("queue %d: got offset %d, want %d", q, m.QueueOffset, off)
							return
						}
						off++
					}
				}
				_, _ = s.QueryByKey("T", body(1), 4, 0, 0)
			}
		}()
	}
	wg.Wait()
	stop.Store(true)
	rg.Wait()
}

func TestWriteFileAtomic(t *testing.T) {
	p := filepath.Join(t.TempDir(), "topics.json")
	if _, err := ReadFileAtomic(p); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("missing file: %v", err)
	}
	for _, content := range []string{`{"a":1}`, `{}`} {
		if err := WriteFileAtomic(p, []byte(content)); err != nil {
			t.Fatal(err)
		}
		got, err := ReadFileAtomic(p)
		if err != nil || string(got) != content {
			t.Fatalf("read back %q, %v", got, err)
		}
	}
	if err := os.WriteFile(p+".tmp", []byte("half"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got, err := ReadFileAtomic(p); err != nil || string(got) != "{}" {
		t.Fatalf("with stale tmp: %q %v", got, err)
	}
	if err := WriteFileAtomic(p, []byte("new")); err != nil {
		t.Fatalf("write over stale tmp: %v", err)
	}
	if _, err := os.Stat(p + ".tmp"); !os.IsNotExist(err) {
		t.Fatal("tmp left behind")
	}
}

func TestCheckpointEncoding(t *testing.T) {
	ck := checkpoint{Dispatched: 123, LogFlushed: 456, CQEntries: 7, IndexEntries: 8, StoreTime: 9,
		Deleted: map[string]int64{"a": 1, "%RETRY%g": 2}}
	b := ck.marshal()
	got, err := unmarshalCheckpoint(b)
	if err != nil || got.Dispatched != 123 || got.LogFlushed != 456 || got.CQEntries != 7 ||
		got.IndexEntries != 8 || got.StoreTime != 9 || len(got.Deleted) != 2 || got.Deleted["%RETRY%g"] != 2 {
		t.Fatalf("round trip: %+v %v", got, err)
	}
	for i := range b {
		c := bytes.Clone(b)
		c[i] ^= 0x40
		if _, err := unmarshalCheckpoint(c); !errors.Is(err, ErrCorrupt) {
			t.Fatalf("flipped byte %d accepted", i)
		}
	}
	if _, err := unmarshalCheckpoint(b[:len(b)-1]); !errors.Is(err, ErrCorrupt) {
		t.Fatal("truncated checkpoint accepted")
	}
}

func TestNewEntryMatchesRecovery(t *testing.T) {
	s := openStore(t, noCk(t.TempDir(), 4096))
	for i := range 30 {
		m := msg{topic: "T", queue: int32(i % 3), tags: []string{"", "A", "B"}[i%3], keys: []string{"a" + body(i), "b"}, uniq: "u" + body(i), body: body(i)}
		want := m.entry()
		ext, _, err := message.Decode(want.Record, true)
		if err != nil {
			t.Fatal(err)
		}
		e := NewEntry(&ext, nil)
		if e.TagsCode != want.TagsCode || !slices.Equal(e.Keys, want.Keys) || !bytes.Equal(e.Record, want.Record) {
			t.Fatalf("NewEntry %+v, want %+v", e, want)
		}
		if _, err := s.Append(t.Context(), []Entry{e}); err != nil {
			t.Fatal(err)
		}
	}
	raw := func(s *Store) (out [][]byte) {
		for _, id := range s.Queues() {
			q := s.queue(id.Topic, id.QueueID)
			out = append(out, q.appendEntries(nil, 0, 1<<20))
		}
		return out
	}
	want := raw(s)
	dir := crashCopy(t, s)
	for _, p := range []string{"checkpoint", "consumequeue", "index"} {
		if err := os.RemoveAll(filepath.Join(dir, p)); err != nil {
			t.Fatal(err)
		}
	}
	r := openStore(t, noCk(dir, 4096))
	if got := raw(r); !slices.EqualFunc(got, want, bytes.Equal) {
		t.Fatal("rebuilt consume queues differ from the ones Append built")
	}
	if offs, err := r.QueryByKey("T", "b", 100, 0, 0); err != nil || len(offs) != 30 {
		t.Fatalf("rebuilt index: %d offsets, %v", len(offs), err)
	}
}

func TestClosedStore(t *testing.T) {
	s := openStore(t, Config{Dir: t.TempDir()})
	off := appendMsgs(t, s, msg{topic: "T", body: "x"})[0].CommitLogOffset
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get("T", 0, 0, 1, nil, nil); !errors.Is(err, ErrClosed) {
		t.Errorf("Get: %v", err)
	}
	if _, err := s.ReadRecord(off); !errors.Is(err, ErrClosed) {
		t.Errorf("ReadRecord: %v", err)
	}
	if _, err := s.QueryByKey("T", "k", 1, 0, 0); !errors.Is(err, ErrClosed) {
		t.Errorf("QueryByKey: %v", err)
	}
	if err := s.DeleteTopic("T"); !errors.Is(err, ErrClosed) {
		t.Errorf("DeleteTopic: %v", err)
	}
}
