package transporttest

import (
	"testing"
	"time"

	"github.com/rocketkit/rocketkit/client"
)

// testDelayLevel: a message with DelayLevel 5 (500ms in the suite's table)
// is delivered, intact, no sooner than 500ms after it was sent.
func testDelayLevel(t *testing.T, e *env) {
	const level, delay = 5, 500 * time.Millisecond
	topic := e.topic("delay", 1)
	p := e.producer()
	in := newInbox()
	e.consumer(client.ConsumerConfig{Group: name("g"), Subscriptions: sub(topic)}, in.handler("c", nil))
	m := &client.Message{Topic: topic, Tag: "later", Body: []byte("delayed"), DelayLevel: level,
		Properties: map[string]string{"p": "v"}}
	sent := time.Now()
	res := e.send(p, m)
	d := in.waitBodies(t, e.s.wait, "delayed")[0]
	if waited := d.at.Sub(sent); waited < delay {
		t.Errorf("delay level %d (%v) delivered after %v", level, delay, waited)
	}
	if d.m.MsgID != res.MsgID {
		t.Errorf("MsgID %q, the send reported %q", d.m.MsgID, res.MsgID)
	}
	checkRedelivered(t, d.m, m)
}

// testDeliverAt: a message with DeliverAt is delivered, intact, no sooner
// than that time.
func testDeliverAt(t *testing.T, e *env) {
	topic := e.topic("timer", 1)
	p := e.producer()
	in := newInbox()
	e.consumer(client.ConsumerConfig{Group: name("g"), Subscriptions: sub(topic)}, in.handler("c", nil))
	at := time.Now().Add(700 * time.Millisecond)
	m := &client.Message{Topic: topic, Tag: "timed", Body: []byte("on time"), DeliverAt: at,
		Properties: map[string]string{"p": "v"}}
	res := e.send(p, m)
	d := in.waitBodies(t, e.s.wait, "on time")[0]
	if d.at.UnixMilli() < at.UnixMilli() {
		t.Errorf("DeliverAt %v delivered at %v, %v early", at.Format(time.StampMilli), d.at.Format(time.StampMilli), at.Sub(d.at))
	}
	if d.m.MsgID != res.MsgID {
		t.Errorf("MsgID %q, the send reported %q", d.m.MsgID, res.MsgID)
	}
	checkRedelivered(t, d.m, m)
}
