package broker

import (
	"encoding/binary"
	"encoding/hex"
	"net/netip"
	"os"
	"sync/atomic"
	"time"
)

var uniqCounter atomic.Uint32

// newUniqKey makes a UNIQ_KEY for a message that arrived without one, in the
// client's layout: 4 bytes IPv4, 2 bytes pid, 4 bytes zero, then 4 bytes of
// milliseconds and 2 bytes of counter, 32 hex characters.
func newUniqKey(host netip.AddrPort) string {
	var b [16]byte
	ip := host.Addr().Unmap()
	if ip.Is4() {
		a := ip.As4()
		copy(b[:4], a[:])
	}
	binary.BigEndian.PutUint16(b[4:], uint16(os.Getpid()))
	binary.BigEndian.PutUint32(b[10:], uint32(time.Now().UnixMilli()))
	binary.BigEndian.PutUint16(b[14:], uint16(uniqCounter.Add(1)))
	var out [32]byte
	hex.Encode(out[:], b[:])
	return string(out[:])
}
