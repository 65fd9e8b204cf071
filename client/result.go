package client

// SendStatus is how a stored message's durability turned out. Every status
// but SendOK means the message is stored but a guarantee asked for (sync
// flush, sync replication) did not hold in time.
type SendStatus int

const (
	// SendOK: stored, and flushed or replicated as the broker is configured.
	SendOK SendStatus = iota
	// SendFlushDiskTimeout: stored, but a SYNC_FLUSH broker did not flush
	// it to disk in time.
	SendFlushDiskTimeout
	// SendFlushSlaveTimeout: stored, but a SYNC_MASTER broker's slave did
	// not confirm it in time.
	SendFlushSlaveTimeout
	// SendSlaveNotAvailable: stored, but a SYNC_MASTER broker has no slave.
	SendSlaveNotAvailable
)

// String returns the Java name, e.g. "SEND_OK".
func (s SendStatus) String() string {
	switch s {
	case SendOK:
		return "SEND_OK"
	case SendFlushDiskTimeout:
		return "FLUSH_DISK_TIMEOUT"
	case SendFlushSlaveTimeout:
		return "FLUSH_SLAVE_TIMEOUT"
	case SendSlaveNotAvailable:
		return "SLAVE_NOT_AVAILABLE"
	}
	return "SendStatus(?)"
}

// SendResult is what the broker answered for a stored message or batch.
type SendResult struct {
	Status SendStatus
	// MsgID is the message's UNIQ_KEY (comma-separated for a batch).
	MsgID string
	// OffsetMsgID is the broker's id for the stored copy (comma-separated
	// for a batch).
	OffsetMsgID string
	Queue       MessageQueue
	// QueueOffset is the stored message's offset in Queue (the first one's
	// for a batch).
	QueueOffset int64
	// TransactionID identifies a transactional message's transaction.
	TransactionID string
	// RegionID is the broker's region (MSG_REGION).
	RegionID string
}
