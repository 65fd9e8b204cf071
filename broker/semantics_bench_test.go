package broker_test

// Benchmarks of the broker's semantics through the official client:
// transaction check-back, retry (send-back) and delay scheduling accuracy.
//
//	go test -run '^$' -bench 'BenchmarkBroker(CheckBack|Retry|DelayAccuracy)' -benchtime 1x ./broker/

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apache/rocketmq-client-go/v2/consumer"
	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/rocketkit/rocketkit/broker"
	"github.com/rocketkit/rocketkit/broker/brokertest"
)

// BenchmarkBrokerCheckBack: 1,000 half messages left unknown are resolved
// by check-backs answered commit; reports resolved checks per second.
func BenchmarkBrokerCheckBack(b *testing.B) {
	const pending = 1000
	for b.Loop() {
		br := brokertest.Start(b, brokertest.WithConfig(func(c *broker.Config) {
			c.TransactionTimeout = time.Millisecond
			c.TransactionCheckInterval = 20 * time.Millisecond
		}))
		topic, group := uniqueName("bench_tx"), uniqueName("pg_bench_tx")
		var answer atomic.Bool
		l := &txListener{
			execute: func(*primitive.Message) primitive.LocalTransactionState { return primitive.UnkonwnState },
			check: func(*primitive.MessageExt) primitive.LocalTransactionState {
				if answer.Load() {
					return primitive.CommitMessageState
				}
				return primitive.UnkonwnState
			},
		}
		p := startTxProducer(b, br, group, l)
		for i := range pending {
			if _, err := p.SendMessageInTransaction(context.Background(), primitive.NewMessage(topic, []byte(fmt.Sprint(i)))); err != nil {
				b.Fatal(err)
			}
		}
		start := time.Now()
		answer.Store(true)
		for br.Stats().PendingTransactions[topic] > 0 {
			time.Sleep(5 * time.Millisecond)
		}
		b.ReportMetric(pending/time.Since(start).Seconds(), "checks/s")
		_ = p.Shutdown()
	}
}

// BenchmarkBrokerRetry: every message fails once and is retried through
// CONSUMER_SEND_MSG_BACK with a 1 ms delay level; reports retries per
// second (first failure to successful redelivery of all).
func BenchmarkBrokerRetry(b *testing.B) {
	const n = 2000
	for b.Loop() {
		br := brokertest.Start(b, brokertest.WithConfig(func(c *broker.Config) {
			c.MessageDelayLevel = "1ms 1ms 1ms 1ms 1ms 1ms 1ms 1ms 1ms 1ms 1ms 1ms 1ms 1ms 1ms 1ms 1ms 1ms"
		}))
		topic := uniqueName("bench_retry")
		p := startProducer(b, br)
		preload(b, p, topic, n)
		var failed sync.Map
		var redelivered atomic.Int64
		done := make(chan struct{})
		c := newConsumer(b, br, uniqueName("g_bench_retry"))
		err := c.Subscribe(topic, consumer.MessageSelector{}, func(_ context.Context, msgs ...*primitive.MessageExt) (consumer.ConsumeResult, error) {
			for _, m := range msgs {
				if _, again := failed.LoadOrStore(string(m.Body), true); !again {
					return consumer.ConsumeRetryLater, nil
				}
				if redelivered.Add(1) == n {
					close(done)
				}
			}
			return consumer.ConsumeSuccess, nil
		})
		if err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		if err := c.Start(); err != nil {
			b.Fatal(err)
		}
		select {
		case <-done:
		case <-time.After(2 * time.Minute):
			b.Fatalf("%d of %d retried messages redelivered", redelivered.Load(), n)
		}
		b.ReportMetric(n/time.Since(start).Seconds(), "retries/s")
		_ = c.Shutdown()
	}
}

// BenchmarkBrokerDelayAccuracy: 10,000 messages with delay level 1 (2 s)
// pending at once; reports how late each delivery was stored relative to
// its due time (p50, p99, max) and how late it reached the consumer.
func BenchmarkBrokerDelayAccuracy(b *testing.B) {
	const n = 10000
	for b.Loop() {
		br := brokertest.Start(b, brokertest.WithConfig(func(c *broker.Config) { c.MessageDelayLevel = "2s" }))
		topic := uniqueName("bench_delay")
		var mu sync.Mutex
		var storeLate, seenLate []time.Duration
		done := make(chan struct{})
		c := newConsumer(b, br, uniqueName("g_bench_delay"))
		err := c.Subscribe(topic, consumer.MessageSelector{}, func(_ context.Context, msgs ...*primitive.MessageExt) (consumer.ConsumeResult, error) {
			now := time.Now()
			mu.Lock()
			defer mu.Unlock()
			for _, m := range msgs {
				due := time.UnixMilli(m.BornTimestamp).Add(2 * time.Second)
				storeLate = append(storeLate, time.UnixMilli(m.StoreTimestamp).Sub(due))
				seenLate = append(seenLate, now.Sub(due))
				if len(seenLate) == n {
					close(done)
				}
			}
			return consumer.ConsumeSuccess, nil
		})
		if err != nil {
			b.Fatal(err)
		}
		if err := c.Start(); err != nil {
			b.Fatal(err)
		}
		ps := make([]producerAPI, 8)
		for i := range ps {
			ps[i] = startProducer(b, br)
		}
		var wg sync.WaitGroup
		for w, p := range ps {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := w; i < n; i += len(ps) {
					msg := primitive.NewMessage(topic, []byte(fmt.Sprint(i))).WithDelayTimeLevel(1)
					if _, err := p.SendSync(context.Background(), msg); err != nil {
						b.Error(err)
						return
					}
				}
			}()
		}
		wg.Wait()
		b.ReportMetric(float64(br.Stats().DelayedMessages), "pending-after-send")
		select {
		case <-done:
		case <-time.After(2 * time.Minute):
			b.Fatalf("only %d of %d delayed messages arrived", len(seenLate), n)
		}
		report := func(unit string, d []time.Duration) {
			slices.Sort(d)
			b.ReportMetric(float64(d[len(d)/2].Milliseconds()), unit+"-p50-ms")
			b.ReportMetric(float64(d[len(d)*99/100].Milliseconds()), unit+"-p99-ms")
			b.ReportMetric(float64(d[len(d)-1].Milliseconds()), unit+"-max-ms")
			if d[0] < -time.Millisecond {
				b.Errorf("a message was delivered %v early", -d[0])
			}
		}
		report("stored-late", storeLate)
		report("consumed-late", seenLate)
		_ = c.Shutdown()
	}
}

// preload sends n small messages in batches of 64.
func preload(b testing.TB, p producerAPI, topic string, n int) {
	b.Helper()
	for i := 0; i < n; i += 64 {
		batch := make([]*primitive.Message, 0, 64)
		for j := i; j < min(n, i+64); j++ {
			batch = append(batch, primitive.NewMessage(topic, []byte(fmt.Sprint(j))))
		}
		if _, err := p.SendSync(context.Background(), batch...); err != nil {
			b.Fatal(err)
		}
	}
}
