package broker

// PULL_MESSAGE (11).
//
// Behavior: wire doc §5.6. Reads up to maxMsgNums messages of the queue from
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
	"github.com/rocketkit/rocketkit/broker/store"
)

func init() { register(remoting.PullMessage, handlePullMessage) }

// Pull request sysFlag bits.
const (
	pullFlagCommitOffset = 1
	pullFlagSuspend      = 2
	pullFlagSubscription = 4
)

// pullRequest is a parsed PULL_MESSAGE.
type pullRequest struct {
	req     *remoting.Command
	group   string
	topic   string
	queueID int32
	offset  int64
	maxMsgs int
	sysFlag int32
	filter  *subFilter
	suspend time.Duration
}

func handlePullMessage(b *Broker, c *conn, req *remoting.Command) *remoting.Command {
	p, errResp := b.parsePull(req)
	if errResp != nil {
		return errResp
	}
	if p.sysFlag&pullFlagCommitOffset != 0 {
		if off, err := req.ExtFields.Int64("commitOffset"); err == nil && off >= 0 {
			b.offsets.commit(p.group, p.topic, p.queueID, off)
		}
	}
	resp, found := b.runPull(p)
	if !found && resp.Code == remoting.PullNotFound && p.sysFlag&pullFlagSuspend != 0 && p.suspend > 0 {
		b.holds.hold(c, p, p.suspend)
		return nil
	}
	return resp
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
	if p.queueID < 0 || int(p.queueID) >= max(tc.ReadQueues, tc.WriteQueues) {
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

// runPull reads the queue for p. found reports whether messages are in the
// response.
func (b *Broker) runPull(p *pullRequest) (resp *remoting.Command, found bool) {
	var filter store.Filter
	if p.filter != nil && !p.filter.all {
		filter = p.filter
	}
	res, err := b.store.Get(p.topic, p.queueID, p.offset, p.maxMsgs, filter, nil)
	if err != nil {
		return errorResponse(p.req, remoting.SystemError, "read queue: "+err.Error()), false
	}
	code, remark := remoting.Success, "FOUND"
	switch res.Status {
	case store.GetNoMatched:
		code, remark = remoting.PullRetryImmediately, "NO_MATCHED_MESSAGE"
	case store.GetNotFound:
		code, remark = remoting.PullNotFound, "NO_NEW_MESSAGE"
	case store.GetOffsetMoved:
		code, remark = remoting.PullOffsetMoved, "OFFSET_MOVED"
	}
	resp = remoting.NewResponse(p.req, code, remark)
	resp.ExtFields = remoting.Fields{
		{Key: "nextBeginOffset", Value: strconv.FormatInt(res.NextBeginOffset, 10)},
		{Key: "minOffset", Value: strconv.FormatInt(res.MinOffset, 10)},
		{Key: "maxOffset", Value: strconv.FormatInt(res.MaxOffset, 10)},
		{Key: "suggestWhichBrokerId", Value: "0"},
	}
	if res.Status == store.GetFound {
		resp.Body = res.Records
		return resp, true
	}
	return resp, false
}
