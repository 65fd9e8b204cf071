package broker

import (
	"strconv"
	"sync"
	"testing"
)

// Concurrent adds, new keys included, are all counted.
func TestCounterMapConcurrentAdds(t *testing.T) {
	var m counterMap[string]
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 1000 {
				m.add("topic-"+strconv.Itoa((g+i)%3), 1, 10)
			}
		})
	}
	wg.Wait()
	var msgs, bytes int64
	snap := m.snapshot()
	for _, c := range snap {
		msgs, bytes = msgs+c.Messages, bytes+c.Bytes
	}
	if len(snap) != 3 || msgs != 8000 || bytes != 80000 {
		t.Errorf("%d keys, %d messages, %d bytes; want 3, 8000, 80000", len(snap), msgs, bytes)
	}
}

// The hot-path cost of counting one append or pull (an existing key).
func BenchmarkCounterMapAdd(b *testing.B) {
	var m counterMap[GroupTopic]
	k := GroupTopic{"billing", "orders"}
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			m.add(k, 1, 200)
		}
	})
}
