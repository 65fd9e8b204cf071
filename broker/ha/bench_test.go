package ha

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/rocketkit/rocketkit/broker/store"
)

// benchPair is a master store served by a Master and, when slave is set,
// a running Slave on its own store, over loopback.
type benchPair struct {
	ms, ss *store.Store
	m      *Master
	s      *Slave
	addr   string
}

func newBenchPair(b *testing.B, slave bool) *benchPair {
	b.Helper()
	var n notifier
	p := &benchPair{ms: openStore(b, store.Config{OnAppend: n.onAppend})}
	p.m = NewMaster(MasterConfig{Store: p.ms})
	n.m.Store(p.m)
	p.addr = startMaster(b, p.m)
	if slave {
		p.ss = openStore(b, store.Config{})
		p.s = NewSlave(SlaveConfig{Store: p.ss, MasterAddr: newAddr(p.addr).get})
		runSlave(b, p.s)
		waitFor(b, 10*time.Second, func() bool { return len(p.m.Slaves()) == 1 }, "slave never reported")
	}
	return p
}

// BenchmarkReplication measures replication throughput of 1 KiB records
// over loopback: catch-up ships a log of N records to a new, empty slave
// (connect, stream, AppendReplica with consume queues and index); follow
// has the slave keep up with a master appending one record at a time.
func BenchmarkReplication(b *testing.B) {
	ctx := context.Background()
	const n = 20_000
	b.Run(fmt.Sprintf("catchup/records=%d/1KiB", n), func(b *testing.B) {
		p := newBenchPair(b, false)
		batch := make([]store.Entry, 32)
		for i := 0; i < n; i += len(batch) {
			for j := range batch {
				batch[j] = entry(i+j, 1024)
			}
			if _, err := p.ms.Append(ctx, batch); err != nil {
				b.Fatal(err)
			}
		}
		total := p.ms.MaxPhysicalOffset()
		b.SetBytes(total)
		b.ReportAllocs()
		for b.Loop() {
			b.StopTimer()
			reached := make(chan struct{})
			var once sync.Once
			var ss *store.Store
			ss, err := store.Open(store.Config{Dir: b.TempDir(), OnAppend: func(string, int32) {
				if ss.MaxPhysicalOffset() >= total {
					once.Do(func() { close(reached) })
				}
			}})
			if err != nil {
				b.Fatal(err)
			}
			s := NewSlave(SlaveConfig{Store: ss, MasterAddr: newAddr(p.addr).get})
			sctx, cancel := context.WithCancel(ctx)
			done := make(chan struct{})
			b.StartTimer()
			go func() { s.Run(sctx); close(done) }()
			<-reached
			b.StopTimer()
			cancel()
			<-done
			if err := ss.Close(); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
		}
		b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
	})
	b.Run("follow/1KiB", func(b *testing.B) {
		p := newBenchPair(b, true)
		e := []store.Entry{entry(1, 1024)}
		b.SetBytes(int64(len(e[0].Record)))
		b.ReportAllocs()
		for b.Loop() {
			if _, err := p.ms.Append(ctx, e); err != nil {
				b.Fatal(err)
			}
		}
		// The clock runs until the slave has everything.
		waitFor(b, time.Minute, func() bool { return p.ss.MaxPhysicalOffset() == p.ms.MaxPhysicalOffset() }, "slave behind")
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
	})
}

// BenchmarkSyncMasterAppend compares an ASYNC_MASTER send (Append) with a
// SYNC_MASTER one (Append, then WaitReplicated for its end offset) of a
// 1 KiB record, one sender and 16 concurrent senders (ns/op is per send).
func BenchmarkSyncMasterAppend(b *testing.B) {
	ctx := context.Background()
	for _, mode := range []struct {
		name string
		sync bool
	}{{"async_master", false}, {"sync_master", true}} {
		send := func(p *benchPair, e []store.Entry) error {
			res, err := p.ms.Append(ctx, e)
			if err != nil {
				return err
			}
			if mode.sync {
				if st := p.m.WaitReplicated(ctx, res[0].CommitLogOffset+int64(res[0].Size), 5*time.Second); st != Replicated {
					return fmt.Errorf("WaitReplicated: %v", st)
				}
			}
			return nil
		}
		b.Run(mode.name+"/1KiB", func(b *testing.B) {
			p := newBenchPair(b, true)
			e := []store.Entry{entry(1, 1024)}
			b.ReportAllocs()
			for b.Loop() {
				if err := send(p, e); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(mode.name+"/parallel16/1KiB", func(b *testing.B) {
			p := newBenchPair(b, true)
			b.ReportAllocs()
			b.SetParallelism(max(1, 16/runtime.GOMAXPROCS(0)))
			b.RunParallel(func(pb *testing.PB) {
				e := []store.Entry{entry(1, 1024)}
				for pb.Next() {
					if err := send(p, e); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}
