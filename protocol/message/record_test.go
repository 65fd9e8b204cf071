package message_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"net/netip"
	"strings"
	"testing"

	"github.com/rocketkit/rocketkit/protocol/message"
)

func TestEncodeDecodeRoundTrip(t *testing.T) {
	v6a := netip.MustParseAddrPort("[2001:db8::1]:10911")
	v6b := netip.MustParseAddrPort("[fe80::1]:1")
	mapped := netip.MustParseAddrPort("[::ffff:10.0.0.1]:8080")
	tests := []struct {
		name      string
		mutate    func(*message.Ext)
		wantSize  int
		wantSys   int32 // expected SysFlag after decode
		wantBorn  netip.AddrPort
		wantStore netip.AddrPort
	}{
		{
			name:     "ipv4",
			mutate:   func(*message.Ext) {},
			wantSys:  message.FlagTransactionCommit,
			wantSize: message.MinRecordSize + 7 + 6 + 63,
		},
		{
			name:     "born ipv6",
			mutate:   func(m *message.Ext) { m.BornHost = v6a },
			wantSys:  message.FlagTransactionCommit | message.FlagBornHostV6,
			wantBorn: v6a,
			wantSize: message.MinRecordSize + 12 + 7 + 6 + 63,
		},
		{
			name:      "store ipv6",
			mutate:    func(m *message.Ext) { m.StoreHost = v6b },
			wantSys:   message.FlagTransactionCommit | message.FlagStoreHostV6,
			wantStore: v6b,
			wantSize:  message.MinRecordSize + 12 + 7 + 6 + 63,
		},
		{
			name:      "both ipv6",
			mutate:    func(m *message.Ext) { m.BornHost, m.StoreHost = v6a, v6b },
			wantSys:   message.FlagTransactionCommit | message.FlagBornHostV6 | message.FlagStoreHostV6,
			wantBorn:  v6a,
			wantStore: v6b,
			wantSize:  115 + 7 + 6 + 63,
		},
		{
			name: "stale v6 flags are cleared for ipv4 hosts",
			mutate: func(m *message.Ext) {
				m.SysFlag |= message.FlagBornHostV6 | message.FlagStoreHostV6
			},
			wantSys:  message.FlagTransactionCommit,
			wantSize: message.MinRecordSize + 7 + 6 + 63,
		},
		{
			name:      "ipv4-mapped ipv6 encodes as ipv4",
			mutate:    func(m *message.Ext) { m.BornHost, m.StoreHost = mapped, mapped },
			wantSys:   message.FlagTransactionCommit,
			wantBorn:  netip.MustParseAddrPort("10.0.0.1:8080"),
			wantStore: netip.MustParseAddrPort("10.0.0.1:8080"),
			wantSize:  message.MinRecordSize + 7 + 6 + 63,
		},
		{
			name:      "zero hosts encode as 0.0.0.0:0",
			mutate:    func(m *message.Ext) { m.BornHost, m.StoreHost = netip.AddrPort{}, netip.AddrPort{} },
			wantSys:   message.FlagTransactionCommit,
			wantBorn:  netip.MustParseAddrPort("0.0.0.0:0"),
			wantStore: netip.MustParseAddrPort("0.0.0.0:0"),
			wantSize:  message.MinRecordSize + 7 + 6 + 63,
		},
		{
			name: "empty everything",
			mutate: func(m *message.Ext) {
				*m = message.Ext{BornHost: m.BornHost, StoreHost: m.StoreHost}
			},
			wantSize: message.MinRecordSize,
		},
		{
			name: "other sysflag bits kept",
			mutate: func(m *message.Ext) {
				m.SysFlag = message.FlagCompressed | message.FlagMultiTags | message.FlagTransactionPrepared | 0x80
			},
			wantSys:  message.FlagCompressed | message.FlagMultiTags | message.FlagTransactionPrepared | 0x80,
			wantSize: message.MinRecordSize + 7 + 6 + 63,
		},
		{
			name: "negative and extreme values",
			mutate: func(m *message.Ext) {
				m.QueueID, m.Flag, m.ReconsumeTimes = -1, -2147483648, 2147483647
				m.QueueOffset, m.CommitLogOffset, m.PreparedTransactionOffset = -1, 1<<62, -9
				m.BornTimestamp, m.StoreTimestamp = -5, 1<<63-1
				m.SysFlag = 0
			},
			wantSize: message.MinRecordSize + 7 + 6 + 63,
		},
		{
			name: "maximal topic and properties",
			mutate: func(m *message.Ext) {
				m.Topic = strings.Repeat("T", message.MaxTopicSize)
				m.Properties = strings.Repeat("p", message.MaxPropertiesSize)
				m.SysFlag = 0
			},
			wantSize: message.MinRecordSize + 7 + 255 + 32767,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := sampleExt()
			tt.mutate(&in)
			b := encode(t, in)
			if len(b) != tt.wantSize {
				t.Errorf("size = %d, want %d", len(b), tt.wantSize)
			}
			got, n, err := message.Decode(b, true)
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if n != len(b) {
				t.Errorf("Decode size = %d, want %d", n, len(b))
			}
			want := in
			want.SysFlag = tt.wantSys
			want.BodyCRC = crc32.ChecksumIEEE(in.Body)
			if tt.wantBorn.IsValid() {
				want.BornHost = tt.wantBorn
			}
			if tt.wantStore.IsValid() {
				want.StoreHost = tt.wantStore
			}
			equalExt(t, got, want)
			if again := encode(t, got); !bytes.Equal(again, b) {
				t.Errorf("re-encoding differs")
			}
		})
	}
}

