package transporttest

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/rocketkit/rocketkit/client"
)

// testTransactions: a half message whose local transaction commits is
// delivered; one that rolls back never is; one left unknown is checked
// back, through the TransactionChecker with the message as sent, and
// delivered once the checker commits. The transaction producer sends
// plain messages too.
func testTransactions(t *testing.T, e *env) {
	topic := e.topic("tx", 1) // one queue and one handler goroutine: delivered in commit order
	in := newInbox()
	e.consumer(client.ConsumerConfig{Group: name("g"), Concurrency: 1, Subscriptions: sub(topic)}, in.handler("c", nil))

	var mu sync.Mutex
	var checked []*client.MessageExt
	checker := client.TransactionCheckerFunc(func(ctx context.Context, m *client.MessageExt) client.TransactionState {
		mu.Lock()
		defer mu.Unlock()
		checked = append(checked, m)
		if string(m.Body) == "unknown" {
			return client.CommitTransaction
		}
		return client.UnknownTransaction
	})
	p, err := e.backend.NewTransactionProducer(client.ProducerConfig{Group: name("txp")}, checker)
	if err != nil {
		t.Fatalf("new transaction producer: %v", err)
	}
	t.Cleanup(func() {
		if err := p.Close(); err != nil {
			t.Errorf("close transaction producer: %v", err)
		}
	})

	sendTx := func(body string, state client.TransactionState) *client.SendResult {
		t.Helper()
		m := &client.Message{Topic: topic, Tag: "tx", Body: []byte(body), Properties: map[string]string{"outcome": body}}
		var executed *client.SendResult
		res, got, err := p.SendInTransaction(e.ctx(), m, func(_ context.Context, res *client.SendResult) client.TransactionState {
			executed = res
			return state
		})
		if err != nil {
			t.Fatalf("SendInTransaction(%s): %v", body, err)
		}
		if got != state {
			t.Errorf("SendInTransaction(%s) reported %v, the local transaction answered %v", body, got, state)
		}
		if executed == nil {
			t.Fatalf("SendInTransaction(%s) never ran the local transaction", body)
		}
		if executed.MsgID == "" || executed.MsgID != res.MsgID || executed.Queue.Topic != topic {
			t.Errorf("SendInTransaction(%s): the local transaction got %+v, the call returned %+v", body, executed, res)
		}
		return res
	}
	commit := sendTx("commit", client.CommitTransaction)
	sendTx("rollback", client.RollbackTransaction)
	unknown := sendTx("unknown", client.UnknownTransaction)

	got := in.waitBodies(t, e.s.wait, "commit", "unknown")
	if d := byBody(got, "commit")[0].m; d.MsgID != commit.MsgID || d.Property("outcome") != "commit" {
		t.Errorf("committed message: MsgID %q, Property(outcome) %q; want %q and commit", d.MsgID, d.Property("outcome"), commit.MsgID)
	}
	if d := byBody(got, "unknown")[0].m; d.MsgID != unknown.MsgID {
		t.Errorf("message committed by the checker: MsgID %q, the send reported %q", d.MsgID, unknown.MsgID)
	}
	mu.Lock()
	var check *client.MessageExt
	for _, m := range checked {
		if string(m.Body) == "unknown" {
			check = m
		}
	}
	mu.Unlock()
	if check == nil {
		t.Fatal("the message left unknown was delivered without a check-back")
	}
	if check.Topic != topic || check.MsgID != unknown.MsgID || check.Property("outcome") != "unknown" ||
		check.Tag != "tx" || check.TransactionID == "" {
		t.Errorf("the checker got topic %q MsgID %q Tag %q TransactionID %q Property(outcome) %q; want %s, %s, tx, an id, unknown",
			check.Topic, check.MsgID, check.Tag, check.TransactionID, check.Property("outcome"), topic, unknown.MsgID)
	}

	// Rolled back is never delivered: once the broker resolved every half
	// message of the topic, a plain message sent after it arrives after
	// anything committed.
	deadline := time.Now().Add(e.s.wait)
	for e.b.Stats().PendingTransactions[topic] > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("the broker still has %d half messages of %s pending", e.b.Stats().PendingTransactions[topic], topic)
		}
		time.Sleep(10 * time.Millisecond)
	}
	e.send(p, &client.Message{Topic: topic, Body: []byte("after")})
	got = in.waitBodies(t, e.s.wait, "after")
	if n := count(got, "rollback"); n != 0 {
		t.Errorf("the rolled-back message was delivered %d times", n)
	}
}
