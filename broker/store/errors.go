package store

import "errors"

var (
	// ErrClosed is returned when the store is used after Close.
	ErrClosed = errors.New("store: closed")

	// ErrNotFound is returned by ReadRecord when the commit-log offset is
	// outside the stored log or does not start a record.
	ErrNotFound = errors.New("store: not found")

	// ErrWriteFailed is returned when a write or fsync of the commit log
	// failed. It is sticky: once returned, every later Append returns it
	// too (wrapping the first cause) until the store is reopened, which
	// recovers the log to its last whole record.
	ErrWriteFailed = errors.New("store: write failed")

	// ErrCorrupt is returned when stored data fails a consistency check
	// that recovery cannot repair on its own, e.g. a consume-queue entry
	// pointing at something that is not the expected record.
	ErrCorrupt = errors.New("store: corrupt")

	// ErrInvalidEntry is returned by Append when an Entry is unusable: a
	// record that is not one whole stored-message encoding, a record whose
	// topic or queue id differ from the Entry's, or an illegal topic.
	ErrInvalidEntry = errors.New("store: invalid entry")

	// ErrReplicaGap is returned by AppendReplica when the records do not
	// start where the log ends: the replica missed records or got them
	// twice. Nothing is stored; the replicator reconnects from the log's
	// end.
	ErrReplicaGap = errors.New("store: replica gap")

	// ErrInvalidReplica is returned by AppendReplica when a shipped record
	// is unusable: not whole, a bad size, magic or body CRC, a
	// PHYSICALOFFSET other than its position, or a QUEUEOFFSET other than
	// its queue's next offset. Nothing of the batch is stored.
	ErrInvalidReplica = errors.New("store: invalid replica")

	// ErrLocked is returned by Open when another Store (in this or another
	// process) has the directory open.
	ErrLocked = errors.New("store: directory in use")
)
