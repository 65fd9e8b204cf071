package brokermetrics

import (
	"strconv"
	"testing"
	"time"

	"github.com/rocketkit/rocketkit/admin"
	"github.com/rocketkit/rocketkit/broker/brokertest"
)

func newAdmin(t *testing.T, addr string) *admin.Client {
	t.Helper()
	c, err := admin.New(admin.Config{NameServers: admin.ParseNameServers(addr), Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// The admin-backed handler finds the same lag as the broker's own (50
// sent, 20 consumed: 30, per queue max offset minus committed), the
// topic's offsets, and the broker's runtime counters, with the whole
// output valid exposition format.
func TestClusterLag(t *testing.T) {
	b := brokertest.Start(t)
	l := lagSetup(t, b, 50, 20)
	h, err := NewCluster(newAdmin(t, b.Addr()), ClusterConfig{})
	if err != nil {
		t.Fatal(err)
	}
	exp, body := scrape(t, h)

	group := map[string]string{"cluster": "DefaultCluster", "broker": "broker-a", "consumer_group": l.group, "topic": l.topic}
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
	topic := map[string]string{"broker": "broker-a", "topic": l.topic}
	if v, ok := exp.value("rocketmq_topic_max_offset", topic); !ok || v != 50 {
		t.Errorf("rocketmq_topic_max_offset{topic=%s} = %v (found %v), want 50", l.topic, v, ok)
	}
	if v, ok := exp.value("rocketmq_broker_up", map[string]string{"broker": "broker-a"}); !ok || v != 1 {
		t.Errorf("rocketmq_broker_up = %v (found %v), want 1", v, ok)
	}
	if v, ok := exp.value("rocketmq_broker_messages_in_total", map[string]string{"broker": "broker-a"}); !ok || v < 50 {
		t.Errorf("rocketmq_broker_messages_in_total = %v (found %v), want at least 50", v, ok)
	}
	if v, ok := exp.value("rocketkit_scrape_truncated", nil); !ok || v != 0 {
		t.Errorf("rocketkit_scrape_truncated = %v (found %v), want 0", v, ok)
	}
	calls, _ := exp.value("rocketkit_scrape_admin_calls", nil)
	if errs, _ := exp.value("rocketkit_scrape_errors", nil); errs != 0 || calls == 0 {
		t.Errorf("scrape made %v calls with %v errors, want some and none", calls, errs)
	}
}

// A scrape stops at MaxCalls and says so; within CacheFor a second
// request is served the cached result without asking the cluster.
func TestClusterLimitsAndCache(t *testing.T) {
	b := brokertest.Start(t)
	lagSetup(t, b, 4, 2)
	counting := &countingAdmin{Admin: newAdmin(t, b.Addr())}
	h, err := NewCluster(counting, ClusterConfig{MaxCalls: 3, CacheFor: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	exp, _ := scrape(t, h)
	if v, ok := exp.value("rocketkit_scrape_truncated", nil); !ok || v != 1 {
		t.Errorf("rocketkit_scrape_truncated = %v (found %v), want 1 with MaxCalls 3", v, ok)
	}
	if counting.calls > 3 {
		t.Errorf("the scrape made %d admin calls, more than MaxCalls 3", counting.calls)
	}
	before := counting.calls
	again, _ := scrape(t, h)
	if counting.calls != before {
		t.Errorf("a second request within CacheFor made %d admin calls", counting.calls-before)
	}
	if len(again) != len(exp) {
		t.Errorf("the cached answer has %d families, the first %d", len(again), len(exp))
	}

	if _, err := NewCluster(counting, ClusterConfig{MaxGroups: -1}); err == nil {
		t.Error("NewCluster accepted MaxGroups -1")
	}
}
