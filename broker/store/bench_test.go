package store

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
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

// BenchmarkStoreOpen1M times Open on a store holding 1,000,000 1 KiB
// messages (4 queues, a UNIQ_KEY each): clean after Close, and crashed (a
// copy taken while the store was open, the abort marker present).
func BenchmarkStoreOpen1M(b *testing.B) {
	const total, batch = 1_000_000, 64
	root := b.TempDir()
	clean := filepath.Join(root, "clean")
	s, err := Open(Config{Dir: clean})
	if err != nil {
		b.Fatal(err)
	}
	es := make([]Entry, batch)
	for i := 0; i < total; i += batch {
		for j := range es {
			es[j] = msg{topic: "BenchTopic", queue: int32(i/batch) % 4,
				uniq: fmt.Sprintf("C0A800010000000000007A1C%08X", i+j), body: strings.Repeat("x", 1024)}.entry()
		}
		if _, err := s.Append(context.Background(), es); err != nil {
			b.Fatal(err)
		}
	}
	crashed := filepath.Join(root, "crashed")
	copyDir(b, clean, crashed)
	if err := s.Close(); err != nil {
		b.Fatal(err)
	}
	for _, tc := range []struct{ name, dir string }{{"clean", clean}, {"crashed", crashed}} {
		b.Run(tc.name, func(b *testing.B) {
			n := 0
			for b.Loop() {
				b.StopTimer()
				dir := tc.dir
				if tc.name == "crashed" {
					n++
					dir = filepath.Join(root, fmt.Sprint("crashed-", n))
					copyDir(b, crashed, dir)
				}
				b.StartTimer()
				s, err := Open(Config{Dir: dir})
				if err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				if err := s.Close(); err != nil {
					b.Fatal(err)
				}
				if tc.name == "crashed" {
					_ = os.RemoveAll(dir)
				}
				b.StartTimer()
			}
		})
	}
}
