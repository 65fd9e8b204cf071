package memnet_test

import (
	"errors"
	"io"
	"net"
	"testing"
	"testing/synctest"
	"time"

	"go.uber.org/goleak"

	"github.com/rocketkit/rocketkit/internal/memnet"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestDialAcceptAndAddresses(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var n memnet.Network
		l, err := n.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		if _, err := n.Listen("tcp", l.Addr().String()); err == nil {
			t.Fatalf("a second Listen on %s succeeded", l.Addr())
		}
		accepted := make(chan net.Conn, 1)
		go func() {
			c, err := l.Accept()
			if err != nil {
				t.Error(err)
			}
			accepted <- c
		}()
		c, err := n.Dial(t.Context(), "tcp", l.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		s := <-accepted
		defer s.Close()
		if c.RemoteAddr().String() != l.Addr().String() || s.RemoteAddr().String() != c.LocalAddr().String() {
			t.Fatalf("addresses: client %v -> %v, server %v -> %v", c.LocalAddr(), c.RemoteAddr(), s.LocalAddr(), s.RemoteAddr())
		}
		go func() { _, _ = c.Write([]byte("ping")) }()
		buf := make([]byte, 4)
		if _, err := io.ReadFull(s, buf); err != nil || string(buf) != "ping" {
			t.Fatalf("read %q, %v", buf, err)
		}
		// A read deadline fires in virtual time.
		_ = s.SetReadDeadline(time.Now().Add(time.Hour))
		start := time.Now()
		var ne net.Error
		if _, err := s.Read(buf); !errors.As(err, &ne) || !ne.Timeout() || time.Since(start) != time.Hour {
			t.Fatalf("read with a deadline an hour away: %v after %v", err, time.Since(start))
		}
	})
}

func TestDialRefusedAndClosedListener(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var n memnet.Network
		if _, err := n.Dial(t.Context(), "tcp", "127.0.0.1:9876"); !errors.Is(err, memnet.ErrRefused) {
			t.Fatalf("dial with no listener: %v, want ErrRefused", err)
		}
		l, err := n.Listen("tcp", "127.0.0.1:9876")
		if err != nil {
			t.Fatal(err)
		}
		l.Close()
		if _, err := l.Accept(); !errors.Is(err, net.ErrClosed) {
			t.Fatalf("Accept after Close: %v, want net.ErrClosed", err)
		}
		if _, err := n.Dial(t.Context(), "tcp", "127.0.0.1:9876"); !errors.Is(err, memnet.ErrRefused) {
			t.Fatalf("dial a closed listener: %v, want ErrRefused", err)
		}
		if _, err := n.Listen("tcp", "127.0.0.1:9876"); err != nil {
			t.Fatalf("the address is not free after Close: %v", err)
		}
	})
}
