package netns_test

import (
	"os"
	"testing"

	"github.com/rocketkit/rocketkit/internal/netns"
)

// A test binary whose TestMain registers a driver, and a test that runs
// it on a host (the package documentation's code; TestHostsReachEachOther
// UntilTheLinkIsDown runs the same). echo stands for any DriverFunc.
func Example() {
	echo := whoami
	_ = func(m *testing.M) {
		netns.DriverMain(map[string]netns.DriverFunc{"echo": echo})
		os.Exit(m.Run())
	}
	_ = func(t *testing.T) {
		n := netns.New(t, "server", "client")
		d := n.StartDriver("client", "echo", "echo", n.Addr("server"))
		var got string
		if err := d.Result(t.Context(), &got); err != nil {
			t.Fatal(err)
		}
	}
}
