package message_test

import (
	"bytes"
	"compress/zlib"
	"fmt"
	"maps"
	"net/netip"
	"strings"
	"testing"

	"github.com/apache/rocketmq-client-go/v2/primitive"

	"github.com/rocketkit/rocketkit/protocol/message"
)

// clientHost formats a host the way the client's DecodeMessage does
// (net.IP.String() + ":" + port, no brackets for IPv6).
func clientHost(ap netip.AddrPort) string {
	return fmt.Sprintf("%s:%d", ap.Addr().String(), ap.Port())
}

// checkClientDecode decodes b with the official client and compares every
// field with want, which must be what Decode returns for b.
func checkClientDecode(t *testing.T, b []byte, want []message.Ext) {
	t.Helper()
	got := primitive.DecodeMessage(b)
	if len(got) != len(want) {
		t.Fatalf("client decoded %d messages, want %d", len(got), len(want))
	}
	for i, c := range got {
		w := want[i]
		props := message.ParseProperties(w.Properties)
		wantBody := w.Body
		if w.SysFlag&message.FlagCompressed != 0 {
			wantBody = inflateOrRaw(w.Body)
		}
		wantMsgID := w.OffsetMsgID()
		if v := props[message.PropertyUniqKey]; v != "" {
			wantMsgID = v
		}
		checks := []struct {
			field     string
			got, want any
		}{
			{"StoreSize", c.StoreSize, int32(w.EncodedSize())},
			{"BodyCRC", c.BodyCRC, int32(w.BodyCRC)},
			{"QueueId", c.Queue.QueueId, int(w.QueueID)},
			{"Flag", c.Flag, w.Flag},
			{"QueueOffset", c.QueueOffset, w.QueueOffset},
			{"CommitLogOffset", c.CommitLogOffset, w.CommitLogOffset},
			{"SysFlag", c.SysFlag, w.SysFlag},
			{"BornTimestamp", c.BornTimestamp, w.BornTimestamp},
			{"BornHost", c.BornHost, clientHost(w.BornHost)},
			{"StoreTimestamp", c.StoreTimestamp, w.StoreTimestamp},
			{"StoreHost", c.StoreHost, clientHost(w.StoreHost)},
			{"ReconsumeTimes", c.ReconsumeTimes, w.ReconsumeTimes},
			{"PreparedTransactionOffset", c.PreparedTransactionOffset, w.PreparedTransactionOffset},
			{"Body", string(c.Body), string(wantBody)},
			{"Topic", c.Topic, w.Topic},
			{"OffsetMsgId", c.OffsetMsgId, w.OffsetMsgID()},
			{"MsgId", c.MsgId, wantMsgID},
			{"Properties", fmt.Sprint(c.GetProperties()), fmt.Sprint(props)},
		}
		for _, ck := range checks {
			if ck.got != ck.want {
				t.Errorf("message %d: client %s = %v, want %v", i, ck.field, ck.got, ck.want)
			}
		}
	}
}

// inflateOrRaw mirrors the client: inflate, or keep the raw bytes on error.
func inflateOrRaw(b []byte) []byte {
	r, err := zlib.NewReader(bytes.NewReader(b))
	if err != nil {
		return b
	}
	var out bytes.Buffer
	if _, err := out.ReadFrom(r); err != nil {
		return b
	}
	return out.Bytes()
}

func deflate(t *testing.T, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, _ := zlib.NewWriterLevel(&buf, 5)
	if _, err := w.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestClientDecodesOurRecords(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*message.Ext)
	}{
		{"sample", func(*message.Ext) {}},
		{"golden", func(m *message.Ext) { *m = goldenExt() }},
		{"no properties", func(m *message.Ext) { m.Properties = "" }},
		{"no uniq key", func(m *message.Ext) {
			m.Properties = message.DeleteProperties(m.Properties, message.PropertyUniqKey)
		}},
		{"empty body and topic", func(m *message.Ext) { m.Body, m.Topic = nil, "" }},
		{"born ipv6", func(m *message.Ext) { m.BornHost = netip.MustParseAddrPort("[2001:db8::1]:10911") }},
		{"store ipv6", func(m *message.Ext) { m.StoreHost = netip.MustParseAddrPort("[2001:db8::2]:10911") }},
		{"both ipv6", func(m *message.Ext) {
			m.BornHost = netip.MustParseAddrPort("[::1]:1")
			m.StoreHost = netip.MustParseAddrPort("[fd00::1:2]:65535")
		}},
		{"ipv4-mapped", func(m *message.Ext) { m.StoreHost = netip.MustParseAddrPort("[::ffff:10.9.8.7]:10911") }},
		{"zero hosts", func(m *message.Ext) { m.BornHost, m.StoreHost = netip.AddrPort{}, netip.AddrPort{} }},
		{"compressed", func(m *message.Ext) {
			m.SysFlag |= message.FlagCompressed
			m.Body = deflate(t, bytes.Repeat([]byte("x"), 5000))
		}},
		{"compressed flag on raw body", func(m *message.Ext) { m.SysFlag |= message.FlagCompressed }},
		{"half message", func(m *message.Ext) {
			m.SysFlag = message.FlagTransactionPrepared
			m.Properties = message.SetProperty(m.Properties, message.PropertyTransactionPrepared, "true")
			m.Properties = message.SetProperty(m.Properties, message.PropertyProducerGroup, "TPG")
		}},
		{"extreme values", func(m *message.Ext) {
			m.QueueID, m.Flag, m.ReconsumeTimes = -1, -2147483648, 2147483647
			m.QueueOffset, m.CommitLogOffset, m.PreparedTransactionOffset = 1<<62, 1<<63-1, -1
		}},
		{"max properties", func(m *message.Ext) {
			m.Properties = "K\x01" + strings.Repeat("v", message.MaxPropertiesSize-3) + "\x02"
		}},
		{"max topic", func(m *message.Ext) { m.Topic = strings.Repeat("t", message.MaxTopicSize) }},
		{"large body", func(m *message.Ext) { m.Body = bytes.Repeat([]byte{0xAB}, 1<<20) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := sampleExt()
			tt.mutate(&m)
			b := encode(t, m)
			d, _, err := message.Decode(b, true)
			if err != nil {
				t.Fatal(err)
			}
			checkClientDecode(t, b, []message.Ext{d})
		})
	}
}

