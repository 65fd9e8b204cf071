package watermill_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/rocketkit/rocketkit/internal/backendtest"
	rmqwm "github.com/rocketkit/rocketkit/starter/watermill"
)

func TestPublishersSharingABackendNeedDistinctGroups(t *testing.T) {
	b := startBroker(t)
	be := backendtest.Native(t, b)
	publisherOn(t, be, rmqwm.PublisherConfig{ProducerGroup: "same"})
	pub, err := rmqwm.NewPublisher(rmqwm.PublisherConfig{ProducerGroup: "same"}, be, nil)
	if err == nil {
		_ = pub.Close()
		t.Fatal("second publisher of one group on one backend was accepted")
	}
	if !strings.Contains(err.Error(), "producer-group") {
		t.Errorf("error %q does not name producer-group", err)
	}
	publisherOn(t, be, rmqwm.PublisherConfig{ProducerGroup: "other"})
}

// Two Subscribers on one backend in one group are two members: each gets
// queues of its own, so both receive messages.
func TestSubscribersSharingABackendSplitTheGroup(t *testing.T) {
	b := startBroker(t)
	be := backendtest.Native(t, b)
	pub := publisherOn(t, be, rmqwm.PublisherConfig{})
	first, err := subscriberOn(t, be, b.Addr(), "split").Subscribe(t.Context(), "split")
	if err != nil {
		t.Fatal(err)
	}
	second, err := subscriberOn(t, be, b.Addr(), "split").Subscribe(t.Context(), "split")
	if err != nil {
		t.Fatal(err)
	}
	const n = 40
	for i := range n {
		if err := pub.Publish("split", message.NewMessage(fmt.Sprint(i), []byte("x"))); err != nil {
			t.Fatal(err)
		}
	}
	seen := map[string]int{}
	from := map[int]int{}
	timeout := time.After(receiveTimeout)
	for len(seen) < n || from[1] == 0 || from[2] == 0 {
		var m *message.Message
		select {
		case m = <-first:
			from[1]++
		case m = <-second:
			from[2]++
		case <-timeout:
			t.Fatalf("received %d of %d messages, per member %v", len(seen), n, from)
		}
		if m == nil {
			t.Fatal("channel closed")
		}
		seen[m.UUID]++
		m.Ack()
	}
}
