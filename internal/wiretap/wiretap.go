// Package wiretap is a recording TCP proxy for golden-frame tests: clients
// dial the Tap, which forwards every byte to a broker and back, and keeps a
// decoded copy of each frame the clients send. Start the broker with the
// Tap's address as its advertised address, so that route answers send the
// clients' broker traffic through the Tap too.
package wiretap

import (
	"bufio"
	"errors"
	"io"
	"net"
	"sync"

	"github.com/rocketkit/rocketkit/protocol/remoting"
)

// Tap is a running proxy. It is safe for concurrent use.
type Tap struct {
	ln     net.Listener
	target string

	mu     sync.Mutex
	frames []*remoting.Command // client-sent frames, in arrival order; guarded by mu
	conns  map[net.Conn]bool   // guarded by mu
	closed bool                // guarded by mu

	wg sync.WaitGroup
}

// Listen opens the Tap's listener on a free loopback port; Forward then
// starts proxying to the broker.
func Listen() (*Tap, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	return &Tap{ln: ln, conns: make(map[net.Conn]bool)}, nil
}

// Addr is the address clients dial.
func (t *Tap) Addr() string { return t.ln.Addr().String() }

// Forward starts accepting clients and proxying them to target.
func (t *Tap) Forward(target string) {
	t.target = target
	t.wg.Go(t.accept)
}

func (t *Tap) accept() {
	for {
		c, err := t.ln.Accept()
		if err != nil {
			return
		}
		b, err := net.Dial("tcp", t.target)
		if err != nil {
			_ = c.Close()
			continue
		}
		if !t.track(c, b) {
			return
		}
		t.wg.Go(func() { t.record(c, b) })
		t.wg.Go(func() {
			_, _ = io.Copy(c, b)
			_ = c.Close()
		})
	}
}

func (t *Tap) track(conns ...net.Conn) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		for _, c := range conns {
			_ = c.Close()
		}
		return false
	}
	for _, c := range conns {
		t.conns[c] = true
	}
	return true
}

// record copies the client's bytes to the broker, decoding each frame.
func (t *Tap) record(c, b net.Conn) {
	defer b.Close()
	r := bufio.NewReaderSize(io.TeeReader(c, b), 64<<10)
	for {
		cmd, err := remoting.ReadCommand(r, 256<<20)
		if err != nil {
			if !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) {
				_, _ = io.Copy(b, c) // keep forwarding what cannot be decoded
			}
			return
		}
		t.mu.Lock()
		t.frames = append(t.frames, cmd)
		t.mu.Unlock()
	}
}

// Requests returns the requests clients sent with code, in order.
func (t *Tap) Requests(code int16) []*remoting.Command {
	t.mu.Lock()
	defer t.mu.Unlock()
	var out []*remoting.Command
	for _, f := range t.frames {
		if f.Code == code && !f.IsResponse() {
			out = append(out, f)
		}
	}
	return out
}

// Codes returns the request codes clients sent, each once.
func (t *Tap) Codes() map[int16]bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := map[int16]bool{}
	for _, f := range t.frames {
		if !f.IsResponse() {
			out[f.Code] = true
		}
	}
	return out
}

// Close stops the Tap and drops every connection.
func (t *Tap) Close() error {
	t.mu.Lock()
	t.closed = true
	for c := range t.conns {
		_ = c.Close()
	}
	t.mu.Unlock()
	err := t.ln.Close()
	t.wg.Wait()
	return err
}
