package starter

import "github.com/apache/rocketmq-client-go/v2/primitive"

// SendStatus is the broker's verdict on a stored message (S13). Only
// SendOK means the message was stored as the broker was configured to
// store it (flushed for SYNC_FLUSH, replicated for SYNC_MASTER).
type SendStatus int

// Send statuses, as in RocketMQ.
const (
	SendOK                SendStatus = SendStatus(primitive.SendOK)
	SendFlushDiskTimeout  SendStatus = SendStatus(primitive.SendFlushDiskTimeout)
	SendFlushSlaveTimeout SendStatus = SendStatus(primitive.SendFlushSlaveTimeout)
	SendSlaveNotAvailable SendStatus = SendStatus(primitive.SendSlaveNotAvailable)
	SendUnknown           SendStatus = SendStatus(primitive.SendUnknownError)
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

func newSendResult(r *primitive.SendResult) *SendResult {
	out := &SendResult{
		Status:      SendStatus(r.Status),
		MsgID:       r.MsgID,
		OffsetMsgID: r.OffsetMsgID,
		QueueOffset: r.QueueOffset,
	}
	if q := r.MessageQueue; q != nil {
		out.Topic, out.BrokerName, out.QueueID = q.Topic, q.BrokerName, q.QueueId
	}
	return out
}
