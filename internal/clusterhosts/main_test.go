package clusterhosts_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"go.uber.org/goleak"

	"github.com/rocketkit/rocketkit/internal/clienttest"
	"github.com/rocketkit/rocketkit/internal/netns"
)

// runEnv must be set for the suite to run (task cluster-hosts sets it).
const runEnv = "ROCKETKIT_CLUSTER_HOSTS"

// rocketkitBin is the rocketkit binary the hosts run, built once.
var rocketkitBin string

func TestMain(m *testing.M) {
	netns.DriverMain(drivers) // a driver process runs its driver and exits here
	if os.Getenv(runEnv) == "" {
		fmt.Printf("clusterhosts: not run: the multi-host suite runs alone, in `task cluster-hosts` (part of `task test`), "+
			"not among the packages of `go test ./...`; set %s=1 to run it here (root, ip netns)\n", runEnv)
		os.Exit(0)
	}
	os.Exit(run(m))
}

func run(m *testing.M) int {
	dir, err := os.MkdirTemp("", "rocketkit-clusterhosts-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "clusterhosts:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	rocketkitBin = filepath.Join(dir, "rocketkit")
	build := exec.Command("go", "build", "-o", rocketkitBin, "github.com/rocketkit/rocketkit/cmd/rocketkit")
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "clusterhosts: build rocketkit: %v\n%s", err, out)
		return 1
	}
	code := m.Run()
	if code == 0 {
		if err := goleak.Find(clienttest.GoleakOptions()...); err != nil {
			fmt.Fprintln(os.Stderr, "clusterhosts: goroutines outlived the tests:", err)
			code = 1
		}
	}
	return code
}
