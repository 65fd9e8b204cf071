package acl_test

import (
	"net/netip"
	"testing"

	"github.com/rocketkit/rocketkit/broker/acl"
	"github.com/rocketkit/rocketkit/protocol/remoting"
)

// FuzzParseACL feeds arbitrary bytes to Parse. Invariants: Parse never
// panics; it returns exactly one of an ACL and an error; every account of
// a parsed ACL is found under its access key, has access and secret keys
// of at least 7 characters, and holds only permissions ParsePerm can
// return (DENY, PUB, SUB, PUB|SUB), defaults included; and Check on a
// signed request of that account never panics.
func FuzzParseACL(f *testing.F) {
	f.Add([]byte(sampleYAML))
	f.Add([]byte("accounts:\n  - accessKey: account1\n    secretKey: 12345678\n    topicPerms: [a=PUB, b=SUB|PUB]\n"))
	f.Add([]byte("globalWhiteRemoteAddresses: ['*', 10.1-3.*.*, '1.2.3.{4,5}']\n"))
	f.Add([]byte("accounts: [{accessKey: 1234567, secretKey: 7654321, admin: true, whiteRemoteAddress: '::1,10.*'}]"))
	f.Add([]byte(""))
	f.Fuzz(func(t *testing.T, data []byte) {
		a, err := acl.Parse(data)
		if (a == nil) == (err == nil) {
			t.Fatalf("Parse returned %v and %v", a, err)
		}
		if err != nil {
			return
		}
		valid := func(p acl.Perm) bool {
			return p == acl.Deny || p == acl.Pub || p == acl.Sub || p == acl.Pub|acl.Sub
		}
		keys := a.AccessKeys()
		if len(keys) != a.Accounts() {
			t.Fatalf("%d access keys, Accounts() = %d", len(keys), a.Accounts())
		}
		for _, ak := range keys {
			acc := a.Account(ak)
			if acc == nil {
				t.Fatalf("account %q listed but not found", ak)
			}
			if acc.AccessKey != ak || len(acc.AccessKey) < 7 || len(acc.SecretKey) < 7 {
				t.Fatalf("account %q: keys %q/%q", ak, acc.AccessKey, acc.SecretKey)
			}
			if !valid(acc.DefaultTopicPerm) || !valid(acc.DefaultGroupPerm) {
				t.Fatalf("account %q: defaults %v %v", ak, acc.DefaultTopicPerm, acc.DefaultGroupPerm)
			}
			for name, p := range acc.TopicPerms {
				if !valid(p) || name == "" {
					t.Fatalf("account %q: topic %q perm %v", ak, name, p)
				}
			}
			for name, p := range acc.GroupPerms {
				if !valid(p) || name == "" {
					t.Fatalf("account %q: group %q perm %v", ak, name, p)
				}
			}
			req := signed(remoting.PullMessage, ak, acc.SecretKey, nil, "topic", "a", "consumerGroup", "g")
			_ = a.Check(netip.MustParseAddr("10.2.0.1"), req)
			_ = a.Check(netip.Addr{}, req)
		}
	})
}
