package client

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/rocketkit/rocketkit/protocol/payload"
	"github.com/rocketkit/rocketkit/protocol/remoting"
)

// The answers to a broker's GET_CONSUMER_RUNNING_INFO and
// RESET_CONSUMER_CLIENT_OFFSET, as Java's admin tools send them.
func TestConsumerRunningInfoAndOffsetReset(t *testing.T) {
	b := startBroker(t)
	c := newTestClient(t, b, "ri")
	createTopic(t, c, b, "ri", 2)
	send(t, c, b, "ri", spread(10, 2, "")...)
	in := newInbox()
	con := startConsumer(t, c, ConsumerConfig{Group: "ri_group", ConsumeFrom: ConsumeFromFirstOffset,
		Subscriptions: []Subscription{{Topic: "ri"}}}, in.handler(nil))
	in.wait(t, 10)

	req := remoting.NewRequest(remoting.GetConsumerRunningInfo, remoting.Fields{
		{Key: "consumerGroup", Value: "ri_group"}, {Key: "clientId", Value: con.MemberID()}, {Key: "jstackEnable", Value: "false"}}, nil)
	resp := c.serveRequest(t.Context(), nil, req)
	if resp == nil || resp.Code != remoting.Success {
		t.Fatalf("running info: %v", resp)
	}
	var info struct {
		Properties map[string]string          `json:"properties"`
		MQTable    map[string]json.RawMessage `json:"mqTable"`
		Subs       []payload.SubscriptionData `json:"subscriptionSet"`
	}
	if err := json.Unmarshal(payload.NormalizeFastJSON(resp.Body), &info); err != nil {
		t.Fatalf("running info body %s: %v", resp.Body, err)
	}
	if len(info.MQTable) != 3 || info.Properties["PROP_CONSUMEORDERLY"] != "false" || len(info.Subs) != 2 {
		t.Fatalf("running info: %d queues, props %v, %d subscriptions", len(info.MQTable), info.Properties, len(info.Subs))
	}
	req.ExtFields.Set("clientId", "somebody-else")
	if resp := c.serveRequest(t.Context(), nil, req); resp.Code != remoting.SystemError {
		t.Fatalf("running info of an unknown client: %v", resp)
	}

	// Reset queue 0 to offset 2 (fastjson's object keys, as Java sends):
	// its messages from offset 2 on come again.
	body := `{"offsetTable":{{"brokerName":"` + b.Config().BrokerName + `","queueId":0,"topic":"ri"}:2}}`
	reset := remoting.NewRequest(remoting.ResetConsumerClientOffset, remoting.Fields{{Key: "topic", Value: "ri"},
		{Key: "group", Value: "ri_group"}, {Key: "timestamp", Value: "0"}}, []byte(body))
	if resp := c.serveRequest(t.Context(), nil, reset); resp != nil {
		t.Fatalf("reset answered %v; it is one-way", resp)
	}
	msgs := in.wait(t, 13)
	for _, m := range msgs[10:] {
		if m.Queue.QueueID != 0 || m.QueueOffset < 2 {
			t.Fatalf("after the reset got queue %d offset %d, want queue 0 from offset 2", m.Queue.QueueID, m.QueueOffset)
		}
	}
	closeConsumer(t, con)
	if got := committedOffsets(b, "ri_group", "ri")[0]; got != 5 {
		t.Fatalf("queue 0 committed at %d after the replay, want 5", got)
	}
}

func TestParseResetBody(t *testing.T) {
	mq := MessageQueue{Topic: "t", BrokerName: "b", QueueID: 3}
	for _, body := range []string{
		`{"offsetTable":{{"brokerName":"b","queueId":3,"topic":"t"}:7}}`,
		`{"offsetTable":[[{"topic":"t","brokerName":"b","queueId":3},7]]}`,
	} {
		got, err := parseResetBody([]byte(body))
		if err != nil || len(got) != 1 || got[mq] != 7 {
			t.Errorf("parseResetBody(%s) = %v, %v", body, got, err)
		}
	}
	for _, bad := range []string{``, `{"offsetTable":[[1]]}`, `{"offsetTable":{"x":1}}`} {
		if _, err := parseResetBody([]byte(bad)); err == nil {
			t.Errorf("parseResetBody(%q) accepted", bad)
		}
	}
}

// Consumers of one shared client closing while heartbeats go out leave no
// ghost member at the broker: a heartbeat built before a consumer left
// cannot register it again after its UNREGISTER_CLIENT, and its member id
// is not reused before that unregistration is done.
func TestClosingConsumersLeaveNoGhosts(t *testing.T) {
	b := startBroker(t)
	c := newTestClient(t, b, "ghosts")
	createTopic(t, c, b, "ghosts", 2)
	stop := make(chan struct{})
	beat := make(chan struct{})
	go func() {
		defer close(beat)
		for {
			select {
			case <-stop:
				return
			default:
				c.triggerHeartbeat()
				_ = c.sendHeartbeats(t.Context())
			}
		}
	}()
	for range 20 {
		var cons []*Consumer
		for range 2 {
			cons = append(cons, startConsumer(t, c, ConsumerConfig{Group: "ghosts",
				Subscriptions: []Subscription{{Topic: "ghosts"}}}, func(context.Context, []*MessageExt) ConsumeResult {
				return ConsumeSuccess
			}))
		}
		for _, con := range cons {
			closeConsumer(t, con)
		}
	}
	close(stop)
	<-beat
	if m := b.GroupMembers("ghosts"); len(m) != 0 {
		t.Fatalf("after every consumer closed the broker still lists %+v", m)
	}
}
