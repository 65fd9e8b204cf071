package netns

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

const (
	bridge  = "br0"  // the switch's bridge, in the switch namespace
	hostDev = "eth0" // a host's end of its cable, in the host's namespace
	maxHost = 250
)

// hostName is what a host may be called: it becomes part of namespace
// and file names.
var hostName = regexp.MustCompile(`^[a-z][a-z0-9]{0,15}$`)

// Net is a switch and the hosts cabled to it, made by New and removed when
// the test that made it ends. Its methods may be called from any
// goroutine; those that fail call t.Fatal, so call them from the test's
// goroutine unless they say otherwise.
type Net struct {
	t      testing.TB
	prefix string // rk<pid>-<n>-
	sw     string // the switch namespace
	dir    string // process logs
	hosts  map[string]*host
	order  []string

	mu    sync.Mutex
	procs []*Proc
	names map[string]int // log file names handed out
}

// host is one host of a Net.
type host struct {
	name string
	ns   string // namespace
	addr string // 10.231.0.N
	port string // its switch port, portN in the switch namespace
}

// nets numbers the Nets of this process, for unique prefixes.
var nets atomic.Int64

// New makes a switch and one host per name, cabled to it, as the package
// documentation describes, after removing what crashed runs left behind.
// Host names are 1 to 16 lower-case letters and digits, starting with a
// letter, each given once. Everything New makes is removed, and every
// process started on the hosts killed, when the test ends. Without the
// privileges to make namespaces New fails the test when the environment
// variable CI is set, and skips it otherwise.
func New(t testing.TB, hosts ...string) *Net {
	t.Helper()
	if len(hosts) == 0 || len(hosts) > maxHost {
		t.Fatalf("netns: New needs 1 to %d hosts, got %d", maxHost, len(hosts))
	}
	n := &Net{t: t, prefix: fmt.Sprintf("rk%d-%d-", os.Getpid(), nets.Add(1)),
		hosts: map[string]*host{}, names: map[string]int{}, dir: t.TempDir()}
	for i, name := range hosts {
		if !hostName.MatchString(name) {
			t.Fatalf("netns: host name %q: want 1 to 16 of [a-z0-9], starting with a letter", name)
		}
		if n.hosts[name] != nil {
			t.Fatalf("netns: host %q given twice", name)
		}
		n.hosts[name] = &host{name: name, ns: n.prefix + name, addr: fmt.Sprintf("10.231.0.%d", i+1),
			port: fmt.Sprintf("port%d", i+1)}
		n.order = append(n.order, name)
	}
	n.sw = n.prefix + "switch"
	requirePrivileges(t)
	if err := Sweep(); err != nil {
		t.Logf("netns: sweeping stale namespaces: %v", err)
	}
	t.Cleanup(n.cleanup)
	if err := n.build(); err != nil {
		t.Fatalf("netns: %v", err)
	}
	return n
}

// build makes the switch and the hosts.
func (n *Net) build() error {
	if err := ip("netns", "add", n.sw); err != nil {
		return err
	}
	steps := [][]string{
		{"-n", n.sw, "link", "set", "lo", "up"},
		{"-n", n.sw, "link", "add", bridge, "type", "bridge"},
		{"-n", n.sw, "link", "set", bridge, "up"},
	}
	for _, name := range n.order {
		h := n.hosts[name]
		if err := ip("netns", "add", h.ns); err != nil {
			return err
		}
		// Both ends are made inside their namespaces: nothing appears in
		// the root namespace, even for a moment.
		steps = append(steps,
			[]string{"-n", h.ns, "link", "set", "lo", "up"},
			[]string{"-n", h.ns, "link", "add", hostDev, "type", "veth", "peer", "name", h.port, "netns", n.sw},
			[]string{"-n", n.sw, "link", "set", h.port, "master", bridge},
			[]string{"-n", n.sw, "link", "set", h.port, "up"},
			[]string{"-n", h.ns, "addr", "add", h.addr + "/24", "dev", hostDev},
			[]string{"-n", h.ns, "link", "set", hostDev, "up"},
		)
	}
	for _, s := range steps {
		if err := ip(s...); err != nil {
			return err
		}
	}
	return nil
}

// Addr returns host's IPv4 address, such as "10.231.0.3".
func (n *Net) Addr(host string) string { return n.host(host).addr }

// Namespace returns the name of host's network namespace, for commands
// such as `ip netns exec NAME ...`.
func (n *Net) Namespace(host string) string { return n.host(host).ns }

func (n *Net) host(name string) *host {
	h := n.hosts[name]
	if h == nil {
		n.t.Fatalf("netns: no host %q (hosts: %s)", name, strings.Join(n.order, ", "))
	}
	return h
}

