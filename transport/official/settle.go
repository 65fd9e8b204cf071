package official

import (
	"context"
	"time"
)

// The official client reads a "closed" flag in every RPC that its
// Shutdown writes without synchronisation, so a Shutdown overlapping an RPC
// of the same client object (a rebalance the broker triggered, a pull, an
// offset commit, a send-back after a handler returned, a check answer) is
// a data race inside the client. The backend therefore settles before it
// shuts a client object down, the way the starter and the kit's tests
// always have (starter/container.go, internal/clienttest.Consumer):
//
//   - a consumer runs for settleAfterStart first (the client's first timers
//     fire within it: heartbeat, route refresh, orderly lock);
//   - then, with WithQuietWait (an embedded broker), until the broker has
//     received no request for quietTime: an event no slow machine can
//     outrun, which also orders every RPC the broker saw before the
//     Shutdown for the race detector (broker.Broker.WaitQuiet);
//   - and always until quietTime has passed since the object's last
//     activity (the consumer suspended or its last handler returned, the
//     last check answered): on a remote cluster, long enough for a
//     rebalance or a send-back already running to finish.
//
// Without the race detector an overlap is a harmless read of a bool; the
// waits are what makes Close race-free for applications testing with
// -race, and they are the same in every build.
const (
	settleAfterStart = time.Second
	quietTime        = 300 * time.Millisecond
	quietWaitMax     = 15 * time.Second
)

// settle waits as described above: until started+settleAfterStart (when
// started is set), for the broker to go quiet (with WithQuietWait), and
// until last+quietTime.
func (b *backend) settle(last, started time.Time) {
	if !started.IsZero() {
		time.Sleep(time.Until(started.Add(settleAfterStart)))
	}
	if b.opts.quietWait != nil {
		ctx, cancel := context.WithTimeout(context.Background(), quietWaitMax)
		_ = b.opts.quietWait(ctx, quietTime) // on timeout, shut down all the same
		cancel()
	}
	time.Sleep(time.Until(last.Add(quietTime)))
}
