package transporttest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/rocketkit/rocketkit/client"
	"github.com/rocketkit/rocketkit/protocol/message"
)

// testRequestReply: Request gets the reply a responder on the same backend
// builds with client.NewReply and sends with Send, for several requests at
// once, each its own; a request nobody answers fails at ctx's deadline
// with client.ErrReplyTimeout.
func testRequestReply(t *testing.T, e *env) {
	topic := e.topic("rpc", 2)
	replies := e.producer()
	e.consumer(client.ConsumerConfig{Group: name("g"), Subscriptions: sub(topic)},
		func(ctx context.Context, msgs []*client.MessageExt) client.ConsumeResult {
			for _, m := range msgs {
				if string(m.Body) == "ignored" {
					continue
				}
				reply, err := client.NewReply(m, append([]byte("re: "), m.Body...))
				if err != nil {
					t.Errorf("NewReply of %q: %v", m.Body, err)
					continue
				}
				if _, err := replies.Send(ctx, reply); err != nil {
					t.Errorf("send the reply to %q: %v", m.Body, err)
				}
			}
			return client.ConsumeSuccess
		})

	p := e.producer()
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Go(func() {
			body := fmt.Sprintf("ping-%d", i)
			reply, err := p.Request(e.ctx(), &client.Message{Topic: topic, Body: []byte(body)})
			if err != nil {
				t.Errorf("Request %s: %v", body, err)
				return
			}
			if string(reply.Body) != "re: "+body || reply.Property(message.PropertyMsgType) != message.ReplyMessageFlag ||
				reply.Property(message.PropertyCorrelationID) == "" {
				t.Errorf("Request %s: reply %q with properties %v", body, reply.Body, reply.Properties())
			}
		})
	}
	wg.Wait()

	ctx, cancel := context.WithTimeout(e.ctx(), time.Second)
	defer cancel()
	_, err := p.Request(ctx, &client.Message{Topic: topic, Body: []byte("ignored")})
	if !errors.Is(err, client.ErrReplyTimeout) || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Request nobody answers: %v, want client.ErrReplyTimeout and context.DeadlineExceeded", err)
	}
}
