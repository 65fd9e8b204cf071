package outboxtest_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/rocketkit/rocketkit/broker/brokertest"
	"github.com/rocketkit/rocketkit/client"
	"github.com/rocketkit/rocketkit/internal/clienttest"
	"github.com/rocketkit/rocketkit/outbox"
	"github.com/rocketkit/rocketkit/outbox/outboxtest"
	"github.com/rocketkit/rocketkit/protocol/remoting"
)

func TestMain(m *testing.M) { clienttest.VerifyMain(m) }

// KeyLookupAs signs its lookups: on a broker with ACL it finds a message
// by key where KeyLookup's unsigned lookup is refused.
func TestKeyLookupAs(t *testing.T) {
	path := filepath.Join(t.TempDir(), "plain_acl.yml")
	yml := "accounts:\n  - accessKey: relay-account\n    secretKey: relay-secret\n    defaultTopicPerm: PUB|SUB\n"
	if err := os.WriteFile(path, []byte(yml), 0o600); err != nil {
		t.Fatal(err)
	}
	b := brokertest.Start(t, brokertest.WithACL(path))
	cred := client.Credentials{AccessKey: "relay-account", SecretKey: "relay-secret"}
	c, err := client.New(client.Config{NameServers: []string{b.Addr()}, Credentials: cred})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	p, err := c.NewProducer(client.ProducerConfig{Group: "lookup-pg"})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if _, err := p.Send(t.Context(), &client.Message{Topic: "lookup-acl", Body: []byte("x"), Keys: []string{"row-1"}}); err != nil {
		t.Fatal(err)
	}

	q := outbox.LookupParams{Topic: "lookup-acl", Key: "row-1"}
	found, err := outboxtest.KeyLookupAs(t, b.Addr(), cred).LookupKey(t.Context(), q)
	if err != nil || !found {
		t.Fatalf("signed lookup: found %v, %v", found, err)
	}
	_, err = outboxtest.KeyLookup(t, b.Addr()).LookupKey(t.Context(), q)
	if !errors.Is(err, &remoting.Error{Code: remoting.NoPermission}) {
		t.Fatalf("unsigned lookup: %v, want NO_PERMISSION", err)
	}
}
