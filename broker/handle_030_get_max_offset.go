package broker

// GET_MAX_OFFSET (30), GET_MIN_OFFSET (31).
//
// Behavior: wire doc §5.10. offset = the queue's max offset (the next offset
// to be written, 0 when empty) or min offset (the first stored).

import "github.com/rocketkit/rocketkit/protocol/remoting"

func init() {
	register(remoting.GetMaxOffset, handleGetMaxOffset)
	register(remoting.GetMinOffset, handleGetMinOffset)
}

func handleGetMaxOffset(b *Broker, _ *conn, req *remoting.Command) *remoting.Command {
	return queueOffsetResponse(b, req, func(_, maxOff int64) int64 { return maxOff })
}

func handleGetMinOffset(b *Broker, _ *conn, req *remoting.Command) *remoting.Command {
	return queueOffsetResponse(b, req, func(minOff, _ int64) int64 { return minOff })
}

func queueOffsetResponse(b *Broker, req *remoting.Command, pick func(minOff, maxOff int64) int64) *remoting.Command {
	queueID, err := req.ExtFields.Int32("queueId")
	if err != nil {
		return errorResponse(req, remoting.InvalidParameter, err.Error())
	}
	return offsetResponse(req, pick(b.store.QueueRange(req.ExtFields.Get("topic"), queueID)))
}
