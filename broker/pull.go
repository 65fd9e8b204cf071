package broker

// Serving pulls: read a queue from an offset, filtered by the group's
// subscription, and answer with the stored records as they lie in the
// commit log; when nothing is there and the consumer asked for it, hold the
// pull (pull_hold.go) until a message arrives or the hold time passes.

import (
	"strconv"
	"time"

	"github.com/rocketkit/rocketkit/broker/store"
	"github.com/rocketkit/rocketkit/protocol/remoting"
)

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

// servePull answers p now, or holds it (answering later) when it finds
// nothing and asked to be suspended.
func (b *Broker) servePull(c *conn, p *pullRequest) *remoting.Command {
	resp, found := readPull(b.store, p)
	if !found && resp.Code == remoting.PullNotFound && p.sysFlag&pullFlagSuspend != 0 && p.suspend > 0 {
		c.answerLater() // the hold answers (holds.retry, holds.expire)
		b.holds.hold(c, p, p.suspend)
		return nil
	}
	return resp
}

// readPull reads the queue for p. found reports whether messages are in the
// response.
func readPull(st *store.Store, p *pullRequest) (resp *remoting.Command, found bool) {
	var filter store.Filter
	if p.filter != nil && !p.filter.all {
		filter = p.filter
	}
	res, err := st.Get(p.topic, p.queueID, p.offset, p.maxMsgs, filter, nil)
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
