package watermill_test

import (
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/rocketkit/rocketkit/broker"
	"github.com/rocketkit/rocketkit/broker/brokertest"
	rmqwm "github.com/rocketkit/rocketkit/starter/watermill"
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

// newPublisher returns a publisher on addr, closed at test end.
func newPublisher(t testing.TB, addr string) *rmqwm.Publisher {
	t.Helper()
	pub, err := rmqwm.NewPublisher(rmqwm.PublisherConfig{NameServer: addr})
	if err != nil {
		t.Fatalf("new publisher: %v", err)
	}
	t.Cleanup(func() { _ = pub.Close() })
	return pub
}

// newSubscriber returns a subscriber on addr, closed at test end; edit may
// change its config.
func newSubscriber(t testing.TB, addr, group string, edit ...func(*rmqwm.SubscriberConfig)) *rmqwm.Subscriber {
	t.Helper()
	cfg := rmqwm.SubscriberConfig{NameServer: addr, ConsumerGroup: group}
	for _, e := range edit {
		e(&cfg)
	}
	sub, err := rmqwm.NewSubscriber(cfg)
	if err != nil {
		t.Fatalf("new subscriber: %v", err)
	}
	t.Cleanup(func() { _ = sub.Close() })
	return sub
}

// receive reads one message from ch or fails after timeout.
func receive(t testing.TB, ch <-chan *message.Message, timeout time.Duration) *message.Message {
	t.Helper()
	select {
	case msg, ok := <-ch:
		if !ok {
			t.Fatal("channel closed")
		}
		return msg
	case <-time.After(timeout):
		t.Fatalf("no message within %v", timeout)
		return nil
	}
}
