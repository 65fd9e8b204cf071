package brokermetrics

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rocketkit/rocketkit/broker"
	"github.com/rocketkit/rocketkit/client"
	"github.com/rocketkit/rocketkit/internal/clienttest"
)

// lagging is the state lagSetup leaves: N messages sent to topic, the
// first consumed (and committed) by group, the rest not.
type lagging struct {
	topic, group       string
	sent, consumed     int
	perQueueCommitted  map[int32]int64
	perQueueMaxOffsets map[int32]int64
}

// lagSetup sends consumed messages to a new topic, has a new group consume
// all of them with the kit's push consumer and close (which commits),
// waits until the broker holds the committed offsets, then sends
// sent-consumed more: the group lags by exactly sent-consumed.
func lagSetup(t *testing.T, b *broker.Broker, sent, consumed int) lagging {
	t.Helper()
	ctx := t.Context()
	l := lagging{topic: clienttest.UniqueName("metrics-topic"), group: clienttest.UniqueName("metrics-group"),
		sent: sent, consumed: consumed}
	c, err := client.New(client.Config{NameServers: []string{b.Addr()}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	p, err := c.NewProducer(client.ProducerConfig{Group: clienttest.UniqueName("metrics-producer")})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	send := func(from, to int) {
		for i := from; i < to; i++ {
			if _, err := p.Send(ctx, &client.Message{Topic: l.topic, Body: fmt.Appendf(nil, "message %d", i)}); err != nil {
				t.Fatal(err)
			}
		}
	}
	send(0, consumed)

	var got atomic.Int64
	all := make(chan struct{})
	con, err := c.NewConsumer(client.ConsumerConfig{
		Group:         l.group,
		Subscriptions: []client.Subscription{{Topic: l.topic, Expression: "*"}},
		ConsumeFrom:   client.ConsumeFromFirstOffset,
	}, func(ctx context.Context, msgs []*client.MessageExt) client.ConsumeResult {
		if got.Add(int64(len(msgs))) == int64(consumed) {
			close(all)
		}
		return client.ConsumeSuccess
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := con.Start(ctx); err != nil {
		t.Fatal(err)
	}
	select {
	case <-all:
	case <-time.After(30 * time.Second):
		t.Fatalf("the consumer got %d of %d messages in 30s", got.Load(), consumed)
	}
	if err := con.Close(ctx); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the group's offsets committed", func() bool {
		var committed int64
		for _, q := range b.ConsumeStats(l.group, l.topic) {
			committed += q.ConsumerOffset
		}
		return committed == int64(consumed)
	})
	send(consumed, sent)
	l.perQueueCommitted, l.perQueueMaxOffsets = map[int32]int64{}, map[int32]int64{}
	for _, q := range b.ConsumeStats(l.group, l.topic) {
		l.perQueueCommitted[q.QueueID] = q.ConsumerOffset
		l.perQueueMaxOffsets[q.QueueID] = q.BrokerOffset
	}
	return l
}

// waitFor polls cond until it holds, failing the test after 30s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond) // polling a condition, not waiting on time
	}
}

// scrape GETs h through an HTTP server and parses the answer strictly.
func scrape(t *testing.T, h http.Handler) (exposition, string) {
	t.Helper()
	srv := httptest.NewServer(h)
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics: %s: %s", resp.Status, body)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "text/plain; version=0.0.4; charset=utf-8" {
		t.Errorf("Content-Type %q", ct)
	}
	exp, err := parseExposition(string(body))
	if err != nil {
		t.Fatalf("the exposition does not parse: %v\n%s", err, body)
	}
	return exp, string(body)
}
