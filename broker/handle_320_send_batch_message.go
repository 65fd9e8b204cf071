package broker

// SEND_BATCH_MESSAGE (320).
//
// Behavior: wire doc §5.4. The body holds the inner messages; each is stored
// as its own message in the one queue, with consecutive queue offsets, in a
// single append. The answer's msgId lists every offset message id, comma
// separated, and queueOffset is the first one's.
//
// Deviations: like Java, batches to %RETRY% topics and batches holding
// delayed, timed or transactional messages are refused; the broker
// does not add UNIQ_KEY or CLUSTER to inner messages (the client sets no
// UNIQ_KEY on batches, so their MsgId is the offset message id).

import "github.com/rocketkit/rocketkit/protocol/remoting"

func init() { register(remoting.SendBatchMessage, handleSendBatchMessage) }

func handleSendBatchMessage(b *Broker, c *conn, req *remoting.Command) *remoting.Command {
	h, err := parseSendHeader(req)
	if err != nil {
		return errorResponse(req, remoting.InvalidParameter, "batch header: "+err.Error())
	}
	return b.answerSend(c, req, h, (*Broker).sendBatch)
}