func TestAppendEncodeAppends(t *testing.T) {
	m := sampleExt()
	prefix := []byte("prefix")
	b := message.AppendEncode(bytes.Clone(prefix), &m)
	if !bytes.HasPrefix(b, prefix) {
		t.Fatal("prefix lost")
	}
	if _, _, err := message.Decode(b[len(prefix):], true); err != nil {
		t.Fatal(err)
	}
	if m.BodyCRC != 0 {
		t.Error("AppendEncode modified its argument")
	}
}

func TestAppendEncodePanicsOnUnencodable(t *testing.T) {
	tests := []struct {
		name    string
		mutate  func(*message.Ext)
		wantErr error
	}{
		{"topic too long", func(m *message.Ext) { m.Topic = strings.Repeat("t", 256) }, message.ErrInvalidName},
		{"properties too long", func(m *message.Ext) { m.Properties = strings.Repeat("p", 32768) }, message.ErrInvalidProperty},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := sampleExt()
			tt.mutate(&m)
			if err := m.Validate(); !errors.Is(err, tt.wantErr) {
				t.Errorf("Validate = %v, want %v", err, tt.wantErr)
			}
			defer func() {
				r := recover()
				err, _ := r.(error)
				if !errors.Is(err, tt.wantErr) {
					t.Errorf("panic value = %v, want error wrapping %v", r, tt.wantErr)
				}
			}()
			message.AppendEncode(nil, &m)
		})
	}
}

func TestPatchOffsets(t *testing.T) {
	tests := []struct {
		name string
		born netip.AddrPort
	}{
		{"ipv4 born host", netip.MustParseAddrPort("10.1.2.3:4")},
		{"ipv6 born host", netip.MustParseAddrPort("[2001:db8::2]:4")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := sampleExt()
			m.BornHost = tt.born
			m.StoreHost = netip.MustParseAddrPort("[2001:db8::9]:10911")
			b := append(encode(t, m), "next"...)
			message.PatchOffsets(b, 1000, 1<<40, 1234567)
			got, _, err := message.Decode(b, true)
			if err != nil {
				t.Fatal(err)
			}
			m.QueueOffset, m.CommitLogOffset, m.StoreTimestamp = 1000, 1<<40, 1234567
			want, _, err := message.Decode(encode(t, m), true)
			if err != nil {
				t.Fatal(err)
			}
			equalExt(t, got, want)
			if !bytes.HasSuffix(b, []byte("next")) {
				t.Error("PatchOffsets wrote past the record")
			}
		})
	}
}

