package broker

// INVOKE_BROKER_TO_RESET_OFFSET (222), mqadmin resetOffsetByTime.
//
// Behavior: header topic, group, timestamp (Unix ms; -1: the end of each
// queue) and isForce. For each write queue of the topic the new offset is
// the first message stored at or after the timestamp; without isForce a
// queue whose offset is already before it keeps it. The offsets are stored
// and sent to every live member of the group with
// RESET_CONSUMER_CLIENT_OFFSET (one way, Java's ResetOffsetBody in
// fastjson's form, which both the kit's client and the official Go client
// read); the consumers drop what they hold of those queues and consume
// again from there, without a restart. SUCCESS carries the same offset
// table. Refusals, with Java's remarks (reset_offset.go): TOPIC_NOT_EXIST;
// SYSTEM_ERROR when the group has no offset on the topic and no live
// member; CONSUMER_NOT_ONLINE when it has no live member (mqadmin then
// falls back to setting the offsets of a stopped group itself).
//
// Deviations: Java leaves storing the offsets to the consumers; here the
// broker stores them too, so queues no member holds move as well. A live
// group that has not committed an offset on some queue (or any) yet is
// reset, where Java refuses the whole reset. RocketMQ 5's server-side reset of one queue (queueId, offset,
// useServerSideResetOffset) and the C++ body form are not implemented.

import (
	"github.com/rocketkit/rocketkit/protocol/message"
	"github.com/rocketkit/rocketkit/protocol/remoting"
)

func init() { register(remoting.InvokeBrokerToResetOffset, handleInvokeBrokerToResetOffset) }

func handleInvokeBrokerToResetOffset(b *Broker, c *conn, req *remoting.Command) *remoting.Command {
	f := req.ExtFields
	r := &offsetReset{topic: f.Get("topic"), group: f.Get("group"), force: f.Bool("isForce")}
	if err := message.ValidateGroup(r.group); err != nil {
		return errorResponse(req, remoting.InvalidParameter, err.Error())
	}
	var err error
	if r.timestamp, err = f.Int64("timestamp"); err != nil {
		return errorResponse(req, remoting.InvalidParameter, err.Error())
	}
	b.log.Info("reset offset", "topic", r.topic, "group", r.group, "timestamp", r.timestamp, "force", r.force,
		"remote", c.remote.String())
	return b.resetOffsets(req, r)
}
