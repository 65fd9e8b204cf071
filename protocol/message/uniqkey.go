package message

import (
	"encoding/binary"
	"net/netip"
	"os"
	"sync/atomic"
	"time"
)

// uniqCounter numbers the ids made by this process; it wraps at 65536, as
// Java's does.
var uniqCounter atomic.Uint32

// NewUniqKey returns a new message id for the UNIQ_KEY property in the
// layout of Java's MessageClientIDSetter: 32 uppercase hex characters
// encoding the IPv4 address of host (zero for IPv6 or none), the process id
// (2 bytes), 4 zero bytes (Java's class-loader hash), the milliseconds
// since the start of the current month in local time (4 bytes) and a
// process-wide counter (2 bytes). Ids repeat only after 65536 ids in one
// millisecond of one process.
func NewUniqKey(host netip.Addr, now time.Time) string {
	var b [16]byte
	if ip := host.Unmap(); ip.Is4() {
		a := ip.As4()
		copy(b[:4], a[:])
	}
	binary.BigEndian.PutUint16(b[4:], uint16(os.Getpid()))
	y, m, _ := now.Date()
	monthStart := time.Date(y, m, 1, 0, 0, 0, 0, now.Location())
	binary.BigEndian.PutUint32(b[10:], uint32(now.Sub(monthStart).Milliseconds()))
	binary.BigEndian.PutUint16(b[14:], uint16(uniqCounter.Add(1)))
	var out [32]byte
	for i, c := range b {
		out[2*i] = upperHex[c>>4]
		out[2*i+1] = upperHex[c&0xF]
	}
	return string(out[:])
}