func TestDecodeMalformed(t *testing.T) {
	valid := encode(t, sampleExt())
	v6 := sampleExt()
	v6.BornHost = netip.MustParseAddrPort("[2001:db8::1]:1")
	validV6 := encode(t, v6)
	// Offsets inside valid (IPv4 hosts).
	const (
		posBornPort  = 52
		posStorePort = 68
		posBodyLen   = 84
	)
	posTopicLen := posBodyLen + 4 + 7
	posPropsLen := posTopicLen + 1 + 6

	mod := func(src []byte, f func(b []byte)) []byte {
		b := bytes.Clone(src)
		f(b)
		return b
	}
	put32 := func(pos int, v uint32) func([]byte) {
		return func(b []byte) { binary.BigEndian.PutUint32(b[pos:], v) }
	}
	tests := []struct {
		name    string
		in      []byte
		wantErr error
		wantMsg string
	}{
		{"empty", nil, message.ErrMalformed, "need 4"},
		{"three bytes", []byte{0, 0, 0}, message.ErrMalformed, "need 4"},
		{"truncated", valid[:len(valid)-1], message.ErrMalformed, "past end"},
		{"header only", valid[:message.MinRecordSize], message.ErrMalformed, "past end"},
		{"total below minimum", mod(valid, put32(0, 90)), message.ErrMalformed, "below minimum"},
		{"negative total", mod(valid, put32(0, 0xFFFFFFFF)), message.ErrMalformed, "below minimum"},
		{"bad magic", mod(valid, put32(4, 0xDEADBEEF)), message.ErrMalformed, "magic"},
		{"v1 record marked v2", mod(valid, put32(4, 0xDAA320AB)), message.ErrMalformed, "TOPIC"},
		{"total larger than parts", append(mod(valid, put32(0, uint32(len(valid)+1))), 0), message.ErrMalformed, "sum of the parts"},
		{"total smaller than parts", mod(valid, put32(0, uint32(len(valid)-1))), message.ErrMalformed, "past TOTALSIZE"},
		{"negative body length", mod(valid, put32(posBodyLen, 0xFFFFFFF0)), message.ErrMalformed, "negative BODY"},
		{"body length past end", mod(valid, put32(posBodyLen, 1<<30)), message.ErrMalformed, "BODY"},
		{"topic length past end", mod(valid, func(b []byte) { b[posTopicLen] = 255 }), message.ErrMalformed, "TOPIC"},
		{"negative properties length", mod(valid, func(b []byte) { b[posPropsLen] = 0x80 }), message.ErrMalformed, "negative PROPERTIES"},
		{"born port too big", mod(valid, put32(posBornPort, 65536)), message.ErrMalformed, "BORNHOST port"},
		{"store port negative", mod(valid, put32(posStorePort, 0xFFFFFFFF)), message.ErrMalformed, "STOREHOST port"},
		{"v6 flag on v4 record", mod(valid, func(b []byte) { b[39] |= message.FlagStoreHostV6 }), message.ErrMalformed, ""},
		{"v4-mapped in v6 slot", mod(validV6, func(b []byte) {
			copy(b[48:64], netip.MustParseAddr("::ffff:1.2.3.4").AsSlice())
		}), message.ErrMalformed, "IPv4-mapped"},
		{"bad crc", mod(valid, func(b []byte) { b[posBodyLen+4] ^= 1 }), message.ErrBadCRC, "crc"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, n, err := message.Decode(tt.in, true)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Decode error = %v, want %v", err, tt.wantErr)
			}
			if !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("error %q does not mention %q", err, tt.wantMsg)
			}
			if n != 0 {
				t.Errorf("size = %d on error", n)
			}
			if tt.wantErr == message.ErrMalformed {
				if _, err := message.PeekHeader(tt.in); !errors.Is(err, message.ErrMalformed) {
					t.Errorf("PeekHeader error = %v, want ErrMalformed", err)
				}
			}
		})
	}
}

func TestDecodeWithoutCRCCheck(t *testing.T) {
	b := encode(t, sampleExt())
	binary.BigEndian.PutUint32(b[8:], 0) // as some brokers write it
	m, _, err := message.Decode(b, false)
	if err != nil {
		t.Fatal(err)
	}
	if m.BodyCRC != 0 {
		t.Errorf("BodyCRC = %x, want the stored 0", m.BodyCRC)
	}
	if _, _, err := message.Decode(b, true); !errors.Is(err, message.ErrBadCRC) {
		t.Errorf("verified Decode error = %v, want ErrBadCRC", err)
	}
}

func TestDecodeBodyAliasesInput(t *testing.T) {
	b := encode(t, sampleExt())
	m, _, err := message.Decode(b, false)
	if err != nil {
		t.Fatal(err)
	}
	if cap(m.Body) != len(m.Body) {
		t.Errorf("body capacity %d not clipped to %d", cap(m.Body), len(m.Body))
	}
	b[88] = 'J'
	if m.Body[0] != 'J' {
		t.Error("Body does not alias the input")
	}
}

