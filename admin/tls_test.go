package admin_test

import (
	"errors"
	"testing"
	"time"

	"github.com/rocketkit/rocketkit/admin"
	"github.com/rocketkit/rocketkit/broker/brokertest"
	"github.com/rocketkit/rocketkit/internal/testcert"
)

// Config.TLS with WithTLSConfig talks to a broker that serves TLS only;
// without TLS the same broker refuses the admin client, with an error
// saying TLS is required.
func TestAdminOverTLS(t *testing.T) {
	cert := testcert.New(t)
	b := brokertest.Start(t, brokertest.WithTLS(cert.CertFile, cert.KeyFile))
	ctx := t.Context()

	c, err := admin.New(admin.Config{NameServers: []string{b.Addr()}, TLS: true, Timeout: 10 * time.Second},
		admin.WithTLSConfig(cert.ClientConfig()))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Cluster(ctx); err != nil {
		t.Fatalf("cluster over TLS: %v", err)
	}
	if _, err := c.Topics(ctx); err != nil {
		t.Fatalf("topics over TLS: %v", err)
	}

	plain, err := admin.New(admin.Config{NameServers: []string{b.Addr()}, Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	_, err = plain.Topics(ctx)
	if err == nil {
		t.Fatal("a plain admin client was served by a TLS-only broker")
	}
	var dial *admin.DialError
	if errors.As(err, &dial) {
		t.Fatalf("plain admin client: %v, want the broker's answer, not a dial error", err)
	}
	t.Logf("plain admin client against an enforcing broker: %v", err)
}
