package testcert_test

import (
	"crypto/tls"
	"testing"

	"github.com/rocketkit/rocketkit/internal/testcert"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// A client trusting ClientConfig completes a handshake with a server
// using ServerConfig for 127.0.0.1, and the files hold the same pair.
func TestHandshake(t *testing.T) {
	cert := testcert.New(t)
	if _, err := tls.LoadX509KeyPair(cert.CertFile, cert.KeyFile); err != nil {
		t.Fatalf("files: %v", err)
	}
	ln, err := tls.Listen("tcp", "127.0.0.1:0", cert.ServerConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	done := make(chan error, 2)
	serve := func() {
		c, err := ln.Accept()
		if err == nil {
			err = c.(*tls.Conn).Handshake()
			_ = c.Close()
		}
		done <- err
	}
	go serve()
	c, err := tls.Dial("tcp", ln.Addr().String(), cert.ClientConfig())
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	_ = c.Close()
	if err := <-done; err != nil {
		t.Fatalf("server handshake: %v", err)
	}
	go serve()
	if _, err := tls.Dial("tcp", ln.Addr().String(), testcert.New(t).ClientConfig()); err == nil {
		t.Fatal("a client trusting another certificate connected")
	}
	<-done
}
