package message_test

import (
	"errors"
	"net/netip"
	"testing"

	"github.com/rocketkit/rocketkit/protocol/message"
)

func TestOffsetMsgID(t *testing.T) {
	tests := []struct {
		name string
		host netip.AddrPort
		off  int64
		want string
		back netip.AddrPort // what ParseOffsetMsgID returns
	}{
		{"ipv4", netip.MustParseAddrPort("127.0.0.1:19876"), 167, "7F00000100004DA400000000000000A7", netip.MustParseAddrPort("127.0.0.1:19876")},
		{"max offset", netip.MustParseAddrPort("10.0.0.255:65535"), 1<<63 - 1, "0A0000FF0000FFFF7FFFFFFFFFFFFFFF", netip.MustParseAddrPort("10.0.0.255:65535")},
		{"ipv6", netip.MustParseAddrPort("[2001:db8::1]:10911"), 1, "20010DB800000000000000000000000100002A9F0000000000000001", netip.MustParseAddrPort("[2001:db8::1]:10911")},
		{"ipv4-mapped", netip.MustParseAddrPort("[::ffff:127.0.0.1]:19876"), 167, "7F00000100004DA400000000000000A7", netip.MustParseAddrPort("127.0.0.1:19876")},
		{"zero", netip.AddrPort{}, 0, "00000000000000000000000000000000", netip.MustParseAddrPort("0.0.0.0:0")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := message.OffsetMsgID(tt.host, tt.off)
			if got != tt.want {
				t.Errorf("OffsetMsgID = %s, want %s", got, tt.want)
			}
			ap, off, err := message.ParseOffsetMsgID(got)
			if err != nil || ap != tt.back || off != tt.off {
				t.Errorf("ParseOffsetMsgID = %v, %d, %v; want %v, %d", ap, off, err, tt.back, tt.off)
			}
		})
	}
}

func TestParseOffsetMsgID(t *testing.T) {
	tests := []struct {
		name, id string
		wantErr  bool
		want     netip.AddrPort
		wantOff  int64
	}{
		{"lowercase accepted", "7f00000100004da400000000000000a7", false, netip.MustParseAddrPort("127.0.0.1:19876"), 167},
		{"empty", "", true, netip.AddrPort{}, 0},
		{"31 chars", "7F00000100004DA400000000000000A", true, netip.AddrPort{}, 0},
		{"33 chars", "7F00000100004DA400000000000000A70", true, netip.AddrPort{}, 0},
		{"uniq key shape is not hex", "C00002023C12000000007a1c7b98000Z", true, netip.AddrPort{}, 0},
		{"port too large", "7F00000100010000000000000000000A", true, netip.AddrPort{}, 0},
		{"negative port", "7F000001FFFFFFFF000000000000000A", true, netip.AddrPort{}, 0},
		{"55 chars", "20010DB8000000000000000000000001000027110000000000000001"[:55], true, netip.AddrPort{}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ap, off, err := message.ParseOffsetMsgID(tt.id)
			if tt.wantErr {
				if !errors.Is(err, message.ErrMalformed) {
					t.Errorf("error = %v, want ErrMalformed", err)
				}
				return
			}
			if err != nil || ap != tt.want || off != tt.wantOff {
				t.Errorf("ParseOffsetMsgID = %v, %d, %v", ap, off, err)
			}
		})
	}
}
