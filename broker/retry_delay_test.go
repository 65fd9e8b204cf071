package broker_test

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/apache/rocketmq-client-go/v2/consumer"
	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/rocketkit/rocketkit/broker"
	"github.com/rocketkit/rocketkit/broker/brokertest"
)

// fastDelays is an 18-level delay table in milliseconds for retry tests.
const fastDelays = "50ms 100ms 150ms 200ms 250ms 300ms 350ms 400ms 450ms 500ms 550ms 600ms 650ms 700ms 750ms 800ms 850ms 900ms"

// Retry: a handler that asks for a retry sees the message again with
// reconsumeTimes 1, same msgId, on its original topic.
func TestRetryRedeliversWithReconsumeTimes(t *testing.T) {
	b := brokertest.Start(t, brokertest.WithConfig(func(c *broker.Config) { c.MessageDelayLevel = fastDelays }))
	topic, group := uniqueName("t_retry"), uniqueName("g_retry")
	p := startProducer(t, b)
	sent := sendSync(t, p, primitive.NewMessage(topic, []byte("flaky")).WithKeys([]string{"k-retry"}))

	var mu sync.Mutex
	var seen []*primitive.MessageExt
	done := make(chan struct{})
	c := newConsumer(t, b, group)
	err := c.Subscribe(topic, consumer.MessageSelector{}, func(_ context.Context, msgs ...*primitive.MessageExt) (consumer.ConsumeResult, error) {
		mu.Lock()
		defer mu.Unlock()
		seen = append(seen, msgs...)
		if len(seen) == 1 {
			return consumer.ConsumeRetryLater, nil
		}
		close(done)
		return consumer.ConsumeSuccess, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatalf("message not redelivered after RetryLater")
	}
	mu.Lock()
	defer mu.Unlock()
	first, second := seen[0], seen[1]
	if first.ReconsumeTimes != 0 || second.ReconsumeTimes != 1 {
		t.Errorf("reconsumeTimes %d then %d, want 0 then 1", first.ReconsumeTimes, second.ReconsumeTimes)
	}
	if second.MsgId != sent.MsgID || second.Topic != topic || string(second.Body) != "flaky" {
		t.Errorf("redelivery msgId %s topic %s body %q, want %s %s %q", second.MsgId, second.Topic, second.Body, sent.MsgID, topic, "flaky")
	}
	if got := second.GetKeys(); got != "k-retry" {
		t.Errorf("redelivery keys %q, want k-retry", got)
	}
}

// DLQ: with maxReconsumeTimes 1 a message that keeps failing ends in
// %DLQ%<group>, where a consumer of the DLQ receives it.
func TestRetryExhaustedGoesToDLQ(t *testing.T) {
	b := brokertest.Start(t, brokertest.WithConfig(func(c *broker.Config) { c.MessageDelayLevel = fastDelays }))
	topic, group := uniqueName("t_dlq"), uniqueName("g_dlq")
	p := startProducer(t, b)
	sent := sendSync(t, p, primitive.NewMessage(topic, []byte("poison")))

	var attempts sync.Map
	c := newConsumer(t, b, group, consumer.WithMaxReconsumeTimes(1))
	err := c.Subscribe(topic, consumer.MessageSelector{}, func(_ context.Context, msgs ...*primitive.MessageExt) (consumer.ConsumeResult, error) {
		for _, m := range msgs {
			attempts.Store(m.ReconsumeTimes, true)
		}
		return consumer.ConsumeRetryLater, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}

	dead := newReceived()
	startConsumer(t, b, uniqueName("g_dlq_reader"), "%DLQ%"+group, "*", dead)
	got := dead.waitFor(t, 1, 30*time.Second)
	if got[0].MsgId != sent.MsgID || string(got[0].Body) != "poison" {
		t.Errorf("DLQ message %s %q, want %s %q", got[0].MsgId, got[0].Body, sent.MsgID, "poison")
	}
	for _, rt := range []int32{0, 1} {
		if _, ok := attempts.Load(rt); !ok {
			t.Errorf("no attempt with reconsumeTimes %d before the DLQ", rt)
		}
	}
}

// Delay: levels 1 and 2 (1 s and 5 s by default) arrive no earlier than due.
func TestDelayLevelsArriveNoEarlier(t *testing.T) {
	b := brokertest.Start(t)
	topic := uniqueName("t_delay")
	p := startProducer(t, b)
	r := newReceived()
	startConsumer(t, b, uniqueName("g_delay"), topic, "*", r)
	sendSync(t, p, primitive.NewMessage(topic, []byte("now")))
	r.waitFor(t, 1, 10*time.Second)

	sendSync(t, p, primitive.NewMessage(topic, []byte("level-2")).WithDelayTimeLevel(2))
	sendSync(t, p, primitive.NewMessage(topic, []byte("level-1")).WithDelayTimeLevel(1))
	got := r.waitFor(t, 3, 20*time.Second)
	// Arrival order and the stored timestamps tell the delay independently
	// of consumer latency: the delivered copy is stored when due.
	for _, m := range got[1:] {
		born := time.UnixMilli(m.BornTimestamp)
		stored := time.UnixMilli(m.StoreTimestamp)
		want := map[string]time.Duration{"level-1": time.Second, "level-2": 5 * time.Second}[string(m.Body)]
		if d := stored.Sub(born); d < want {
			t.Errorf("%s stored %v after it was sent, want at least %v", m.Body, d, want)
		}
		t.Logf("%s: delivered copy stored %v after send (due after %v)", m.Body, stored.Sub(born), want)
	}
	if string(got[1].Body) != "level-1" || string(got[2].Body) != "level-2" {
		t.Errorf("arrival order %v, want level-1 then level-2", bodies(got[1:]))
	}
}

// A delayed message still arrives after the broker restarts while it waits.
func TestDelayedMessageSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	cfg := func(c *broker.Config) {
		c.DataDir = dir
		c.MessageDelayLevel = "2s 3s"
	}
	b := brokertest.Start(t, brokertest.WithConfig(cfg))
	topic := uniqueName("t_delay_restart")
	p := startProducer(t, b)
	sendSync(t, p, primitive.NewMessage(topic, []byte("later")).WithDelayTimeLevel(1))
	if err := p.Shutdown(); err != nil {
		t.Fatal(err)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}

	b2 := brokertest.Start(t, brokertest.WithConfig(cfg))
	r := newReceived()
	startConsumer(t, b2, uniqueName("g_delay_restart"), topic, "*", r)
	got := r.waitFor(t, 1, 20*time.Second)
	if string(got[0].Body) != "later" {
		t.Errorf("got %q after restart, want the delayed message", got[0].Body)
	}
	if d := time.UnixMilli(got[0].StoreTimestamp).Sub(time.UnixMilli(got[0].BornTimestamp)); d < 2*time.Second {
		t.Errorf("delivered %v after send, want at least 2s", d)
	}
}

// Deliver-at-timestamp (WithDelayTimestamp): delivered no earlier than the
// time asked for, in due order, also when the broker restarts meanwhile.
func TestDeliverAtTimestamp(t *testing.T) {
	dir := t.TempDir()
	// One queue: the store order (past at once, then each when due) is the
	// arrival order, however late a busy machine starts the consumer.
	opt := brokertest.WithConfig(func(c *broker.Config) { c.DataDir = dir; c.DefaultTopicQueueNums = 1 })
	b := brokertest.Start(t, opt)
	topic := uniqueName("t_timer")
	p := startProducer(t, b)
	now := time.Now()
	late, early := now.Add(2500*time.Millisecond), now.Add(1500*time.Millisecond)
	sendSync(t, p, primitive.NewMessage(topic, []byte("late")).WithDelayTimestamp(late))
	sendSync(t, p, primitive.NewMessage(topic, []byte("early")).WithDelayTimestamp(early))
	sendSync(t, p, primitive.NewMessage(topic, []byte("past")).WithDelayTimestamp(now.Add(-time.Minute)))
	// The past one is due at once; the other two wait, unless this
	// (busy) machine took until "early" to get here.
	switch n := b.Stats().TimedMessages; {
	case n > 2:
		t.Errorf("timed messages waiting: %d, want at most 2 (one was already due)", n)
	case n != 2 && time.Now().Before(early):
		t.Errorf("timed messages waiting: %d before the first is due, want 2", n)
	}
	_ = p.Shutdown()
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}

	b = brokertest.Start(t, opt)
	r := newReceived()
	startConsumer(t, b, uniqueName("g_timer"), topic, "*", r, consumer.WithConsumeGoroutineNums(1))
	got := r.waitFor(t, 3, 20*time.Second)
	if want := []string{"past", "early", "late"}; !slices.Equal(bodies(got), want) {
		t.Errorf("arrival order %v, want %v", bodies(got), want)
	}
	for _, m := range got[1:] {
		due := map[string]time.Time{"early": early, "late": late}[string(m.Body)]
		if stored := time.UnixMilli(m.StoreTimestamp); stored.Before(due.Truncate(time.Millisecond)) {
			t.Errorf("%s delivered at %v, before its time %v", m.Body, stored, due)
		}
		if m.GetProperty("TIMER_DELIVER_MS") != "" {
			t.Errorf("%s still carries TIMER_DELIVER_MS", m.Body)
		}
	}
	quietWindow(300 * time.Millisecond)
	if n := r.count(); n != 3 {
		t.Errorf("%d deliveries, want 3 (no repeats after the restart)", n)
	}
}