// LinkDown cuts host's cable: its switch port goes down, so every packet
// to or from the host is dropped silently (connections see no reset; the
// host's own interface loses its carrier, as with an unplugged cable).
func (n *Net) LinkDown(host string) {
	n.t.Helper()
	if err := ip("-n", n.sw, "link", "set", n.host(host).port, "down"); err != nil {
		n.t.Fatalf("netns: link down: %v", err)
	}
}

// LinkUp mends host's cable after LinkDown.
func (n *Net) LinkUp(host string) {
	n.t.Helper()
	if err := ip("-n", n.sw, "link", "set", n.host(host).port, "up"); err != nil {
		n.t.Fatalf("netns: link up: %v", err)
	}
}

// cleanup kills every process, logs the tails of their output when the
// test failed, and deletes the namespaces (which removes the cables and
// the bridge with them).
func (n *Net) cleanup() {
	n.mu.Lock()
	procs := append([]*Proc(nil), n.procs...)
	n.mu.Unlock()
	for _, p := range procs {
		if err := p.kill(10 * time.Second); err != nil {
			n.t.Errorf("netns: cleanup: %v", err)
		}
	}
	if n.t.Failed() {
		for _, p := range procs {
			p.logTails()
		}
	}
	for _, ns := range append(n.namespaces(), n.sw) {
		if err := removeNamespace(ns); err != nil {
			n.t.Errorf("netns: cleanup: %v", err)
		}
	}
}

func (n *Net) namespaces() []string {
	var out []string
	for _, name := range n.order {
		out = append(out, n.hosts[name].ns)
	}
	return out
}

// logName returns a file name stem for a process called name, unique in n.
func (n *Net) logName(host, name string) string {
	n.mu.Lock()
	defer n.mu.Unlock()
	stem := host + "-" + strings.Map(func(r rune) rune {
		if r == '/' || r == ' ' || r == os.PathSeparator {
			return '_'
		}
		return r
	}, name)
	n.names[stem]++
	if k := n.names[stem]; k > 1 {
		stem += "." + strconv.Itoa(k)
	}
	return stem
}

// removeNamespace kills what runs in ns and deletes it; a namespace that
// is already gone is not an error.
func removeNamespace(ns string) error {
	if _, err := os.Stat("/run/netns/" + ns); os.IsNotExist(err) {
		return nil
	}
	out, err := exec.Command("ip", "netns", "pids", ns).Output()
	if err == nil {
		for _, f := range strings.Fields(string(out)) {
			if pid, err := strconv.Atoi(f); err == nil && pid != os.Getpid() {
				_ = killPid(pid)
			}
		}
	}
	var last error
	for range 50 { // a process being killed may hold it a moment
		if last = ip("netns", "delete", ns); last == nil {
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return last
}

// staleName matches the namespaces this package makes: rk<pid>-<n>-<host>.
var staleName = regexp.MustCompile(`^rk([0-9]+)-[0-9]+-[a-z][a-z0-9]*$`)

// Sweep removes the namespaces of earlier test processes that no longer
// exist (a crashed or killed run), killing what still runs in them.
// New calls it; it leaves every other namespace alone.
func Sweep() error {
	entries, err := os.ReadDir("/run/netns")
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		return err
	}
	var errs []string
	for _, e := range entries {
		m := staleName.FindStringSubmatch(e.Name())
		if m == nil {
			continue
		}
		pid, err := strconv.Atoi(m[1])
		if err != nil || pid == os.Getpid() || processExists(pid) {
			continue
		}
		if err := removeNamespace(e.Name()); err != nil {
			errs = append(errs, err.Error())
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("%s", strings.Join(errs, "; "))
	}
	return nil
}

func processExists(pid int) bool {
	_, err := os.Stat("/proc/" + strconv.Itoa(pid))
	return err == nil
}

// ip runs the ip command, returning its output in the error.
func ip(args ...string) error {
	out, err := exec.Command("ip", args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("ip %s: %v: %s", strings.Join(args, " "), err, bytes.TrimSpace(out))
	}
	return nil
}

// privileges caches the outcome of the privilege probe.
var privileges = sync.OnceValue(probe)

// probe makes and deletes a namespace to see whether this process may.
func probe() error {
	if _, err := exec.LookPath("ip"); err != nil {
		return fmt.Errorf("iproute2's ip command is not installed (apt-get install -y iproute2): %w", err)
	}
	name := fmt.Sprintf("rk%d-0-probe", os.Getpid())
	if err := ip("netns", "add", name); err != nil {
		return err
	}
	return ip("netns", "delete", name)
}

// requirePrivileges fails (CI) or skips the test when this process cannot
// make network namespaces.
func requirePrivileges(t testing.TB) {
	t.Helper()
	err := privileges()
	if err == nil {
		return
	}
	msg := fmt.Sprintf("netns: this test needs network namespaces: run it as root with iproute2 (ip netns); %v", err)
	if os.Getenv("CI") != "" {
		t.Fatal(msg)
	}
	t.Skip(msg + " (CI is not set, so the test is skipped; with CI set it fails)")
}
