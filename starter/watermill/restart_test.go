package watermill_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/rocketkit/rocketkit/broker"
	"github.com/rocketkit/rocketkit/client"
	rmqwm "github.com/rocketkit/rocketkit/starter/watermill"
)

// TestReconnectAfterBrokerRestart restarts the broker under a publisher and
// a subscriber on the kit's client and checks that both carry on and
// nothing is lost. The restarted broker knows the consumer again from the
// client's next heartbeat, every second here.
func TestReconnectAfterBrokerRestart(t *testing.T) {
	t.Parallel() // mostly waits for the broker and the client's timers
	cfg := broker.Config{
		Listen:            "127.0.0.1:0",
		DataDir:           t.TempDir(),
		MaxPullHold:       2 * time.Second,
		MessageDelayLevel: fastDelays,
	}
	b, err := broker.Start(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = b.Close() }()
	addr := b.Addr()
	cfg.Listen = addr

	fast := client.Config{NameServers: []string{addr}, HeartbeatInterval: time.Second, RouteRefreshInterval: time.Second}
	pub := publisherOn(t, nil, rmqwm.PublisherConfig{Client: fast})
	ch, err := newSubscriber(t, addr, "restart", func(c *rmqwm.SubscriberConfig) { c.Client = fast }).
		Subscribe(t.Context(), "restart")
	if err != nil {
		t.Fatal(err)
	}
	publish := func(from, to int) {
		for i := from; i < to; i++ {
			msg := message.NewMessage(fmt.Sprintf("m%d", i), nil)
			var err error
			for try := 0; try < 100; try++ { // the client reconnects on demand
				if err = pub.Publish("restart", msg); err == nil {
					break
				}
				time.Sleep(100 * time.Millisecond) // between retries while the broker is down
			}
			if err != nil {
				t.Fatalf("publish %s: %v", msg.UUID, err)
			}
		}
	}
	const n = 200
	publish(0, n/2)

	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	for try := 0; ; try++ { // the port may take a moment to be free
		if b, err = broker.Start(context.Background(), cfg); err == nil {
			break
		}
		if try == 50 {
			t.Fatalf("restart broker: %v", err)
		}
		time.Sleep(100 * time.Millisecond) // between retries of the listen
	}
	publish(n/2, n)

	seen := map[string]bool{}
	deadline := time.After(90 * time.Second)
	for len(seen) < n {
		select {
		case m := <-ch:
			seen[m.UUID] = true
			m.Ack()
		case <-deadline:
			t.Fatalf("received %d of %d messages", len(seen), n)
		}
	}
}
