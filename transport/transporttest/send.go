package transporttest

import (
	"fmt"
	"hash/fnv"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/rocketkit/rocketkit/client"
	"github.com/rocketkit/rocketkit/protocol/message"
)

// testSendModes: a message sent with Send, SendAsync, SendOneway or in a
// SendBatch is delivered once, with its body, tag, keys, flag and
// properties, under the id the send reported.
func testSendModes(t *testing.T, e *env) {
	topic := e.topic("modes", 4)
	p := e.producer()
	in := newInbox()
	e.consumer(client.ConsumerConfig{Group: name("g"), Subscriptions: sub(topic)}, in.handler("c", nil))

	msg := func(mode string, i int) *client.Message {
		return &client.Message{Topic: topic, Tag: "tag-" + mode, Keys: []string{"key-" + mode, fmt.Sprint("n", i)},
			Body: fmt.Appendf(nil, "%s-%d", mode, i), Flag: int32(10 + i),
			Properties: map[string]string{"mode": mode, "i": fmt.Sprint(i)}}
	}
	sent := map[string]*client.Message{} // by body
	ids := map[string]string{}           // body -> msg id reported
	add := func(m *client.Message) { sent[string(m.Body)] = m }

	m := msg("sync", 0)
	add(m)
	ids[string(m.Body)] = e.send(p, m).MsgID

	m = msg("async", 0)
	add(m)
	type outcome struct {
		res *client.SendResult
		err error
	}
	asyncDone := make(chan outcome, 1)
	p.SendAsync(e.ctx(), m, func(res *client.SendResult, err error) { asyncDone <- outcome{res, err} })
	o := <-asyncDone
	if o.err != nil || o.res.Status != client.SendOK {
		t.Fatalf("SendAsync: %v, %v", o.res, o.err)
	}
	ids[string(m.Body)] = o.res.MsgID

	m = msg("oneway", 0)
	add(m)
	if err := p.SendOneway(e.ctx(), m); err != nil {
		t.Fatalf("SendOneway: %v", err)
	}

	batch := []*client.Message{msg("batch", 0), msg("batch", 1), msg("batch", 2)}
	res, err := p.SendBatch(e.ctx(), batch)
	if err != nil || res.Status != client.SendOK {
		t.Fatalf("SendBatch: %v, %v", res, err)
	}
	batchIDs := strings.Split(res.MsgID, ",")
	if len(batchIDs) != len(batch) {
		t.Errorf("SendBatch reported MsgID %q for %d messages; want one id per message, comma-separated", res.MsgID, len(batch))
	}
	for i, bm := range batch {
		add(bm)
		if i < len(batchIDs) {
			ids[string(bm.Body)] = batchIDs[i]
		}
	}

	want := slices.Sorted(maps.Keys(sent))
	got := in.waitBodies(t, e.s.wait, want...)
	for _, body := range want {
		if n := count(got, body); n != 1 {
			t.Errorf("message %s delivered %d times, want once", body, n)
		}
		d := byBody(got, body)[0].m
		checkIntact(t, d, sent[body])
		if id := ids[body]; id != "" && d.MsgID != id {
			t.Errorf("message %s: MsgID %q, the send reported %q", body, d.MsgID, id)
		}
		if d.MsgID == "" {
			t.Errorf("message %s delivered without MsgID", body)
		}
	}
}

// checkIntact reports what of sent the delivered message d lost.
func checkIntact(t *testing.T, d *client.MessageExt, sent *client.Message) {
	t.Helper()
	if d.Topic != sent.Topic || d.Queue.Topic != sent.Topic {
		t.Errorf("message %s: Topic %q, Queue.Topic %q, want %q", sent.Body, d.Topic, d.Queue.Topic, sent.Topic)
	}
	if string(d.Body) != string(sent.Body) {
		t.Errorf("message %s: body %q", sent.Body, d.Body)
	}
	if d.Tag != sent.Tag {
		t.Errorf("message %s: Tag %q, want %q", sent.Body, d.Tag, sent.Tag)
	}
	if !slices.Equal(d.Keys, sent.Keys) {
		t.Errorf("message %s: Keys %q, want %q", sent.Body, d.Keys, sent.Keys)
	}
	if d.Flag != sent.Flag {
		t.Errorf("message %s: Flag %d, want %d", sent.Body, d.Flag, sent.Flag)
	}
	want := sent.Properties
	if want == nil {
		want = map[string]string{}
	}
	if got := d.UserProperties(); !maps.Equal(got, want) {
		t.Errorf("message %s: UserProperties %v, want %v", sent.Body, got, want)
	}
	for k, v := range sent.Properties {
		if got := d.Property(k); got != v {
			t.Errorf("message %s: Property(%q) = %q, want %q", sent.Body, k, got, v)
		}
	}
	if d.Property(message.PropertyUniqKey) != d.MsgID {
		t.Errorf("message %s: MsgID %q but UNIQ_KEY %q", sent.Body, d.MsgID, d.Property(message.PropertyUniqKey))
	}
}

