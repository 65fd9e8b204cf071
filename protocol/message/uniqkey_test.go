package message_test

import (
	"encoding/binary"
	"encoding/hex"
	"net/netip"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/rocketkit/rocketkit/protocol/message"
)

func TestNewUniqKeyLayout(t *testing.T) {
	now := time.Date(2026, 12, 6, 1, 2, 3, 4_000_000, time.Local)
	a := message.NewUniqKey(netip.MustParseAddr("10.1.2.3"), now)
	b := message.NewUniqKey(netip.MustParseAddr("10.1.2.3"), now)
	if len(a) != 32 || strings.ToUpper(a) != a {
		t.Fatalf("id %q is not 32 uppercase hex characters", a)
	}
	if a == b {
		t.Fatalf("two ids in the same millisecond are equal: %s", a)
	}
	raw, err := hex.DecodeString(a)
	if err != nil {
		t.Fatal(err)
	}
	if got := netip.AddrFrom4([4]byte(raw[:4])); got != netip.MustParseAddr("10.1.2.3") {
		t.Errorf("ip = %v", got)
	}
	if got := binary.BigEndian.Uint16(raw[4:]); got != uint16(os.Getpid()) {
		t.Errorf("pid = %d, want %d", got, uint16(os.Getpid()))
	}
	want := uint32((5*24*time.Hour + time.Hour + 2*time.Minute + 3*time.Second + 4*time.Millisecond).Milliseconds())
	if got := binary.BigEndian.Uint32(raw[10:]); got != want {
		t.Errorf("ms since month start = %d, want %d", got, want)
	}
	if v6 := message.NewUniqKey(netip.MustParseAddr("::1"), now); !strings.HasPrefix(v6, "00000000") {
		t.Errorf("an IPv6 host should leave the address zero: %s", v6)
	}
}
