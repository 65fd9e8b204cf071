package memnet

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"
)

// ErrRefused is returned by Dial when nothing listens on the address.
var ErrRefused = errors.New("memnet: connection refused")

// Network is a set of in-memory listeners. The zero value is ready to use;
// it is safe for concurrent use.
type Network struct {
	mu        sync.Mutex
	listeners map[netip.AddrPort]*Listener // guarded by mu
	nextPort  uint16                       // guarded by mu
}

// Listen returns a listener on addr ("host:port"); port 0 picks a free
// port. Its signature matches net.Listen, for broker.WithListenFunc.
func (n *Network) Listen(network, addr string) (net.Listener, error) {
	ap, err := parseAddr(addr)
	if err != nil {
		return nil, fmt.Errorf("memnet: listen %s: %w", addr, err)
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.listeners == nil {
		n.listeners = make(map[netip.AddrPort]*Listener)
		n.nextPort = 10000
	}
	if ap.Port() == 0 {
		for {
			n.nextPort++
			ap = netip.AddrPortFrom(ap.Addr(), n.nextPort)
			if n.listeners[ap] == nil {
				break
			}
		}
	}
	if n.listeners[ap] != nil {
		return nil, fmt.Errorf("memnet: listen %s: address already in use", ap)
	}
	l := &Listener{n: n, addr: ap, conns: make(chan net.Conn), done: make(chan struct{})}
	n.listeners[ap] = l
	return l, nil
}

// Dial connects to the listener on addr. It fails with ErrRefused when none
// listens there, and with ctx's error when ctx ends before the listener
// accepts.
func (n *Network) Dial(ctx context.Context, network, addr string) (net.Conn, error) {
	ap, err := parseAddr(addr)
	if err != nil {
		return nil, fmt.Errorf("memnet: dial %s: %w", addr, err)
	}
	n.mu.Lock()
	l := n.listeners[ap]
	n.mu.Unlock()
	if l == nil {
		return nil, fmt.Errorf("memnet: dial %s: %w", addr, ErrRefused)
	}
	client, server := net.Pipe()
	local := netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), n.ephemeralPort())
	select {
	case l.conns <- &conn{Conn: server, local: ap, remote: local}:
		return &conn{Conn: client, local: local, remote: ap}, nil
	case <-l.done:
		return nil, fmt.Errorf("memnet: dial %s: %w", addr, ErrRefused)
	case <-ctx.Done():
		return nil, fmt.Errorf("memnet: dial %s: %w", addr, ctx.Err())
	}
}

func (n *Network) ephemeralPort() uint16 {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.nextPort++
	return n.nextPort
}

func parseAddr(addr string) (netip.AddrPort, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return netip.AddrPort{}, err
	}
	if host == "" || host == "localhost" || host == "0.0.0.0" {
		host = "127.0.0.1"
	}
	return netip.ParseAddrPort(net.JoinHostPort(host, port))
}

// Listener is a Network's net.Listener.
type Listener struct {
	n     *Network
	addr  netip.AddrPort
	conns chan net.Conn
	once  sync.Once
	done  chan struct{}
}

var _ net.Listener = (*Listener)(nil)

// Accept waits for the next Dial. After Close it returns an error wrapping
// net.ErrClosed.
func (l *Listener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, fmt.Errorf("memnet: accept on %s: %w", l.addr, net.ErrClosed)
	}
}

// Close stops accepting and frees the address. Accepted connections stay
// open.
func (l *Listener) Close() error {
	l.once.Do(func() {
		close(l.done)
		l.n.mu.Lock()
		delete(l.n.listeners, l.addr)
		l.n.mu.Unlock()
	})
	return nil
}

// Addr is the listener's address, as a *net.TCPAddr.
func (l *Listener) Addr() net.Addr { return net.TCPAddrFromAddrPort(l.addr) }

// conn is one end of a pipe with TCP-looking addresses.
type conn struct {
	net.Conn
	local, remote netip.AddrPort
}

func (c *conn) LocalAddr() net.Addr  { return net.TCPAddrFromAddrPort(c.local) }
func (c *conn) RemoteAddr() net.Addr { return net.TCPAddrFromAddrPort(c.remote) }
