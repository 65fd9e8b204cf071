package clusterhosts_test

import (
	"testing"
	"time"
)

// S16 without slaves: broker-a's master is SIGKILLed under load. The
// kit's producers keep succeeding through broker-b (the sends that failed
// while they switched are counted and reported); broker-a restarted on its
// store is used again; a new group then consumes, from the first offset,
// every message that was answered SEND_OK, before and after the crash.
func TestMasterKillAndRestart(t *testing.T) {
	c, topic := asyncMasters(t, "master-kill")
	l := c.startLoad("kit", kitClient, topic, 300)
	l.phase("steady")
	for _, b := range []string{"broker-a", "broker-b"} {
		l.wait("sending to "+b, waitFor{Count: 200, Broker: b, Timeout: 30 * time.Second})
	}

	l.phase("a-killed")
	c.kill("m1")
	// Switched: the latest 300 sends all succeeded, on broker-b.
	l.wait("sending through broker-b alone", waitFor{Count: 300, Broker: "broker-b", Streak: 300, Timeout: 30 * time.Second})

	l.phase("a-restarted")
	c.restartBroker("m1")
	c.t.Logf("%v: restarted broker-a on m1's store", c.since())
	l.wait("sending to broker-a again", waitFor{Count: 200, Broker: "broker-a", Timeout: 40 * time.Second})
	l.wait("sending to broker-b still", waitFor{Count: 200, Broker: "broker-b", Timeout: 30 * time.Second})

	recs := l.stop()
	got := c.consume("kit-after", kitClient, topic, acked(recs))
	c.report(map[string][]sendRecord{"kit": recs}, []consumed{got})

	// The switch: how many sends failed after the kill, for how long, and
	// how.
	failed, first, last := 0, time.Duration(-1), time.Duration(0)
	for _, r := range recs {
		if r.Phase != "a-killed" {
			continue
		}
		if first < 0 {
			first = r.At
		}
		if r.Status != statusOK {
			failed++
			last = r.At
		}
	}
	t.Logf("switch: %d sends failed, the last %v into the kill's phase; errors: %v",
		failed, max(last-first, 0).Round(time.Millisecond), errorsIn(recs, "a-killed"))
	for _, r := range recs {
		if r.Phase == "a-restarted" && r.Status != statusOK {
			t.Errorf("a send failed after broker-a was back: %+v", r)
			break
		}
	}
}