func TestDecodeAll(t *testing.T) {
	var buf []byte
	var want []message.Ext
	for i := range 5 {
		m := sampleExt()
		m.QueueOffset = int64(i)
		m.Body = bytes.Repeat([]byte{byte('a' + i)}, i*10)
		if i%2 == 1 {
			m.StoreHost = netip.MustParseAddrPort("[::1]:9876")
		}
		buf = message.AppendEncode(buf, &m)
		d, _, err := message.Decode(encode(t, m), true)
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, d)
	}
	got, err := message.DecodeAll(buf, true)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("decoded %d records, want %d", len(got), len(want))
	}
	for i := range got {
		equalExt(t, got[i], want[i])
	}

	t.Run("empty", func(t *testing.T) {
		got, err := message.DecodeAll(nil, true)
		if err != nil || len(got) != 0 {
			t.Errorf("DecodeAll(nil) = %v, %v", got, err)
		}
	})
	t.Run("trailing garbage", func(t *testing.T) {
		got, err := message.DecodeAll(append(bytes.Clone(buf), 1, 2, 3), true)
		if !errors.Is(err, message.ErrMalformed) {
			t.Fatalf("error = %v, want ErrMalformed", err)
		}
		if len(got) != 5 || !strings.Contains(err.Error(), "record 5 at byte") {
			t.Errorf("got %d records, error %q", len(got), err)
		}
	})
}

func TestPeekHeader(t *testing.T) {
	m := sampleExt()
	m.BornHost = netip.MustParseAddrPort("[2001:db8::1]:1")
	b := append(encode(t, m), 0xFF, 0xFF)
	h, err := message.PeekHeader(b)
	if err != nil {
		t.Fatal(err)
	}
	want := message.Header{
		Size:            m.EncodedSize(),
		BodyCRC:         crc32.ChecksumIEEE(m.Body),
		QueueID:         m.QueueID,
		Flag:            m.Flag,
		QueueOffset:     m.QueueOffset,
		CommitLogOffset: m.CommitLogOffset,
		SysFlag:         m.SysFlag | message.FlagBornHostV6,
		BornTimestamp:   m.BornTimestamp,
		StoreTimestamp:  m.StoreTimestamp,
		StoreHost:       m.StoreHost,
		ReconsumeTimes:  m.ReconsumeTimes,
		BodySize:        len(m.Body),
		Topic:           m.Topic,
		Properties:      m.Properties,
	}
	if h != want {
		t.Errorf("PeekHeader =\n %+v\nwant\n %+v", h, want)
	}
	if n, err := message.RecordSize(b); err != nil || n != want.Size {
		t.Errorf("RecordSize = %d, %v; want %d", n, err, want.Size)
	}
}

func TestExtAccessors(t *testing.T) {
	m := sampleExt()
	if got := m.Tags(); got != "TagA" {
		t.Errorf("Tags = %q", got)
	}
	if got := m.MsgID(); got != "C00002023C12000000007a1c7b980001" {
		t.Errorf("MsgID = %q", got)
	}
	if got, want := m.OffsetMsgID(), "7F00000100004DA400000000000000A7"; got != want {
		t.Errorf("OffsetMsgID = %q, want %q", got, want)
	}
	m.Properties = message.DeleteProperties(m.Properties, message.PropertyUniqKey, message.PropertyTags)
	if got := m.MsgID(); got != m.OffsetMsgID() {
		t.Errorf("MsgID without UNIQ_KEY = %q, want offset id", got)
	}
	if got := m.Tags(); got != "" {
		t.Errorf("Tags = %q, want empty", got)
	}
}

func TestTransactionType(t *testing.T) {
	tests := []struct {
		sys, typ, want int32
	}{
		{0, message.FlagTransactionPrepared, message.FlagTransactionPrepared},
		{message.FlagTransactionPrepared | message.FlagCompressed, message.FlagTransactionCommit, message.FlagTransactionCommit | message.FlagCompressed},
		{message.FlagTransactionRollback | message.FlagBornHostV6, 0, message.FlagBornHostV6},
	}
	for _, tt := range tests {
		got := message.SetTransactionType(tt.sys, tt.typ)
		if got != tt.want {
			t.Errorf("SetTransactionType(%#x, %#x) = %#x, want %#x", tt.sys, tt.typ, got, tt.want)
		}
		if message.TransactionType(got) != tt.typ {
			t.Errorf("TransactionType(%#x) = %#x, want %#x", got, message.TransactionType(got), tt.typ)
		}
	}
}
