package broker

// QUERY_CONSUMER_OFFSET (14).
//
// Behavior: wire doc §5.8, Java-compatible. A stored offset is returned.
// Without one, a queue whose first message (offset 0) is still "in memory"
// answers 0, so a new group reads a young queue from its start even with
// CONSUME_FROM_LAST_OFFSET, exactly as Java does; otherwise (an empty queue
// too, or setZeroIfNotFound=false) QUERY_NOT_FOUND lets the client apply its
// ConsumeFromWhere, as both Go clients do. "In memory" is Java's rule: the
// distance from that message to the end of the commit log is at most
// InMemoryWindow (default 40% of physical memory).
//
// Deviations: the QUERY_NOT_FOUND remarks are the kit's own; static topics
// (logic queue mappings) do not exist here.

import (
	"encoding/binary"
	"strconv"

	"github.com/rocketkit/rocketkit/protocol/remoting"
)

func init() { register(remoting.QueryConsumerOffset, handleQueryConsumerOffset) }

func handleQueryConsumerOffset(b *Broker, _ *conn, req *remoting.Command) *remoting.Command {
	f := req.ExtFields
	queueID, err := f.Int32("queueId")
	if err != nil {
		return errorResponse(req, remoting.InvalidParameter, err.Error())
	}
	group, topic := f.Get("consumerGroup"), f.Get("topic")
	off, ok := b.offsets.get(group, topic, queueID)
	if !ok && f.Get("setZeroIfNotFound") != "false" && b.queueIsYoung(topic, queueID) {
		off, ok = 0, true
	}
	if !ok {
		return errorResponse(req, remoting.QueryNotFound, "no offset stored for group "+group)
	}
	resp := remoting.NewResponse(req, remoting.Success, "")
	resp.ExtFields = remoting.Fields{{Key: "offset", Value: strconv.FormatInt(off, 10)}}
	return resp
}

// queueIsYoung reports whether the queue still starts at offset 0 and that
// first message is within the in-memory window of the commit log. An empty
// queue is not young: Java finds no first message to check.
func (b *Broker) queueIsYoung(topic string, queueID int32) bool {
	minOff, maxOff := b.store.QueueRange(topic, queueID)
	if minOff > 0 || maxOff == 0 || b.cfg.InMemoryWindow < 0 {
		return false
	}
	res, err := b.store.Get(topic, queueID, 0, 1, nil, nil)
	if err != nil || len(res.Records) < 36 {
		return false
	}
	first := int64(binary.BigEndian.Uint64(res.Records[28:36])) // PHYSICALOFFSET
	return b.store.MaxPhysicalOffset()-first <= b.cfg.InMemoryWindow
}
