package broker_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/apache/rocketmq-client-go/v2/consumer"
	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/rocketkit/rocketkit/broker"
	"github.com/rocketkit/rocketkit/broker/brokertest"
	"github.com/rocketkit/rocketkit/client"
	"github.com/rocketkit/rocketkit/protocol/remoting"
)

// createTopicRaw creates topic with n queues through UPDATE_AND_CREATE_TOPIC.
func createTopicRaw(t testing.TB, rc *rawConn, topic string, n int) {
	t.Helper()
	q := fmt.Sprint(n)
	resp := rc.mustCall(t, remoting.UpdateAndCreateTopic, remoting.Fields{
		{Key: "topic", Value: topic}, {Key: "defaultTopic", Value: "TBW102"}, {Key: "readQueueNums", Value: q},
		{Key: "writeQueueNums", Value: q}, {Key: "perm", Value: "6"}, {Key: "topicFilterType", Value: "SINGLE_TAG"}}, nil)
	if resp.Code != remoting.Success {
		t.Fatalf("create %s: code %d (%s)", topic, resp.Code, resp.Remark)
	}
}

// QUERY_CONSUMER_OFFSET for a group that never committed answers as Java:
// QUERY_NOT_FOUND on an empty queue (there is no first message to find in
// memory) and when the request says setZeroIfNotFound=false; 0 on a young
// queue that holds messages.
func TestQueryConsumerOffsetNotFound(t *testing.T) {
	b := brokertest.Start(t)
	rc := dialRaw(t, b.Addr())
	topic, group := uniqueName("t_qnf"), uniqueName("g_qnf")
	createTopicRaw(t, rc, topic, 1)
	query := func(extra ...remoting.Field) *remoting.Command {
		return rc.mustCall(t, remoting.QueryConsumerOffset, append(remoting.Fields{{Key: "consumerGroup", Value: group},
			{Key: "topic", Value: topic}, {Key: "queueId", Value: "0"}}, extra...), nil)
	}
	if resp := query(); resp.Code != remoting.QueryNotFound {
		t.Fatalf("empty queue: code %d (%s) %v, want QUERY_NOT_FOUND", resp.Code, resp.Remark, resp.ExtFields)
	}
	if resp := rc.mustCall(t, remoting.SendMessage, sendFields(topic, "0", ""), []byte("m")); resp.Code != remoting.Success {
		t.Fatalf("send: code %d (%s)", resp.Code, resp.Remark)
	}
	if resp := query(); resp.Code != remoting.Success || resp.ExtFields.Get("offset") != "0" {
		t.Fatalf("young queue: code %d (%s) %v, want SUCCESS offset 0", resp.Code, resp.Remark, resp.ExtFields)
	}
	if resp := query(remoting.Field{Key: "setZeroIfNotFound", Value: "false"}); resp.Code != remoting.QueryNotFound {
		t.Fatalf("setZeroIfNotFound=false: code %d (%s), want QUERY_NOT_FOUND", resp.Code, resp.Remark)
	}
}

// A fresh group on an empty topic is answered QUERY_NOT_FOUND and falls
// back to its ConsumeFromWhere (CONSUME_FROM_LAST_OFFSET: the queue's end,
// 0) in both the official and the kit's client: once its pulls wait at the
// end (the topic's and the retry topic's queue), it receives everything
// sent after.
func TestFreshGroupStartsAfterQueryNotFound(t *testing.T) {
	clients := map[string]func(t *testing.T, b *broker.Broker, group, topic string, got func(string)){
		"official": func(t *testing.T, b *broker.Broker, group, topic string, got func(string)) {
			c := newConsumer(t, b, group, consumer.WithConsumeFromWhere(consumer.ConsumeFromLastOffset))
			err := c.Subscribe(topic, consumer.MessageSelector{Type: consumer.TAG, Expression: "*"},
				func(_ context.Context, msgs ...*primitive.MessageExt) (consumer.ConsumeResult, error) {
					for _, m := range msgs {
						got(string(m.Body))
					}
					return consumer.ConsumeSuccess, nil
				})
			if err != nil {
				t.Fatal(err)
			}
			if err := c.Start(); err != nil {
				t.Fatal(err)
			}
		},
		"rocketkit": func(t *testing.T, b *broker.Broker, group, topic string, got func(string)) {
			c, err := client.New(client.Config{NameServers: []string{b.Addr()}, InstanceName: uniqueName("c")})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = c.Close() })
			con, err := c.NewConsumer(client.ConsumerConfig{Group: group, ConsumeFrom: client.ConsumeFromLastOffset,
				Subscriptions: []client.Subscription{{Topic: topic, Expression: "*"}}},
				func(_ context.Context, msgs []*client.MessageExt) client.ConsumeResult {
					for _, m := range msgs {
						got(string(m.Body))
					}
					return client.ConsumeSuccess
				})
			if err != nil {
				t.Fatal(err)
			}
			if err := con.Start(t.Context()); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = con.Close(context.Background()) })
		},
	}
	for name, start := range clients {
		t.Run(name, func(t *testing.T) {
			b := brokertest.Start(t)
			rc := dialRaw(t, b.Addr())
			topic, group := uniqueName("t_fresh"), uniqueName("g_fresh")
			createTopicRaw(t, rc, topic, 1)
			var (
				mu   sync.Mutex
				got  []string
				more = make(chan struct{}, 1)
			)
			start(t, b, group, topic, func(body string) {
				mu.Lock()
				got = append(got, body)
				mu.Unlock()
				select {
				case more <- struct{}{}:
				default:
				}
			})
			waitFor(t, "the consumer's pulls wait at the end of both queues", func() bool { return b.Stats().HeldPulls >= 2 })
			if n := b.Stats().Requests["QUERY_CONSUMER_OFFSET"]; n == 0 {
				t.Fatal("the consumer never asked for its offset")
			}
			want := []string{"a", "b", "c"}
			for _, body := range want {
				if resp := rc.mustCall(t, remoting.SendMessage, sendFields(topic, "0", ""), []byte(body)); resp.Code != remoting.Success {
					t.Fatalf("send: code %d (%s)", resp.Code, resp.Remark)
				}
			}
			deadline := time.After(30 * time.Second)
			for {
				mu.Lock()
				have := slices.Clone(got)
				mu.Unlock()
				if slices.Equal(sortedCopy(have), want) {
					return
				}
				select {
				case <-more:
				case <-deadline:
					t.Fatalf("received %q, want %q", have, want)
				}
			}
		})
	}
}
