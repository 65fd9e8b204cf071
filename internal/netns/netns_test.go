package netns_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/rocketkit/rocketkit/internal/netns"
)

func TestMain(m *testing.M) {
	netns.DriverMain(map[string]netns.DriverFunc{
		"whoami": whoami,
		"listen": listen,
		"dial":   dial,
		"fail": func(context.Context, *netns.Conn) (any, error) {
			return nil, errors.New("boom")
		},
	})
	goleak.VerifyTestMain(m)
}

// whoami returns the host's non-loopback addresses.
func whoami(context.Context, *netns.Conn) (any, error) {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return nil, err
	}
	var out []string
	for _, a := range addrs {
		if ipn, ok := a.(*net.IPNet); ok && !ipn.IP.IsLoopback() && ipn.IP.To4() != nil {
			out = append(out, ipn.IP.String())
		}
	}
	return out, nil
}

// listen serves an echo of one line per connection on its input address,
// says "listening", and returns how many connections it served when the
// test ends it.
func listen(ctx context.Context, c *netns.Conn) (any, error) {
	var addr string
	if err := c.Recv(ctx, "input", &addr); err != nil {
		return nil, err
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	go func() {
		<-ctx.Done()
		l.Close()
	}()
	if err := c.Send("listening", l.Addr().String()); err != nil {
		return nil, err
	}
	served := 0
	for {
		nc, err := l.Accept()
		if err != nil {
			return served, nil
		}
		served++
		line, _ := bufio.NewReader(nc).ReadString('\n')
		_, _ = nc.Write([]byte(line))
		nc.Close()
	}
}

// dial answers each "dial" message (an address) with a "dialed" message:
// "" when a line went there and back within a second, else the error.
func dial(ctx context.Context, c *netns.Conn) (any, error) {
	_ = c.Recv(ctx, "input", nil)
	n := 0
	for {
		var addr string
		if err := c.Recv(ctx, "dial", &addr); err != nil {
			return n, nil
		}
		n++
		if err := c.Send("dialed", echo(addr)); err != nil {
			return nil, err
		}
	}
}

func echo(addr string) string {
	nc, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return err.Error()
	}
	defer nc.Close()
	_ = nc.SetDeadline(time.Now().Add(time.Second))
	if _, err := nc.Write([]byte("hello\n")); err != nil {
		return err.Error()
	}
	line, err := bufio.NewReader(nc).ReadString('\n')
	if err != nil {
		return err.Error()
	}
	if line != "hello\n" {
		return fmt.Sprintf("echoed %q", line)
	}
	return ""
}

func dialOnce(t *testing.T, d *netns.Driver, addr string) string {
	t.Helper()
	if err := d.Send("dial", addr); err != nil {
		t.Fatal(err)
	}
	var got string
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	if err := d.Recv(ctx, "dialed", &got); err != nil {
		t.Fatal(err)
	}
	return got
}

// rootState is what the tests must leave untouched in the root
// namespace: its interfaces and addresses.
func rootState(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("ip", "-o", "addr").Output()
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

func TestHostsReachEachOtherUntilTheLinkIsDown(t *testing.T) {
	before := ""
	t.Run("net", func(t *testing.T) {
		n := netns.New(t, "server", "client")
		before = rootState(t) // after New's privilege check
		if got := n.Addr("server"); got != "10.231.0.1" {
			t.Fatalf("server address %s, want 10.231.0.1", got)
		}
		var addrs []string
		if err := n.StartDriver("client", "whoami", "whoami", nil).Result(t.Context(), &addrs); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(addrs, []string{n.Addr("client")}) {
			t.Fatalf("client's addresses %v, want [%s] alone", addrs, n.Addr("client"))
		}
		if strings.Contains(rootState(t), "10.231.") {
			t.Fatalf("the root namespace has a host address:\n%s", rootState(t))
		}

		srv := n.StartDriver("server", "listen", "listen", n.Addr("server")+":7000")
		if err := srv.Recv(t.Context(), "listening", nil); err != nil {
			t.Fatal(err)
		}
		cl := n.StartDriver("client", "dial", "dial", nil)
		addr := n.Addr("server") + ":7000"
		if got := dialOnce(t, cl, addr); got != "" {
			t.Fatalf("client to server: %s", got)
		}
		n.LinkDown("server")
		if got := dialOnce(t, cl, addr); !strings.Contains(got, "timeout") {
			t.Fatalf("with the server's link down: %q, want a timeout (packets dropped silently)", got)
		}
		n.LinkUp("server")
		if got := dialOnce(t, cl, addr); got != "" {
			t.Fatalf("after the link came back: %s", got)
		}
		// Loopback works inside a host.
		if got := dialOnce(t, cl, "127.0.0.1:1"); !strings.Contains(got, "refused") {
			t.Fatalf("client's loopback: %q, want connection refused", got)
		}
		if err := cl.Close(); err != nil { // ends the driver's ctx
			t.Fatal(err)
		}
		var dials int
		if err := cl.Result(t.Context(), &dials); err != nil || dials != 4 {
			t.Fatalf("dial driver: %d dials, %v", dials, err)
		}
	})
	if after := rootState(t); after != before {
		t.Fatalf("the root namespace changed:\nbefore:\n%s\nafter:\n%s", before, after)
	}
}

func TestCleanupRemovesNamespacesAndProcesses(t *testing.T) {
	var namespaces []string
	var pid int
	t.Run("net", func(t *testing.T) {
		n := netns.New(t, "x", "y")
		namespaces = []string{n.Namespace("x"), n.Namespace("y")}
		pid = n.Start("x", "sleep", []string{"sleep", "600"}, nil).Pid()
		for _, ns := range namespaces {
			if _, err := os.Stat("/run/netns/" + ns); err != nil {
				t.Fatal(err)
			}
		}
	})
	for _, ns := range namespaces {
		if _, err := os.Stat("/run/netns/" + ns); !os.IsNotExist(err) {
			t.Errorf("namespace %s is still there (%v)", ns, err)
		}
	}
	if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
		t.Errorf("process %d still exists (%v)", pid, err)
	}
	out, err := exec.Command("ip", "netns", "list").Output()
	if err != nil {
		t.Fatal(err)
	}
	if prefix := strings.TrimSuffix(namespaces[0], "x"); strings.Contains(string(out), prefix) {
		t.Errorf("namespaces of prefix %s left:\n%s", prefix, out)
	}
}

