package store

import "sync/atomic"

// counters count what passes through the store since Open, as Java's
// StoreStatsService does for the broker's runtime info.
type counters struct {
	put     atomic.Int64 // records appended
	appends atomic.Int64 // Appends that stored records, each with one write
	got     atomic.Int64 // records returned by Get

	checkpointLat latencyHistogram // checkpoints that wrote something (latency.go)
}

// Counters is a snapshot of the store's message counters.
type Counters struct {
	// PutMessages counts the records appended since Open, the broker's
	// own (retries, delayed messages coming due) included.
	PutMessages int64
	// GotMessages counts the records Get returned since Open: pulls, and
	// the broker's own reads of its delay, timer and half-message queues.
	GotMessages int64
	// Appends counts the Append calls that stored records since Open;
	// each wrote its records to the commit log with one write.
	Appends int64
}

// Counters returns the message counters. Safe for concurrent use.
func (s *Store) Counters() Counters {
	return Counters{PutMessages: s.counts.put.Load(), GotMessages: s.counts.got.Load(),
		Appends: s.counts.appends.Load()}
}

// EarliestMessageTime returns the store timestamp (Unix milliseconds) of
// the oldest record still stored, or -1 when the log is empty, as Java's
// getEarliestMessageTime.
func (s *Store) EarliestMessageTime() int64 {
	if s.closed.Load() {
		return -1
	}
	lo := s.MinPhysicalOffset()
	if lo >= s.MaxPhysicalOffset() {
		return -1
	}
	ts, err := s.storeTimeAt(lo, headerPeekSize)
	if err != nil {
		return -1
	}
	return ts
}
