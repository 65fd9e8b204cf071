package main

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"os"

	"github.com/rocketkit/rocketkit/admin"
	"github.com/rocketkit/rocketkit/client"
	"github.com/rocketkit/rocketkit/transport"
	"github.com/rocketkit/rocketkit/transport/official"
)

// Environment variables the connection flags fall back to (the starter
// reads the same names for rocketmq.access-key, secret-key and
// security-token).
const (
	envAccessKey     = "ROCKETMQ_ACCESS_KEY"
	envSecretKey     = "ROCKETMQ_SECRET_KEY"
	envSecurityToken = "ROCKETMQ_SECURITY_TOKEN"
)

// connFlags are the flags of every command that connects to a cluster
// (admin, bench): ACL credentials and TLS.
type connFlags struct {
	ak, sk, token    string
	tls, tlsInsecure bool
	tlsCA            string
}

// secretFlag is a string flag whose value never shows in -h (flag prints
// a default that differs from the zero value's String).
type secretFlag struct{ p *string }

func (s secretFlag) String() string { return "" }

func (s secretFlag) Set(v string) error { *s.p = v; return nil }

// define defines the flags on fs with c's values as defaults (admin
// parses its common flags twice: before and after the command's name).
func (c *connFlags) define(fs *flag.FlagSet) {
	c.defineCredentials(fs)
	fs.BoolVar(&c.tls, "tls", c.tls, "connect over TLS, verifying certificates against the system's roots")
	fs.StringVar(&c.tlsCA, "tls-ca", c.tlsCA, "PEM file of CA certificates to verify against instead (implies --tls; not with --client official)")
	fs.BoolVar(&c.tlsInsecure, "tls-insecure-skip-verify", c.tlsInsecure, "accept any certificate (implies --tls; the official client never verifies)")
}

// defineCredentials defines --ak, --sk and --security-token only.
func (c *connFlags) defineCredentials(fs *flag.FlagSet) {
	fs.StringVar(&c.ak, "ak", c.ak, "ACL access key (default $"+envAccessKey+")")
	fs.Var(secretFlag{&c.sk}, "sk", "ACL secret key (default $"+envSecretKey+"; prefer the environment: flags show in ps)")
	fs.Var(secretFlag{&c.token}, "security-token", "ACL security token of temporary credentials (default $"+envSecurityToken+")")
}

// credentials returns the flags' credentials, else the environment's.
func (c *connFlags) credentials() (client.Credentials, error) {
	cred := client.Credentials{AccessKey: c.ak, SecretKey: c.sk, SecurityToken: c.token}
	if cred.AccessKey == "" {
		cred.AccessKey = os.Getenv(envAccessKey)
	}
	if cred.SecretKey == "" {
		cred.SecretKey = os.Getenv(envSecretKey)
	}
	if cred.SecurityToken == "" {
		cred.SecurityToken = os.Getenv(envSecurityToken)
	}
	if (cred.AccessKey == "") != (cred.SecretKey == "") {
		return client.Credentials{}, errors.New("--ak and --sk (or $" + envAccessKey + " and $" + envSecretKey + ") go together")
	}
	return cred, nil
}

// tlsConfig returns the TLS configuration, nil without TLS.
func (c *connFlags) tlsConfig() (*tls.Config, error) {
	if !c.tls && c.tlsCA == "" && !c.tlsInsecure {
		return nil, nil
	}
	tc := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: c.tlsInsecure}
	if c.tlsCA != "" {
		pem, err := os.ReadFile(c.tlsCA)
		if err != nil {
			return nil, fmt.Errorf("--tls-ca: %w", err)
		}
		tc.RootCAs = x509.NewCertPool()
		if !tc.RootCAs.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("--tls-ca %s holds no PEM certificate", c.tlsCA)
		}
	}
	return tc, nil
}

// conn is what the connection flags resolve to.
type conn struct {
	cred client.Credentials
	tls  *tls.Config // nil: plain TCP
}

// resolve reads the credentials and the TLS files; an error is a usage
// error.
func (c *connFlags) resolve() (conn, error) {
	cred, err := c.credentials()
	if err != nil {
		return conn{}, err
	}
	tc, err := c.tlsConfig()
	if err != nil {
		return conn{}, err
	}
	return conn{cred: cred, tls: tc}, nil
}

// admin returns an admin client for nameServers.
func (c conn) admin(nameServers []string, cfg admin.Config) (*admin.Client, error) {
	cfg.NameServers, cfg.Credentials, cfg.TLS = nameServers, c.cred, c.tls != nil
	return admin.New(cfg, admin.WithTLSConfig(c.tls))
}

// backend makes the client bench and demo run on: the kit's own
// ("rocketkit") or the official Go client ("official"), which has no CA
// setting (it never verifies certificates).
func (c conn) backend(which string, cfg client.Config) (transport.Backend, error) {
	cfg.Credentials, cfg.TLS = c.cred, c.tls != nil
	if which == official.Name {
		if c.tls != nil && c.tls.RootCAs != nil {
			return nil, errors.New("--tls-ca: the official client does not verify certificates; use --client rocketkit, or --tls-insecure-skip-verify")
		}
		return official.New(cfg)
	}
	var opts []client.Option
	if c.tls != nil {
		opts = append(opts, client.WithTLSConfig(c.tls))
	}
	return transport.Native(cfg, opts...)
}
