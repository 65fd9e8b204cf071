package client

import (
	"testing"
	"time"

	"github.com/rocketkit/rocketkit/protocol/message"
	"github.com/rocketkit/rocketkit/protocol/remoting"
)

// ConsumeRetry sends the message back; it comes again through the group's
// retry topic with ReconsumeTimes 1, the same MsgID, its real topic, and
// both queues' offsets are committed.
func TestConsumerRetry(t *testing.T) {
	b := startBroker(t)
	c := newTestClient(t, b, "c1")
	createTopic(t, c, b, "pay", 2)
	id := send(t, c, b, "pay", testMsg{queue: 1, tag: "t", body: "charge"})[0]
	in := newInbox()
	con := startConsumer(t, c, ConsumerConfig{Group: "payer", ConsumeFrom: ConsumeFromFirstOffset,
		Subscriptions: []Subscription{{Topic: "pay", Expression: "t"}}}, in.handler(func(m *MessageExt) ConsumeResult {
		if m.ReconsumeTimes == 0 {
			return ConsumeRetry
		}
		return ConsumeSuccess
	}))
	msgs := in.wait(t, 2)
	first, again := msgs[0], msgs[1]
	if again.MsgID != id || again.ReconsumeTimes != 1 || again.Topic != "pay" || string(again.Body) != "charge" || again.Tag != "t" {
		t.Fatalf("redelivery %+v", again)
	}
	if again.Queue.Topic != message.RetryTopic("payer") || first.Queue.Topic != "pay" {
		t.Fatalf("queues %v then %v", first.Queue, again.Queue)
	}
	if again.Property(message.PropertyRetryTopic) != "pay" || again.Property(message.PropertyOriginMessageID) == "" {
		t.Fatalf("properties %v", again.Properties())
	}
	closeConsumer(t, con)
	if off := committedOffsets(b, "payer", "pay"); off[1] != 1 {
		t.Fatalf("committed %v", off)
	}
	if off := committedOffsets(b, "payer", message.RetryTopic("payer")); off[0] != 1 {
		t.Fatalf("retry queue committed %v", off)
	}
}

// A message failing MaxReconsumeTimes+1 times goes to %DLQ%<group>;
// ConsumeDeadLetter sends one there at once.
func TestConsumerDeadLetter(t *testing.T) {
	b := startBroker(t)
	c := newTestClient(t, b, "c1")
	createTopic(t, c, b, "jobs", 1)
	in := newInbox()
	startConsumer(t, c, ConsumerConfig{Group: "workers", ConsumeFrom: ConsumeFromFirstOffset, MaxReconsumeTimes: 2,
		Subscriptions: []Subscription{{Topic: "jobs"}}}, in.handler(func(m *MessageExt) ConsumeResult {
		if m.Tag == "dead" {
			return ConsumeDeadLetter
		}
		return ConsumeRetry
	}))
	dlq := message.DLQTopic("workers")

	id := send(t, c, b, "jobs", testMsg{body: "always fails"})[0]
	msgs := in.wait(t, 3)
	waitUntil(t, "the message in the DLQ", func() bool { return maxOffset(t, c, b, dlq, 0) == 1 })
	for i, m := range in.all() {
		if m.MsgID != id || m.ReconsumeTimes != int32(i) {
			t.Fatalf("delivery %d: %s reconsume times %d", i, m.MsgID, m.ReconsumeTimes)
		}
	}
	if n := len(msgs); n != 3 || in.len() != 3 {
		t.Fatalf("%d deliveries, want 3 (MaxReconsumeTimes 2)", in.len())
	}

	send(t, c, b, "jobs", testMsg{tag: "dead", body: "poison"})
	in.wait(t, 4)
	waitUntil(t, "the poison message in the DLQ", func() bool { return maxOffset(t, c, b, dlq, 0) == 2 })
	if in.len() != 4 {
		t.Fatalf("ConsumeDeadLetter redelivered: %d deliveries", in.len())
	}
}

