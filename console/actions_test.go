package console_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/rocketkit/rocketkit/admin"
	"github.com/rocketkit/rocketkit/client"
)

// received collects what a consumer of the kit's client got, by body.
type received struct {
	mu   sync.Mutex
	msgs []*client.MessageExt
}

func (r *received) add(msgs []*client.MessageExt) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.msgs = append(r.msgs, msgs...)
}

// count returns how often each body was received.
func (r *received) count() map[string]int {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := map[string]int{}
	for _, m := range r.msgs {
		out[string(m.Body)]++
	}
	return out
}

func (r *received) all() []*client.MessageExt {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.msgs)
}

// startConsumer starts a clustering consumer of group on topic (reading a
// queue it has no offset for from its first message) with the kit's
// client, and closes it at the end of the test unless closed earlier.
func startConsumer(t *testing.T, e *env, group, topic, expr string) (*client.Consumer, *received) {
	t.Helper()
	c, err := client.New(client.Config{NameServers: []string{e.b.Addr()}})
	if err != nil {
		t.Fatal(err)
	}
	got := &received{}
	cons, err := c.NewConsumer(client.ConsumerConfig{Group: group, ConsumeFrom: client.ConsumeFromFirstOffset,
		Subscriptions: []client.Subscription{{Topic: topic, Expression: expr}}},
		func(_ context.Context, msgs []*client.MessageExt) client.ConsumeResult {
			got.add(msgs)
			return client.ConsumeSuccess
		})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := testContext(t)
	defer cancel()
	if err := cons.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := testContext(t)
		defer cancel()
		_ = cons.Close(ctx)
		c.Close()
	})
	return cons, got
}

// sendPhases sends n messages "a0".."a<n-1>" to topic, then, once the clock
// has moved past them, n messages "b0".."b<n-1>", and returns the time in
// Unix milliseconds between the two: every a is stored before it, every b
// at or after it.
func sendPhases(t *testing.T, e *env, topic string, n int) int64 {
	t.Helper()
	for i := range n {
		e.send(t, &client.Message{Topic: topic, Body: fmt.Appendf(nil, "a%d", i)})
	}
	at := time.Now().UnixMilli() + 1
	for time.Now().UnixMilli() <= at { // the next millisecond: b is stored after at
		time.Sleep(time.Millisecond)
	}
	for i := range n {
		e.send(t, &client.Message{Topic: topic, Body: fmt.Appendf(nil, "b%d", i)})
	}
	return at
}

// resetAnswer is POST /api/reset's answer.
type resetAnswer struct {
	Group, Topic string
	Queues       []admin.QueueReset
}

// reset asks the console to reset group on topic to at (Unix ms), with the
// session's CSRF token, and fails unless it answers 200.
func (e *env) reset(t *testing.T, group, topic string, at int64) resetAnswer {
	t.Helper()
	status, out := e.post(t, "/api/reset", map[string]string{"group": group, "topic": topic, "time": strconv.FormatInt(at, 10)},
		map[string]string{"X-Console-Token": e.token(t)})
	if status != http.StatusOK {
		t.Fatalf("reset: %d %s", status, out)
	}
	var a resetAnswer
	if err := json.Unmarshal(out, &a); err != nil {
		t.Fatalf("reset answer %s: %v", out, err)
	}
	return a
}

// committed returns group's committed offset per queue of topic (the
// broker's answer, through the admin client).
func committed(t *testing.T, e *env, group, topic string) map[int]admin.QueueProgress {
	t.Helper()
	qs, err := e.adm.ConsumeStats(t.Context(), group, topic)
	if err != nil {
		t.Fatalf("consume stats of %s: %v", group, err)
	}
	out := map[int]admin.QueueProgress{}
	for _, q := range qs {
		if q.Topic == topic {
			out[q.QueueID] = q
		}
	}
	return out
}

