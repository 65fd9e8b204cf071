package broker

// Traffic counters for metrics (package broker/brokermetrics): messages
// and bytes written per topic, pulled per group and topic, and consumer
// send-backs. Counting is on the hot paths (put.go, pull.go, retry.go), so
// it is an atomic add on a counter found in a sync.Map, which reads
// without locking once a key exists: keys (topics, group-topic pairs) are
// written once and read ever after, the case sync.Map is built for.

import (
	"sync"
	"sync/atomic"
)

// Traffic counts messages and their bytes.
type Traffic struct {
	Messages int64
	Bytes    int64
}

// GroupTopic names a consumer group's traffic on one topic.
type GroupTopic struct {
	Group string
	Topic string
}

// TrafficStats is a snapshot of the broker's traffic counters since start.
// Counters are never reset while the broker runs, a deleted topic's
// included.
type TrafficStats struct {
	// In counts the records written to each topic's queues, and their
	// stored size in bytes (record header, body, topic and properties, as
	// Java's wroteBytes). Every write counts under the topic it is stored
	// in: a delayed or timed message counts in its schedule or timer topic
	// when parked and in its own topic when it comes due; a transactional
	// one in the half topic, and in its own once committed; a consumer's
	// send-back in %RETRY%<group> when due, or in %DLQ%<group>.
	In map[string]Traffic
	// Out counts the messages pulls returned to each group from each
	// topic (a %RETRY% topic included), and their stored bytes. A message
	// delivered twice counts twice.
	Out map[GroupTopic]Traffic
	// SentBack counts the messages consumers sent back
	// (CONSUMER_SEND_MSG_BACK) and the broker stored, to be retried or
	// dead-lettered, by group and the message's original topic.
	SentBack map[GroupTopic]int64
}

// counter is one key's pair of counts.
type counter struct{ msgs, bytes atomic.Int64 }

// counterMap counts per key. The zero value is ready to use.
type counterMap[K comparable] struct{ m sync.Map } // K -> *counter

// add counts msgs messages of bytes bytes under k.
func (t *counterMap[K]) add(k K, msgs, bytes int64) {
	v, ok := t.m.Load(k)
	if !ok {
		v, _ = t.m.LoadOrStore(k, new(counter))
	}
	c := v.(*counter)
	c.msgs.Add(msgs)
	c.bytes.Add(bytes)
}

// snapshot copies the counts.
func (t *counterMap[K]) snapshot() map[K]Traffic {
	out := map[K]Traffic{}
	t.m.Range(func(k, v any) bool {
		c := v.(*counter)
		out[k.(K)] = Traffic{Messages: c.msgs.Load(), Bytes: c.bytes.Load()}
		return true
	})
	return out
}

// trafficCounters are the broker's traffic counters.
type trafficCounters struct {
	in       counterMap[string]     // by stored topic (put.go)
	out      counterMap[GroupTopic] // by group and topic pulled (pull.go)
	sentBack counterMap[GroupTopic] // by group and original topic (retry.go)
}

// Traffic returns the traffic counters. Safe for concurrent use; the
// counters keep moving while it reads them.
func (b *Broker) Traffic() TrafficStats {
	s := TrafficStats{In: b.traffic.in.snapshot(), Out: b.traffic.out.snapshot(), SentBack: map[GroupTopic]int64{}}
	for k, v := range b.traffic.sentBack.snapshot() {
		s.SentBack[k] = v.Messages
	}
	return s
}
