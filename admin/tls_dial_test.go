package admin_test

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"strings"
	"testing"

	"github.com/rocketkit/rocketkit/admin"
	"github.com/rocketkit/rocketkit/broker/brokertest"
	"github.com/rocketkit/rocketkit/internal/testcert"
)

// The broker's certificate is verified against WithTLSConfig's roots,
// the system's by default (so a self-signed one is refused), unless
// InsecureSkipVerify; without Config.TLS, WithTLSConfig changes nothing.
// (TestAdminOverTLS covers TLS against plain.)
func TestTLSVerification(t *testing.T) {
	cert := testcert.New(t)
	b := brokertest.Start(t, brokertest.WithTLS(cert.CertFile, cert.KeyFile))
	ctx := t.Context()
	newAdmin := func(tlsOn bool, opts ...admin.Option) *admin.Client {
		t.Helper()
		c, err := admin.New(admin.Config{NameServers: []string{b.Addr()}, TLS: tlsOn}, opts...)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	if _, err := newAdmin(true, admin.WithTLSConfig(&tls.Config{RootCAs: cert.Pool})).Topics(ctx); err != nil {
		t.Fatalf("topics over TLS, verified with the server name taken from the address: %v", err)
	}
	if _, err := newAdmin(true, admin.WithTLSConfig(&tls.Config{InsecureSkipVerify: true})).Cluster(ctx); err != nil {
		t.Fatalf("cluster over TLS, not verified: %v", err)
	}
	_, err := newAdmin(true).Cluster(ctx)
	var unknown x509.UnknownAuthorityError
	if !errors.As(err, &unknown) {
		t.Fatalf("system roots: %v, want an unknown authority", err)
	}
	_, err = newAdmin(false, admin.WithTLSConfig(&tls.Config{RootCAs: cert.Pool})).Cluster(ctx)
	if err == nil || !strings.Contains(err.Error(), "requires TLS") {
		t.Fatalf("TLS off with a TLS config: %v, want the broker's 'requires TLS'", err)
	}
}
