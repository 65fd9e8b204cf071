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

// uniqPid is the process id as the id carries it, read once (it cannot
// change in a Go process; os.Getpid is a system call).
var uniqPid = uint16(os.Getpid())

// uniqMonth is the month the last id was made in: the start of that month
// and of the next, in loc.
type uniqMonth struct {
	loc        *time.Location
	start, end time.Time
}

var lastMonth atomic.Pointer[uniqMonth]

// sinceMonthStart is the milliseconds from the start of now's month (in
// now's location) to now. The month's bounds are computed once a month
// (per location), not per id: the time.Date calls cost more than the rest
// of the id.
func sinceMonthStart(now time.Time) int64 {
	loc := now.Location()
	if m := lastMonth.Load(); m != nil && m.loc == loc && !now.Before(m.start) && now.Before(m.end) {
		return now.Sub(m.start).Milliseconds()
	}
	y, mo, _ := now.Date()
	m := &uniqMonth{loc: loc, start: time.Date(y, mo, 1, 0, 0, 0, 0, loc), end: time.Date(y, mo+1, 1, 0, 0, 0, 0, loc)}
	lastMonth.Store(m)
	return now.Sub(m.start).Milliseconds()
}

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
	binary.BigEndian.PutUint16(b[4:], uniqPid)
	binary.BigEndian.PutUint32(b[10:], uint32(sinceMonthStart(now)))
	binary.BigEndian.PutUint16(b[14:], uint16(uniqCounter.Add(1)))
	var out [32]byte
	for i, c := range b {
		out[2*i] = upperHex[c>>4]
		out[2*i+1] = upperHex[c&0xF]
	}
	return string(out[:])
}
