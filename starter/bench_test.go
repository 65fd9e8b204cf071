package starter_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apache/rocketmq-client-go/v2/consumer"
	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/apache/rocketmq-client-go/v2/producer"
	"github.com/rocketkit/rocketkit/broker/brokertest"
	"github.com/rocketkit/rocketkit/listener"
	"github.com/rocketkit/rocketkit/starter/startertest"
)

// counter counts consumed messages and signals when target is reached.
type counter struct {
	n      atomic.Int64
	target atomic.Int64
	done   chan struct{}
}

func (c *counter) add(k int) {
	if c.n.Add(int64(k)) == c.target.Load() {
		c.done <- struct{}{}
	}
}

// wait blocks until target messages were consumed in total.
func (c *counter) wait(b *testing.B, target int64) {
	if c.target.Swap(target); c.n.Load() >= target {
		return
	}
	select {
	case <-c.done:
	case <-time.After(60 * time.Second):
		b.Fatalf("consumed %d of %d", c.n.Load(), target)
	}
}

type BenchListener struct {
	listener.Concurrent `topic:"bench-template" group:"bench-template"`
	c                   *counter
}

func (l *BenchListener) Handle(context.Context, *listener.Message) error { l.c.add(1); return nil }

// BenchmarkTemplateSendConsume sends 1 KiB messages synchronously and
// waits until a listener consumed them all: through the starter (Template
// + listener) and through the raw official client (producer.SendSync +
// push consumer), against the same broker in the same run. One op is one
// message sent and consumed.
func BenchmarkTemplateSendConsume(b *testing.B) {
	br := brokertest.Start(b)
	body := make([]byte, 1024)
	for i := range body {
		body[i] = byte('a' + i%26)
	}
	warmUp(b, br.Addr(), body)

	b.Run("raw", func(b *testing.B) {
		c := &counter{done: make(chan struct{}, 1)}
		ns := primitive.NamesrvAddr{br.Addr()}
		p, err := producer.NewDefaultProducer(producer.WithNameServer(ns), producer.WithGroupName("bench-raw-p"),
			producer.WithInstanceName(fmt.Sprintf("bench-raw-p-%d", time.Now().UnixNano())), producer.WithRetry(2))
		if err != nil {
			b.Fatal(err)
		}
		if err := p.Start(); err != nil {
			b.Fatal(err)
		}
		defer p.Shutdown()
		pc, err := consumer.NewPushConsumer(consumer.WithNameServer(ns), consumer.WithGroupName("bench-raw"),
			consumer.WithInstance(fmt.Sprintf("bench-raw-c-%d", time.Now().UnixNano())))
		if err != nil {
			b.Fatal(err)
		}
		err = pc.Subscribe("bench-raw", consumer.MessageSelector{}, func(_ context.Context, msgs ...*primitive.MessageExt) (consumer.ConsumeResult, error) {
			c.add(len(msgs))
			return consumer.ConsumeSuccess, nil
		})
		if err != nil {
			b.Fatal(err)
		}
		if err := pc.Start(); err != nil {
			b.Fatal(err)
		}
		defer pc.Shutdown()
		ctx := context.Background()
		var sent int64
		b.ReportAllocs()
		b.SetBytes(int64(len(body)))
		for b.Loop() {
			if _, err := p.SendSync(ctx, primitive.NewMessage("bench-raw", body)); err != nil {
				b.Fatal(err)
			}
			sent++
		}
		c.wait(b, sent)
	})

	b.Run("template", func(b *testing.B) {
		c := &counter{done: make(chan struct{}, 1)}
		app := startertest.New(b, startertest.Config(map[string]any{"rocketmq.name-server": br.Addr()}),
			startertest.Listener(func() *BenchListener { return &BenchListener{c: c} }))
		ctx := context.Background()
		var sent int64
		b.ReportAllocs()
		b.SetBytes(int64(len(body)))
		for b.Loop() {
			if _, err := app.Template.Send(ctx, "bench-template", body); err != nil {
				b.Fatal(err)
			}
			sent++
		}
		c.wait(b, sent)
	})
}

// warmUp sends a few thousand messages so that neither variant pays for
// the broker's first writes.
func warmUp(b *testing.B, addr string, body []byte) {
	p, err := producer.NewDefaultProducer(producer.WithNameServer(primitive.NamesrvAddr{addr}),
		producer.WithGroupName("bench-warm"), producer.WithInstanceName(fmt.Sprintf("bench-warm-%d", time.Now().UnixNano())))
	if err != nil {
		b.Fatal(err)
	}
	if err := p.Start(); err != nil {
		b.Fatal(err)
	}
	defer p.Shutdown()
	for range 3000 {
		if _, err := p.SendSync(context.Background(), primitive.NewMessage("bench-warm", body)); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkTemplateSend sends 1 KiB messages synchronously through the
// Template from 20 goroutines, on each client (rocketmq.client), against
// an in-process broker. One op is one message stored.
func BenchmarkTemplateSend(b *testing.B) {
	for _, which := range []string{"rocketkit", "official"} {
		b.Run("client="+which, func(b *testing.B) {
			app := startertest.New(b, startertest.Config(map[string]any{"rocketmq.client": which}))
			body := make([]byte, 1024)
			ctx := context.Background()
			if _, err := app.Template.Send(ctx, "bench-template-send", body); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.SetParallelism(10) // x GOMAXPROCS 2 = 20 senders here
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := app.Template.Send(ctx, "bench-template-send", body); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}
