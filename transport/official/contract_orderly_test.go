//go:build !race

package official_test

import (
	"testing"

	"github.com/rocketkit/rocketkit/transport/transporttest"
)

// TestOfficialOrderly runs the suite's orderly subtests. The official
// client's orderly consumer races by design (its consume loop reads queue
// state that its rebalance and lock renewal write without
// synchronisation), so this test is built only without the race detector;
// every other subtest runs in TestOfficial, with it.
func TestOfficialOrderly(t *testing.T) {
	transporttest.Run(t, newBackend, transporttest.OnlyOrderly())
}
