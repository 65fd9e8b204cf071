package broker_test

import (
	"context"
	"crypto/rand"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	ouradmin "github.com/rocketkit/rocketkit/admin"
	"github.com/rocketkit/rocketkit/broker"
	"github.com/rocketkit/rocketkit/broker/brokertest"
	"github.com/rocketkit/rocketkit/client"
)

// logBytes sums the commit-log segments of a broker's data directory.
func logBytes(t *testing.T, dir string) (total int64, segments int) {
	t.Helper()
	m, _ := filepath.Glob(filepath.Join(dir, "commitlog", "[0-9]*"))
	for _, p := range m {
		if fi, err := os.Stat(p); err == nil {
			total += fi.Size()
		}
	}
	return total, len(m)
}

// With 1 MiB segments, fileReservedTime=0 and deleteWhen covering every
// hour, 50 MiB sent through our client leave a log under 10 MiB; a group
// that was behind gets OFFSET_MOVED and resumes at the queue's new
// minimum, which admin's topic status shows, and reads every message
// from there on.
func TestRetentionThroughBroker(t *testing.T) {
	topic, group := uniqueName("t_retention"), uniqueName("g_behind")
	var hours []string
	for h := range 24 {
		hours = append(hours, strconv.Itoa(h))
	}
	b := brokertest.Start(t, brokertest.WithConfig(func(c *broker.Config) {
		c.SegmentSize = 1 << 20
		c.FileReservedTime = -1 // fileReservedTime=0
		c.DeleteWhen = joinHours(hours)
		c.CleanResourceInterval = 50 * time.Millisecond
		c.DefaultTopicQueueNums = 1
	}))
	ctx := t.Context()
	c, err := client.New(client.Config{NameServers: []string{b.Addr()}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	p, err := c.NewProducer(client.ProducerConfig{Group: uniqueName("pg_retention")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close() })

	// The group reads the first message, commits offset 1 and stops.
	if _, err := p.Send(ctx, &client.Message{Topic: topic, Body: []byte("first")}); err != nil {
		t.Fatal(err)
	}
	var (
		mu      sync.Mutex
		offsets []int64
	)
	got := make(chan struct{}, 1)
	startGroup := func() *client.Consumer {
		con, err := c.NewConsumer(client.ConsumerConfig{Group: group, ConsumeFrom: client.ConsumeFromFirstOffset,
			Subscriptions: []client.Subscription{{Topic: topic, Expression: "*"}}},
			func(_ context.Context, msgs []*client.MessageExt) client.ConsumeResult {
				mu.Lock()
				for _, m := range msgs {
					offsets = append(offsets, m.QueueOffset)
				}
				mu.Unlock()
				select {
				case got <- struct{}{}:
				default:
				}
				return client.ConsumeSuccess
			})
		if err != nil {
			t.Fatal(err)
		}
		if err := con.Start(ctx); err != nil {
			t.Fatal(err)
		}
		return con
	}
	count := func() int {
		mu.Lock()
		defer mu.Unlock()
		return len(offsets)
	}
	con := startGroup()
	waitCond(t, "the first message", func() bool { return count() == 1 })
	if err := con.Close(context.Background()); err != nil {
		t.Fatal(err)
	}

	body := make([]byte, 64<<10)
	_, _ = rand.Read(body) // incompressible: the client compresses large bodies
	const n = 800          // 50 MiB
	for i := range n {
		if _, err := p.Send(ctx, &client.Message{Topic: topic, Body: body}); err != nil {
			t.Fatalf("send %d: %v", i, err)
		}
	}
	dir := b.Config().DataDir
	waitCond(t, "the log under 10 MiB and down to its last segment", func() bool {
		size, segs := logBytes(t, dir)
		return size < 10<<20 && segs == 1
	})

	ad, err := ouradmin.New(ouradmin.Config{NameServers: []string{b.Addr()}})
	if err != nil {
		t.Fatal(err)
	}
	st, err := ad.TopicStatus(ctx, topic)
	if err != nil || len(st) != 1 {
		t.Fatalf("topic status: %v %+v", err, st)
	}
	minOff, maxOff := st[0].MinOffset, st[0].MaxOffset
	if minOff <= 1 || maxOff != n+1 {
		t.Fatalf("queue offsets [%d, %d) after the clean, want a min above 1 and max %d", minOff, maxOff, n+1)
	}

	mu.Lock()
	offsets = nil
	mu.Unlock()
	con = startGroup()
	defer func() { _ = con.Close(context.Background()) }()
	waitCond(t, "every retained message", func() bool { return count() >= int(maxOff-minOff) })
	mu.Lock()
	defer mu.Unlock()
	if offsets[0] != minOff {
		t.Fatalf("the group resumed at %d, want the min offset %d", offsets[0], minOff)
	}
	seen := map[int64]bool{}
	for _, o := range offsets {
		seen[o] = true
	}
	for o := minOff; o < maxOff; o++ {
		if !seen[o] {
			t.Fatalf("offset %d of the retained [%d, %d) never arrived", o, minOff, maxOff)
		}
	}
}

func joinHours(h []string) string {
	s := h[0]
	for _, x := range h[1:] {
		s += ";" + x
	}
	return s
}

// waitCond polls cond until it holds or a generous deadline passes.
func waitCond(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
