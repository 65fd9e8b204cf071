package acl

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// AddrPattern is a white-list entry of plain_acl.yml
// (globalWhiteRemoteAddresses, an account's whiteRemoteAddress), matched
// against a client's IP address. The zero AddrPattern matches nothing.
type AddrPattern struct {
	text string
	any  bool
	alts []addrAlt
}

// addrAlt is one alternative of a pattern: an IPv4 address whose octets
// are ranges, or one exact address (IPv6).
type addrAlt struct {
	v4    [4]octetRange
	exact netip.Addr // valid for an exact (IPv6) address
}

type octetRange struct{ lo, hi uint8 }

// ParseAddrPattern parses the forms RocketMQ's RemoteAddressStrategyFactory
// accepts:
//
//	every address            *  or  *.*.*.*  or  *:*:*:*:*:*:*:*
//	one address              192.168.0.1 (IPv6 literals too)
//	a wildcard octet         192.168.0.*  10.10.*.*  10.* (octets missing
//	                         after a trailing * are wildcards too)
//	a range in an octet      192.168.0.1-20  10.1-3.*.* (inclusive)
//	a list in the last octet 192.168.0.{1,2,3}
//	a comma list             10.0.0.1,10.0.0.2,192.168.*.* (of the above)
//
// An empty (or blank) pattern matches nothing.
func ParseAddrPattern(s string) (AddrPattern, error) {
	p := AddrPattern{text: strings.TrimSpace(s)}
	switch p.text {
	case "":
		return p, nil
	case "*", "*.*.*.*", "*:*:*:*:*:*:*:*":
		p.any = true
		return p, nil
	}
	if i := strings.IndexByte(p.text, '{'); i >= 0 {
		// 192.168.0.{1,2,3}: the braces hold the last octet's values.
		if !strings.HasSuffix(p.text, "}") || strings.Count(p.text, "{") != 1 || strings.Count(p.text, "}") != 1 {
			return AddrPattern{}, fmt.Errorf("address %q: braces must hold the last octet, as in 192.168.0.{1,2}", s)
		}
		prefix := p.text[:i]
		if !strings.HasSuffix(prefix, ".") || strings.Count(prefix, ".") != 3 {
			return AddrPattern{}, fmt.Errorf("address %q: braces must hold the last octet, as in 192.168.0.{1,2}", s)
		}
		for _, last := range strings.Split(p.text[i+1:len(p.text)-1], ",") {
			alt, err := parseAddrAlt(prefix + strings.TrimSpace(last))
			if err != nil {
				return AddrPattern{}, fmt.Errorf("address %q: %w", s, err)
			}
			p.alts = append(p.alts, alt)
		}
		return p, nil
	}
	for _, part := range strings.Split(p.text, ",") {
		alt, err := parseAddrAlt(strings.TrimSpace(part))
		if err != nil {
			return AddrPattern{}, fmt.Errorf("address %q: %w", s, err)
		}
		p.alts = append(p.alts, alt)
	}
	return p, nil
}

// parseAddrAlt parses one address or IPv4 pattern without commas or braces.
func parseAddrAlt(s string) (addrAlt, error) {
	if strings.Contains(s, ":") {
		a, err := netip.ParseAddr(s)
		if err != nil {
			return addrAlt{}, fmt.Errorf("%q is not an IPv6 address (IPv6 patterns are not supported)", s)
		}
		return addrAlt{exact: a.Unmap()}, nil
	}
	octets := strings.Split(s, ".")
	if len(octets) > 4 {
		return addrAlt{}, fmt.Errorf("%q has more than four octets", s)
	}
	if len(octets) < 4 && octets[len(octets)-1] != "*" {
		return addrAlt{}, fmt.Errorf("%q has fewer than four octets and does not end in *", s)
	}
	var alt addrAlt
	for i := range alt.v4 {
		if i >= len(octets) {
			alt.v4[i] = octetRange{0, 255}
			continue
		}
		r, err := parseOctet(octets[i])
		if err != nil {
			return addrAlt{}, fmt.Errorf("%q: %w", s, err)
		}
		alt.v4[i] = r
	}
	return alt, nil
}

// parseOctet parses "*", "n" or "lo-hi".
func parseOctet(s string) (octetRange, error) {
	if s == "*" {
		return octetRange{0, 255}, nil
	}
	lo, hi, isRange := strings.Cut(s, "-")
	l, err := octetNumber(lo)
	if err != nil {
		return octetRange{}, err
	}
	if !isRange {
		return octetRange{l, l}, nil
	}
	h, err := octetNumber(hi)
	if err != nil {
		return octetRange{}, err
	}
	if l > h {
		return octetRange{}, fmt.Errorf("range %q runs backwards", s)
	}
	return octetRange{l, h}, nil
}

func octetNumber(s string) (uint8, error) {
	if s == "" || len(s) > 3 || strings.TrimLeft(s, "0123456789") != "" {
		return 0, fmt.Errorf("octet %q is not a number 0-255, a range such as 1-20, or *", s)
	}
	n, err := strconv.Atoi(s)
	if err != nil || n > 255 {
		return 0, fmt.Errorf("octet %q is not a number 0-255, a range such as 1-20, or *", s)
	}
	return uint8(n), nil
}

// Match reports whether addr is matched by p. An IPv4-mapped IPv6 address
// matches as its IPv4 form.
func (p AddrPattern) Match(addr netip.Addr) bool {
	if p.any {
		return true // even an address the connection could not tell
	}
	addr = addr.Unmap()
	for _, alt := range p.alts {
		if alt.exact.IsValid() {
			if alt.exact == addr {
				return true
			}
			continue
		}
		if !addr.Is4() {
			continue
		}
		b := addr.As4()
		ok := true
		for i, r := range alt.v4 {
			if b[i] < r.lo || b[i] > r.hi {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}

// IsZero reports whether p matches nothing (an empty pattern).
func (p AddrPattern) IsZero() bool { return !p.any && len(p.alts) == 0 }

// String returns the pattern as written (trimmed).
func (p AddrPattern) String() string { return p.text }
