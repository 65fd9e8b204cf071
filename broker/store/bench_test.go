package store

import (
	"context"
	"strings"
	"testing"
	"time"
)

func benchEntry(size int) Entry {
	return msg{topic: "BenchTopic", tags: "TagA", uniq: "C0A800010000000000007a1c7b980001", body: strings.Repeat("x", size)}.entry()
}

func BenchmarkStoreAppend(b *testing.B) {
	ctx := context.Background()
	b.Run("async/1KiB", func(b *testing.B) {
		s := openStore(b, Config{Dir: b.TempDir()})
		e := []Entry{benchEntry(1024)}
		b.ReportAllocs()
		b.SetBytes(int64(len(e[0].Record)))
		for b.Loop() {
			if _, err := s.Append(ctx, e); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("async/batch32x1KiB", func(b *testing.B) {
		s := openStore(b, Config{Dir: b.TempDir()})
		var es []Entry
		for range 32 {
			es = append(es, benchEntry(1024))
		}
		b.ReportAllocs()
		for b.Loop() {
			if _, err := s.Append(ctx, es); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*32), "ns/msg")
	})
	for _, mode := range []struct {
		name string
		mode FlushMode
	}{{"async", FlushAsync}, {"sync", FlushSync}} {
		b.Run(mode.name+"/parallel64/1KiB", func(b *testing.B) {
			s := openStore(b, Config{Dir: b.TempDir(), FlushMode: mode.mode})
			b.ReportAllocs()
			b.SetParallelism(32) // 64 goroutines on 2 CPUs
			start := time.Now()
			b.RunParallel(func(pb *testing.PB) {
				e := []Entry{benchEntry(1024)}
				for pb.Next() {
					res, err := s.Append(ctx, e)
					if err != nil || res[0].Status != PutOK {
						b.Error(err, res)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "msgs/s")
		})
	}
}

func BenchmarkStoreGet(b *testing.B) {
	for _, tc := range []struct {
		name   string
		queues int32 // interleaved queues: 1 means adjacent records (one pread)
		filter Filter
	}{
		{"32x1KiB/adjacent", 1, nil},
		{"32x1KiB/interleaved", 4, nil},
		{"32x1KiB/tagfilter", 4, tagFilter("TagA")},
	} {
		b.Run(tc.name, func(b *testing.B) {
			s := openStore(b, Config{Dir: b.TempDir()})
			for i := range 4096 {
				e := benchEntry(1024)
				e.QueueID = int32(i) % tc.queues
				rec := msg{topic: "BenchTopic", queue: e.QueueID, tags: "TagA", body: strings.Repeat("x", 1024)}.entry()
				if _, err := s.Append(context.Background(), []Entry{rec}); err != nil {
					b.Fatal(err)
				}
			}
			_, max := s.QueueRange("BenchTopic", 0)
			var dst []byte
			off := int64(0)
			b.ReportAllocs()
			for b.Loop() {
				if off+32 > max {
					off = 0
				}
				r, err := s.Get("BenchTopic", 0, off, 32, tc.filter, dst[:0])
				if err != nil || r.Count != 32 {
					b.Fatalf("%v %+v", err, r.Status)
				}
				dst = r.Records
				off = r.NextBeginOffset
			}
		})
	}
}
