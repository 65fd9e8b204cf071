package watermill_test

import (
	"errors"
	"sync"
	"testing"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/rocketkit/rocketkit/internal/backendtest"
	rmqwm "github.com/rocketkit/rocketkit/starter/watermill"
)

// TestDeadLetterSendsToTheDLQAtOnce dead-letters a message on its first
// delivery, with the default MaxReconsumeTimes (16): it must be in
// %DLQ%<group> without ever being redelivered. If DeadLetter were a plain
// Nack, the message would come back on ch (which nobody reads) instead, and
// never reach the dead-letter topic.
func TestDeadLetterSendsToTheDLQAtOnce(t *testing.T) {
	for _, bk := range backendtest.Backends {
		t.Run(bk.Name, func(t *testing.T) {
			t.Parallel()
			b := startBroker(t)
			be := bk.Open(t, b)
			pub := publisherOn(t, be, rmqwm.PublisherConfig{})
			msg := message.NewMessage(watermill.NewUUID(), []byte("doomed"))
			if err := pub.Publish("doomed", msg); err != nil {
				t.Fatal(err)
			}
			ch, err := subscriberOn(t, be, b.Addr(), "doomed").Subscribe(t.Context(), "doomed")
			if err != nil {
				t.Fatal(err)
			}
			if got := receive(t, ch); !rmqwm.DeadLetter(got) {
				t.Error("DeadLetter did not recognise a message from a Subscriber")
			}
			dlq, err := subscriberOn(t, be, b.Addr(), "doomed-reader").Subscribe(t.Context(), "%DLQ%doomed")
			if err != nil {
				t.Fatal(err)
			}
			dead := receive(t, dlq)
			dead.Ack()
			if dead.UUID != msg.UUID || string(dead.Payload) != "doomed" {
				t.Errorf("DLQ holds %s %q, want %s", dead.UUID, dead.Payload, msg.UUID)
			}
			// The broker counts the dead-lettering delivery: 1 after one
			// delivery, MaxReconsumeTimes+1 after a message was nacked
			// until it was dead-lettered.
			if n, _ := rmqwm.ReconsumeTimesFromCtx(dead.Context()); n != 1 {
				t.Errorf("dead-letter copy has ReconsumeTimes %d, want 1 (dead-lettered on its first delivery)", n)
			}
		})
	}
}

// TestDiscardMiddlewareDeadLettersFromARouter runs a router whose handler
// discards one message: it must reach %DLQ%<group> after one handler call.
// Without the middleware the router's Nack would have it redelivered
// MaxReconsumeTimes (16) times first.
func TestDiscardMiddlewareDeadLettersFromARouter(t *testing.T) {
	b := startBroker(t)
	be := backendtest.Native(t, b)
	pub := publisherOn(t, be, rmqwm.PublisherConfig{})
	sub := subscriberOn(t, be, b.Addr(), "billing-{topic}")

	router, err := message.NewRouter(message.RouterConfig{}, watermill.NopLogger{})
	if err != nil {
		t.Fatal(err)
	}
	router.AddMiddleware(rmqwm.DiscardMiddleware)
	var (
		mu    sync.Mutex
		calls = map[string]int{}
	)
	router.AddConsumerHandler("bill", "orders", sub, func(msg *message.Message) error {
		mu.Lock()
		calls[msg.UUID]++
		mu.Unlock()
		if string(msg.Payload) == "garbage" {
			return rmqwm.Discard(errors.New("cannot decode order"))
		}
		return nil
	})
	done := make(chan error, 1)
	go func() { done <- router.Run(t.Context()) }()
	defer func() {
		if err := router.Close(); err != nil {
			t.Error(err)
		}
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()
	<-router.Running()

	bad := message.NewMessage("bad", []byte("garbage"))
	if err := pub.Publish("orders", message.NewMessage("good", []byte("{}")), bad); err != nil {
		t.Fatal(err)
	}
	dlq, err := subscriberOn(t, be, b.Addr(), "billing-dlq-reader").Subscribe(t.Context(), "%DLQ%billing-orders")
	if err != nil {
		t.Fatal(err)
	}
	dead := receive(t, dlq)
	dead.Ack()
	if dead.UUID != "bad" {
		t.Errorf("DLQ holds %s, want bad", dead.UUID)
	}
	mu.Lock()
	defer mu.Unlock()
	if calls["bad"] != 1 {
		t.Errorf("the discarded message was handled %d times, want once", calls["bad"])
	}
}

func TestDiscardWrapsTheError(t *testing.T) {
	cause := errors.New("cannot decode")
	err := rmqwm.Discard(cause)
	if !errors.Is(err, rmqwm.ErrDiscard) || !errors.Is(err, cause) {
		t.Errorf("Discard(cause) = %v: matches ErrDiscard %v, cause %v", err,
			errors.Is(err, rmqwm.ErrDiscard), errors.Is(err, cause))
	}
	if err := rmqwm.Discard(nil); err == nil || !errors.Is(err, rmqwm.ErrDiscard) {
		t.Errorf("Discard(nil) = %v", err)
	}
	// A message that did not come from a Subscriber is only nacked.
	msg := message.NewMessage("x", nil)
	if rmqwm.DeadLetter(msg) {
		t.Error("DeadLetter recognised a message that was never received")
	}
	select {
	case <-msg.Nacked():
	default:
		t.Error("DeadLetter did not nack")
	}
}
