package admin

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync/atomic"
	"time"

	"github.com/rocketkit/rocketkit/protocol/aclsign"
	"github.com/rocketkit/rocketkit/protocol/remoting"
)

// Config configures a Client.
type Config struct {
	// NameServers are ip:port addresses (a "host:port;host:port" string can
	// be split with ParseNameServers).
	NameServers []string `koanf:"name-servers"`
	// Timeout bounds each request (dial, write, answer). Default 5s.
	Timeout time.Duration `koanf:"timeout"`
	// Credentials sign every request (ACL 1.0) when AccessKey is set, as
	// client.Config.Credentials does (the same type). A cluster with ACL
	// refuses unsigned requests other than route and cluster queries.
	Credentials Credentials `koanf:"credentials"`
	// TLS dials name servers and brokers over TLS. WithTLSConfig sets the
	// tls.Config; the default verifies against the system roots.
	TLS bool `koanf:"tls"`
}

// Credentials are an ACL access key pair; client.Credentials is the same
// type.
type Credentials = aclsign.Credentials

// An Option injects what only code can provide.
type Option interface{ apply(*Client) }

type optionFunc func(*Client)

func (f optionFunc) apply(c *Client) { f(c) }

// WithTLSConfig sets the TLS configuration used when Config.TLS is set
// (a CA to trust, a client certificate). The server name defaults to
// the host of the address dialled.
func WithTLSConfig(tc *tls.Config) Option { return optionFunc(func(c *Client) { c.tls = tc }) }

// ParseNameServers splits RocketMQ's "a:9876;b:9876" notation.
func ParseNameServers(s string) []string {
	var out []string
	for _, part := range strings.Split(s, ";") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, strings.TrimPrefix(part, "http://"))
		}
	}
	return out
}

// Client sends administration requests. It is safe for concurrent use.
type Client struct {
	cfg    Config
	tls    *tls.Config // nil: plain TCP
	opaque atomic.Int32
}

// New returns a client for the cluster behind cfg.NameServers.
func New(cfg Config, opts ...Option) (*Client, error) {
	if len(cfg.NameServers) == 0 {
		return nil, ErrNoNameServer
	}
	for _, ns := range cfg.NameServers {
		if _, _, err := net.SplitHostPort(ns); err != nil {
			return nil, fmt.Errorf("admin: name server %q: %w", ns, err)
		}
	}
	if (cfg.Credentials.AccessKey == "") != (cfg.Credentials.SecretKey == "") {
		return nil, errors.New("admin: credentials need both an access key and a secret key")
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 5 * time.Second
	}
	c := &Client{cfg: cfg}
	for _, o := range opts {
		o.apply(c)
	}
	switch {
	case !cfg.TLS:
		c.tls = nil
	case c.tls == nil:
		c.tls = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	return c, nil
}

// invoke sends req to addr and returns the answer. Cancelling ctx aborts
// the call.
func (c *Client) invoke(ctx context.Context, addr string, req *remoting.Command) (*remoting.Command, error) {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	var conn net.Conn
	var err error
	if c.tls != nil {
		conn, err = (&tls.Dialer{Config: c.tls}).DialContext(ctx, "tcp", addr)
	} else {
		conn, err = (&net.Dialer{}).DialContext(ctx, "tcp", addr)
	}
	if err != nil {
		return nil, fmt.Errorf("admin: %s to %s: %w", remoting.RequestName(req.Code), addr, &DialError{Addr: addr, Err: err})
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	if deadline, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(deadline)
	}
	req.Opaque = c.opaque.Add(1)
	if !c.cfg.Credentials.IsZero() {
		c.cfg.Credentials.Sign(req)
	}
	if _, err := conn.Write(remoting.AppendFrame(nil, req)); err != nil {
		return nil, fmt.Errorf("admin: %s to %s: %w", remoting.RequestName(req.Code), addr, errors.Join(err, ctx.Err()))
	}
	r := bufio.NewReaderSize(conn, 64<<10)
	for {
		resp, err := remoting.ReadCommand(r, 0)
		if err != nil {
			return nil, fmt.Errorf("admin: %s to %s: %w", remoting.RequestName(req.Code), addr, errors.Join(err, ctx.Err()))
		}
		if resp.IsResponse() && resp.Opaque == req.Opaque {
			return resp, nil
		}
	}
}

// invokeNameServer tries each name server in turn.
func (c *Client) invokeNameServer(ctx context.Context, req func() *remoting.Command) (*remoting.Command, error) {
	var errs []error
	for _, ns := range c.cfg.NameServers {
		resp, err := c.invoke(ctx, ns, req())
		if err == nil {
			return resp, nil
		}
		errs = append(errs, err)
		if ctx.Err() != nil {
			break
		}
	}
	return nil, errors.Join(errs...)
}

// check turns a non-success answer into an error.
func check(resp *remoting.Command) error {
	if resp.Code == remoting.Success {
		return nil
	}
	return remoting.ErrorForCode(resp.Code, resp.Remark)
}
