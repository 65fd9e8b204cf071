package watermill_test

import (
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/rocketkit/rocketkit/broker"
	"github.com/rocketkit/rocketkit/broker/brokertest"
	"github.com/rocketkit/rocketkit/client"
	rmqwm "github.com/rocketkit/rocketkit/starter/watermill"
	"github.com/rocketkit/rocketkit/transport"
)

// fastDelays makes every delay level 100ms, so nacked messages come back
// quickly.
const fastDelays = "100ms 100ms 100ms 100ms 100ms 100ms 100ms 100ms 100ms " +
	"100ms 100ms 100ms 100ms 100ms 100ms 100ms 100ms 100ms"

// startBroker starts an embedded broker with a fast delay table; edit may
// change more of its config.
func startBroker(t testing.TB, edit ...func(*broker.Config)) *broker.Broker {
	t.Helper()
	return brokertest.Start(t, brokertest.WithConfig(func(c *broker.Config) {
		c.MessageDelayLevel = fastDelays
		for _, e := range edit {
			e(c)
		}
	}))
}

// cluster is the client configuration for the name server at addr.
func cluster(addr string) client.Config { return client.Config{NameServers: []string{addr}} }

// producerGroups numbers producer groups, so that publishers sharing a
// backend never share a group.
var producerGroups atomic.Int64

// newPublisher returns a publisher on its own client for addr, closed at
// test end.
func newPublisher(t testing.TB, addr string, opts ...rmqwm.PublisherOption) *rmqwm.Publisher {
	t.Helper()
	return publisherOn(t, nil, rmqwm.PublisherConfig{Client: cluster(addr)}, opts...)
}

// publisherOn returns a publisher on be (nil: its own client from
// cfg.Client), closed at test end. Without a ProducerGroup it gets a fresh
// one.
func publisherOn(t testing.TB, be transport.Backend, cfg rmqwm.PublisherConfig, opts ...rmqwm.PublisherOption) *rmqwm.Publisher {
	t.Helper()
	if cfg.ProducerGroup == "" {
		cfg.ProducerGroup = fmt.Sprintf("wmpub-%d", producerGroups.Add(1))
	}
	pub, err := rmqwm.NewPublisher(cfg, be, nil, opts...)
	if err != nil {
		t.Fatalf("new publisher: %v", err)
	}
	t.Cleanup(func() { _ = pub.Close() })
	return pub
}

// newSubscriber returns a subscriber on its own client for addr, closed at
// test end; edit may change its config.
func newSubscriber(t testing.TB, addr, group string, edit ...func(*rmqwm.SubscriberConfig)) *rmqwm.Subscriber {
	t.Helper()
	return subscriberOn(t, nil, addr, group, edit...)
}

// subscriberOn returns a subscriber on be (nil: its own client for addr),
// closed at test end; edit may change its config.
func subscriberOn(t testing.TB, be transport.Backend, addr, group string, edit ...func(*rmqwm.SubscriberConfig)) *rmqwm.Subscriber {
	t.Helper()
	cfg := rmqwm.SubscriberConfig{Client: cluster(addr), ConsumerGroup: group, LocalNackDelay: 10 * time.Millisecond}
	for _, e := range edit {
		e(&cfg)
	}
	sub, err := rmqwm.NewSubscriber(cfg, be, nil)
	if err != nil {
		t.Fatalf("new subscriber: %v", err)
	}
	t.Cleanup(func() { _ = sub.Close() })
	return sub
}

// receiveTimeout bounds every wait for a message: generous, as the tests
// assert what arrives, never how fast.
const receiveTimeout = 30 * time.Second

// receive reads one message from ch or fails after receiveTimeout.
func receive(t testing.TB, ch <-chan *message.Message) *message.Message {
	t.Helper()
	select {
	case msg, ok := <-ch:
		if !ok {
			t.Fatal("channel closed")
		}
		return msg
	case <-time.After(receiveTimeout):
		t.Fatalf("no message within %v", receiveTimeout)
		return nil
	}
}
