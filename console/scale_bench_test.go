package console_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rocketkit/rocketkit/admin"
	"github.com/rocketkit/rocketkit/broker/brokertest"
	"github.com/rocketkit/rocketkit/client"
	"github.com/rocketkit/rocketkit/console"
)

// The topic BenchmarkConsoleScale fills, and how.
const (
	scaleTopic   = "scale-topic"
	scaleGroup   = "scale-lagging"
	scaleBatch   = 64 // messages per SendBatch request
	scaleSenders = 4  // goroutines sending batches
	scaleKeyed   = 100
	scaleHot     = 1000
	scaleDead    = 5     // messages the lagging group dead-letters
	scaleRead    = 20000 // messages the lagging group reads before it stops
)

// scaleMessages is the number of messages BenchmarkConsoleScale stores:
// 1,000,000, or ROCKETKIT_CONSOLE_BENCH_MESSAGES (a quicker look).
func scaleMessages(b *testing.B) int {
	if s := os.Getenv("ROCKETKIT_CONSOLE_BENCH_MESSAGES"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 10*scaleHot {
			b.Fatalf("ROCKETKIT_CONSOLE_BENCH_MESSAGES=%q: want a number >= %d", s, 10*scaleHot)
		}
		return n
	}
	return 1_000_000
}

// BenchmarkConsoleScale measures the console's API calls a user makes on a
// topic of a million small messages (task bench-console): the broker is
// filled once through the kit's client (SendBatch of 64, 4 goroutines),
// every 100th message has a key k<n>, every 1000th also the key "hot", and
// the group scale-lagging has read 20,000 of them (dead-lettering 5) and
// stopped, so it lags by the rest. Each sub-benchmark is one HTTP GET
// through the console's handler; B/op and allocs/op count the whole
// process, the embedded broker's work for the call included.
func BenchmarkConsoleScale(b *testing.B) {
	n := scaleMessages(b)
	br := brokertest.Start(b)
	adm, err := admin.New(admin.Config{NameServers: []string{br.Addr()}, Timeout: 30 * time.Second})
	if err != nil {
		b.Fatal(err)
	}
	c, err := client.New(client.Config{NameServers: []string{br.Addr()}})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { c.Close() })
	p, err := c.NewProducer(client.ProducerConfig{Group: "scale-pg"})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { p.Close() })

	start := time.Now()
	mid := scaleFill(b, p, n)
	fill := time.Since(start)
	b.Logf("filled %s with %d messages in %v (%.0f msg/s)", scaleTopic, n, fill.Round(time.Millisecond), float64(n)/fill.Seconds())
	scaleLag(b, c, min(scaleRead, n/10))

	con, err := console.New(adm, console.Config{})
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(con)
	b.Cleanup(srv.Close)
	get := func(b *testing.B, path string) []byte {
		resp, err := srv.Client().Get(srv.URL + path)
		if err != nil {
			b.Fatal(err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK {
			b.Fatalf("GET %s: %d %s %v", path, resp.StatusCode, body, err)
		}
		return body
	}

	// Ids and a cursor to ask for, from the console itself.
	var hit struct {
		Messages []struct{ MsgID, OffsetMsgID string }
	}
	key := "k" + strconv.Itoa(n/2)
	mustJSON(b, get(b, "/api/messages?topic="+scaleTopic+"&key="+key), &hit)
	if len(hit.Messages) != 1 {
		b.Fatalf("key %s: %d messages, want 1", key, len(hit.Messages))
	}
	var topic struct {
		Queues []admin.QueueStatus
		Stored int64
	}
	mustJSON(b, get(b, "/api/topic?topic="+scaleTopic), &topic)
	if topic.Stored != int64(n) {
		b.Fatalf("topic page: %d messages stored, want %d", topic.Stored, n)
	}
	since := strconv.FormatInt(start.Add(-time.Second).UnixMilli(), 10)
	midCursor := fmt.Sprintf("%d:%d", len(topic.Queues)/2, topic.Queues[len(topic.Queues)/2].MaxOffset/2)

	for _, tc := range []struct {
		name, path string
		check      func(b *testing.B, body []byte)
	}{
		{"cluster", "/api/cluster", nil},
		{"topics", "/api/topics", nil},
		{"topic", "/api/topic?topic=" + scaleTopic, nil},
		{"groups", "/api/groups", nil},
		{"group", "/api/group?group=" + scaleGroup, checkLag(n)},
		{"key-hit", "/api/messages?topic=" + scaleTopic + "&key=" + key, wantMessages(1, 1)},
		{"key-hot", "/api/messages?topic=" + scaleTopic + "&key=hot", wantMessages(20, 20)},
		{"key-miss", "/api/messages?topic=" + scaleTopic + "&key=no-such-key", wantMessages(0, 0)},
		{"id-offset", "/api/messages?id=" + hit.Messages[0].OffsetMsgID, wantMessages(1, 1)},
		{"id-msgid", "/api/messages?topic=" + scaleTopic + "&id=" + hit.Messages[0].MsgID, wantMessages(1, 1)},
		{"time-first-page", "/api/messages?topic=" + scaleTopic + "&begin=" + since, wantMessages(20, 20)},
		{"time-first-page-100", "/api/messages?topic=" + scaleTopic + "&limit=100&begin=" + since, wantMessages(100, 100)},
		{"time-from-middle", "/api/messages?topic=" + scaleTopic + "&begin=" + strconv.FormatInt(mid.UnixMilli(), 10) +
			"&end=" + strconv.FormatInt(time.Now().UnixMilli(), 10), wantMessages(20, 20)},
		{"time-window-middle", "/api/messages?topic=" + scaleTopic + "&begin=" + strconv.FormatInt(mid.UnixMilli(), 10) +
			"&end=" + strconv.FormatInt(mid.UnixMilli()+50, 10), wantMessages(1, 20)},
		{"time-cursor-middle", "/api/messages?topic=" + scaleTopic + "&begin=" + since + "&cursor=" + url.QueryEscape(midCursor), wantMessages(20, 20)},
		{"message-body", "/api/message?id=" + hit.Messages[0].OffsetMsgID, nil},
		{"dlq", "/api/dlq?group=" + scaleGroup, wantMessages(scaleDead, scaleDead)},
		{"dlq-none", "/api/dlq?group=no-such-group", wantMessages(0, 0)},
	} {
		if tc.check != nil {
			tc.check(b, get(b, tc.path))
		}
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				get(b, tc.path)
			}
			b.ReportMetric(float64(b.Elapsed())/float64(b.N)/1e6, "ms/call")
		})
	}
}

