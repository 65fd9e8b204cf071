package message_test

import (
	"net/netip"
	"reflect"
	"testing"

	"github.com/rocketkit/rocketkit/protocol/message"
)

// sampleExt returns a fully populated message with IPv4 hosts.
func sampleExt() message.Ext {
	return message.Ext{
		QueueID:                   3,
		Flag:                      7,
		QueueOffset:               42,
		CommitLogOffset:           167,
		SysFlag:                   message.FlagTransactionCommit,
		BornTimestamp:             1795539887918,
		BornHost:                  netip.MustParseAddrPort("192.0.2.2:50123"),
		StoreTimestamp:            1795539887920,
		StoreHost:                 netip.MustParseAddrPort("127.0.0.1:19876"),
		ReconsumeTimes:            2,
		PreparedTransactionOffset: 99,
		Body:                      []byte("hello-A"),
		Topic:                     "TopicA",
		Properties:                "KEYS\x01k1 k2\x02UNIQ_KEY\x01C00002023C12000000007a1c7b980001\x02TAGS\x01TagA\x02",
	}
}

// encode encodes m into a fresh slice.
func encode(t testing.TB, m message.Ext) []byte {
	t.Helper()
	b := message.AppendEncode(nil, &m)
	if len(b) != m.EncodedSize() {
		t.Fatalf("AppendEncode wrote %d bytes, EncodedSize says %d", len(b), m.EncodedSize())
	}
	return b
}

// equalExt compares two messages field by field, treating nil and empty
// bodies as equal.
func equalExt(t *testing.T, got, want message.Ext) {
	t.Helper()
	if len(got.Body) == 0 && len(want.Body) == 0 {
		got.Body, want.Body = nil, nil
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("decoded message differs\n got: %+v\nwant: %+v", got, want)
	}
}
