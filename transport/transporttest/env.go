package transporttest

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rocketkit/rocketkit/admin"
	"github.com/rocketkit/rocketkit/broker"
	"github.com/rocketkit/rocketkit/broker/brokertest"
	"github.com/rocketkit/rocketkit/client"
	"github.com/rocketkit/rocketkit/transport"
)

// Broker settings of every subtest: delay levels from 100ms (a retry, sent
// back with level 3 + reconsume times, returns after 300ms or more), and
// half messages checked back 200ms after they were stored.
const (
	fastDelays      = "100ms 200ms 300ms 400ms 500ms 600ms 700ms 800ms 900ms 1s 1s 1s 1s 1s 1s 1s 1s 1s"
	txTimeout       = 200 * time.Millisecond
	txCheckInterval = 100 * time.Millisecond
)

// env is one subtest's world: its broker, the backend under test and an
// admin client to create topics.
type env struct {
	t          *testing.T
	s          *settings
	b          *broker.Broker
	newBackend NewBackend
	backend    transport.Backend
	admin      *admin.Client
}

func newEnv(t *testing.T, s *settings, newBackend NewBackend) *env {
	t.Helper()
	e := &env{t: t, s: s, newBackend: newBackend}
	e.b = e.startBroker("127.0.0.1:0", "")
	var err error
	e.admin, err = admin.New(admin.Config{NameServers: []string{e.b.Addr()}})
	if err != nil {
		t.Fatalf("transporttest: admin client: %v", err)
	}
	e.backend = newBackend(t, e.b.Addr())
	t.Cleanup(func() {
		if err := e.backend.Close(); err != nil {
			t.Errorf("transporttest: close backend: %v", err)
		}
	})
	return e
}

// startBroker starts a broker listening on listen with the data in dataDir
// (a temporary directory when empty), closed when the subtest ends.
func (e *env) startBroker(listen, dataDir string) *broker.Broker {
	e.t.Helper()
	b := brokertest.Start(e.t, brokertest.WithConfig(func(c *broker.Config) {
		c.Listen = listen
		if dataDir != "" {
			c.DataDir = dataDir
		}
		c.MessageDelayLevel = fastDelays
		c.TransactionTimeout = txTimeout
		c.TransactionCheckInterval = txCheckInterval
	}))
	registerBroker(e.t, b)
	return b
}

// ctx bounds one wait of the subtest.
func (e *env) ctx() context.Context {
	ctx, cancel := context.WithTimeout(e.t.Context(), e.s.wait)
	e.t.Cleanup(cancel)
	return ctx
}

var nameSeq atomic.Int64

// name returns a name no other call in this process returns, for topics
// and groups.
func name(prefix string) string {
	return fmt.Sprintf("%s-%d-%d", prefix, time.Now().UnixNano()%1e6, nameSeq.Add(1))
}

// topic creates a topic with n queues and returns its name.
func (e *env) topic(prefix string, queues int) string {
	e.t.Helper()
	topic := name(prefix)
	if _, err := e.admin.UpdateTopic(e.ctx(), admin.TopicSpec{Topic: topic, ReadQueues: queues, WriteQueues: queues}); err != nil {
		e.t.Fatalf("transporttest: create topic %s: %v", topic, err)
	}
	return topic
}

// queue returns queue id of topic on the subtest's broker, for ToQueue.
func (e *env) queue(topic string, id int) client.MessageQueue {
	return client.MessageQueue{Topic: topic, BrokerName: e.b.Config().BrokerName, QueueID: id}
}

// producer returns a producer of a fresh group, closed when the subtest
// ends.
func (e *env) producer() transport.Producer {
	e.t.Helper()
	p, err := e.backend.NewProducer(client.ProducerConfig{Group: name("p")})
	if err != nil {
		e.t.Fatalf("transporttest: new producer: %v", err)
	}
	e.t.Cleanup(func() {
		if err := p.Close(); err != nil {
			e.t.Errorf("transporttest: close producer: %v", err)
		}
	})
	return p
}

// consumer starts a consumer of cfg calling h, closed when the subtest
// ends unless the subtest closed it. Unset ConsumeFrom means the first
// offset (the suite's groups are new), and broadcasting consumers get an
// OffsetDir of their own.
func (e *env) consumer(cfg client.ConsumerConfig, h client.Handler) transport.Consumer {
	e.t.Helper()
	if cfg.ConsumeFrom == "" {
		cfg.ConsumeFrom = client.ConsumeFromFirstOffset
	}
	if cfg.Broadcasting && cfg.OffsetDir == "" {
		cfg.OffsetDir = e.t.TempDir()
	}
	c, err := e.backend.NewConsumer(cfg, h)
	if err != nil {
		e.t.Fatalf("transporttest: new consumer of %s: %v", cfg.Group, err)
	}
	if err := c.Start(e.ctx()); err != nil {
		e.t.Fatalf("transporttest: start consumer of %s: %v", cfg.Group, err)
	}
	e.t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), e.s.wait)
		defer cancel()
		if err := c.Close(ctx); err != nil {
			e.t.Errorf("transporttest: close consumer of %s: %v", cfg.Group, err)
		}
	})
	return c
}

// close closes c (a consumer the subtest closes itself) and fails the
// subtest if Close fails or takes longer than the wait.
func (e *env) close(c transport.Consumer) {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), e.s.wait)
	defer cancel()
	if err := c.Close(ctx); err != nil {
		e.t.Fatalf("transporttest: close consumer: %v", err)
	}
}

// send sends msg with Send and fails the subtest if it fails.
func (e *env) send(p transport.Producer, msg *client.Message, opts ...client.SendOption) *client.SendResult {
	e.t.Helper()
	res, err := p.Send(e.ctx(), msg, opts...)
	if err != nil {
		e.t.Fatalf("transporttest: send to %s: %v", msg.Topic, err)
	}
	if res.Status != client.SendOK {
		e.t.Fatalf("transporttest: send to %s: status %v", msg.Topic, res.Status)
	}
	return res
}

// sub subscribes to every message of topic.
func sub(topic string) []client.Subscription { return []client.Subscription{{Topic: topic}} }

// dlq is the dead-letter topic of group.
func dlq(group string) string { return "%DLQ%" + group }

// bodies lists the bodies of msgs, for failure messages.
func bodies(ds []delivery) string {
	var sb strings.Builder
	for i, d := range ds {
		if i > 0 {
			sb.WriteString(", ")
		}
		fmt.Fprintf(&sb, "%s(rt=%d q=%d by=%s)", d.m.Body, d.m.ReconsumeTimes, d.m.Queue.QueueID, d.by)
	}
	return sb.String()
}
