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

// TestNewUniqKeyMonthBoundaries checks the milliseconds since the start of
// the month (whose bounds NewUniqKey keeps from id to id) against their
// definition, for instants on both sides of month ends, in several zones,
// in an order that moves back and forth between months and zones.
func TestNewUniqKeyMonthBoundaries(t *testing.T) {
	zones := []*time.Location{time.UTC, time.Local, time.FixedZone("east", 9*3600+1800), time.FixedZone("west", -5*3600)}
	if ny, err := time.LoadLocation("America/New_York"); err == nil {
		zones = append(zones, ny) // DST changes within a month
	}
	var instants []time.Time
	for _, loc := range zones {
		for _, m := range []time.Month{1, 2, 3, 11, 12} {
			start := time.Date(2024, m, 1, 0, 0, 0, 0, loc)
			instants = append(instants, start, start.Add(-time.Nanosecond), start.Add(time.Millisecond),
				start.Add(20*24*time.Hour+time.Hour), start.AddDate(0, 1, 0).Add(-time.Millisecond))
		}
	}
	order := append(append([]time.Time(nil), instants...), instants[0], instants[len(instants)-1], instants[1], instants[0])
	for i := len(instants) - 1; i >= 0; i -= 3 {
		order = append(order, instants[i])
	}
	for _, now := range order {
		raw, err := hex.DecodeString(message.NewUniqKey(netip.Addr{}, now))
		if err != nil {
			t.Fatal(err)
		}
		y, m, _ := now.Date()
		want := uint32(now.Sub(time.Date(y, m, 1, 0, 0, 0, 0, now.Location())).Milliseconds())
		if got := binary.BigEndian.Uint32(raw[10:]); got != want {
			t.Errorf("%v: ms since month start = %d, want %d", now, got, want)
		}
	}
}
