package rpc_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"math/big"
	"net"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/rocketkit/rocketkit/client/internal/rpc"
)

// tcpServer listens on a loopback port and runs serve for each accepted
// connection until the test ends.
func tcpServer(t *testing.T, tlsConfig *tls.Config, serve func(p *peer)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if tlsConfig != nil {
		ln = tls.NewListener(ln, tlsConfig)
	}
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		conns []net.Conn
	)
	wg.Go(func() {
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, nc)
			mu.Unlock()
			wg.Go(func() { serve(newPeer(nc)) })
		}
	})
	t.Cleanup(func() {
		_ = ln.Close()
		mu.Lock()
		for _, nc := range conns {
			_ = nc.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	return ln.Addr().String()
}

// TestConnTCP runs pipelined calls, with out-of-order answers and bodies on
// both sides of the copy limit, over real loopback TCP, where a batch with
// large bodies goes out in one writev.
func TestConnTCP(t *testing.T) {
	t.Run("out of order", func(t *testing.T) {
		const calls = 500
		addr := tcpServer(t, nil, func(p *peer) { answerReversed(p, calls) })
		c, err := rpc.Dial(t.Context(), addr, rpc.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
		defer cancel()
		var wg sync.WaitGroup
		for i := range calls {
			wg.Go(func() {
				if err := checkCall(ctx, c, request(i), strconv.Itoa(i)); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
	})
	t.Run("large bodies", func(t *testing.T) {
		addr := tcpServer(t, nil, serveBodies)
		c, err := rpc.Dial(t.Context(), addr, rpc.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
		defer cancel()
		var wg sync.WaitGroup
		for round := range 4 {
			for i, size := range bodySizes {
				wg.Go(func() {
					if err := callBody(ctx, c, round*len(bodySizes)+i, size); err != nil {
						t.Error(err)
					}
				})
			}
		}
		wg.Wait()
	})
}

// TestConnTLS dials a TLS server: the handshake uses Options.TLS with the
// server name taken from the address.
func TestConnTLS(t *testing.T) {
	cert, pool := selfSigned(t)
	addr := tcpServer(t, &tls.Config{Certificates: []tls.Certificate{cert}}, serveBodies)
	c, err := rpc.Dial(t.Context(), addr, rpc.Options{TLS: &tls.Config{RootCAs: pool}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	for i, size := range []int{0, 10, 100 << 10} {
		if err := callBody(ctx, c, i, size); err != nil {
			t.Error(err)
		}
	}

	// A client that does not trust the certificate fails the handshake.
	if _, err := rpc.Dial(t.Context(), addr, rpc.Options{TLS: &tls.Config{}}); err == nil {
		t.Error("Dial trusted an unknown certificate")
	}
}

// selfSigned returns a certificate for 127.0.0.1 and a pool trusting it.
func selfSigned(t *testing.T) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool
}
