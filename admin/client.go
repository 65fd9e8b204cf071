package admin

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync/atomic"
	"time"

	"github.com/rocketkit/rocketkit/protocol/remoting"
)

// Config configures a Client.
type Config struct {
	// NameServers are ip:port addresses (a "host:port;host:port" string can
	// be split with ParseNameServers).
	NameServers []string `koanf:"name-servers"`
	// Timeout bounds each request (dial, write, answer). Default 5s.
	Timeout time.Duration `koanf:"timeout"`
}

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
	opaque atomic.Int32
}

// New returns a client for the cluster behind cfg.NameServers.
func New(cfg Config) (*Client, error) {
	if len(cfg.NameServers) == 0 {
		return nil, ErrNoNameServer
	}
	for _, ns := range cfg.NameServers {
		if _, _, err := net.SplitHostPort(ns); err != nil {
			return nil, fmt.Errorf("admin: name server %q: %w", ns, err)
		}
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 5 * time.Second
	}
	return &Client{cfg: cfg}, nil
}

// invoke sends req to addr and returns the answer. Cancelling ctx aborts
// the call.
func (c *Client) invoke(ctx context.Context, addr string, req *remoting.Command) (*remoting.Command, error) {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr)
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
