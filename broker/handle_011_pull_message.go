package broker

// PULL_MESSAGE (11).
//
// Behavior: wire doc §5.6. A group whose settings refuse it is answered
// first (subgroup_policy.go: consumeEnable=false is NO_PERMISSION).
// Reads up to maxMsgNums messages of the queue from
// queueOffset, filtered broker-side by the group's subscription (tag hash,
// then exact tag); the body is the stored records as they lie in the commit
// log. With the commit flag (sysFlag bit 0) the request's commitOffset is
// stored as the group's offset first. When nothing is there and the suspend
// flag (bit 1) is set, the pull is held (long polling) until a message
// arrives or min(suspendTimeoutMillis, MaxPullHold) passes.
//
// Deviations: a group with no registered subscription for the topic is
// served as "*" instead of SUBSCRIPTION_NOT_EXIST (the client filters tags
// again anyway); SQL92 subscriptions are refused with SYSTEM_ERROR.

import (
	"strconv"
	"time"

	"github.com/rocketkit/rocketkit/protocol/remoting"
)

func init() { register(remoting.PullMessage, handlePullMessage) }

func handlePullMessage(b *Broker, c *conn, req *remoting.Command) *remoting.Command {
	if refused := b.pullRefused(req); refused != nil { // the group's settings (subgroup_policy.go)
		return refused
	}
	p, errResp := b.parsePull(req)
	if errResp != nil {
		return errResp
	}
	if p.sysFlag&pullFlagCommitOffset != 0 {
		if off, err := req.ExtFields.Int64("commitOffset"); err == nil && off >= 0 {
			b.offsets.commit(p.group, p.topic, p.queueID, off)
		}
	}
	return b.servePull(c, p)
}

// parsePull validates the request; the second result is an error response.
func (b *Broker) parsePull(req *remoting.Command) (*pullRequest, *remoting.Command) {
	f := req.ExtFields
	p := &pullRequest{req: req, group: f.Get("consumerGroup"), topic: f.Get("topic")}
	var err error
	if p.queueID, err = f.Int32("queueId"); err != nil {
		return nil, errorResponse(req, remoting.InvalidParameter, err.Error())
	}
	if p.offset, err = f.Int64("queueOffset"); err != nil {
		return nil, errorResponse(req, remoting.InvalidParameter, err.Error())
	}
	maxMsgs, err := f.Int32("maxMsgNums")
	if err != nil {
		return nil, errorResponse(req, remoting.InvalidParameter, err.Error())
	}
	p.maxMsgs = int(min(max(maxMsgs, 1), 1024))
	if p.sysFlag, err = f.Int32("sysFlag"); err != nil {
		return nil, errorResponse(req, remoting.InvalidParameter, err.Error())
	}
	if ms, err := f.Int64("suspendTimeoutMillis"); err == nil && ms > 0 {
		p.suspend = min(time.Duration(ms)*time.Millisecond, b.cfg.MaxPullHold)
	}
	tc, ok := b.topics.get(p.topic)
	if !ok {
		return nil, errorResponse(req, remoting.TopicNotExist, "topic "+p.topic+" does not exist")
	}
	if p.queueID < 0 || int(p.queueID) >= tc.ReadQueues {
		return nil, errorResponse(req, remoting.InvalidParameter,
			"queueId "+strconv.Itoa(int(p.queueID))+" is out of range for topic "+p.topic)
	}
	if tc.Perm&PermRead == 0 {
		return nil, errorResponse(req, remoting.NoPermission, "topic "+p.topic+" is not readable")
	}
	if p.sysFlag&pullFlagSubscription != 0 {
		p.filter = newSubFilter(Subscription{Topic: p.topic, Expression: f.Get("subscription"),
			ExpressionType: f.Get("expressionType")})
	} else {
		p.filter = b.clients.filter(p.group, p.topic)
	}
	if p.filter != nil && p.filter.sql {
		return nil, errorResponse(req, remoting.SystemError,
			"SQL92 filtering is not supported by the rocketkit broker; subscribe by tag")
	}
	return p, nil
}
