// Package testcert makes a self-signed TLS certificate for tests: valid
// for 127.0.0.1, ::1 and localhost for a day, its own root, written as PEM
// files into the test's temporary directory.
//
//	cert := testcert.New(t)
//	b := brokertest.Start(t, brokertest.WithTLS(cert.CertFile, cert.KeyFile))
//	c, err := client.New(client.Config{NameServers: []string{b.Addr()}, TLS: true},
//		client.WithTLSConfig(cert.ClientConfig()))
package testcert

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// Cert is a self-signed certificate and its key.
type Cert struct {
	// CertFile and KeyFile are the PEM files (certificate; PKCS#8 key).
	CertFile, KeyFile string
	// CertPEM and KeyPEM are their contents.
	CertPEM, KeyPEM []byte
	// Pool holds the certificate as the only root.
	Pool *x509.CertPool
}

// New makes a certificate and writes its files into tb.TempDir(). It
// fails the test on error.
func New(tb testing.TB) *Cert {
	tb.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		tb.Fatalf("testcert: key: %v", err)
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(now.UnixNano()),
		Subject:               pkix.Name{CommonName: "rocketkit test", Organization: []string{"rocketkit"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
		DNSNames:              []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		tb.Fatalf("testcert: certificate: %v", err)
	}
	parsed, err := x509.ParseCertificate(der)
	if err != nil {
		tb.Fatalf("testcert: parse: %v", err)
	}
	pkcs8, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		tb.Fatalf("testcert: marshal key: %v", err)
	}
	c := &Cert{
		CertPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		KeyPEM:  pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8}),
		Pool:    x509.NewCertPool(),
	}
	c.Pool.AddCert(parsed)
	dir := tb.TempDir()
	c.CertFile, c.KeyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(c.CertFile, c.CertPEM, 0o600); err != nil {
		tb.Fatalf("testcert: %v", err)
	}
	if err := os.WriteFile(c.KeyFile, c.KeyPEM, 0o600); err != nil {
		tb.Fatalf("testcert: %v", err)
	}
	return c
}

// ServerConfig serves the certificate.
func (c *Cert) ServerConfig() *tls.Config {
	pair, err := tls.X509KeyPair(c.CertPEM, c.KeyPEM)
	if err != nil {
		panic("testcert: " + err.Error()) // unreachable: New made the pair
	}
	return &tls.Config{Certificates: []tls.Certificate{pair}, MinVersion: tls.VersionTLS12}
}

// ClientConfig trusts the certificate only (and verifies it).
func (c *Cert) ClientConfig() *tls.Config {
	return &tls.Config{RootCAs: c.Pool, MinVersion: tls.VersionTLS12}
}
