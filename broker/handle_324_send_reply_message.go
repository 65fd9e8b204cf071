package broker

// SEND_REPLY_MESSAGE (324) and SEND_REPLY_MESSAGE_V2 (325), request-reply.
//
// Behavior: wire doc §5.5, Java's ReplyMessageProcessor. The header is
// SEND_MESSAGE's (long keys for 324, V2's one-letter keys for 325) and is
// checked as a send (size, topic, queue). The reply is pushed with
// PUSH_REPLY_MESSAGE_TO_CLIENT (326) to the client whose id is the
// REPLY_TO_CLIENT property, on a connection it heartbeated on, and then
// stored in its topic (the cluster's <cluster>_REPLY_TOPIC, created at
// start). The answer is SUCCESS once the requester took the push, and
// SYSTEM_ERROR with Java's remark when REPLY_TO_CLIENT is missing, the
// client has no connection here, or the push failed or took over 10 s;
// it carries the stored copy's msgId and queueOffset.
//
// Deviations: a requester is also found by the connection its request
// came on (send.go's noteRequester), before its first heartbeat here,
// which the official Go client otherwise delays by up to 30 s. Replies
// are always stored (storeReplyMessageEnable cannot
// be turned off); the stored copy keeps the sender's sysFlag (Java stores
// 0, so a compressed reply read from the reply topic is not inflated);
// no UNIQ_KEY or CLUSTER is added, as in Java. The push waits on its own
// goroutine, so the responder's connection keeps serving meanwhile (Java
// blocks a send thread).

import (
	"context"

	"github.com/rocketkit/rocketkit/protocol/remoting"
)

func init() {
	register(remoting.SendReplyMessage, handleSendReplyMessage)
	register(remoting.SendReplyMessageV2, handleSendReplyMessage)
}

func handleSendReplyMessage(b *Broker, c *conn, req *remoting.Command) *remoting.Command {
	h, err := parseSendHeader(req)
	if err != nil {
		return errorResponse(req, remoting.InvalidParameter, "send reply header: "+err.Error())
	}
	c.answerAsync(req, func(ctx context.Context) *remoting.Command { return b.sendReply(ctx, c, req, h) })
	return nil
}
