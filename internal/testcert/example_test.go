package testcert_test

import (
	"testing"

	"github.com/rocketkit/rocketkit/broker/brokertest"
	"github.com/rocketkit/rocketkit/client"
	"github.com/rocketkit/rocketkit/internal/testcert"
)

// A test starts a broker serving TLS with a fresh certificate and points
// our client at it, trusting that certificate only.
func ExampleNew() {
	_ = func(t *testing.T) {
		cert := testcert.New(t)
		b := brokertest.Start(t, brokertest.WithTLS(cert.CertFile, cert.KeyFile))
		c, err := client.New(client.Config{NameServers: []string{b.Addr()}, TLS: true},
			client.WithTLSConfig(cert.ClientConfig()))
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
	}
}
