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
// The subscription is the one the request carries (sysFlag bit 2) or the
// group's registered one, read again each time a held pull runs, so a
// pull held across a re-subscription is served by the new expression (as
// Java re-runs a woken pull). A SQL92 subscription filters by the
// message's properties (package sqlfilter; TAGS is the tag); retry topics
// are subscribed with "*", so their messages are not SQL-filtered (Java's
// filterSupportRetry=false). Refusals (pull.go, subscribe): a carried
// expression that does not compile is SUBSCRIPTION_PARSE_FAILED, a
// registered one FILTER_DATA_NOT_EXIST, each with the compile error and
// its position as remark; a registered subscription older than the pull's
// subVersion is SUBSCRIPTION_NOT_LATEST.
//
// Roles (replication.go): a broker whose brokerPermission lacks read
// answers NO_PERMISSION. suggestWhichBrokerId is 0 (the master) unless
// slaveReadEnable is on: then the group's whichBrokerWhenConsumeSlowly
// when the pull reads further than InMemoryWindow behind the end of the
// log, else its brokerId. A slave serves pulls but keeps no commitOffset
// from them (its offsets come from the master and UPDATE_CONSUMER_OFFSET),
// and answers an offset out of range PULL_RETRY_IMMEDIATELY instead of
// OFFSET_MOVED (Java's offsetCheckInSlave=false).
//
// Deviations: a group with no registered subscription for the topic is
// served as "*" instead of SUBSCRIPTION_NOT_EXIST (the client filters tags
// again anyway). SQL92 is evaluated on every message (no bloom-filter bit
// map on the consume queue; the result is the same), and cannot be turned
// off (enablePropertyFilter is always true). A registered expression type
// other than TAG or SQL92 is FILTER_DATA_NOT_EXIST too.

import (
	"strconv"
	"time"

	"github.com/rocketkit/rocketkit/protocol/remoting"
)

func init() { register(remoting.PullMessage, handlePullMessage) }

func handlePullMessage(b *Broker, c *conn, req *remoting.Command) *remoting.Command {
	if b.cfg.BrokerPermission&PermRead == 0 {
		return errorResponse(req, remoting.NoPermission, "the broker["+b.addr+"] pulling message is forbidden (brokerPermission="+
			strconv.Itoa(b.cfg.BrokerPermission)+")")
	}
	if refused := b.pullRefused(req); refused != nil { // the group's settings (subgroup_policy.go)
		return refused
	}
	p, errResp := b.parsePull(req)
	if errResp != nil {
		return errResp
	}
	// A slave keeps the offsets its master sends it (slave_sync.go), not
	// those of pulls (Java's storeOffsetEnable); UPDATE_CONSUMER_OFFSET
	// still lands, so offsets move while the master is down.
	if p.sysFlag&pullFlagCommitOffset != 0 && !b.cfg.isSlave() {
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
	p.suggest, p.slave = b.pullSuggestion(p.group), b.cfg.isSlave()
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
	p.subVersion, _ = f.Int64("subVersion") // absent or malformed: 0, older than any
	if p.sysFlag&pullFlagSubscription != 0 {
		p.filter = newSubFilter(Subscription{Topic: p.topic, Expression: f.Get("subscription"),
			ExpressionType: f.Get("expressionType"), SubVersion: p.subVersion})
	} else {
		group, topic := p.group, p.topic
		p.registered = func() (*subFilter, int64) { return b.clients.subscription(group, topic) }
	}
	if resp := p.subscribe(); resp != nil {
		return nil, resp
	}
	return p, nil
}
