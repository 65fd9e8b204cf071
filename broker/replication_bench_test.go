package broker_test

// Replication benchmarks on an in-process cluster (brokertest.StartCluster:
// a master and a slave over loopback, the kit's client, 1 KiB bodies):
//
//	go test -run '^$' -bench 'ReplicatedSend' -benchtime 20000x ./broker/
//	go test -run '^$' -bench 'SlaveCatchUp' -benchtime 3x ./broker/
//
// BenchmarkReplicatedSend compares an ASYNC_MASTER with a SYNC_MASTER (the
// penalty is the wait for the slave's acknowledgement): msgs/s, and the
// send latency's p50 and p99 in microseconds. BenchmarkSlaveCatchUp starts
// a slave against a master holding a backlog and reports how fast it
// replicates it (MB/s of commit log).

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/rocketkit/rocketkit/broker"
	"github.com/rocketkit/rocketkit/broker/brokertest"
	"github.com/rocketkit/rocketkit/client"
)

func BenchmarkReplicatedSend(b *testing.B) {
	for _, role := range []string{broker.AsyncMaster, broker.SyncMaster} {
		for _, senders := range []int{1, 20} {
			b.Run(fmt.Sprintf("role=%s/senders=%d", role, senders), func(b *testing.B) {
				c := brokertest.StartCluster(b, brokertest.ClusterSpec{NameServers: 1, MasterRole: role})
				cl, err := client.New(client.Config{NameServers: c.NamesrvAddrs()})
				if err != nil {
					b.Fatal(err)
				}
				defer cl.Close()
				p, err := cl.NewProducer(client.ProducerConfig{Group: "bench-replicated"})
				if err != nil {
					b.Fatal(err)
				}
				defer p.Close()
				ctx := context.Background()
				body := make([]byte, 1024)
				if _, err := p.Send(ctx, &client.Message{Topic: "replicated", Body: body}); err != nil {
					b.Fatal(err) // creates the topic and warms the route
				}
				lat := make([][]time.Duration, senders)
				var next sync.WaitGroup
				b.ResetTimer()
				start := time.Now()
				for s := range senders {
					next.Go(func() {
						for i := s; i < b.N; i += senders {
							t0 := time.Now()
							res, err := p.Send(ctx, &client.Message{Topic: "replicated", Body: body})
							if err != nil || res.Status != client.SendOK {
								b.Errorf("send: %v %v", res, err)
								return
							}
							lat[s] = append(lat[s], time.Since(t0))
						}
					})
				}
				next.Wait()
				elapsed := time.Since(start)
				b.StopTimer()
				all := slices.Concat(lat...)
				slices.Sort(all)
				if len(all) > 0 {
					b.ReportMetric(float64(len(all))/elapsed.Seconds(), "msgs/s")
					b.ReportMetric(float64(all[len(all)/2].Microseconds()), "p50-µs")
					b.ReportMetric(float64(all[len(all)*99/100].Microseconds()), "p99-µs")
				}
			})
		}
	}
}

func BenchmarkSlaveCatchUp(b *testing.B) {
	c := brokertest.StartCluster(b, brokertest.ClusterSpec{NameServers: 1})
	g := c.Groups[0]
	cl, err := client.New(client.Config{NameServers: c.NamesrvAddrs()})
	if err != nil {
		b.Fatal(err)
	}
	defer cl.Close()
	p, err := cl.NewProducer(client.ProducerConfig{Group: "bench-catch-up"})
	if err != nil {
		b.Fatal(err)
	}
	defer p.Close()
	ctx := context.Background()
	body := make([]byte, 1024)
	batch := make([]*client.Message, 32)
	for i := range batch {
		batch[i] = &client.Message{Topic: "backlog", Body: body}
	}
	var replicated int64
	var took time.Duration
	for b.Loop() {
		b.StopTimer()
		if err := g.Slaves[0].Stop(); err != nil {
			b.Fatal(err)
		}
		from := g.Master.Broker().Replication().MaxOffset
		for range 1000 { // 32,000 messages, about 36 MB of log per op
			if _, err := p.SendBatch(ctx, batch); err != nil {
				b.Fatal(err)
			}
		}
		b.StartTimer()
		t0 := time.Now()
		if err := g.Slaves[0].Start(); err != nil {
			b.Fatal(err)
		}
		if err := g.WaitCaughtUp(5 * time.Minute); err != nil {
			b.Fatal(err)
		}
		took += time.Since(t0)
		replicated += g.Master.Broker().Replication().MaxOffset - from
	}
	b.ReportMetric(float64(replicated)/1e6/took.Seconds(), "MB/s")
}
