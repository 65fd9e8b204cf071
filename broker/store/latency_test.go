package store

import (
	"fmt"
	"math"
	"testing"
	"time"
)

func TestLatencyHistogramBuckets(t *testing.T) {
	var h latencyHistogram
	h.observe(30 * time.Microsecond) // first bucket (<= 50µs)
	h.observe(time.Millisecond)      // exactly a bound: in it (le)
	h.observe(1100 * time.Microsecond)
	h.observe(20 * time.Second) // past the last bound: +Inf only
	s := h.snapshot()
	want := map[float64]uint64{0.00005: 1, 0.0005: 1, 0.001: 2, 0.0025: 3, 10: 3}
	for i, le := range s.Bounds {
		if w, ok := want[le]; ok && s.Cumulative[i] != w {
			t.Errorf("bucket le=%v holds %d, want %d", le, s.Cumulative[i], w)
		}
		if i > 0 && s.Cumulative[i] < s.Cumulative[i-1] {
			t.Errorf("buckets not cumulative at le=%v: %v", le, s.Cumulative)
		}
	}
	if s.Count != 4 || math.Abs(s.Sum-20.00213) > 1e-9 {
		t.Errorf("count %d sum %v, want 4 and 20.00213", s.Count, s.Sum)
	}
}

// Every FlushSync append waits for a flush round, each round fsyncs the
// segments it covers, and a checkpoint is timed when it writes something
// (not when nothing changed); Footprint reports the log's bytes and segment files, and the
// consume queues' entries.
func TestLatenciesAndFootprint(t *testing.T) {
	dir := t.TempDir()
	s := openStore(t, Config{Dir: dir, SegmentSize: 1024, FlushMode: FlushSync, CheckpointInterval: time.Hour})
	var bytes int64
	for i := range 30 {
		res := appendMsgs(t, s, msg{topic: "T", queue: int32(i % 3), body: fmt.Sprintf("latency body %03d", i)})
		bytes += int64(res[0].Size)
	}
	lat := s.Latencies()
	if lat.Flush.Count == 0 || lat.Flush.Count > 30 {
		t.Errorf("%d flush rounds for 30 FlushSync appends, want 1 to 30", lat.Flush.Count)
	}
	if lat.Fsync.Count < lat.Flush.Count {
		t.Errorf("%d fsyncs in %d flush rounds", lat.Fsync.Count, lat.Flush.Count)
	}
	if lat.Flush.Sum <= 0 || lat.Fsync.Sum <= 0 {
		t.Errorf("flush sum %v, fsync sum %v: want time spent", lat.Flush.Sum, lat.Fsync.Sum)
	}
	before := s.Latencies().Checkpoint.Count
	if err := s.checkpoint(); err != nil {
		t.Fatal(err)
	}
	if err := s.checkpoint(); err != nil { // nothing changed: skipped, not timed
		t.Fatal(err)
	}
	if n := s.Latencies().Checkpoint.Count - before; n != 1 {
		t.Errorf("%d checkpoints timed, want 1", n)
	}
	fp := s.Footprint()
	segs := segmentFiles(t, dir)
	if fp.CommitLogBytes != bytes || fp.Segments != len(segs) || fp.Segments < 2 {
		t.Errorf("footprint %+v, want %d bytes in %d segments (more than one)", fp, bytes, len(segs))
	}
	if fp.ConsumeQueueEntries != 30 || fp.Queues != 3 {
		t.Errorf("footprint %+v, want 30 consume-queue entries in 3 queues", fp)
	}
}
