package broker

import (
	"slices"
	"strconv"
)

// QueueStats is one queue's consumption progress for a group.
type QueueStats struct {
	Topic      string `json:"topic"`
	BrokerName string `json:"brokerName"`
	QueueID    int32  `json:"queueId"`
	// BrokerOffset is the queue's max offset (next to be written).
	BrokerOffset int64 `json:"brokerOffset"`
	// ConsumerOffset is the group's committed offset (next to consume).
	ConsumerOffset int64 `json:"consumerOffset"`
}

// Lag is how many messages the group has not consumed yet.
func (q QueueStats) Lag() int64 { return max(0, q.BrokerOffset-q.ConsumerOffset) }

// ConsumeStats reports the group's progress on every queue of the topics
// it subscribes (live members) or has offsets for, sorted by topic and
// queue. topic limits it to one topic ("" = all).
func (b *Broker) ConsumeStats(group, topic string) []QueueStats {
	topics := map[string]bool{}
	for k := range b.offsets.forGroup(group) {
		topics[k.topic] = true
	}
	for _, m := range b.clients.members(group) {
		for _, s := range m.Subscriptions {
			topics[s.Topic] = true
		}
	}
	var out []QueueStats
	for name := range topics {
		if topic != "" && name != topic {
			continue
		}
		tc, ok := b.topics.get(name)
		if !ok {
			continue
		}
		for q := range int32(max(tc.ReadQueues, tc.WriteQueues)) {
			_, maxOff := b.store.QueueRange(name, q)
			off, _ := b.offsets.get(group, name, q)
			out = append(out, QueueStats{Topic: name, BrokerName: b.cfg.BrokerName, QueueID: q,
				BrokerOffset: maxOff, ConsumerOffset: off})
		}
	}
	slices.SortFunc(out, func(a, b QueueStats) int {
		if c := compareStrings(a.Topic, b.Topic); c != 0 {
			return c
		}
		return int(a.QueueID - b.QueueID)
	})
	return out
}

// appendMQKey appends a message queue as a fastjson object key, the way the
// Java broker encodes maps keyed by MessageQueue.
func appendMQKey(dst []byte, topic, brokerName string, queueID int32) []byte {
	dst = append(dst, `{"brokerName":"`...)
	dst = append(dst, brokerName...)
	dst = append(dst, `","queueId":`...)
	dst = strconv.AppendInt(dst, int64(queueID), 10)
	dst = append(dst, `,"topic":"`...)
	dst = append(dst, topic...)
	return append(dst, `"}`...)
}
