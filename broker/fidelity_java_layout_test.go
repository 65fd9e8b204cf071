package broker_test

import (
	"encoding/binary"
	"strconv"
	"strings"
	"testing"

	"github.com/rocketkit/rocketkit/broker/brokertest"
	"github.com/rocketkit/rocketkit/protocol/message"
	"github.com/rocketkit/rocketkit/protocol/remoting"
)

// TestJavaPullerGetsLayoutV2 dead-letters a message of a group with a
// 190-byte name, so it lies in a 195-byte %DLQ% topic, and pulls it as a
// Java client (language JAVA) and as a Go client: Java gets layout v2, as
// a Java 5 broker stores it (a Java client reads the v1 length byte
// signed), Go gets the v1 record it decodes; both decode to the message.
func TestJavaPullerGetsLayoutV2(t *testing.T) {
	b := brokertest.Start(t)
	c := dialRaw(t, b.Addr())
	topic, group := uniqueName("t_javalayout"), "g"+strings.Repeat("x", 189)
	sendAt(t, c, topic, "", "long dead letter")
	resp := c.mustCall(t, remoting.PullMessage, pullFields(group, topic, 0, 0, 1, 0), nil)
	if resp.Code != remoting.Success {
		t.Fatalf("pull: code %d (%s)", resp.Code, resp.Remark)
	}
	m, _, err := message.Decode(resp.Body, false)
	if err != nil {
		t.Fatal(err)
	}
	back := c.mustCall(t, remoting.ConsumerSendMsgBack, remoting.Fields{
		{Key: "offset", Value: strconv.FormatInt(m.CommitLogOffset, 10)},
		{Key: "group", Value: group},
		{Key: "delayLevel", Value: "-1"}, // straight to the dead-letter queue
		{Key: "originMsgId", Value: m.MsgID()},
		{Key: "originTopic", Value: topic},
		{Key: "unitMode", Value: "false"},
		{Key: "maxReconsumeTimes", Value: "16"},
	}, nil)
	if back.Code != remoting.Success {
		t.Fatalf("send back: code %d (%s)", back.Code, back.Remark)
	}
	dlq := message.DLQTopic(group)
	for _, lang := range []string{"GO", "JAVA"} {
		c.language = lang
		resp := c.mustCall(t, remoting.PullMessage, pullFields(group, dlq, 0, 0, 1, 0), nil)
		if resp.Code != remoting.Success {
			t.Fatalf("%s pull of %s: code %d (%s)", lang, dlq, resp.Code, resp.Remark)
		}
		magic := int32(binary.BigEndian.Uint32(resp.Body[4:]))
		if want := map[string]int32{"GO": message.MagicCode, "JAVA": message.MagicCodeV2}[lang]; magic != want {
			t.Errorf("%s puller got magic code %08x, want %08x", lang, uint32(magic), uint32(want))
		}
		got, _, err := message.Decode(resp.Body, true)
		if err != nil || got.Topic != dlq || string(got.Body) != "long dead letter" {
			t.Errorf("%s puller's record: topic %q body %q, %v", lang, got.Topic, got.Body, err)
		}
	}
}
