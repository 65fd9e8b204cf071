package brokermetrics

import (
	"strconv"
	"testing"

	"github.com/rocketkit/rocketkit/broker/brokertest"
)

// The embedded broker's /metrics after 50 messages were sent to a topic
// and a group consumed the first 20: the topic's in-count is 50, the
// group's lag 30 (per queue: the queue's max offset minus the committed
// offset), and the group was served at least 20; the whole output is
// valid exposition format.
func TestHandlerCountsAndLag(t *testing.T) {
	b := brokertest.Start(t)
	l := lagSetup(t, b, 50, 20)
	exp, body := scrape(t, Handler(b))

	topic := map[string]string{"topic": l.topic, "cluster": "DefaultCluster", "broker": "broker-a"}
	if v, ok := exp.value("rocketmq_messages_in_total", topic); !ok || v != 50 {
		t.Errorf("rocketmq_messages_in_total{topic=%s} = %v (found %v), want 50", l.topic, v, ok)
	}
	if v, ok := exp.value("rocketmq_throughput_in_total", topic); !ok || v < float64(50*len("message 0")) {
		t.Errorf("rocketmq_throughput_in_total{topic=%s} = %v, want at least the bodies' bytes", l.topic, v)
	}
	group := map[string]string{"consumer_group": l.group, "topic": l.topic}
	lag, n := exp.sum("rocketmq_consumer_lag_messages", group)
	if lag != 30 || n != len(l.perQueueMaxOffsets) {
		t.Errorf("lag of %s = %v over %d queues, want 30 over %d\n%s", l.group, lag, n, len(l.perQueueMaxOffsets), body)
	}
	for q, maxOff := range l.perQueueMaxOffsets {
		want := maxOff - l.perQueueCommitted[q]
		qs := map[string]string{"consumer_group": l.group, "topic": l.topic, "queue_id": strconv.Itoa(int(q))}
		if v, ok := exp.value("rocketmq_consumer_lag_messages", qs); !ok || v != float64(want) {
			t.Errorf("lag of %s on queue %d = %v (found %v), want %d", l.group, q, v, ok, want)
		}
	}
	// At least the 20 consumed: a queue the consumer's start-up rebalance
	// hands over before anything was committed is served again.
	if v, ok := exp.value("rocketmq_messages_out_total", group); !ok || v < 20 || v > 40 {
		t.Errorf("rocketmq_messages_out_total{%s,%s} = %v (found %v), want 20 to 40", l.group, l.topic, v, ok)
	}
	if v, ok := exp.value("rocketmq_requests_total", map[string]string{"request": "SEND_MESSAGE_V2"}); !ok || v < 50 {
		if v2, ok2 := exp.value("rocketmq_requests_total", map[string]string{"request": "SEND_MESSAGE"}); !ok2 || v+v2 < 50 {
			t.Errorf("send requests counted %v + %v, want at least 50", v, v2)
		}
	}
	if v, ok := exp.value("rocketmq_storage_size", nil); !ok || v <= 0 {
		t.Errorf("rocketmq_storage_size = %v (found %v), want > 0", v, ok)
	}
	for _, name := range []string{"rocketmq_storage_flush_latency_seconds", "rocketmq_storage_fsync_latency_seconds",
		"rocketmq_storage_checkpoint_latency_seconds"} {
		if f := exp[name]; f == nil || f.typ != "histogram" {
			t.Errorf("%s missing or not a histogram", name)
		}
	}
}
