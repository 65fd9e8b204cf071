package broker

// CONSUMER_SEND_MSG_BACK (36).
//
// Behavior: wire doc §10.6. The failed message is read by its commit-log
// offset and stored again with reconsumeTimes+1: into %RETRY%<group> with
// the delay level asked for (0 = 3 + reconsumeTimes), or into %DLQ%<group>
// when it has been reconsumed maxReconsumeTimes times (header, else the
// group's retryMaxTimes: 16 unless configured, subgroup_policy.go)
// or the level is negative. RETRY_TOPIC and ORIGIN_MESSAGE_ID are set when
// absent, ORIGIN_MESSAGE_ID to the looked-up message's offset message id
// as Java does (the request's originMsgId is not used, as in Java), and
// WAIT=false; UNIQ_KEY and every other property are kept.
//
// Deviations: Java's consume-message hooks and metrics do not exist here.
// Anything but SUCCESS makes the client fall back to sending the message to
// %RETRY%<group> itself.

import (
	"github.com/rocketkit/rocketkit/protocol/message"
	"github.com/rocketkit/rocketkit/protocol/remoting"
)

func init() { register(remoting.ConsumerSendMsgBack, handleConsumerSendMsgBack) }

func handleConsumerSendMsgBack(b *Broker, _ *conn, req *remoting.Command) *remoting.Command {
	if resp := b.refuseWrite(req); resp != nil {
		return resp
	}
	f := req.ExtFields
	sb := sendBackRequest{group: f.Get("group"), delayLevel: 0, maxTimes: b.groupRetryMaxTimes(f.Get("group"))}
	if err := message.ValidateGroup(sb.group); err != nil {
		return errorResponse(req, remoting.InvalidParameter, err.Error())
	}
	var err error
	if sb.offset, err = f.Int64("offset"); err != nil {
		return errorResponse(req, remoting.InvalidParameter, err.Error())
	}
	if v, ok := f.Lookup("delayLevel"); ok && v != "" {
		if sb.delayLevel, err = f.Int32("delayLevel"); err != nil {
			return errorResponse(req, remoting.InvalidParameter, err.Error())
		}
	}
	if v, ok := f.Lookup("maxReconsumeTimes"); ok && v != "" {
		if sb.maxTimes, err = f.Int32("maxReconsumeTimes"); err != nil {
			return errorResponse(req, remoting.InvalidParameter, err.Error())
		}
	}
	if resp := b.sendBack(req, sb); resp != nil {
		return resp
	}
	return remoting.NewResponse(req, remoting.Success, "")
}
