package message_test

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/rocketkit/rocketkit/protocol/message"
)

var benchBodySizes = []int{0, 1 << 10, 64 << 10}

func BenchmarkExtEncode(b *testing.B) {
	for _, size := range benchBodySizes {
		b.Run(fmt.Sprintf("body=%d", size), func(b *testing.B) {
			m := sampleExt()
			m.Body = bytes.Repeat([]byte{'x'}, size)
			buf := make([]byte, 0, m.EncodedSize())
			b.SetBytes(int64(m.EncodedSize()))
			b.ReportAllocs()
			for b.Loop() {
				buf = message.AppendEncode(buf[:0], &m)
			}
		})
	}
}

func BenchmarkExtDecode(b *testing.B) {
	for _, size := range benchBodySizes {
		for _, verify := range []bool{false, true} {
			b.Run(fmt.Sprintf("body=%d/crc=%v", size, verify), func(b *testing.B) {
				m := sampleExt()
				m.Body = bytes.Repeat([]byte{'x'}, size)
				rec := message.AppendEncode(nil, &m)
				b.SetBytes(int64(len(rec)))
				b.ReportAllocs()
				for b.Loop() {
					if _, _, err := message.Decode(rec, verify); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

func BenchmarkExtPeekHeader(b *testing.B) {
	m := sampleExt()
	m.Body = bytes.Repeat([]byte{'x'}, 1<<10)
	rec := message.AppendEncode(nil, &m)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := message.PeekHeader(rec); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkBatchDecode(b *testing.B) {
	var body []byte
	for range 32 {
		body = message.AppendBatchItem(body, message.BatchItem{Body: bytes.Repeat([]byte{'x'}, 1<<10), Properties: "TAGS\x01TagA\x02KEYS\x01k1\x02"})
	}
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := message.DecodeBatch(body); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkGetProperty(b *testing.B) {
	props := sampleExt().Properties
	for _, key := range []string{message.PropertyKeys, message.PropertyTags, "ABSENT"} {
		b.Run(key, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				message.GetProperty(props, key)
			}
		})
	}
}

func BenchmarkSetProperty(b *testing.B) {
	props := sampleExt().Properties
	b.ReportAllocs()
	for b.Loop() {
		message.SetProperty(props, message.PropertyCluster, "DefaultCluster")
	}
}
