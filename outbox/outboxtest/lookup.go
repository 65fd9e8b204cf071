package outboxtest

import (
	"testing"
	"time"

	"github.com/rocketkit/rocketkit/admin"
	"github.com/rocketkit/rocketkit/outbox"
)

// KeyLookup returns an outbox.KeyLookup (outbox.AdminLookup) against the
// name server at addr, a broker the test started, say. It fails the test
// if the admin client cannot be made.
func KeyLookup(tb testing.TB, addr string) outbox.KeyLookup {
	tb.Helper()
	return KeyLookupAs(tb, addr, admin.Credentials{})
}

// KeyLookupAs is KeyLookup signing its requests with cred, for a broker
// with ACL (brokertest.WithACL): looking a key up needs SUB on the topic.
func KeyLookupAs(tb testing.TB, addr string, cred admin.Credentials) outbox.KeyLookup {
	tb.Helper()
	c, err := admin.New(admin.Config{NameServers: []string{addr}, Timeout: 3 * time.Second, Credentials: cred})
	if err != nil {
		tb.Fatalf("outboxtest: admin client for %s: %v", addr, err)
	}
	return outbox.AdminLookup(c)
}
