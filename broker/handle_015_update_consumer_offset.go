package broker

// UPDATE_CONSUMER_OFFSET (15).
//
// Behavior: wire doc §5.9. Stores commitOffset (the next offset to consume)
// for the group and queue and answers SUCCESS; the client does not wait for
// the answer. The broker keeps the last value received and never resets an
// offset because updates stopped.

import "github.com/rocketkit/rocketkit/protocol/remoting"

func init() { register(remoting.UpdateConsumerOffset, handleUpdateConsumerOffset) }

func handleUpdateConsumerOffset(b *Broker, _ *conn, req *remoting.Command) *remoting.Command {
	f := req.ExtFields
	queueID, err := f.Int32("queueId")
	if err != nil {
		return errorResponse(req, remoting.InvalidParameter, err.Error())
	}
	off, err := f.Int64("commitOffset")
	if err != nil {
		return errorResponse(req, remoting.InvalidParameter, err.Error())
	}
	group := f.Get("consumerGroup")
	if group == "" {
		return errorResponse(req, remoting.InvalidParameter, "consumerGroup is required")
	}
	b.offsets.commit(group, f.Get("topic"), queueID, off)
	return remoting.NewResponse(req, remoting.Success, "")
}
