// Command nats is NATS JetStream's side of the comparison in
// bench/compare.sh: the same loads rocketkit bench puts on a RocketMQ
// broker, on a JetStream stream with file storage.
//
//	go run . -mode publish -w 20 -s 1024 -count 100000   # sync publishes from 20 goroutines, one connection
//	go run . -mode publish -w 1 -count 10000             # one publisher
//	go run . -mode drain -count 200000                   # pull-consume a backlog with AckAll
//
// It prints messages per second and its own CPU time per message.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

func main() {
	url := flag.String("url", "nats://127.0.0.1:4222", "NATS server")
	mode := flag.String("mode", "publish", "publish (sync, -w goroutines on one connection) or drain (publish a backlog async, then pull it with AckAll)")
	workers := flag.Int("w", 20, "publishing goroutines")
	size := flag.Int("s", 1024, "body size")
	count := flag.Int("count", 100000, "messages")
	flag.Parse()

	nc, err := nats.Connect(*url)
	if err != nil {
		log.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	name := fmt.Sprintf("RKBENCH%d", time.Now().UnixNano())
	subject := "rkbench." + name
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: name, Subjects: []string{subject},
		Storage: jetstream.FileStorage}); err != nil {
		log.Fatal(err)
	}
	defer js.DeleteStream(ctx, name)
	body := make([]byte, *size)

	switch *mode {
	case "publish":
		var next atomic.Int64
		var wg sync.WaitGroup
		cpu0, start := cpuTime(), time.Now()
		for range *workers {
			wg.Go(func() {
				for next.Add(1) <= int64(*count) {
					if _, err := js.Publish(ctx, subject, body); err != nil {
						log.Fatal(err)
					}
				}
			})
		}
		wg.Wait()
		report("publish", *count, time.Since(start), cpuTime()-cpu0)
	case "drain":
		for i := range *count {
			if _, err := js.PublishAsync(subject, body); err != nil {
				log.Fatal(err)
			}
			if i%10000 == 0 {
				<-js.PublishAsyncComplete()
			}
		}
		<-js.PublishAsyncComplete()
		c, err := js.CreateConsumer(ctx, name, jetstream.ConsumerConfig{Durable: "drain", AckPolicy: jetstream.AckAllPolicy})
		if err != nil {
			log.Fatal(err)
		}
		cpu0, start := cpuTime(), time.Now()
		got := 0
		for got < *count {
			batch, err := c.Fetch(1000, jetstream.FetchMaxWait(5*time.Second))
			if err != nil {
				log.Fatal(err)
			}
			var last jetstream.Msg
			for m := range batch.Messages() {
				last = m
				got++
			}
			if last != nil {
				if err := last.Ack(); err != nil {
					log.Fatal(err)
				}
			}
		}
		report("drain", got, time.Since(start), cpuTime()-cpu0)
	default:
		log.Fatalf("unknown -mode %q", *mode)
	}
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func report(what string, n int, took, cpu time.Duration) {
	fmt.Fprintf(os.Stdout, "nats %s: %d messages in %v: %.0f msg/s, client CPU %.1f µs/msg\n",
		what, n, took.Round(time.Millisecond), float64(n)/took.Seconds(), float64(cpu.Microseconds())/float64(n))
}
