//go:build !race

// The official Go client's handler of RESET_CONSUMER_CLIENT_OFFSET clears
// its process queues while its pull goroutines read them, without a lock,
// which the race detector reports in any test that resets a live official
// consumer. This test therefore builds without -race; the Taskfile's test
// task runs it in a separate pass, as the official orderly tests.

package admin_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/apache/rocketmq-client-go/v2/consumer"
	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/rocketkit/rocketkit/broker/brokertest"
	"github.com/rocketkit/rocketkit/internal/clienttest"
)

// A live official consumer acts on the broker's reset too, after the 10 s
// its handler sleeps, and receives again exactly the messages stored after
// the reset time, without a restart.
func TestOfficialLiveResetOffset(t *testing.T) {
	b := brokertest.Start(t)
	ad := newAdmin(t, b)
	const topic, group = "live-reset-official", "live-reset-official"
	resetTo := sendEarlyAndLate(t, b, topic)
	got := &received{}
	cons := clienttest.NewConsumer(t, b, consumer.WithNameServer(primitive.NamesrvAddr{b.Addr()}),
		consumer.WithGroupName(group), consumer.WithInstance(clienttest.UniqueName("live-reset")),
		consumer.WithConsumeFromWhere(consumer.ConsumeFromFirstOffset))
	if err := cons.Subscribe(topic, consumer.MessageSelector{Type: consumer.TAG, Expression: "*"},
		func(_ context.Context, msgs ...*primitive.MessageExt) (consumer.ConsumeResult, error) {
			got.add(msgs...)
			return consumer.ConsumeSuccess, nil
		}); err != nil {
		t.Fatal(err)
	}
	if err := cons.Start(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the first 10 messages", func() bool { return len(got.snapshot()) == 10 })
	members := mustMembers(t, ad, group, 1)
	if _, err := ad.ResetOffset(t.Context(), group, topic, resetTo); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(45 * time.Second) // the client sleeps 10 s first
	for len(got.snapshot()) < 14 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	again := got.snapshot()[10:]
	if len(again) != 4 {
		t.Fatalf("after the reset the official consumer received %v, want the 4 late messages", again)
	}
	for _, body := range again {
		if !strings.HasPrefix(body, "late-") {
			t.Errorf("after the reset the group received %q, stored before the reset time", body)
		}
	}
	if now := mustMembers(t, ad, group, 1); now[0].ClientID != members[0].ClientID {
		t.Errorf("member %s replaced by %s: the consumer was restarted", members[0].ClientID, now[0].ClientID)
	}
}