// scaleFill sends n messages to scaleTopic in batches from scaleSenders
// goroutines and returns about when the middle one was sent.
func scaleFill(b *testing.B, p *client.Producer, n int) time.Time {
	var next atomic.Int64
	var midAt atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, scaleSenders)
	for range scaleSenders {
		wg.Go(func() {
			batch := make([]*client.Message, 0, scaleBatch)
			for {
				first := int(next.Add(scaleBatch)) - scaleBatch
				if first >= n {
					return
				}
				if first <= n/2 && n/2 < first+scaleBatch {
					midAt.Store(time.Now().UnixMilli())
				}
				batch = batch[:0]
				for i := first; i < min(n, first+scaleBatch); i++ {
					m := &client.Message{Topic: scaleTopic, Tag: "scale", Body: fmt.Appendf(nil, `{"n":%d}`, i)}
					if i%scaleKeyed == 0 {
						m.Keys = []string{"k" + strconv.Itoa(i)}
						if i%scaleHot == 0 {
							m.Keys = append(m.Keys, "hot")
						}
					}
					batch = append(batch, m)
				}
				if _, err := p.SendBatch(context.Background(), batch); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		b.Fatalf("fill: %v", err)
	}
	return time.UnixMilli(midAt.Load())
}

// scaleLag makes scaleGroup a stopped group that read about read messages
// from the start, dead-lettering the first scaleDead, and committed.
func scaleLag(b *testing.B, c *client.Client, read int) {
	var seen atomic.Int64
	enough := make(chan struct{})
	var once sync.Once
	cons, err := c.NewConsumer(client.ConsumerConfig{Group: scaleGroup, ConsumeFrom: client.ConsumeFromFirstOffset,
		Subscriptions: []client.Subscription{{Topic: scaleTopic}}},
		func(_ context.Context, msgs []*client.MessageExt) client.ConsumeResult {
			k := seen.Add(int64(len(msgs)))
			if k >= int64(read) {
				once.Do(func() { close(enough) })
			}
			if k <= scaleDead {
				return client.ConsumeDeadLetter
			}
			return client.ConsumeSuccess
		})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := cons.Start(ctx); err != nil {
		b.Fatal(err)
	}
	select {
	case <-enough:
	case <-ctx.Done():
		b.Fatalf("the lagging group read %d messages in 2 minutes", seen.Load())
	}
	if err := cons.Close(ctx); err != nil {
		b.Fatal(err)
	}
}

func mustJSON(b *testing.B, body []byte, v any) {
	if err := json.Unmarshal(body, v); err != nil {
		b.Fatalf("%v: %s", err, body)
	}
}

// wantMessages checks a messages or DLQ answer holds lo..hi messages.
func wantMessages(lo, hi int) func(*testing.B, []byte) {
	return func(b *testing.B, body []byte) {
		var d struct{ Messages []json.RawMessage }
		mustJSON(b, body, &d)
		if len(d.Messages) < lo || len(d.Messages) > hi {
			b.Fatalf("%d messages, want %d..%d: %.300s", len(d.Messages), lo, hi, body)
		}
	}
}

// checkLag checks the group page shows the lagging group's lag per queue.
func checkLag(n int) func(*testing.B, []byte) {
	return func(b *testing.B, body []byte) {
		var d struct {
			Queues []struct{ Lag int64 }
			Lag    int64
		}
		mustJSON(b, body, &d)
		if len(d.Queues) == 0 || d.Lag <= int64(n/2) || d.Lag >= int64(n) {
			b.Fatalf("lag %d over %d queues, want between %d and %d", d.Lag, len(d.Queues), n/2, n)
		}
	}
}
