package broker_test

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apache/rocketmq-client-go/v2/consumer"
	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/rocketkit/rocketkit/broker"
	"github.com/rocketkit/rocketkit/broker/brokertest"
	"github.com/rocketkit/rocketkit/protocol/message"
	"github.com/rocketkit/rocketkit/protocol/remoting"
)

// A message the official consumer retries comes back through
// %RETRY%<group> with ORIGIN_MESSAGE_ID holding the original's offset
// message id (Java: the looked-up message's id), not its UNIQ_KEY, and
// WAIT=false (Java's setWaitStoreMsgOK(false) on the copy). With a group of
// 190 characters the retry topic is 197 bytes, beyond a signed byte: the
// record keeps the unsigned one-byte topic length (layout v1), which the
// official client decodes, so the retry round-trips through it.
func TestRetryOriginMessageID(t *testing.T) {
	long := uniqueName("g_long_")
	long += strings.Repeat("x", 190-len(long))
	for _, group := range []string{uniqueName("g_origin"), long} {
		t.Run(clipText(group), func(t *testing.T) {
			b := brokertest.Start(t, brokertest.WithConfig(func(c *broker.Config) { c.MessageDelayLevel = fastDelays }))
			topic := uniqueName("t_origin")
			p := startProducer(t, b)
			sent := sendSync(t, p, primitive.NewMessage(topic, []byte("flaky")))

			var (
				mu   sync.Mutex
				seen []*primitive.MessageExt
				done = make(chan struct{})
			)
			c := newConsumer(t, b, group)
			err := c.Subscribe(topic, consumer.MessageSelector{}, func(_ context.Context, msgs ...*primitive.MessageExt) (consumer.ConsumeResult, error) {
				mu.Lock()
				defer mu.Unlock()
				seen = append(seen, msgs...)
				if len(seen) == 1 {
					return consumer.ConsumeRetryLater, nil
				}
				if len(seen) == 2 {
					close(done)
				}
				return consumer.ConsumeSuccess, nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if err := c.Start(); err != nil {
				t.Fatal(err)
			}
			select {
			case <-done:
			case <-time.After(30 * time.Second):
				t.Fatalf("message not redelivered after RetryLater")
			}
			mu.Lock()
			defer mu.Unlock()
			first, second := seen[0], seen[1]
			if first.OffsetMsgId == "" || first.OffsetMsgId == sent.MsgID {
				t.Fatalf("first delivery offset msg id %q", first.OffsetMsgId)
			}
			if got := second.GetProperty(message.PropertyOriginMessageID); got != first.OffsetMsgId {
				t.Errorf("ORIGIN_MESSAGE_ID %q, want the original's offset msg id %q (not UNIQ_KEY %q)",
					got, first.OffsetMsgId, sent.MsgID)
			}
			if got := second.GetProperty(message.PropertyWaitStoreMsgOK); got != "false" {
				t.Errorf("WAIT %q on the retried message, want false", got)
			}
			if second.ReconsumeTimes != 1 || second.Topic != topic || string(second.Body) != "flaky" || second.MsgId != sent.MsgID {
				t.Errorf("redelivered %s/%s reconsumeTimes %d msgId %s, want %s flaky 1 %s",
					second.Topic, second.Body, second.ReconsumeTimes, second.MsgId, topic, sent.MsgID)
			}
			if rt := second.GetProperty(message.PropertyRetryTopic); rt != topic {
				t.Errorf("RETRY_TOPIC %q, want %q", rt, topic)
			}
			t.Logf("group %d chars, retry topic %d bytes", len(group), len(message.RetryTopic(group)))
		})
	}
}

// WAIT=true, as the Java client sends it, is stored as sent: Java removes
// it only from light-message-queue dispatches (removeWaitStorePropertyString
// in LmqDispatch), not from ordinary messages.
func TestWaitPropertyStoredAsSent(t *testing.T) {
	b := brokertest.Start(t)
	topic := uniqueName("t_wait")
	rc := dialRaw(t, b.Addr())
	props := message.PropertyWaitStoreMsgOK + "\x01true\x02" + message.PropertyTags + "\x01T\x02"
	if resp := rc.mustCall(t, remoting.SendMessage, sendFields(topic, "0", props), []byte("w")); resp.Code != remoting.Success {
		t.Fatalf("send: code %d (%s)", resp.Code, resp.Remark)
	}
	msgs := readLog(t, rc, topic)
	if len(msgs) != 1 {
		t.Fatalf("stored %d messages", len(msgs))
	}
	if v, ok := message.GetProperty(msgs[0].Properties, message.PropertyWaitStoreMsgOK); !ok || v != "true" {
		t.Fatalf("stored properties %q: WAIT %q, want true as sent", msgs[0].Properties, v)
	}
}

// A copy a consumer sends to %RETRY%<group> itself (Java's fallback when
// CONSUMER_SEND_MSG_BACK fails) whose reconsumeTimes exceeds the
// maxReconsumeTimes of its header is stored in %DLQ%<group>, queue 0,
// without its DELAY; one within the maximum stays in the retry topic.
func TestExhaustedRetrySendGoesToDLQ(t *testing.T) {
	b := brokertest.Start(t)
	rc := dialRaw(t, b.Addr())
	group := uniqueName("g_exhausted")
	retry, dlq := message.RetryTopic(group), message.DLQTopic(group)
	send := func(body string, reconsume int) {
		t.Helper()
		f := sendFields(retry, "0", message.PropertyDelay+"\x01"+"5\x02")
		f.Set("reconsumeTimes", strconv.Itoa(reconsume))
		f.Set("maxReconsumeTimes", "16")
		if resp := rc.mustCall(t, remoting.SendMessage, f, []byte(body)); resp.Code != remoting.Success {
			t.Fatalf("send %s: %d %s", body, resp.Code, resp.Remark)
		}
	}
	maxOffset := func(topic string) int64 {
		t.Helper()
		resp := rc.mustCall(t, remoting.GetMaxOffset, remoting.Fields{{Key: "topic", Value: topic}, {Key: "queueId", Value: "0"}}, nil)
		if resp.Code != remoting.Success {
			return -1
		}
		off, _ := resp.ExtFields.Int64("offset")
		return off
	}
	send("exhausted", 17)
	if got := maxOffset(dlq); got != 1 {
		t.Fatalf("%s max offset %d after an exhausted retry, want 1", dlq, got)
	}
	send("one more try", 16)
	if got := maxOffset(dlq); got != 1 {
		t.Fatalf("%s max offset %d after a retry within the maximum, want still 1", dlq, got)
	}
	if got := maxOffset(retry); got > 0 {
		t.Fatalf("%s max offset %d: the exhausted copy went to the retry topic", retry, got)
	}
}
