package broker_test

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rocketkit/rocketkit/broker/brokertest"
	"github.com/rocketkit/rocketkit/protocol/message"
	"github.com/rocketkit/rocketkit/protocol/remoting"
)

// A JavaScript remoting client builds its header with JSON.stringify, so
// numbers and booleans in extFields stay numbers and booleans; the Java
// broker's fastjson reads them as their text. A SEND_MESSAGE_V2 written so
// is stored (SEND_OK), and a PULL_MESSAGE written so returns it.
func TestNumericExtFieldsSendAndPull(t *testing.T) {
	b := brokertest.Start(t)
	topic := uniqueName("t_jsnum")
	rc := dialRaw(t, b.Addr())
	props := message.PropertyUniqKey + "\x01" + "7F00000100002A9F0000000000000001" + "\x02" +
		message.PropertyTags + "\x01TagJS\x02" + message.PropertyKeys + "\x01k1\x02"
	send := jsonHeader(remoting.SendMessageV2, 0, `"a":"pg_js","b":`+jsonString(topic)+`,"c":"TBW102","d":4,"e":0,`+
		`"f":0,"g":`+strconv.FormatInt(time.Now().UnixMilli(), 10)+`,"h":0,"i":`+jsonString(props)+
		`,"j":0,"k":false,"l":16,"m":false,"n":null`)
	resp := rc.callJSON(t, send, []byte("hello from js"))
	if resp.Code != remoting.Success {
		t.Fatalf("send: code %d (%s), want SEND_OK", resp.Code, resp.Remark)
	}
	if q, o := resp.ExtFields.Get("queueId"), resp.ExtFields.Get("queueOffset"); q != "0" || o != "0" {
		t.Fatalf("send stored at queue %s offset %s, want queue 0 offset 0 (the numeric e:0)", q, o)
	}

	pull := jsonHeader(remoting.PullMessage, 0, `"consumerGroup":"g_js","topic":`+jsonString(topic)+
		`,"queueId":0,"queueOffset":0,"maxMsgNums":32,"sysFlag":0,"commitOffset":0,"suspendTimeoutMillis":0,`+
		`"subscription":"*","subVersion":0,"expressionType":"TAG"`)
	resp = rc.callJSON(t, pull, nil)
	if resp.Code != remoting.Success {
		t.Fatalf("pull: code %d (%s), want FOUND", resp.Code, resp.Remark)
	}
	msgs, err := message.DecodeAll(resp.Body, true)
	if err != nil {
		t.Fatalf("pulled records: %v", err)
	}
	if len(msgs) != 1 || string(msgs[0].Body) != "hello from js" || msgs[0].Tags() != "TagJS" || msgs[0].Topic != topic {
		t.Fatalf("pulled %d messages %q, want the one sent", len(msgs), bodiesOf(msgs))
	}
	if keys, _ := message.GetProperty(msgs[0].Properties, message.PropertyKeys); keys != "k1" {
		t.Fatalf("KEYS %q, want k1", keys)
	}

	// A value that is a boolean where a number is needed is that request's
	// error; the connection stays.
	bad := strings.Replace(send, `"f":0`, `"f":true`, 1)
	if resp := rc.callJSON(t, bad, []byte("x")); resp.Code != remoting.InvalidParameter || !strings.Contains(resp.Remark, "f") {
		t.Fatalf("send with sysFlag true: code %d (%s), want INVALID_PARAMETER naming f", resp.Code, resp.Remark)
	}
	expectRoute(t, rc, topic)
}
