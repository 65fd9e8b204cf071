package starter

import "github.com/rocketkit/rocketkit/client"

// SendStatus is the broker's verdict on a stored message (S13). Only
// SendOK means the message was stored as the broker was configured to
// store it (flushed for SYNC_FLUSH, replicated for SYNC_MASTER).
type SendStatus int

// Send statuses, as in RocketMQ.
const (
	SendOK                SendStatus = SendStatus(client.SendOK)
	SendFlushDiskTimeout  SendStatus = SendStatus(client.SendFlushDiskTimeout)
	SendFlushSlaveTimeout SendStatus = SendStatus(client.SendFlushSlaveTimeout)
	SendSlaveNotAvailable SendStatus = SendStatus(client.SendSlaveNotAvailable)
	SendUnknown           SendStatus = -1
)

var statusNames = map[SendStatus]string{
	SendOK:                "SEND_OK",
	SendFlushDiskTimeout:  "FLUSH_DISK_TIMEOUT",
	SendFlushSlaveTimeout: "FLUSH_SLAVE_TIMEOUT",
	SendSlaveNotAvailable: "SLAVE_NOT_AVAILABLE",
	SendUnknown:           "UNKNOWN",
}

func (s SendStatus) String() string {
	if n, ok := statusNames[s]; ok {
		return n
	}
	return "UNKNOWN"
}

// SendResult is the outcome of a send the broker answered.
type SendResult struct {
	Status SendStatus
	// MsgID is the client-generated unique id (UNIQ_KEY); for a batch, the
	// ids of its messages joined by ','.
	MsgID string
	// OffsetMsgID encodes the broker address and commit-log offset.
	OffsetMsgID string
	Topic       string
	BrokerName  string
	QueueID     int
	QueueOffset int64
}

func newSendResult(r *client.SendResult) *SendResult {
	return &SendResult{
		Status:      SendStatus(r.Status),
		MsgID:       r.MsgID,
		OffsetMsgID: r.OffsetMsgID,
		Topic:       r.Queue.Topic,
		BrokerName:  r.Queue.BrokerName,
		QueueID:     r.Queue.QueueID,
		QueueOffset: r.QueueOffset,
	}
}
