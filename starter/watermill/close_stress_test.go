package watermill_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
)

// TestCloseWhilePulling closes subscriptions again and again while messages
// keep arriving and handler calls are waiting to hand messages out, so
// that closing races pulls, deliveries and acks.
func TestCloseWhilePulling(t *testing.T) {
	b := startBroker(t)
	pub := newPublisher(t, b.Addr())
	topic := "close-stress"
	ctx, cancel := context.WithCancel(t.Context())
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := 0; ctx.Err() == nil; i++ {
			_ = pub.Publish(topic, message.NewMessage(watermill.NewUUID(), fmt.Appendf(nil, "%d", i)))
		}
	})
	defer wg.Wait()
	defer cancel()

	sub := newSubscriber(t, b.Addr(), "close-stress")
	deadline := time.Now().Add(closeStressDuration)
	i := 0
	defer func() { t.Logf("%d subscriptions closed while pulling", i) }()
	for ; time.Now().Before(deadline); i++ {
		sctx, scancel := context.WithCancel(ctx)
		ch, err := sub.Subscribe(sctx, topic)
		if err != nil {
			t.Fatalf("subscribe %d: %v", i, err)
		}
		// Take a few messages, then close while pulls are busy.
		for range 5 {
			(<-ch).Ack()
		}
		scancel()
		for msg := range ch {
			msg.Ack()
		}
	}
}
