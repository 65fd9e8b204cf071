package client

import (
	"bytes"
	"testing"

	"github.com/rocketkit/rocketkit/protocol/message"
	"github.com/rocketkit/rocketkit/protocol/remoting"
)

// FuzzDecodeReply feeds serveReply's decoder arbitrary
// PUSH_REPLY_MESSAGE_TO_CLIENT headers and bodies. Invariants: it never
// panics; it fails only on a number field that does not parse or a
// compressed body that does not inflate; a decoded reply keeps the pushed
// CORRELATION_ID (what matches it to its request), gains ARRIVE_TIME, and
// has the pushed body as it came unless it is flagged compressed.
func FuzzDecodeReply(f *testing.F) {
	f.Add("0", "0", "0", "1700000000000", "1700000000001", "0",
		"MSG_TYPE\x01reply\x02CORRELATION_ID\x01c-1\x02REPLY_TO_CLIENT\x0110.0.0.1@a\x02", "127.0.0.1:10911", []byte("pong"))
	f.Add("1", "1", "7", "", "", "", "CORRELATION_ID\x01c-2", "::1", []byte("not zlib"))
	f.Add("x", "0", "0", "0", "0", "0", "", "", []byte{})
	f.Fuzz(func(t *testing.T, queueID, sysFlag, flag, born, stored, reconsume, props, host string, body []byte) {
		req := remoting.NewRequest(remoting.PushReplyMessageToClient, remoting.Fields{
			{Key: "topic", Value: "DefaultCluster_REPLY_TOPIC"}, {Key: "queueId", Value: queueID},
			{Key: "sysFlag", Value: sysFlag}, {Key: "flag", Value: flag}, {Key: "bornTimestamp", Value: born},
			{Key: "storeTimestamp", Value: stored}, {Key: "reconsumeTimes", Value: reconsume},
			{Key: "properties", Value: props}, {Key: "bornHost", Value: host}, {Key: "storeHost", Value: host},
		}, body)
		c := &Client{cfg: Config{Namespace: "ns"}}
		m, err := c.decodeReply(req)
		if err != nil {
			return
		}
		want, _ := message.GetProperty(props, message.PropertyCorrelationID)
		if got := m.Property(message.PropertyCorrelationID); got != want {
			t.Errorf("CORRELATION_ID %q, pushed %q (properties %q)", got, want, props)
		}
		if m.Property(message.PropertyArriveTime) == "" {
			t.Error("no ARRIVE_TIME")
		}
		if m.SysFlag&message.FlagCompressed == 0 && !bytes.Equal(m.Body, body) {
			t.Errorf("body %q, pushed %q", m.Body, body)
		}
		if m.Topic != "DefaultCluster_REPLY_TOPIC" {
			t.Errorf("topic %q", m.Topic)
		}
	})
}
