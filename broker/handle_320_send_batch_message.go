package broker

// SEND_BATCH_MESSAGE (320).
//
// Behavior: wire doc §5.4. The body holds the inner messages; each is stored
// as its own message in the one queue, with consecutive queue offsets, in a
// single append. The answer's msgId lists every offset message id, comma
// separated, and queueOffset is the first one's.
//
// As in Java, batches to %RETRY% topics are refused, and so is a batch
// whose own header is transactional (sysFlag) or delayed (DELAY in its
// properties): MESSAGE_ILLEGAL with Java's remark and the reason. Inner
// messages carrying DELAY, TIMER_DELIVER_MS or TRAN_MSG are stored as they
// are, as ordinary immediate messages (Java does not look at them either).
//
// Deviations: the broker does not add UNIQ_KEY or CLUSTER to inner
// messages (the client sets no UNIQ_KEY on batches, so their MsgId is the
// offset message id); TIMER_DELIVER_MS on the batch header is ignored.

import "github.com/rocketkit/rocketkit/protocol/remoting"

func init() { register(remoting.SendBatchMessage, handleSendBatchMessage) }

func handleSendBatchMessage(b *Broker, c *conn, req *remoting.Command) *remoting.Command {
	h, err := parseSendHeader(req)
	if err != nil {
		return errorResponse(req, remoting.InvalidParameter, "batch header: "+err.Error())
	}
	return b.answerSend(c, req, h, (*Broker).sendBatch)
}
