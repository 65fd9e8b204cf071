package store

import (
	"sync/atomic"
	"time"
)

// LatencyBounds are the upper bounds, in seconds, of the buckets of every
// latency histogram the store keeps (Latencies): 50µs to 10s, as fsync on
// an SSD is well under a millisecond and on a loaded disk can take
// seconds. A value above the last bound is counted only in Count.
var LatencyBounds = [...]float64{
	0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
	0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10,
}

// latencyHistogram counts durations into LatencyBounds' buckets with
// atomic adds only: observing costs a few nanoseconds and takes no lock.
// The zero value is ready to use.
type latencyHistogram struct {
	buckets [len(LatencyBounds)]atomic.Uint64 // not cumulative: bucket i holds (bound i-1, bound i]
	count   atomic.Uint64
	sumNS   atomic.Int64
}

// observe counts one duration.
func (h *latencyHistogram) observe(d time.Duration) {
	s := d.Seconds()
	for i, le := range LatencyBounds {
		if s <= le {
			h.buckets[i].Add(1)
			break
		}
	}
	h.sumNS.Add(int64(d))
	h.count.Add(1)
}

// snapshot reads the histogram. Reads are not atomic as a whole: a
// concurrent observe may show in Count before its bucket, never the
// reverse within one bucket, which Prometheus tolerates.
func (h *latencyHistogram) snapshot() Histogram {
	out := Histogram{Bounds: LatencyBounds[:], Cumulative: make([]uint64, len(LatencyBounds))}
	var run uint64
	for i := range h.buckets {
		run += h.buckets[i].Load()
		out.Cumulative[i] = run
	}
	out.Sum = float64(h.sumNS.Load()) / 1e9
	out.Count = max(h.count.Load(), run) // never fewer than the buckets hold
	return out
}

// Histogram is a snapshot of a latency histogram in Prometheus' shape.
type Histogram struct {
	// Bounds are the buckets' upper bounds in seconds (LatencyBounds).
	Bounds []float64
	// Cumulative[i] counts the observations <= Bounds[i].
	Cumulative []uint64
	// Count counts every observation (the +Inf bucket); Sum adds them up
	// in seconds.
	Count uint64
	Sum   float64
}

// Latencies are the store's latency histograms since Open.
type Latencies struct {
	// Flush times each commit-log flush round that had bytes to make
	// durable: the fsyncs of every segment written since the last round,
	// by the group-commit flusher, a checkpoint or Close. SYNC_FLUSH
	// senders wait for one.
	Flush Histogram
	// Fsync times each fsync(2) of one commit-log segment file.
	Fsync Histogram
	// Checkpoint times each checkpoint that wrote something: the log
	// flush, the consume-queue and index files, and the checkpoint file.
	Checkpoint Histogram
}

// Latencies returns the store's latency histograms. Safe for concurrent
// use.
func (s *Store) Latencies() Latencies {
	return Latencies{
		Flush:      s.cl.flushLat.snapshot(),
		Fsync:      s.cl.fsyncLat.snapshot(),
		Checkpoint: s.counts.checkpointLat.snapshot(),
	}
}
