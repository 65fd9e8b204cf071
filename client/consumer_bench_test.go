package client

import (
	"context"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rocketkit/rocketkit/broker/brokertest"
)

// BenchmarkConsumerConsume measures how fast a consumer drains b.N 1 KiB
// messages already stored in 4 queues of an in-process broker, from Start
// to the last handler call, with a handler that does nothing; concurrent
// (20 goroutines) and orderly (one per queue).
func BenchmarkConsumerConsume(b *testing.B) {
	for _, orderly := range []bool{false, true} {
		b.Run("orderly="+strconv.FormatBool(orderly), func(b *testing.B) {
			br := brokertest.Start(b)
			c, err := New(Config{NameServers: []string{br.Addr()}})
			if err != nil {
				b.Fatal(err)
			}
			defer c.Close()
			p, err := c.NewProducer(ProducerConfig{Group: "bench"})
			if err != nil {
				b.Fatal(err)
			}
			defer p.Close()
			batch := make([]*Message, 64)
			for i := range batch {
				batch[i] = &Message{Topic: "bench", Body: make([]byte, 1024)}
			}
			for sent := 0; sent < b.N; sent += len(batch) {
				if _, err := p.SendBatch(b.Context(), batch[:min(len(batch), b.N-sent)]); err != nil {
					b.Fatal(err)
				}
			}
			var n atomic.Int64
			done := make(chan struct{})
			con, err := c.NewConsumer(ConsumerConfig{Group: "bench", Orderly: orderly, ConsumeFrom: ConsumeFromFirstOffset,
				Subscriptions: []Subscription{{Topic: "bench"}}}, func(_ context.Context, msgs []*MessageExt) ConsumeResult {
				if n.Add(int64(len(msgs))) == int64(b.N) {
					close(done)
				}
				return ConsumeSuccess
			})
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			start := time.Now()
			if err := con.Start(b.Context()); err != nil {
				b.Fatal(err)
			}
			<-done
			b.StopTimer()
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "msgs/s")
			if err := con.Close(context.Background()); err != nil {
				b.Fatal(err)
			}
		})
	}
}