// When the broker refuses the send-back, the consumer sends a copy to the
// group's retry topic itself (Java's fallback): it comes back from there
// with ReconsumeTimes+1 and the same MsgID, or, dead-lettered, goes to the
// DLQ. When that copy fails too, the message is redelivered locally (never
// lost), with ReconsumeTimes+1, from its own queue.
func TestConsumerSendBackRefused(t *testing.T) {
	t.Run("dead letter: a copy past the maximum lands in the DLQ", func(t *testing.T) {
		b := startBroker(t)
		var faults faultNet
		c := newTestClient(t, b, "c1", WithDialFunc(faults.Dial))
		createTopic(t, c, b, "flaky", 1)
		send(t, c, b, "flaky", testMsg{body: "poison"})
		faults.failWith(remoting.ConsumerSendMsgBack, remoting.SystemError)
		in := newInbox()
		con := startConsumer(t, c, ConsumerConfig{Group: "flaky", ConsumeFrom: ConsumeFromFirstOffset,
			SuspendInterval: 20 * time.Millisecond, Subscriptions: []Subscription{{Topic: "flaky"}}},
			in.handler(func(*MessageExt) ConsumeResult { return ConsumeDeadLetter }))
		in.wait(t, 1)
		dlq := message.DLQTopic("flaky")
		waitUntil(t, "the message in the DLQ", func() bool { return maxOffset(t, c, b, dlq, 0) == 1 })
		closeConsumer(t, con)
		if in.len() != 1 || faults.count(remoting.ConsumerSendMsgBack) != 1 {
			t.Fatalf("%d deliveries and %d send-backs, want 1 and 1", in.len(), faults.count(remoting.ConsumerSendMsgBack))
		}
	})
	for _, tt := range []struct {
		name        string
		failResend  bool
		retryQueues bool // redeliveries come from the retry topic
	}{
		{name: "a copy to the retry topic", retryQueues: true},
		{name: "the copy fails too: local redelivery", failResend: true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			b := startBroker(t)
			var faults faultNet
			c := newTestClient(t, b, "c1", WithDialFunc(faults.Dial))
			createTopic(t, c, b, "flaky", 1)
			id := send(t, c, b, "flaky", testMsg{body: "x"})[0]
			faults.failWith(remoting.ConsumerSendMsgBack, remoting.SystemError)
			if tt.failResend {
				faults.failWith(remoting.SendMessage, remoting.SystemError)
			}
			in := newInbox()
			con := startConsumer(t, c, ConsumerConfig{Group: "flaky", ConsumeFrom: ConsumeFromFirstOffset, RetryDelayLevel: 1,
				SuspendInterval: 20 * time.Millisecond, Subscriptions: []Subscription{{Topic: "flaky"}}},
				in.handler(func(m *MessageExt) ConsumeResult {
					if m.ReconsumeTimes < 2 {
						return ConsumeRetry
					}
					return ConsumeSuccess
				}))
			msgs := in.wait(t, 3)
			for i, m := range msgs {
				wantQueue := "flaky"
				if i > 0 && tt.retryQueues {
					wantQueue = "%RETRY%flaky"
				}
				if m.MsgID != id || m.ReconsumeTimes != int32(i) || m.Topic != "flaky" || m.Queue.Topic != wantQueue {
					t.Fatalf("delivery %d: %+v, want from a queue of %s", i, m, wantQueue)
				}
			}
			if n := faults.count(remoting.ConsumerSendMsgBack); n != 2 {
				t.Fatalf("%d send-backs, want 2", n)
			}
			closeConsumer(t, con)
			if off := committedOffsets(b, "flaky", "flaky"); off[0] != 1 {
				t.Fatalf("committed %v", off)
			}
		})
	}
}

// A dead-letter send-back that fails, and whose copy to the retry topic
// fails too, is tried again until a broker takes it; the handler is not
// called again.
func TestConsumerDeadLetterRetriedUntilAccepted(t *testing.T) {
	b := startBroker(t)
	var faults faultNet
	c := newTestClient(t, b, "c1", WithDialFunc(faults.Dial))
	createTopic(t, c, b, "poison", 1)
	send(t, c, b, "poison", testMsg{body: "x"})
	faults.failWith(remoting.ConsumerSendMsgBack, remoting.SystemError)
	faults.failWith(remoting.SendMessage, remoting.SystemError)
	in := newInbox()
	startConsumer(t, c, ConsumerConfig{Group: "poison", ConsumeFrom: ConsumeFromFirstOffset, SuspendInterval: 10 * time.Millisecond,
		Subscriptions: []Subscription{{Topic: "poison"}}}, in.handler(func(*MessageExt) ConsumeResult { return ConsumeDeadLetter }))
	in.wait(t, 1)
	waitUntil(t, "several attempts", func() bool { return faults.count(remoting.ConsumerSendMsgBack) >= 3 })
	faults.fail(remoting.ConsumerSendMsgBack, nil)
	waitUntil(t, "the message in the DLQ", func() bool { return maxOffset(t, c, b, message.DLQTopic("poison"), 0) == 1 })
	if in.len() != 1 {
		t.Fatalf("handler called %d times", in.len())
	}
}
