package broker

// Resetting a live group's offsets (INVOKE_BROKER_TO_RESET_OFFSET), as
// Java's Broker2Client.resetOffset: the broker works out each queue's new
// offset from a timestamp and tells every live member of the group
// (RESET_CONSUMER_CLIENT_OFFSET, one way), which drops what it holds of
// those queues and consumes again from the new offsets.

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/rocketkit/rocketkit/protocol/remoting"
)

// offsetReset is one reset: its request and what it computed.
type offsetReset struct {
	topic, group string
	timestamp    int64 // Unix ms; -1: the queues' max offsets
	force        bool  // move forward too, not only back
	offsets      map[int32]int64
}

// resetOffsets computes the group's new offset on each queue of the topic
// (the first message stored at or after the timestamp; without force a
// queue already before it keeps its offset), stores them, and sends the
// table to every live member. It returns the answer to req: TOPIC_NOT_EXIST,
// SYSTEM_ERROR when the group has neither an offset on the topic nor a
// live member, and CONSUMER_NOT_ONLINE when it has no live member, with
// Java's remarks; on
// SUCCESS the body is the offset table.
func (b *Broker) resetOffsets(req *remoting.Command, r *offsetReset) *remoting.Command {
	tc, ok := b.topics.get(r.topic)
	if !ok {
		return errorResponse(req, remoting.TopicNotExist,
			"[reset-offset] reset offset failed, no topic in this broker. topic="+r.topic)
	}
	r.offsets = make(map[int32]int64, tc.WriteQueues)
	known := false
	for i := range int32(tc.WriteQueues) {
		cur, has := b.offsets.get(r.group, r.topic, i)
		known = known || has
		var target int64
		if r.timestamp < 0 {
			_, target = b.store.QueueRange(r.topic, i)
		} else {
			target = b.store.SearchOffset(r.topic, i, r.timestamp)
		}
		if r.force || !has || target < cur {
			r.offsets[i] = target
		} else {
			r.offsets[i] = cur
		}
	}
	members := b.clients.memberConns(r.group)
	if !known && len(members) == 0 {
		return errorResponse(req, remoting.SystemError, fmt.Sprintf("THe consumer group <%s> not exist", r.group))
	}
	if len(members) == 0 {
		return errorResponse(req, remoting.ConsumerNotOnline, fmt.Sprintf(
			"Consumer not online, so can not reset offset, Group: %s Topic: %s Timestamp: %d", r.group, r.topic, r.timestamp))
	}
	for q, off := range r.offsets {
		b.offsets.commit(r.group, r.topic, q, off)
	}
	body := encodeResetOffsetBody(r.topic, b.cfg.BrokerName, r.offsets)
	fields := remoting.Fields{{Key: "topic", Value: r.topic}, {Key: "group", Value: r.group},
		{Key: "timestamp", Value: strconv.FormatInt(r.timestamp, 10)}, {Key: "isForce", Value: strconv.FormatBool(r.force)}}
	for id, c := range members {
		c.sendOneway(remoting.ResetConsumerClientOffset, fields, body)
		b.log.Info("reset offset sent to consumer", "group", r.group, "topic", r.topic, "client", id)
	}
	resp := remoting.NewResponse(req, remoting.Success, "")
	resp.Body = body
	return resp
}

// encodeResetOffsetBody encodes Java's ResetOffsetBody as fastjson does:
// {"offsetTable":{{"brokerName":"b","queueId":0,"topic":"t"}:5,...}}, a
// map keyed by MessageQueue objects, compact, in queue order (the
// official Go client splits this text on "},{" and "}:").
func encodeResetOffsetBody(topic, brokerName string, offsets map[int32]int64) []byte {
	var sb strings.Builder
	sb.WriteString(`{"offsetTable":{`)
	for q := range int32(len(offsets)) {
		off, ok := offsets[q]
		if !ok {
			continue
		}
		if q > 0 {
			sb.WriteByte(',')
		}
		fmt.Fprintf(&sb, `{"brokerName":%s,"queueId":%d,"topic":%s}:%d`,
			strconv.Quote(brokerName), q, strconv.Quote(topic), off)
	}
	sb.WriteString(`}}`)
	return []byte(sb.String())
}
