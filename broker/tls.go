package broker

import (
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"

	"github.com/rocketkit/rocketkit/protocol/remoting"
)

// TLS modes (Config.TLSMode), spelled as RocketMQ's tls.server.mode.
const (
	// TLSDisabled serves plain TCP only.
	TLSDisabled = "disabled"
	// TLSPermissive serves TLS and plain TCP on the same listener: a
	// connection whose first byte starts a TLS handshake record (0x16)
	// gets TLS, any other one plain TCP.
	TLSPermissive = "permissive"
	// TLSEnforcing serves TLS only. A plain client's first request is
	// answered SYSTEM_ERROR with a remark saying the broker requires TLS,
	// then the connection is closed.
	TLSEnforcing = "enforcing"
)

// tlsHandshakeByte is the content type of a TLS handshake record, the
// first byte a TLS client sends.
const tlsHandshakeByte = 0x16

// plainRefusedRemark is the remark a plain client of an enforcing broker
// reads in the answer to its first request.
const plainRefusedRemark = "this rocketkit broker requires TLS (tls.server.mode=enforcing): " +
	"enable TLS in the client (e.g. rocketmq.tls.enable / client.Config.TLS)"

// WithTLSConfig serves TLS with c (its certificates, client
// authentication, versions) instead of loading Config.TLSCertFile and
// TLSKeyFile. Config.TLSMode defaults to TLSEnforcing with it; TLSMode
// TLSDisabled ignores it. The broker does not modify c.
func WithTLSConfig(c *tls.Config) Option {
	return optionFunc(func(o *options) { o.tls = c })
}

// serverTLS returns the TLS configuration the listener serves, or nil when
// cfg.TLSMode is TLSDisabled.
func serverTLS(cfg Config, given *tls.Config) (*tls.Config, error) {
	if cfg.TLSMode == TLSDisabled {
		return nil, nil
	}
	if given != nil {
		return given, nil
	}
	if cfg.TLSCertFile == "" || cfg.TLSKeyFile == "" {
		return nil, fmt.Errorf("broker: tls-mode %s needs tls-cert-file and tls-key-file (tls.server.certPath, tls.server.keyPath)", cfg.TLSMode)
	}
	cert, err := tls.LoadX509KeyPair(cfg.TLSCertFile, cfg.TLSKeyFile)
	if err != nil {
		return nil, fmt.Errorf("broker: load TLS certificate %s and key %s: %w", cfg.TLSCertFile, cfg.TLSKeyFile, err)
	}
	return &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}, nil
}

// secure decides, from the connection's first byte, how it is served: TLS
// (after a handshake that must complete within FrameTimeout), plain, or
// refused (a plain client of an enforcing broker). It returns the conn to
// read frames from and write them to, or false when the connection is to
// be closed. Without TLS it returns the raw connection at once.
func (c *conn) secure() (net.Conn, bool) {
	if c.b.tls == nil {
		return c.raw, true
	}
	setReadDeadline(c.raw, c.b.cfg.IdleTimeout)
	pc := &prefixConn{Conn: c.raw}
	if _, err := io.ReadFull(c.raw, pc.first[:]); err != nil {
		c.b.log.Debug("connection closed before its first byte", "remote", c.remote.String(), "err", err)
		return nil, false
	}
	pc.pending = true
	if pc.first[0] == tlsHandshakeByte {
		setReadDeadline(c.raw, c.b.cfg.FrameTimeout)
		setWriteDeadline(c.raw, c.b.cfg.FrameTimeout)
		tc := tls.Server(pc, c.b.tls)
		if err := tc.Handshake(); err != nil {
			c.b.log.Warn("TLS handshake failed", "remote", c.remote.String(), "err", err)
			return nil, false
		}
		setWriteDeadline(c.raw, 0)
		return tc, true
	}
	if c.b.cfg.TLSMode == TLSPermissive {
		return pc, true
	}
	c.refusePlain(pc)
	return nil, false
}

// refusePlain answers the first request of a plain client of an enforcing
// broker with plainRefusedRemark, so the client's error says what is
// wrong, and logs the refusal. The caller closes the connection.
func (c *conn) refusePlain(pc *prefixConn) {
	c.b.log.Warn("plain-text connection refused: this broker requires TLS (tls-mode enforcing)",
		"remote", c.remote.String())
	fr := frameReader{nc: pc, frame: c.b.cfg.FrameTimeout, max: 64 << 10}
	defer fr.release()
	req, err := fr.next()
	if err != nil || req.IsResponse() || req.IsOneway() {
		return
	}
	setWriteDeadline(pc, c.b.cfg.FrameTimeout)
	_, _ = pc.Write(remoting.AppendFrame(nil, remoting.NewResponse(req, remoting.SystemError, plainRefusedRemark)))
}

// prefixConn is a net.Conn whose first byte was already read: Read returns
// it first.
type prefixConn struct {
	net.Conn
	first   [1]byte
	pending bool // first not yet returned; used by the reader goroutine only
}

func (p *prefixConn) Read(b []byte) (int, error) {
	if p.pending && len(b) > 0 {
		p.pending = false
		b[0] = p.first[0]
		return 1, nil
	}
	return p.Conn.Read(b)
}

// validTLSMode reports whether m is a TLSMode value.
func validTLSMode(m string) bool {
	return m == TLSDisabled || m == TLSPermissive || m == TLSEnforcing
}

// errTLSMode is Validate's complaint about a TLSMode value.
var errTLSMode = errors.New("must be disabled, permissive or enforcing")
