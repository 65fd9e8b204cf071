package broker_test

import (
	"encoding/json"
	"strconv"
	"testing"

	"github.com/rocketkit/rocketkit/broker"
	"github.com/rocketkit/rocketkit/broker/brokertest"
	"github.com/rocketkit/rocketkit/protocol/message"
	"github.com/rocketkit/rocketkit/protocol/remoting"
)

// putGroup creates or replaces a subscription group with crafted frames.
func putGroup(t *testing.T, c *rawConn, cfg map[string]any) {
	t.Helper()
	body, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if resp := c.mustCall(t, remoting.UpdateAndCreateSubscriptionGroup, nil, body); resp.Code != remoting.Success {
		t.Fatalf("update subscription group %v: %d %s", cfg, resp.Code, resp.Remark)
	}
}

// A group's settings act on its pulls and send-backs, with Java's codes
// and remarks: consumeEnable=false is NO_PERMISSION, an unconfigured group
// with autoCreateSubscriptionGroup off is SUBSCRIPTION_GROUP_NOT_EXIST, and
// retryMaxTimes is the limit of a send-back that names none.
func TestSubscriptionGroupPolicy(t *testing.T) {
	b := brokertest.Start(t, brokertest.WithConfig(func(c *broker.Config) { c.DisableAutoCreateSubscriptionGroup = true }))
	rc := dialRaw(t, b.Addr())
	const topic = "sgp-topic"
	if resp := rc.mustCall(t, remoting.SendMessage, sendFields(topic, "0", ""), []byte("hello")); resp.Code != remoting.Success {
		t.Fatalf("send: %d %s", resp.Code, resp.Remark)
	}
	pull := func(group string) *remoting.Command {
		return rc.mustCall(t, remoting.PullMessage, pullFields(group, topic, 0, 0, 32, 0), nil)
	}

	resp := pull("sgp-unknown")
	if resp.Code != remoting.SubscriptionGroupNotExist || resp.Remark == "" {
		t.Errorf("pull of an unconfigured group with auto-creation off: %d %q, want SUBSCRIPTION_GROUP_NOT_EXIST",
			resp.Code, resp.Remark)
	}
	resp = pull("TOOLS_CONSUMER") // Java's system groups exist from the start
	if resp.Code != remoting.Success {
		t.Fatalf("pull as TOOLS_CONSUMER: %d %s", resp.Code, resp.Remark)
	}
	stored, _, err := message.Decode(resp.Body, false)
	if err != nil {
		t.Fatal(err)
	}

	putGroup(t, rc, map[string]any{"groupName": "sgp-paused", "consumeEnable": false})
	resp = pull("sgp-paused")
	if resp.Code != remoting.NoPermission || resp.Remark != "subscription group no permission, sgp-paused" || len(resp.Body) > 0 {
		t.Errorf("pull of a group with consumeEnable=false: %d %q, want NO_PERMISSION as Java's", resp.Code, resp.Remark)
	}
	putGroup(t, rc, map[string]any{"groupName": "sgp-paused"}) // consumeEnable defaults to true
	if resp = pull("sgp-paused"); resp.Code != remoting.Success {
		t.Errorf("pull after consumeEnable went back to its default: %d %s", resp.Code, resp.Remark)
	}

	// retryMaxTimes 0: the first send-back without a limit of its own
	// dead-letters the message; a limit in the request wins.
	putGroup(t, rc, map[string]any{"groupName": "sgp-retry", "retryMaxTimes": 0})
	sendBack := func(extra ...remoting.Field) {
		fields := append(remoting.Fields{{Key: "group", Value: "sgp-retry"},
			{Key: "offset", Value: strconv.FormatInt(stored.CommitLogOffset, 10)}, {Key: "delayLevel", Value: "0"},
			{Key: "originMsgId", Value: stored.MsgID()}, {Key: "originTopic", Value: topic}}, extra...)
		if resp := rc.mustCall(t, remoting.ConsumerSendMsgBack, fields, nil); resp.Code != remoting.Success {
			t.Fatalf("send back: %d %s", resp.Code, resp.Remark)
		}
	}
	queueEnd := func(topic string) int64 {
		resp := rc.mustCall(t, remoting.GetMaxOffset, remoting.Fields{{Key: "topic", Value: topic}, {Key: "queueId", Value: "0"}}, nil)
		off, err := resp.ExtFields.Int64("offset")
		if err != nil {
			t.Fatalf("max offset of %s: %v (%d %s)", topic, err, resp.Code, resp.Remark)
		}
		return off
	}
	sendBack()
	if dlq := queueEnd(message.DLQTopic("sgp-retry")); dlq != 1 {
		t.Errorf("with retryMaxTimes 0 the send-back went elsewhere: %d messages in the dead-letter queue", dlq)
	}
	sendBack(remoting.Field{Key: "maxReconsumeTimes", Value: "16"})
	if dlq := queueEnd(message.DLQTopic("sgp-retry")); dlq != 1 {
		t.Errorf("a send-back naming its own limit (16) was dead-lettered too: %d in the DLQ", dlq)
	}
}
