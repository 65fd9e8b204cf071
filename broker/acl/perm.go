package acl

import (
	"fmt"
	"strings"
)

// Perm is a permission as RocketMQ's Permission class encodes it: a bit
// set of Deny, Pub and Sub.
type Perm uint8

// Permissions. Deny wins over any other bit.
const (
	Deny Perm = 1 << 0 // DENY: nothing
	Pub  Perm = 1 << 2 // PUB: send to a topic
	Sub  Perm = 1 << 3 // SUB: consume a topic, or act as a consumer group
)

// ParsePerm parses DENY, PUB, SUB, PUB|SUB or SUB|PUB (blanks around the
// words are ignored). Unlike Java, which reads any other word as DENY, it
// returns an error, so a typo does not silently lock a client out.
func ParsePerm(s string) (Perm, error) {
	switch strings.ReplaceAll(strings.TrimSpace(s), " ", "") {
	case "DENY":
		return Deny, nil
	case "PUB":
		return Pub, nil
	case "SUB":
		return Sub, nil
	case "PUB|SUB", "SUB|PUB":
		return Pub | Sub, nil
	}
	return 0, fmt.Errorf("permission %q is none of DENY, PUB, SUB, PUB|SUB", s)
}

// Allows reports whether a holder of p may do what needs need, as Java's
// Permission.checkPermission decides: never with Deny, else when p has
// a bit of need.
func (p Perm) Allows(need Perm) bool {
	if p&Deny != 0 {
		return false
	}
	return p&need != 0
}

// String returns the plain_acl.yml spelling, e.g. "PUB|SUB".
func (p Perm) String() string {
	switch {
	case p&Deny != 0:
		return "DENY"
	case p == Pub|Sub:
		return "PUB|SUB"
	case p == Pub:
		return "PUB"
	case p == Sub:
		return "SUB"
	}
	return fmt.Sprintf("Perm(%d)", uint8(p))
}
