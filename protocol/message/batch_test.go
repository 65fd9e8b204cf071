package message_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"strings"
	"testing"

	"github.com/rocketkit/rocketkit/protocol/message"
)

func TestBatchRoundTrip(t *testing.T) {
	in := []message.BatchItem{
		{Flag: 1, Body: []byte("batch-1"), Properties: "TAGS\x01TagA\x02"},
		{Flag: -1, Body: nil, Properties: ""},
		{Body: bytes.Repeat([]byte{1}, 100000), Properties: strings.Repeat("p", message.MaxPropertiesSize)},
	}
	var body []byte
	for _, it := range in {
		body = message.AppendBatchItem(body, it)
	}
	got, err := message.DecodeBatch(body)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(in) {
		t.Fatalf("decoded %d items, want %d", len(got), len(in))
	}
	for i := range got {
		if got[i].Flag != in[i].Flag || !bytes.Equal(got[i].Body, in[i].Body) || got[i].Properties != in[i].Properties {
			t.Errorf("item %d = %+v, want %+v", i, got[i], in[i])
		}
		if cap(got[i].Body) != len(got[i].Body) {
			t.Errorf("item %d body capacity not clipped", i)
		}
	}
}

func TestDecodeBatchMalformed(t *testing.T) {
	valid := message.AppendBatchItem(nil, message.BatchItem{Body: []byte("batch-1"), Properties: "TAGS\x01TagA\x02"})
	mod := func(f func(b []byte)) []byte {
		b := bytes.Clone(valid)
		f(b)
		return b
	}
	put32 := func(pos int, v uint32) []byte {
		return mod(func(b []byte) { binary.BigEndian.PutUint32(b[pos:], v) })
	}
	tests := []struct {
		name    string
		in      []byte
		wantMsg string
	}{
		{"empty", nil, "empty batch"},
		{"short", valid[:21], "need at least 22"},
		{"truncated", valid[:len(valid)-1], "TOTALSIZE 39 outside"},
		{"trailing garbage", append(bytes.Clone(valid), 0, 0, 0), "item 1 at byte 39"},
		{"total too small", put32(0, 21), "TOTALSIZE 21 outside"},
		{"total negative", put32(0, 0x80000000), "outside"},
		{"total larger than parts", append(put32(0, 40), 0), "sum of the parts"},
		{"negative body length", put32(16, 0xFFFFFFFF), "BODYLENGTH -1"},
		{"body length past total", put32(16, 18), "BODYLENGTH 18"},
		{"negative properties length", mod(func(b []byte) { b[27] = 0x80 }), "negative PROPERTIESLENGTH"},
		{"properties length mismatch", mod(func(b []byte) { b[28] = 9 }), "sum of the parts"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := message.DecodeBatch(tt.in)
			if !errors.Is(err, message.ErrMalformed) {
				t.Fatalf("DecodeBatch error = %v, want ErrMalformed", err)
			}
			if !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("error %q does not mention %q", err, tt.wantMsg)
			}
			if got != nil {
				t.Errorf("items returned on error: %v", got)
			}
		})
	}
}

func TestDecodeBatchIgnoresMagicAndCRC(t *testing.T) {
	b := message.AppendBatchItem(nil, message.BatchItem{Body: []byte("x")})
	binary.BigEndian.PutUint32(b[4:], 0xDAA320A7)
	binary.BigEndian.PutUint32(b[8:], 12345)
	items, err := message.DecodeBatch(b)
	if err != nil || len(items) != 1 || string(items[0].Body) != "x" {
		t.Errorf("DecodeBatch = %+v, %v", items, err)
	}
}

func TestAppendBatchItemPanicsOnLongProperties(t *testing.T) {
	defer func() {
		if err, _ := recover().(error); !errors.Is(err, message.ErrInvalidProperty) {
			t.Errorf("panic = %v, want ErrInvalidProperty", err)
		}
	}()
	message.AppendBatchItem(nil, message.BatchItem{Properties: strings.Repeat("p", message.MaxPropertiesSize+1)})
}
