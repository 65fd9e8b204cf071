package remoting

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"strings"
	"testing"
)

// Headers exactly as the official client writes them (json-iterator,
// struct field order, control and HTML characters escaped as \u00XX),
// checked against the client's encoder.
const (
	clientSendHeader = `{"code":10,"language":"GO","version":317,"opaque":2,"flag":0,"remark":"","extFields":{` +
		`"batch":"false","bname":"broker-a","bornTimestamp":"1795539887918","defaultTopic":"TBW102",` +
		`"defaultTopicQueueNums":"4","flag":"0","maxReconsumeTimes":"0","producerGroup":"PG1",` +
		`"properties":"KEYS\u0001k1 k2\u0002UNIQ_KEY\u0001C00002023C12000000007a1c7b980001\u0002TAGS\u0001TagA\u0002",` +
		`"queueId":"1","reconsumeTimes":"0","sysFlag":"0","topic":"TopicA","unitMode":"false"}}`
	clientRouteHeader   = `{"code":105,"language":"GO","version":317,"opaque":1,"flag":0,"remark":"","extFields":{"topic":"TopicA"}}`
	clientEmptyMapHdr   = `{"code":206,"language":"GO","version":317,"opaque":7,"flag":0,"remark":"","extFields":{}}`
	clientNilMapHdr     = `{"code":41,"language":"GO","version":317,"opaque":1,"flag":0,"remark":"","extFields":null}`
	clientReplyHeader   = `{"code":0,"language":"GO","version":317,"opaque":9,"flag":1,"remark":"","extFields":{}}`
	clientHTMLPropsHdr  = `{"code":10,"language":"GO","version":317,"opaque":3,"flag":0,"remark":"","extFields":{"properties":"TAGS\u0001Tag\u003cA\u003e\u0026\u0002"}}`
	sendPropertiesValue = "KEYS\x01k1 k2\x02UNIQ_KEY\x01C00002023C12000000007a1c7b980001\x02TAGS\x01TagA\x02"
)

// clientSendFields is clientSendHeader's extFields in order.
var clientSendFields = Fields{
	{"batch", "false"}, {"bname", "broker-a"}, {"bornTimestamp", "1795539887918"},
	{"defaultTopic", "TBW102"}, {"defaultTopicQueueNums", "4"}, {"flag", "0"},
	{"maxReconsumeTimes", "0"}, {"producerGroup", "PG1"}, {"properties", sendPropertiesValue},
	{"queueId", "1"}, {"reconsumeTimes", "0"}, {"sysFlag", "0"}, {"topic", "TopicA"},
	{"unitMode", "false"},
}

// frameFromHeader builds a complete frame (with its length) the way the
// client's WriteTo does.
func frameFromHeader(typ byte, header string, body []byte) []byte {
	var b []byte
	b = binary.BigEndian.AppendUint32(b, uint32(4+len(header)+len(body)))
	b = append(b, typ, byte(len(header)>>16), byte(len(header)>>8), byte(len(header)))
	b = append(b, header...)
	return append(b, body...)
}

// binaryHeader encodes a ROCKETMQ (type 1) header like the client's rmqCodec.
func binaryHeader(code int16, lang byte, version int16, opaque, flag int32, remark string, fields Fields) string {
	var ext []byte
	for _, f := range fields {
		ext = binary.BigEndian.AppendUint16(ext, uint16(len(f.Key)))
		ext = append(ext, f.Key...)
		ext = binary.BigEndian.AppendUint32(ext, uint32(len(f.Value)))
		ext = append(ext, f.Value...)
	}
	var b []byte
	b = binary.BigEndian.AppendUint16(b, uint16(code))
	b = append(b, lang)
	b = binary.BigEndian.AppendUint16(b, uint16(version))
	b = binary.BigEndian.AppendUint32(b, uint32(opaque))
	b = binary.BigEndian.AppendUint32(b, uint32(flag))
	b = binary.BigEndian.AppendUint32(b, uint32(len(remark)))
	b = append(b, remark...)
	b = binary.BigEndian.AppendUint32(b, uint32(len(ext)))
	return string(append(b, ext...))
}

// equalCommands reports how a and b differ, or "" if they are equal. nil
// and empty ExtFields and Body count as equal.
func equalCommands(a, b *Command) string {
	var d []string
	if a.Code != b.Code {
		d = append(d, fmt.Sprintf("Code %d != %d", a.Code, b.Code))
	}
	if a.Language != b.Language {
		d = append(d, fmt.Sprintf("Language %q != %q", a.Language, b.Language))
	}
	if a.Version != b.Version {
		d = append(d, fmt.Sprintf("Version %d != %d", a.Version, b.Version))
	}
	if a.Opaque != b.Opaque {
		d = append(d, fmt.Sprintf("Opaque %d != %d", a.Opaque, b.Opaque))
	}
	if a.Flag != b.Flag {
		d = append(d, fmt.Sprintf("Flag %d != %d", a.Flag, b.Flag))
	}
	if a.Remark != b.Remark {
		d = append(d, fmt.Sprintf("Remark %q != %q", a.Remark, b.Remark))
	}
	if len(a.ExtFields) != len(b.ExtFields) {
		d = append(d, fmt.Sprintf("ExtFields %q != %q", a.ExtFields, b.ExtFields))
	} else {
		for i := range a.ExtFields {
			if a.ExtFields[i] != b.ExtFields[i] {
				d = append(d, fmt.Sprintf("ExtFields[%d] %q != %q", i, a.ExtFields[i], b.ExtFields[i]))
			}
		}
	}
	if !bytes.Equal(a.Body, b.Body) {
		d = append(d, fmt.Sprintf("Body %q != %q", a.Body, b.Body))
	}
	if a.SerializeType != b.SerializeType {
		d = append(d, fmt.Sprintf("SerializeType %d != %d", a.SerializeType, b.SerializeType))
	}
	return strings.Join(d, "; ")
}

func mustDecode(t testing.TB, frame []byte) *Command {
	t.Helper()
	c, err := DecodeFrame(frame[4:])
	if err != nil {
		t.Fatalf("DecodeFrame: %v", err)
	}
	return c
}
