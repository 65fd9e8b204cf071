package broker

// Serving pulls: read a queue from an offset, filtered by the group's
// subscription, and answer with the stored records as they lie in the
// commit log; when nothing is there and the consumer asked for it, hold the
// pull (pull_hold.go) until a message arrives or the hold time passes.

import (
	"fmt"
	"strconv"
	"time"

	"github.com/rocketkit/rocketkit/broker/store"
	"github.com/rocketkit/rocketkit/protocol/message"
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
	req        *remoting.Command
	group      string
	topic      string
	queueID    int32
	offset     int64
	maxMsgs    int
	sysFlag    int32
	subVersion int64
	filter     *subFilter
	suspend    time.Duration
	// registered, unless the request carries its own subscription (sysFlag
	// bit 2), looks up the group's registered subscription and its
	// version; it is read again each time the pull runs, so a held pull
	// follows a re-subscription as Java's, which re-runs a woken pull from
	// the start.
	registered func() (*subFilter, int64)
	// suggest picks suggestWhichBrokerId for a found result
	// (Broker.pullSuggestion); nil: always the master, 0.
	suggest func(res *store.GetResult) int64
	// slave: the broker is a slave, which answers an offset out of its
	// range PULL_RETRY_IMMEDIATELY instead of OFFSET_MOVED.
	slave bool
}

// subscribe sets p.filter: the subscription the request carries, or the
// group's registered one as it is now. A non-nil result is the answer
// instead, as PullMessageProcessor checks: a carried expression that does
// not compile is SUBSCRIPTION_PARSE_FAILED; a registered subscription
// older than the pull's subVersion is SUBSCRIPTION_NOT_LATEST (the
// client's heartbeat with the new one has not arrived yet); a registered
// SQL92 expression that does not compile is FILTER_DATA_NOT_EXIST (Java
// registers no filter data for it). The remark carries the compile error
// with its position.
func (p *pullRequest) subscribe() *remoting.Command {
	if p.registered == nil {
		if p.filter != nil && p.filter.sqlErr != nil {
			return errorResponse(p.req, remoting.SubscriptionParseFailed,
				"parse the consumer's subscription failed: "+p.filter.sqlErr.Error())
		}
		return nil
	}
	f, version := p.registered()
	if f == nil {
		p.filter = nil // served as "*" (see handle_011's Deviations)
		return nil
	}
	if version < p.subVersion {
		return errorResponse(p.req, remoting.SubscriptionNotLatest, fmt.Sprintf(
			"the consumer's subscription not latest: the broker has version %d of group %s's subscription to %s, the pull version %d",
			version, p.group, p.topic, p.subVersion))
	}
	if f.sqlErr != nil {
		return errorResponse(p.req, remoting.FilterDataNotExist,
			"the broker's consumer filter data does not exist: group "+p.group+"'s expression for "+p.topic+
				" does not compile: "+f.sqlErr.Error())
	}
	p.filter = f
	return nil
}

// servePull answers p now, or holds it (answering later) when it finds
// nothing and asked to be suspended.
func (b *Broker) servePull(c *conn, p *pullRequest) *remoting.Command {
	resp, found := readPull(b.store, p, &b.traffic.out)
	if !found && resp.Code == remoting.PullNotFound && p.sysFlag&pullFlagSuspend != 0 && p.suspend > 0 {
		c.answerLater() // the hold answers (holds.retry, holds.expire)
		b.holds.hold(c, p, p.suspend)
		return nil
	}
	return resp
}

// readPull reads the queue for p, by the group's registered subscription as
// it is now unless the request carries one. found reports whether messages
// are in the response, which out counts.
func readPull(st *store.Store, p *pullRequest, out *counterMap[GroupTopic]) (resp *remoting.Command, found bool) {
	if p.registered != nil {
		if resp := p.subscribe(); resp != nil {
			return resp, false
		}
	}
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
		if p.slave {
			// Java's offsetCheckInSlave=false: a slave, perhaps only lagging,
			// does not move a consumer's offset; it sends it back to the
			// master (suggestWhichBrokerId stays 0).
			code = remoting.PullRetryImmediately
		}
	}
	resp = remoting.NewResponse(p.req, code, remark)
	resp.ExtFields = remoting.Fields{
		{Key: "nextBeginOffset", Value: strconv.FormatInt(res.NextBeginOffset, 10)},
		{Key: "minOffset", Value: strconv.FormatInt(res.MinOffset, 10)},
		{Key: "maxOffset", Value: strconv.FormatInt(res.MaxOffset, 10)},
		{Key: "suggestWhichBrokerId", Value: "0"},
	}
	if p.suggest != nil && res.Status == store.GetFound {
		resp.ExtFields[3].Value = strconv.FormatInt(p.suggest(&res), 10)
	}
	if res.Status == store.GetFound {
		out.add(GroupTopic{p.group, p.topic}, int64(res.Count), int64(len(res.Records)))
		resp.Body = res.Records
		if p.req.Language == remoting.Language {
			resp.Body = javaLayout(res.Records)
		}
		return resp, true
	}
	return resp, false
}

// javaLayout serves records to a Java client as a Java 5 broker stores them:
// those of topics over 127 bytes (retry and dead-letter topics of long
// group names) in layout v2, which a Java client reads where it would
// misread the v1 length byte as negative. The Go clients read v1 only, so
// the store keeps v1 and other languages get the records as stored.
func javaLayout(records []byte) []byte {
	if need, err := message.NeedsLayoutV2(records); err != nil || !need {
		return records // the store wrote them; an error here would be the store's
	}
	out, err := message.AppendLayoutV2(make([]byte, 0, len(records)+64), records)
	if err != nil {
		return records
	}
	return out
}
