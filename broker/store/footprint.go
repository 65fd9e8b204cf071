package store

// Footprint is what the store holds on disk.
type Footprint struct {
	// CommitLogBytes is the size of the commit-log segments (nothing is
	// preallocated, so it is the log's end minus its first stored offset).
	CommitLogBytes int64
	// Segments is the number of commit-log segment files.
	Segments int
	// ConsumeQueueEntries counts the entries the consume queues hold (20
	// bytes each on disk once checkpointed), over Queues queues.
	ConsumeQueueEntries int64
	Queues              int
}

// Footprint returns the store's size on disk. It takes the queue map's
// read lock and each queue's briefly; safe for concurrent use.
func (s *Store) Footprint() Footprint {
	segs := s.cl.segments()
	f := Footprint{Segments: len(segs)}
	if len(segs) > 0 {
		f.CommitLogBytes = max(0, s.cl.readable.Load()-segs[0].base)
	}
	s.qmu.RLock()
	qs := make([]*consumeQueue, 0, len(s.queues))
	for _, q := range s.queues {
		qs = append(qs, q)
	}
	s.qmu.RUnlock()
	f.Queues = len(qs)
	for _, q := range qs {
		lo, hi := q.bounds()
		f.ConsumeQueueEntries += max(0, hi-lo)
	}
	return f
}
