package message_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"strings"
	"testing"

	"github.com/rocketkit/rocketkit/protocol/message"
)

// longTopicExt is sampleExt on a retry topic of n bytes.
func longTopicExt(n int) message.Ext {
	m := sampleExt()
	m.Topic = message.RetryTopic(strings.Repeat("g", n-len(message.RetryTopic(""))))
	return m
}

// topicLengthPos is where TOPICLENGTH lies in a record whose topic and
// properties have the given lengths and whose topic length takes width
// bytes.
func topicLengthPos(rec []byte, topicLen, propsLen, width int) int {
	return len(rec) - 2 - propsLen - topicLen - width
}

// toV2 turns a v1 record into layout v2 as a Java 5 broker writes it
// (MessageExtEncoder with MESSAGE_VERSION_V2): MAGICCODE 0xDAA320AB and a
// two-byte TOPICLENGTH.
func toV2(v1 []byte) []byte {
	m, n, err := message.Decode(v1, false)
	if err != nil {
		panic(err)
	}
	v1 = v1[:n]
	at := topicLengthPos(v1, len(m.Topic), len(m.Properties), 1)
	out := append([]byte(nil), v1[:at]...)
	out = binary.BigEndian.AppendUint16(out, uint16(len(m.Topic)))
	out = append(out, v1[at+1:]...)
	binary.BigEndian.PutUint32(out[0:], uint32(len(out)))
	binary.BigEndian.PutUint32(out[4:], uint32(0xDAA320AB)) // MagicCodeV2
	return out
}

// toV1 is the inverse of toV2 for a topic of at most 255 bytes.
func toV1(v2 []byte, topicLen, propsLen int) []byte {
	at := topicLengthPos(v2, topicLen, propsLen, 2)
	out := append([]byte(nil), v2[:at]...)
	out = append(out, byte(topicLen))
	out = append(out, v2[at+2:]...)
	binary.BigEndian.PutUint32(out[0:], uint32(len(out)))
	binary.BigEndian.PutUint32(out[4:], uint32(0xDAA320A7)) // MagicCode
	return out
}

// A layout v2 record, as a Java 5 broker serves for a topic over 127 bytes,
// decodes to the same message as its v1 form, alone and among v1 records;
// a negative v2 topic length is malformed.
func TestDecodeLayoutV2(t *testing.T) {
	for _, n := range []int{10, 127, 128, 200, 255} {
		want := longTopicExt(n)
		v1 := encode(t, want)
		v2 := toV2(v1)
		if len(v2) != len(v1)+1 {
			t.Fatalf("v2 record %d bytes, v1 %d", len(v2), len(v1))
		}
		got, size, err := message.Decode(v2, true)
		if err != nil || size != len(v2) {
			t.Fatalf("topic %d bytes: Decode v2 = size %d, %v", n, size, err)
		}
		want.BodyCRC = got.BodyCRC
		equalExt(t, got, want)
		h, err := message.PeekHeader(v2)
		if err != nil || h.Topic != want.Topic || h.Size != len(v2) {
			t.Fatalf("PeekHeader v2 = %+v, %v", h, err)
		}
		if !bytes.Equal(toV1(v2, n, len(want.Properties)), v1) {
			t.Fatalf("toV1(toV2(r)) != r")
		}
		mixed := append(append(bytes.Clone(v1), v2...), v1...)
		all, err := message.DecodeAll(mixed, true)
		if err != nil || len(all) != 3 || all[1].Topic != want.Topic {
			t.Fatalf("DecodeAll v1+v2+v1 = %d records, %v", len(all), err)
		}
	}
	bad := toV2(encode(t, longTopicExt(200)))
	at := topicLengthPos(bad, 200, len(sampleExt().Properties), 2)
	binary.BigEndian.PutUint16(bad[at:], 0x8000)
	if _, _, err := message.Decode(bad, false); !errors.Is(err, message.ErrMalformed) {
		t.Fatalf("negative v2 topic length: %v, want ErrMalformed", err)
	}
}
