package client

import (
	"bytes"
	"compress/zlib"
	"net/netip"
	"testing"

	"github.com/rocketkit/rocketkit/protocol/message"
)

// FuzzReceivedMessages feeds what a broker could answer to a pull to the
// client's decoding of it. Invariants: never panics; every message decoded
// has a non-empty MsgID; a compressed body either inflates or is an error
// naming the message; no body inflates past maxInflated.
func FuzzReceivedMessages(f *testing.F) {
	rec := func(sysFlag int32, body []byte, props string) []byte {
		return message.AppendEncode(nil, &message.Ext{Topic: "t", SysFlag: sysFlag, Body: body, Properties: props,
			BornHost: netip.MustParseAddrPort("127.0.0.1:1"), StoreHost: netip.MustParseAddrPort("127.0.0.1:2")})
	}
	var z bytes.Buffer
	w := zlib.NewWriter(&z)
	_, _ = w.Write(bytes.Repeat([]byte("x"), 10000))
	_ = w.Close()
	f.Add(rec(0, []byte("plain"), "TAGS\x01a\x02UNIQ_KEY\x01ID\x02"))
	f.Add(rec(message.FlagCompressed, z.Bytes(), ""))
	f.Add(rec(message.FlagCompressed, []byte("not zlib"), ""))
	f.Add(append(rec(0, []byte("a"), ""), rec(0, []byte("b"), "KEYS\x01k1 k2\x02")...))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, body []byte) {
		exts, err := message.DecodeAll(body, false)
		if err != nil {
			return
		}
		for i := range exts {
			m, err := newMessageExt(&exts[i], "broker-a")
			if err != nil {
				continue
			}
			if m.MsgID == "" {
				t.Fatalf("message without an id: %+v", m)
			}
			if len(m.Body) > maxInflated {
				t.Fatalf("body of %d bytes", len(m.Body))
			}
			_ = m.Properties()
			_ = m.UserProperties()
		}
	})
}

// FuzzParseResetBody: RESET_CONSUMER_CLIENT_OFFSET bodies never panic the
// client; what parses has only queues with their offsets.
func FuzzParseResetBody(f *testing.F) {
	for _, s := range []string{`{"offsetTable":{{"brokerName":"b","queueId":3,"topic":"t"}:7}}`,
		`{"offsetTable":[[{"topic":"t","brokerName":"b","queueId":3},7]]}`, `{}`, `[`, `{"offsetTable":{"x":1}}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		offsets, err := parseResetBody(body)
		if err == nil && offsets == nil {
			t.Fatal("no error and no table")
		}
	})
}