// wantCounts fails unless every body in want was received exactly as often
// as want says (bodies not in want: not at all).
func wantCounts(t *testing.T, got map[string]int, want map[string]int) {
	t.Helper()
	for body, n := range got {
		if want[body] != n {
			t.Errorf("%s received %d times, want %d", body, n, want[body])
		}
	}
	for body, n := range want {
		if _, ok := got[body]; !ok {
			t.Errorf("%s received %d times, want %d", body, got[body], n)
		}
	}
}

// A stopped group reset through the console to a time between two batches
// has, on every queue, the offset of the first message of the later batch
// committed, and a consumer of the group started afterwards receives the
// later batch again and nothing of the earlier one. Without the session
// token the reset is refused and changes nothing.
func TestResetStoppedGroup(t *testing.T) {
	const topic, group, n = "reset-stopped", "reset-stopped-cg", 12
	e := newEnv(t, client.Credentials{})
	at := sendPhases(t, e, topic, n)

	cons, got := startConsumer(t, e, group, topic, "*")
	waitFor(t, "the group to read everything", func() bool { return len(got.all()) >= 2*n })
	ctx, cancel := testContext(t)
	defer cancel()
	if err := cons.Close(ctx); err != nil {
		t.Fatal(err)
	}
	before := committed(t, e, group, topic)
	for id, q := range before {
		if q.ConsumerOffset != q.BrokerOffset {
			t.Fatalf("queue %d: committed %d of %d after reading everything", id, q.ConsumerOffset, q.BrokerOffset)
		}
	}

	if status, out := e.post(t, "/api/reset", map[string]string{"group": group, "topic": topic, "time": strconv.FormatInt(at, 10)},
		nil); status != http.StatusForbidden {
		t.Fatalf("reset without the token: %d %s, want 403", status, out)
	}
	if after := committed(t, e, group, topic); !sameOffsets(before, after) {
		t.Fatalf("a refused reset moved the offsets: %v, then %v", before, after)
	}

	// Where each queue's first b is: the reset must put the group there.
	firstB := map[int]int64{}
	for _, m := range got.all() {
		if m.Body[0] == 'b' {
			if off, ok := firstB[m.Queue.QueueID]; !ok || m.QueueOffset < off {
				firstB[m.Queue.QueueID] = m.QueueOffset
			}
		}
	}
	a := e.reset(t, group, topic, at)
	if len(a.Queues) != len(before) {
		t.Fatalf("reset answered %d queues, the topic has %d: %+v", len(a.Queues), len(before), a)
	}
	var lag int64
	after := committed(t, e, group, topic)
	for _, r := range a.Queues {
		want, ok := firstB[r.QueueID]
		if !ok {
			want = before[r.QueueID].BrokerOffset // no b here: the queue's end
		}
		if r.NewOffset != want || r.OldOffset != before[r.QueueID].ConsumerOffset {
			t.Errorf("queue %d: reset %d -> %d, want %d -> %d", r.QueueID, r.OldOffset, r.NewOffset, before[r.QueueID].ConsumerOffset, want)
		}
		if c := after[r.QueueID].ConsumerOffset; c != want {
			t.Errorf("queue %d: committed %d after the reset, want %d", r.QueueID, c, want)
		}
		lag += after[r.QueueID].Lag()
	}
	if lag != n {
		t.Fatalf("the group lags by %d after the reset, want %d (the b batch)", lag, n)
	}

	_, again := startConsumer(t, e, group, topic, "*")
	waitFor(t, "the b batch again", func() bool { return len(again.all()) >= n })
	want := map[string]int{}
	for i := range n {
		want[fmt.Sprintf("b%d", i)] = 1
	}
	waitFor(t, "the group to commit the b batch", func() bool {
		for _, q := range committed(t, e, group, topic) {
			if q.Lag() != 0 {
				return false
			}
		}
		return true
	})
	wantCounts(t, again.count(), want)
}

