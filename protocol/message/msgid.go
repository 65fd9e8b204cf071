package message

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"net/netip"
)

const upperHex = "0123456789ABCDEF"

// OffsetMsgID returns the offset message id (§8.3): uppercase hex of the
// store host's IP (4 or 16 bytes), its port (int32) and commitLogOffset
// (int64), all big-endian — 32 characters for IPv4, 56 for IPv6. Hosts are
// normalized as in AppendEncode (IPv4-mapped IPv6 counts as IPv4, an invalid
// AddrPort is 0.0.0.0:0), so the id matches what the client derives from the
// encoded record.
func OffsetMsgID(storeHost netip.AddrPort, commitLogOffset int64) string {
	var out [56]byte
	return string(AppendOffsetMsgID(out[:0], storeHost, commitLogOffset))
}

// AppendOffsetMsgID appends OffsetMsgID(storeHost, commitLogOffset) to dst.
func AppendOffsetMsgID(dst []byte, storeHost netip.AddrPort, commitLogOffset int64) []byte {
	a, v6 := hostAddr(storeHost)
	var raw [16 + 4 + 8]byte
	n := 0
	if v6 {
		b := a.As16()
		n = copy(raw[:], b[:])
	} else {
		b := a.As4()
		n = copy(raw[:], b[:])
	}
	binary.BigEndian.PutUint32(raw[n:], uint32(storeHost.Port()))
	binary.BigEndian.PutUint64(raw[n+4:], uint64(commitLogOffset))
	n += 12
	for _, c := range raw[:n] {
		dst = append(dst, upperHex[c>>4], upperHex[c&0xF])
	}
	return dst
}

// ParseOffsetMsgID parses an offset message id made by OffsetMsgID (either
// hex case). It returns an error wrapping ErrMalformed unless id has 32
// (IPv4) or 56 (IPv6) hex characters and a port within 0..65535.
func ParseOffsetMsgID(id string) (netip.AddrPort, int64, error) {
	var ipLen int
	switch len(id) {
	case 32:
		ipLen = 4
	case 56:
		ipLen = 16
	default:
		return netip.AddrPort{}, 0, fmt.Errorf("parse offset message id %q: length %d, want 32 or 56: %w", clip(id), len(id), ErrMalformed)
	}
	var raw [28]byte
	if _, err := hex.Decode(raw[:], []byte(id)); err != nil {
		return netip.AddrPort{}, 0, fmt.Errorf("parse offset message id %q: %v: %w", clip(id), err, ErrMalformed)
	}
	var a netip.Addr
	if ipLen == 4 {
		a = netip.AddrFrom4([4]byte(raw[:4]))
	} else {
		a = netip.AddrFrom16([16]byte(raw[:16]))
	}
	port := int32(binary.BigEndian.Uint32(raw[ipLen:]))
	if port < 0 || port > 0xFFFF {
		return netip.AddrPort{}, 0, fmt.Errorf("parse offset message id %q: port %d outside 0..65535: %w", id, port, ErrMalformed)
	}
	off := int64(binary.BigEndian.Uint64(raw[ipLen+4:]))
	return netip.AddrPortFrom(a, uint16(port)), off, nil
}
