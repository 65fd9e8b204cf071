package broker

// SEND_MESSAGE (10) and SEND_MESSAGE_V2 (310).
//
// Behavior: wire doc §5.3. The topic is validated and auto-created (unless
// disabled); a negative queueId picks a random queue; bodies over
// MaxMessageSize and properties over 32767 bytes are refused with
// MESSAGE_ILLEGAL; a message for %RETRY%<group> whose reconsumeTimes
// exceeds maxReconsumeTimes goes to %DLQ%<group>. The broker adds UNIQ_KEY
// when missing and CLUSTER. With SYNC_FLUSH the answer waits for the group
// commit and is FLUSH_DISK_TIMEOUT when that takes longer than
// SyncFlushTimeout (the message is stored either way).
//
// Transactional messages (TRAN_MSG=true) are stored as half messages in
// RMQ_SYS_TRANS_HALF_TOPIC, invisible until END_TRANSACTION commits them;
// delayed ones (DELAY=level) are parked in SCHEDULE_TOPIC_XXXX until due.
// The answer then reports the requested queue and the parked copy's offsets,
// as Java does.

import "github.com/rocketkit/rocketkit/protocol/remoting"

func init() {
	register(remoting.SendMessage, handleSendMessage)
	register(remoting.SendMessageV2, handleSendMessage)
}

func handleSendMessage(b *Broker, c *conn, req *remoting.Command) *remoting.Command {
	h, err := parseSendHeader(req)
	if err != nil {
		return errorResponse(req, remoting.InvalidParameter, "send header: "+err.Error())
	}
	return b.answerSend(c, req, h, (*Broker).sendMessage)
}