// A live group reset through the console to a time between two batches is
// told by the broker, and its running consumer receives the later batch a
// second time, none of the earlier one, and commits up to the end again.
func TestResetLiveGroup(t *testing.T) {
	const topic, group, n = "reset-live", "reset-live-cg", 12
	e := newEnv(t, client.Credentials{})
	at := sendPhases(t, e, topic, n)

	_, got := startConsumer(t, e, group, topic, "*")
	waitFor(t, "the group to read everything", func() bool { return len(got.all()) >= 2*n })
	waitFor(t, "the group to commit everything", func() bool {
		for _, q := range committed(t, e, group, topic) {
			if q.Lag() != 0 {
				return false
			}
		}
		return true
	})
	members, err := e.adm.GroupMembers(t.Context(), group)
	if err != nil || len(members) != 1 {
		t.Fatalf("members of the live group: %v %v", members, err)
	}

	a := e.reset(t, group, topic, at)
	var moved int64
	for _, r := range a.Queues {
		moved += r.OldOffset - r.NewOffset
	}
	if moved != n {
		t.Fatalf("the reset moved the offsets back by %d in all, want %d: %+v", moved, n, a.Queues)
	}
	want := map[string]int{}
	for i := range n {
		want[fmt.Sprintf("a%d", i)] = 1
		want[fmt.Sprintf("b%d", i)] = 2
	}
	waitFor(t, "the b batch a second time", func() bool { return len(got.all()) >= 3*n })
	waitFor(t, "the group to commit everything again", func() bool {
		for _, q := range committed(t, e, group, topic) {
			if q.Lag() != 0 {
				return false
			}
		}
		return true
	})
	wantCounts(t, got.count(), want)
}

// A test message sent from the console (with the session's token) reaches a
// consumer subscribed to its tag with the body, tag and keys given, under
// the message id the console answered; one with another tag does not.
func TestSendReachesConsumer(t *testing.T) {
	const topic = "console-send"
	e := newEnv(t, client.Credentials{})
	tok := e.token(t)
	send := func(tag, keys, body string) string {
		status, out := e.post(t, "/api/send", map[string]string{"topic": topic, "tag": tag, "keys": keys, "body": body},
			map[string]string{"X-Console-Token": tok})
		if status != http.StatusOK {
			t.Fatalf("send: %d %s", status, out)
		}
		var res struct{ MsgID, Status string }
		if err := json.Unmarshal(out, &res); err != nil || res.MsgID == "" || res.Status != "SEND_OK" {
			t.Fatalf("send answer %s: %v", out, err)
		}
		return res.MsgID
	}
	other := send("other-tag", "x", "not for the consumer")
	id := send("console-tag", "order-1  order-2", `{"order":1}`)

	_, got := startConsumer(t, e, "console-send-cg", topic, "console-tag")
	waitFor(t, "the test message", func() bool { return len(got.all()) >= 1 })
	m := got.all()[0]
	if string(m.Body) != `{"order":1}` || m.Tag != "console-tag" || !slices.Equal(m.Keys, []string{"order-1", "order-2"}) ||
		m.MsgID != id || m.Topic != topic {
		t.Fatalf("received %s %q tag %q keys %q id %s, want %s %q tag console-tag keys [order-1 order-2] id %s",
			m.Topic, m.Body, m.Tag, m.Keys, m.MsgID, topic, `{"order":1}`, id)
	}
	waitFor(t, "the group to pass both messages", func() bool {
		qs := committed(t, e, "console-send-cg", topic)
		var stored int64
		for _, q := range qs {
			if q.Lag() != 0 {
				return false
			}
			stored += q.BrokerOffset
		}
		return stored == 2
	})
	if len(got.all()) != 1 {
		t.Fatalf("the consumer of console-tag received %d messages, want 1", len(got.all()))
	}
	if n := countByKey(t, e, topic, other); n != 1 {
		t.Fatalf("the other-tag message: %d stored", n)
	}
	for _, m := range got.all() {
		if m.MsgID == other {
			t.Fatalf("a consumer of console-tag received the other-tag message")
		}
	}
}

// sameOffsets reports whether two offset tables are equal.
func sameOffsets(a, b map[int]admin.QueueProgress) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}
