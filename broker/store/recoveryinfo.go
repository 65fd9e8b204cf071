package store

// RecoveryInfo tells how Open brought the store to a consistent state:
// where the replay of the commit log started and what it repaired (see
// doc.go, Abort marker and recovery). Operators and tests use it to see
// whether a restart after a crash used the checkpoint or scanned the whole
// log.
type RecoveryInfo struct {
	// Crashed: the abort marker was present, the previous run did not close
	// cleanly.
	Crashed bool
	// Checkpoint is the dispatched offset of the checkpoint Open read, or
	// -1 when there was none usable (missing, unreadable, or past the end
	// of the log).
	Checkpoint int64
	// FromCheckpoint: the replay started at Checkpoint. False when there was
	// no usable checkpoint, when consume queues or index held fewer entries
	// than it counts (they are rebuilt from the first segment), or when no
	// valid record started at Checkpoint (its segment is then rescanned
	// from its start).
	FromCheckpoint bool
	// ReplayedFrom is the commit-log offset the replay started at: the
	// checkpoint, or the first segment's base.
	ReplayedFrom int64
	// Replayed counts the valid records found from ReplayedFrom on and
	// dispatched to consume queues and the index.
	Replayed int64
	// End is the end of the valid log after recovery.
	End int64
	// DroppedBytes counts the commit-log bytes cut off or set aside: a
	// damaged or torn tail, and segments past it or not contiguous with
	// the ones before.
	DroppedBytes int64
	// SetAside counts the files renamed or copied to *.broken.
	SetAside int
	// RebuiltQueues counts the consume queues that missed entries before
	// the replay start and were rebuilt from the whole log.
	RebuiltQueues int
	// TruncatedQueues counts the times a consume-queue entry disagreed with
	// the record at its queue offset and the queue was cut there.
	TruncatedQueues int
}

// Recovery returns what the Open that created s did to recover. Safe for
// concurrent use; the value does not change after Open.
func (s *Store) Recovery() RecoveryInfo { return s.recovery }
