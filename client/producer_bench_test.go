package client

import (
	"runtime"
	"strconv"
	"testing"

	"github.com/rocketkit/rocketkit/broker/brokertest"
)

// BenchmarkProducerSend sends 1 KiB messages synchronously to an
// in-process broker (file storage, async flush) from 1, 20 and 64
// goroutines sharing one Producer, so one connection.
func BenchmarkProducerSend(b *testing.B) {
	for _, senders := range []int{1, 20, 64} {
		b.Run("senders="+strconv.Itoa(senders), func(b *testing.B) {
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
			msg := &Message{Topic: "bench", Body: make([]byte, 1024)}
			if _, err := p.Send(b.Context(), msg); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			if senders == 1 {
				for b.Loop() {
					if _, err := p.Send(b.Context(), msg); err != nil {
						b.Fatal(err)
					}
				}
				return
			}
			b.SetParallelism(senders / runtime.GOMAXPROCS(0)) // RunParallel runs parallelism x GOMAXPROCS goroutines
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := p.Send(b.Context(), msg); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}
