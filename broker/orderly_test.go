//go:build !race

// The official client's orderly consumer has data races of its own
// (processQueue's message tree is read and written without a lock in
// consumeMessageOrderly / pullMessage), which the race detector reports in
// any test that uses it. These tests therefore build without -race; the
// Taskfile's test task runs them in a separate pass so CI always runs them.

package broker_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/apache/rocketmq-client-go/v2/consumer"
	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/apache/rocketmq-client-go/v2/producer"
	"github.com/rocketkit/rocketkit/broker"
	"github.com/rocketkit/rocketkit/broker/brokertest"
)

// orderLog records, per member, the steps seen for each key.
type orderLog struct {
	mu    sync.Mutex
	steps map[string][]int // key -> steps, in arrival order
}

func (o *orderLog) add(key string, step int) {
	o.mu.Lock()
	o.steps[key] = append(o.steps[key], step)
	o.mu.Unlock()
}

func (o *orderLog) snapshot() map[string][]int {
	o.mu.Lock()
	defer o.mu.Unlock()
	out := make(map[string][]int, len(o.steps))
	for k, v := range o.steps {
		out[k] = slices.Clone(v)
	}
	return out
}

func startOrderly(t *testing.T, b *broker.Broker, group, topic string, log *orderLog) pushConsumer {
	t.Helper()
	c := newConsumer(t, b, group, consumer.WithConsumerOrder(true))
	err := c.Subscribe(topic, consumer.MessageSelector{}, func(_ context.Context, msgs ...*primitive.MessageExt) (consumer.ConsumeResult, error) {
		for _, m := range msgs {
			var step int
			if _, err := fmt.Sscanf(string(m.Body), "step-%d", &step); err != nil {
				t.Errorf("unexpected body %q", m.Body)
				continue
			}
			log.add(m.GetKeys(), step)
		}
		return consumer.ConsumeSuccess, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	return c
}

// S4, S7 (the study's experiments, listed in examples/scenarios): two
// orderly members of one group share the queues; 20 keys x 10 steps,
// sharded by key, all arrive and each member sees each key's steps in
// order, also after one member leaves and the other takes its queues over.
func TestOfficialOrderlyConsumptionPerKey(t *testing.T) {
	b := brokertest.Start(t, brokertest.WithConfig(func(c *broker.Config) {
		c.RebalanceLockMaxLiveTime = 5 * time.Second
	}))
	topic, group := uniqueName("t_orderly"), uniqueName("g_orderly")
	p := startProducer(t, b, producer.WithQueueSelector(producer.NewHashQueueSelector()))
	send := func(step int) {
		for k := range 20 {
			key := fmt.Sprintf("order-%02d", k)
			sendSync(t, p, primitive.NewMessage(topic, []byte(fmt.Sprintf("step-%d", step))).
				WithKeys([]string{key}).WithShardingKey(key))
		}
	}
	send(0) // creates the topic

	log1, log2 := &orderLog{steps: map[string][]int{}}, &orderLog{steps: map[string][]int{}}
	m1 := startOrderly(t, b, group, topic, log1)
	startOrderly(t, b, group, topic, log2)
	for step := 1; step < 5; step++ {
		send(step)
	}
	covered := func(upTo int) bool {
		for k := range 20 {
			key := fmt.Sprintf("order-%02d", k)
			seen := map[int]bool{}
			for _, s := range append(log1.snapshot()[key], log2.snapshot()[key]...) {
				seen[s] = true
			}
			for s := 0; s < upTo; s++ {
				if !seen[s] {
					return false
				}
			}
		}
		return true
	}
	waitUntil(t, 30*time.Second, func() bool { return covered(5) })
	if len(log1.snapshot()) == 0 || len(log2.snapshot()) == 0 {
		t.Errorf("queues not shared: member 1 saw %d keys, member 2 saw %d", len(log1.snapshot()), len(log2.snapshot()))
	}

	if err := m1.Shutdown(); err != nil {
		t.Fatal(err)
	}
	for step := 5; step < 10; step++ {
		send(step)
	}
	waitUntil(t, 60*time.Second, func() bool { return covered(10) })

	for i, log := range []*orderLog{log1, log2} {
		for key, steps := range log.snapshot() {
			if !slices.IsSorted(steps) {
				t.Errorf("member %d saw %s out of order: %v", i+1, key, steps)
			}
		}
	}
	var later []int
	for k := range 20 {
		later = log2.snapshot()[fmt.Sprintf("order-%02d", k)]
		if n := len(later); n == 0 || later[n-1] != 9 {
			t.Errorf("order-%02d: the remaining member's last step is not 9: %v", k, later)
		}
	}
}
