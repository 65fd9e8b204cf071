package message_test

import (
	"bytes"
	"encoding/hex"
	"net/netip"
	"strings"
	"testing"

	"github.com/rocketkit/rocketkit/protocol/message"
)

// unhex decodes hex with spaces and newlines ignored.
func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.Join(strings.Fields(s), ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// goldenRecord is the first record of the PULL_MESSAGE body captured in the
// wire notes (Appendix A: "00000072 daa320a7 ... 7f000001 0000b7e0 ..."), the
// stored form of the batch item of §8.5 (body "batch-1", tag "TagA"), except
// that BODYCRC is the real CRC32 of the body where the captured broker wrote 0.
const goldenRecord = `
00000072                         TOTALSIZE 114
daa320a7                         MAGICCODE v1
501c80e2                         BODYCRC crc32("batch-1")
00000000                         QUEUEID 0
00000000                         FLAG 0
0000000000000000                 QUEUEOFFSET 0
0000000000000200                 PHYSICALOFFSET 512
00000000                         SYSFLAG 0
000001a20e85c5ee                 BORNTIMESTAMP
7f000001 0000b7e0                BORNHOST 127.0.0.1:47072
000001a20e85c5f0                 STORETIMESTAMP
7f000001 00004da4                STOREHOST 127.0.0.1:19876
00000000                         RECONSUMETIMES 0
0000000000000000                 PREPAREDTRANSACTIONOFFSET 0
00000007 62617463682d31          BODY "batch-1"
06 546f70696341                  TOPIC "TopicA"
000a 54414753 01 54616741 02     PROPERTIES TAGS=TagA
`

func goldenExt() message.Ext {
	return message.Ext{
		CommitLogOffset: 0x200,
		BornTimestamp:   0x1a20e85c5ee,
		BornHost:        netip.MustParseAddrPort("127.0.0.1:47072"),
		StoreTimestamp:  0x1a20e85c5f0,
		StoreHost:       netip.MustParseAddrPort("127.0.0.1:19876"),
		Body:            []byte("batch-1"),
		Topic:           "TopicA",
		Properties:      "TAGS\x01TagA\x02",
	}
}

// stripComments keeps the first whitespace-separated hex groups of each
// line of a golden listing.
func stripComments(s string) string {
	var sb strings.Builder
	for line := range strings.Lines(s) {
		for _, f := range strings.Fields(line) {
			if _, err := hex.DecodeString(f); err != nil {
				break
			}
			sb.WriteString(f)
		}
	}
	return sb.String()
}

func TestGoldenRecord(t *testing.T) {
	want := unhex(t, stripComments(goldenRecord))
	m := goldenExt()
	got := message.AppendEncode(nil, &m)
	if !bytes.Equal(got, want) {
		t.Fatalf("AppendEncode =\n%x\nwant\n%x", got, want)
	}
	d, n, err := message.Decode(want, true)
	if err != nil || n != len(want) {
		t.Fatalf("Decode = %d, %v", n, err)
	}
	m.BodyCRC = 0x501c80e2
	equalExt(t, d, m)
	if id := d.OffsetMsgID(); id != "7F00000100004DA40000000000000200" {
		t.Errorf("OffsetMsgID = %s, want the captured 7F00000100004DA40000000000000200", id)
	}
}

// TestGoldenRecordSize checks the size quoted in §8.1: body 7 B, topic
// "TopicA", 63 B of properties → 167 B.
func TestGoldenRecordSize(t *testing.T) {
	m := sampleExt()
	if len(m.Body) != 7 || len(m.Properties) != 63 {
		t.Fatalf("sample changed: body %d, properties %d", len(m.Body), len(m.Properties))
	}
	if got := m.EncodedSize(); got != 167 {
		t.Errorf("EncodedSize = %d, want 167", got)
	}
}

func TestGoldenBatchItem(t *testing.T) {
	// §8.5: first record for body "batch-1" with tag "TagA".
	want := unhex(t, "00000027 00000000 00000000 00000000 00000007 62617463682d31 000a 54414753 01 54616741 02")
	it := message.BatchItem{Body: []byte("batch-1"), Properties: "TAGS\x01TagA\x02"}
	if got := message.AppendBatchItem(nil, it); !bytes.Equal(got, want) {
		t.Fatalf("AppendBatchItem =\n%x\nwant\n%x", got, want)
	}
	items, err := message.DecodeBatch(want)
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != 1 || items[0].Flag != 0 || string(items[0].Body) != "batch-1" || items[0].Properties != it.Properties {
		t.Errorf("DecodeBatch = %+v", items)
	}
}

func TestGoldenOffsetMsgID(t *testing.T) {
	tests := []struct {
		id   string
		host string
		off  int64
	}{
		{"7F00000100004DA400000000000000A7", "127.0.0.1:19876", 167},   // §8.3
		{"7F00000100004DA40000000000000000", "127.0.0.1:19876", 0},     // Appendix A, send
		{"7F00000100004DA40000000000000272", "127.0.0.1:19876", 0x272}, // Appendix A, batch
		{"7F00000100004DA4000000000000076B", "127.0.0.1:19876", 1899},  // Appendix A, check
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			ap := netip.MustParseAddrPort(tt.host)
			if got := message.OffsetMsgID(ap, tt.off); got != tt.id {
				t.Errorf("OffsetMsgID = %s, want %s", got, tt.id)
			}
			gotAP, gotOff, err := message.ParseOffsetMsgID(tt.id)
			if err != nil || gotAP != ap || gotOff != tt.off {
				t.Errorf("ParseOffsetMsgID = %v, %d, %v", gotAP, gotOff, err)
			}
		})
	}
}
