package broker_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/apache/rocketmq-client-go/v2/consumer"
	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/rocketkit/rocketkit/broker"
	"github.com/rocketkit/rocketkit/broker/brokertest"
)

// A new group's start position follows Java: on a young queue (its first
// message still "in memory") every group starts at 0; otherwise
// CONSUME_FROM_FIRST_OFFSET reads everything, CONSUME_FROM_LAST_OFFSET only
// what comes after it started, CONSUME_FROM_TIMESTAMP what was stored since
// the timestamp.
func TestNewGroupStartPositions(t *testing.T) {
	tests := []struct {
		name   string
		window int64 // broker.Config.InMemoryWindow
		from   consumer.ConsumeFromWhere
		want   []string
	}{
		{"young queue, last offset", 0, consumer.ConsumeFromLastOffset, []string{"old-0", "old-1", "mid-0", "new-0"}},
		{"old queue, first offset", -1, consumer.ConsumeFromFirstOffset, []string{"old-0", "old-1", "mid-0", "new-0"}},
		{"old queue, last offset", -1, consumer.ConsumeFromLastOffset, []string{"new-0"}},
		{"old queue, timestamp", -1, consumer.ConsumeFromTimestamp, []string{"mid-0", "new-0"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := brokertest.Start(t, brokertest.WithConfig(func(c *broker.Config) {
				c.InMemoryWindow = tt.window
				c.DefaultTopicQueueNums = 1
			}))
			topic := uniqueName("t_start")
			p := startProducer(t, b)
			for i := range 2 {
				sendSync(t, p, primitive.NewMessage(topic, []byte(fmt.Sprintf("old-%d", i))))
			}
			time.Sleep(2100 * time.Millisecond) // the timestamp below has whole-second precision
			mark := time.Now()
			sendSync(t, p, primitive.NewMessage(topic, []byte("mid-0")))

			r := newReceived()
			startConsumer(t, b, uniqueName("g_start"), topic, "*", r,
				consumer.WithConsumeFromWhere(tt.from), consumer.WithConsumeGoroutineNums(1),
				// The client formats the timestamp in local time and parses it as UTC.
				consumer.WithConsumeTimestamp(mark.UTC().Add(-200*time.Millisecond).Format("20060102150405")))
			// The consumer has taken its queue, read what it starts with and
			// waits in a held pull for more.
			waitUntil(t, 20*time.Second, func() bool { return b.Stats().HeldPulls > 0 })
			sendSync(t, p, primitive.NewMessage(topic, []byte("new-0")))
			r.waitFor(t, len(tt.want), 20*time.Second)
			quietWindow(300 * time.Millisecond)
			if got := bodies(r.snapshot()); !slices.Equal(got, tt.want) {
				t.Errorf("consumed %v, want %v", got, tt.want)
			}
		})
	}
}