func TestProcKillStopWaitOutput(t *testing.T) {
	n := netns.New(t, "h")
	p := n.Start("h", "sleep", []string{"sleep", "600"}, nil)
	p.Kill()
	if !signalled(p.Wait(), syscall.SIGKILL) {
		t.Fatalf("killed: %v", p.Wait())
	}
	p.Kill() // an exited process is left alone

	p = n.Start("h", "sh", []string{"sh", "-c", "echo \"ready $WHO\"; exec sleep 600"}, []string{"WHO=me"})
	if line := p.WaitOutput("ready", 10*time.Second); line != "ready me" {
		t.Fatalf("line %q", line)
	}
	if err := p.Stop(10 * time.Second); !signalled(err, syscall.SIGTERM) {
		t.Fatalf("stopped: %v", err)
	}

	p = n.Start("h", "sh", []string{"sh", "-c", "echo oops >&2; exit 3"}, nil)
	var exit *exec.ExitError
	if err := p.Wait(); !errors.As(err, &exit) || exit.ExitCode() != 3 {
		t.Fatalf("exit: %v", err)
	}
	if data, err := os.ReadFile(p.Stderr()); err != nil || !strings.Contains(string(data), "oops") {
		t.Fatalf("stderr %q, %v", data, err)
	}
}

func signalled(err error, sig syscall.Signal) bool {
	var exit *exec.ExitError
	if !errors.As(err, &exit) {
		return false
	}
	ws, ok := exit.Sys().(syscall.WaitStatus)
	return ok && ws.Signaled() && ws.Signal() == sig
}

func TestDriverError(t *testing.T) {
	n := netns.New(t, "h")
	err := n.StartDriver("h", "fail", "fail", nil).Result(t.Context(), nil)
	if err == nil || !strings.Contains(err.Error(), "boom") {
		t.Fatalf("err %v, want the driver's boom", err)
	}
	err = n.StartDriver("h", "nosuch", "nosuch", nil).Result(t.Context(), nil)
	if err == nil || !strings.Contains(err.Error(), `no driver "nosuch"`) {
		t.Fatalf("err %v, want no driver", err)
	}
}

func TestSweepRemovesNamespacesOfDeadProcesses(t *testing.T) {
	netns.New(t, "h") // the privilege check
	gone := exec.Command("true")
	if err := gone.Run(); err != nil {
		t.Fatal(err)
	}
	stale := fmt.Sprintf("rk%d-1-h", gone.Process.Pid)
	live := fmt.Sprintf("rk%d-999-h", os.Getpid())
	for _, ns := range []string{stale, live} {
		if out, err := exec.Command("ip", "netns", "add", ns).CombinedOutput(); err != nil {
			t.Fatalf("%v: %s", err, out)
		}
	}
	t.Cleanup(func() { _ = exec.Command("ip", "netns", "delete", live).Run() })
	if err := netns.Sweep(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat("/run/netns/" + stale); !os.IsNotExist(err) {
		t.Errorf("stale namespace %s not swept (%v)", stale, err)
	}
	if _, err := os.Stat("/run/netns/" + live); err != nil {
		t.Errorf("this process's namespace %s was swept: %v", live, err)
	}
}
