package brokermetrics

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rocketkit/rocketkit/broker"
	"github.com/rocketkit/rocketkit/broker/brokertest"
	"github.com/rocketkit/rocketkit/client"
	"github.com/rocketkit/rocketkit/internal/clienttest"
)

// A consumer retries one message once and dead-letters another: the
// group's send-backs count 2 (both went back through
// CONSUMER_SEND_MSG_BACK), its dead letters 1, and its retry topic was
// written once (the retry, when its delay came due). The test fails with
// the client's warnings when a send-back failed on the client's side.
func TestHandlerRetriesAndDeadLetters(t *testing.T) {
	b := brokertest.Start(t, brokertest.WithConfig(func(c *broker.Config) {
		c.MessageDelayLevel = strings.TrimSpace(strings.Repeat("50ms ", 18))
	}))
	ctx := t.Context()
	topic, group := clienttest.UniqueName("metrics-retry"), clienttest.UniqueName("metrics-retry-group")
	var logs strings.Builder // the client's warnings, for a failure's message
	var logMu sync.Mutex
	c, err := client.New(client.Config{NameServers: []string{b.Addr()}},
		client.WithLogger(slog.New(slog.NewTextHandler(lockedWriter{&logMu, &logs}, &slog.HandlerOptions{Level: slog.LevelWarn}))))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	p, err := c.NewProducer(client.ProducerConfig{Group: clienttest.UniqueName("metrics-retry-producer")})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	for _, body := range []string{"retry me", "dead letter me"} {
		if _, err := p.Send(ctx, &client.Message{Topic: topic, Body: []byte(body)}); err != nil {
			t.Fatal(err)
		}
	}
	var redelivered atomic.Bool
	done := make(chan struct{})
	con, err := c.NewConsumer(client.ConsumerConfig{
		Group:         group,
		Subscriptions: []client.Subscription{{Topic: topic, Expression: "*"}},
		ConsumeFrom:   client.ConsumeFromFirstOffset,
	}, func(ctx context.Context, msgs []*client.MessageExt) client.ConsumeResult {
		m := msgs[0]
		switch {
		case string(m.Body) == "dead letter me":
			return client.ConsumeDeadLetter
		case m.ReconsumeTimes == 0:
			return client.ConsumeRetry
		}
		if redelivered.CompareAndSwap(false, true) {
			close(done)
		}
		return client.ConsumeSuccess
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := con.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer con.Close(context.Background())
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("the retried message did not come back in 30s")
	}
	// The retry's stored copy comes due after 50ms; the redelivery may be
	// seen first.
	retryTopic, dlq := "%RETRY%"+group, "%DLQ%"+group
	waitFor(t, "the retry and the dead letter stored", func() bool {
		in := b.Traffic().In
		if in[retryTopic].Messages == 1 && in[dlq].Messages == 1 {
			return true
		}
		logMu.Lock()
		defer logMu.Unlock()
		if logs.Len() > 0 {
			t.Fatalf("the client logged:\n%s", logs.String())
		}
		return false
	})

	exp, body := scrape(t, Handler(b))
	if v, ok := exp.value("rocketmq_send_back_messages_total", map[string]string{"consumer_group": group, "topic": topic}); !ok || v != 2 {
		t.Errorf("send-backs of %s = %v (found %v), want 2\n%s", group, v, ok, body)
	}
	if v, ok := exp.value("rocketmq_send_to_dlq_messages_total", map[string]string{"consumer_group": group}); !ok || v != 1 {
		t.Errorf("dead letters of %s = %v (found %v), want 1", group, v, ok)
	}
	if v, ok := exp.value("rocketmq_messages_in_total", map[string]string{"topic": retryTopic}); !ok || v != 1 {
		t.Errorf("messages into %s = %v (found %v), want 1", retryTopic, v, ok)
	}
}

// lockedWriter serialises writes to w.
type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
