// Package netns builds a small network of hosts on one Linux machine for
// tests that need real hosts: each host is a network namespace with its own
// address, all of them cabled to one switch, and processes run "on" a host
// through `ip netns exec`. Nothing is configured outside the namespaces a
// test creates; everything is removed when the test ends.
//
// # Topology
//
// New(t, "ns1", "m1", "client") makes, with a prefix unique to the run
// (rk<pid>-<n>-):
//
//   - a switch namespace holding the Linux bridge br0, without an address;
//   - a namespace per host whose eth0 has 10.231.0.N/24 (N is the host's
//     1-based position in New's list; Net.Addr returns it), cabled to the
//     bridge by a veth pair whose other end, port<N>, is a bridge port
//     inside the switch namespace;
//   - lo up in every namespace.
//
// The root namespace's interfaces, routes and addresses are never touched,
// and no other address is used: hosts reach each other and nothing else.
// Net.LinkDown(host) sets the host's switch port down, a cut cable: both
// sides' packets are silently dropped (no reset, no ICMP) until LinkUp.
//
// # Processes
//
// Net.Start runs a command on a host with its stdout and stderr in files
// under the test's temporary directory (their tails are logged when the
// test fails) and returns a Proc to Kill (SIGKILL), Stop (SIGTERM), Wait on,
// or watch for an output line (Proc.WaitOutput). Every process still
// running when the test ends is killed, and so is any a crashed test
// binary left behind (the kernel kills them with the test binary).
//
// # Running Go code on a host
//
// A test process cannot easily dial into a namespace, so test code that
// must act as a client (a producer, a consumer) runs as a driver: the test
// binary itself, re-executed on the host by Net.StartDriver, which runs a
// function registered in DriverMain instead of the tests. The test and the
// driver exchange JSON messages by kind over a pair of pipes (Conn):
// the driver's input, progress, commands, and its result.
//
//	func TestMain(m *testing.M) {
//		netns.DriverMain(map[string]netns.DriverFunc{"echo": echo})
//		os.Exit(m.Run())
//	}
//
//	func TestEcho(t *testing.T) {
//		n := netns.New(t, "server", "client")
//		d := n.StartDriver("client", "echo", "echo", n.Addr("server"))
//		var got string
//		if err := d.Result(t.Context(), &got); err != nil {
//			t.Fatal(err)
//		}
//	}
//
// # Stale state
//
// New first removes what an earlier run of a test binary using this
// package left when it crashed: namespaces named rk<pid>-… whose process
// no longer exists, after killing what still runs in them. Namespaces of
// live processes are left alone, so test binaries may run side by side.
//
// # Privileges
//
// The package needs root (CAP_SYS_ADMIN and CAP_NET_ADMIN) and iproute2's
// ip. Without them New fails the test when CI is set, and otherwise skips
// it, saying why.
package netns