func TestClientDecodesBackToBackRecords(t *testing.T) {
	var buf []byte
	for i := range 10 {
		m := sampleExt()
		m.QueueOffset, m.CommitLogOffset = int64(i), int64(i*200)
		m.Body = bytes.Repeat([]byte{'z'}, i*33)
		if i%3 == 0 {
			m.BornHost = netip.MustParseAddrPort("[2001:db8::7]:7")
		}
		if i%4 == 0 {
			m.StoreHost = netip.MustParseAddrPort("[2001:db8::8]:8")
		}
		buf = message.AppendEncode(buf, &m)
	}
	want, err := message.DecodeAll(buf, true)
	if err != nil {
		t.Fatal(err)
	}
	checkClientDecode(t, buf, want)
}

// TestClientBatchDecodes feeds the client's own batch encoding
// (Message.Marshal, as the producer's batch send uses) to DecodeBatch.
func TestClientBatchDecodes(t *testing.T) {
	msgs := []*primitive.Message{
		primitive.NewMessage("TopicA", []byte("batch-1")).WithTag("TagA"),
		primitive.NewMessage("TopicA", []byte("batch-2")).WithTag("TagB").WithKeys([]string{"k1", "k2"}),
		primitive.NewMessage("TopicA", nil),
		primitive.NewMessage("TopicA", bytes.Repeat([]byte{0}, 70000)),
	}
	msgs[2].Flag = -7
	msgs[3].WithProperty("CUSTOM", strings.Repeat("c", 1000))

	var body []byte
	for _, m := range msgs {
		body = append(body, m.Marshal()...)
	}
	items, err := message.DecodeBatch(body)
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != len(msgs) {
		t.Fatalf("decoded %d items, want %d", len(items), len(msgs))
	}
	for i, it := range items {
		m := msgs[i]
		if it.Flag != m.Flag || !bytes.Equal(it.Body, m.Body) {
			t.Errorf("item %d: flag %d body %d bytes, want %d and %d bytes", i, it.Flag, len(it.Body), m.Flag, len(m.Body))
		}
		if got := message.ParseProperties(it.Properties); !maps.Equal(got, m.GetProperties()) {
			t.Errorf("item %d: properties %v, want %v", i, got, m.GetProperties())
		}
		if len(m.GetProperties()) <= 1 {
			// Single-property strings are deterministic: our encoder must
			// match the client's byte for byte.
			if enc := message.AppendBatchItem(nil, it); !bytes.Equal(enc, m.Marshal()) {
				t.Errorf("item %d: AppendBatchItem = %x, client %x", i, enc, m.Marshal())
			}
		}
	}
	if got := items[0].Properties; got != "TAGS\x01TagA\x02" {
		t.Errorf("first item properties = %q", got)
	}
}

// TestClientPropertiesMatch compares ParseProperties with the client's
// UnmarshalProperties and FormatProperties with MarshallProperties.
func TestClientPropertiesMatch(t *testing.T) {
	tests := []string{
		"",
		"\x02",
		"A\x011\x02",
		"A\x011\x02B\x012\x02",
		"A\x011\x02A\x012\x02",
		"A\x011",
		"A\x011\x01x\x02B\x012\x02",
		"noseparator\x02B\x01\x02\x01v\x02",
		"\x02\x02\x01\x02",
		"K\x01v\x02trailing",
	}
	for _, props := range tests {
		t.Run(fmt.Sprintf("%q", props), func(t *testing.T) {
			var cm primitive.Message
			cm.UnmarshalProperties([]byte(props))
			want := cm.GetProperties()
			got := message.ParseProperties(props)
			if !maps.Equal(got, want) {
				t.Errorf("ParseProperties = %q, client %q", got, want)
			}
			for k, v := range want {
				if gv, ok := message.GetProperty(props, k); !ok || gv != v {
					t.Errorf("GetProperty(%q) = %q, %v; client %q", k, gv, ok, v)
				}
			}
			var back primitive.Message
			back.UnmarshalProperties([]byte(message.FormatProperties(got)))
			if !maps.Equal(back.GetProperties(), want) {
				t.Errorf("client parse of FormatProperties = %q, want %q", back.GetProperties(), want)
			}
		})
	}
}

func TestClientParsesOffsetMsgID(t *testing.T) {
	tests := []struct {
		host     string
		wantAddr string
	}{
		{"127.0.0.1:19876", "127.0.0.1"},
		{"10.0.0.1:0", "10.0.0.1"},
		{"[2001:db8::1]:65535", "[2001:db8::1]"},
		{"[::ffff:1.2.3.4]:10911", "1.2.3.4"},
	}
	for _, tt := range tests {
		t.Run(tt.host, func(t *testing.T) {
			ap := netip.MustParseAddrPort(tt.host)
			id := message.OffsetMsgID(ap, 1<<40+5)
			got, err := primitive.UnmarshalMsgID([]byte(id))
			if err != nil {
				t.Fatal(err)
			}
			if got.Addr != tt.wantAddr || got.Port != int(ap.Port()) || got.Offset != 1<<40+5 {
				t.Errorf("client parsed %s as %+v", id, got)
			}
		})
	}
}