// testLargeBody: a 10 KiB body, compressed on the way (over the default
// CompressOver of 4 KiB), arrives as it was sent.
func testLargeBody(t *testing.T, e *env) {
	topic := e.topic("large", 1)
	p := e.producer()
	in := newInbox()
	e.consumer(client.ConsumerConfig{Group: name("g"), Subscriptions: sub(topic)}, in.handler("c", nil))

	var sb strings.Builder
	for i := 0; sb.Len() < 10<<10; i++ {
		fmt.Fprintf(&sb, "line %d of a compressible body; ", i)
	}
	body := sb.String()[:10<<10]
	m := &client.Message{Topic: topic, Tag: "big", Body: []byte(body), Properties: map[string]string{"size": "10KiB"}}
	e.send(p, m)
	got := in.waitBodies(t, e.s.wait, body)
	d := byBody(got, body)[0].m
	checkIntact(t, d, m)
	if d.SysFlag&message.FlagCompressed == 0 {
		t.Errorf("a 10 KiB body was stored uncompressed (SysFlag %#x); the default CompressOver is 4 KiB", d.SysFlag)
	}
}

// testTagFilter: a subscription "a || b" gets the messages tagged a or b,
// and never those tagged otherwise or untagged.
func testTagFilter(t *testing.T, e *env) {
	topic := e.topic("tags", 1) // one queue and one handler goroutine: delivered in send order
	p := e.producer()
	in := newInbox()
	e.consumer(client.ConsumerConfig{Group: name("g"), Concurrency: 1,
		Subscriptions: []client.Subscription{{Topic: topic, Expression: "a || b"}}}, in.handler("c", nil))

	for _, m := range []struct{ tag, body string }{
		{"a", "a1"}, {"c", "c1"}, {"", "untagged"}, {"b", "b1"}, {"ab", "ab1"}, {"a", "a2"}, {"b", "end"},
	} {
		e.send(p, &client.Message{Topic: topic, Tag: m.tag, Body: []byte(m.body)})
	}
	got := in.waitBodies(t, e.s.wait, "end")
	var seen []string
	for _, d := range got {
		seen = append(seen, string(d.m.Body))
		if d.m.Tag != "a" && d.m.Tag != "b" {
			t.Errorf("message %s with tag %q passed the filter \"a || b\"", d.m.Body, d.m.Tag)
		}
	}
	if want := []string{"a1", "b1", "a2", "end"}; !slices.Equal(seen, want) {
		t.Errorf("delivered %q, want %q", seen, want)
	}
}

// testQueueSelection: ToQueue sends to that queue, HashKey to queue
// fnv32a(key) mod the queue count (the official Go client's hash
// selector, so that backends in one group agree), WithSelector to the
// queue the selector picks among the topic's queues.
func testQueueSelection(t *testing.T, e *env) {
	topic := e.topic("queues", 4)
	p := e.producer()
	msg := &client.Message{Topic: topic, Body: []byte("x")}

	if res := e.send(p, msg, client.ToQueue(e.queue(topic, 2))); res.Queue.QueueID != 2 || res.Queue.Topic != topic {
		t.Errorf("ToQueue(queue 2): stored in %v", res.Queue)
	}
	for _, key := range []string{"order-1", "order-2", "customer-42", "x"} {
		res := e.send(p, msg, client.HashKey(key))
		if want := hashQueue(key, 4); res.Queue.QueueID != want {
			t.Errorf("HashKey(%q): stored in queue %d, want fnv32a mod 4 = %d", key, res.Queue.QueueID, want)
		}
	}
	var offered []client.MessageQueue
	last := client.QueueSelectorFunc(func(m *client.Message, queues []client.MessageQueue) client.MessageQueue {
		offered = queues
		return queues[len(queues)-1]
	})
	res := e.send(p, msg, client.WithSelector(last))
	if len(offered) != 4 {
		t.Fatalf("the selector was offered %v, want the topic's 4 queues", offered)
	}
	for _, q := range offered {
		if q.Topic != topic {
			t.Errorf("the selector was offered queue %v, not of topic %s", q, topic)
		}
	}
	if res.Queue.QueueID != offered[3].QueueID {
		t.Errorf("WithSelector picking %v: stored in %v", offered[3], res.Queue)
	}
}

// hashQueue is the queue HashKey picks among n.
func hashQueue(key string, n int) int {
	h := fnv.New32a()
	_, _ = h.Write([]byte(key))
	return int(h.Sum32()) % n
}
