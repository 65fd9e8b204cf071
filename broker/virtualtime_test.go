package broker_test

// The broker's time-driven behaviours in virtual time: each test runs the
// broker in a testing/synctest bubble over an in-memory network, so a delay
// of seconds takes microseconds and the assertions are exact to the
// millisecond. Each one fails if its timing logic breaks (a level's delay,
// a delivery time, the check-back schedule).

import (
	"strconv"
	"testing"
	"testing/synctest"
	"time"

	"github.com/rocketkit/rocketkit/broker"
	"github.com/rocketkit/rocketkit/internal/memnet"
	"github.com/rocketkit/rocketkit/protocol/message"
	"github.com/rocketkit/rocketkit/protocol/remoting"
)

// startVirtual starts a broker with cfg on an in-memory network inside the
// calling bubble and returns a raw connection to it. Both close when the
// test ends.
func startVirtual(t *testing.T, cfg broker.Config) (*broker.Broker, *rawConn) {
	t.Helper()
	var n memnet.Network
	cfg.DataDir = t.TempDir()
	cfg.Listen = "127.0.0.1:0"
	if cfg.IdleTimeout == 0 {
		cfg.IdleTimeout = -1 // the raw connection sits idle through virtual hours
	}
	b, err := broker.Start(t.Context(), cfg, broker.WithListenFunc(n.Listen))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := b.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	nc, err := n.Dial(t.Context(), "tcp", b.Addr())
	if err != nil {
		t.Fatal(err)
	}
	return b, newRawConn(t, nc)
}

// sendAt sends body to queue 0 of topic with props and fails unless stored.
func sendAt(t *testing.T, c *rawConn, topic, props, body string) {
	t.Helper()
	resp := c.mustCall(t, remoting.SendMessage, sendFields(topic, "0", props), []byte(body))
	if resp.Code != remoting.Success {
		t.Fatalf("send: code %d (%s)", resp.Code, resp.Remark)
	}
}

// visible reports the bodies a pull of queue 0 of topic finds now, after
// every goroutine of the bubble has settled.
func visible(t *testing.T, c *rawConn, topic string) []string {
	t.Helper()
	synctest.Wait()
	resp := c.mustCall(t, remoting.PullMessage, pullFields("g_virtual", topic, 0, 0, 32, 0), nil)
	switch resp.Code {
	case remoting.PullNotFound:
		return nil
	case remoting.Success:
	default:
		t.Fatalf("pull %s: code %d (%s)", topic, resp.Code, resp.Remark)
	}
	var out []string
	for rest := resp.Body; len(rest) > 0; {
		m, n, err := message.Decode(rest, true)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, string(m.Body))
		rest = rest[n:]
	}
	return out
}

// expectVisibleAt sleeps (virtually) to just before due, checks that the
// message is not delivered yet, then to due, and checks that it is.
func expectVisibleAt(t *testing.T, c *rawConn, topic string, start time.Time, due time.Duration, body string) {
	t.Helper()
	time.Sleep(time.Until(start.Add(due - time.Millisecond)))
	if got := visible(t, c, topic); len(got) != 0 {
		t.Fatalf("at %v %s holds %q, want nothing before %v", time.Since(start), topic, got, due)
	}
	time.Sleep(time.Millisecond)
	if got := visible(t, c, topic); len(got) != 1 || got[0] != body {
		t.Fatalf("at %v %s holds %q, want [%q]", time.Since(start), topic, got, body)
	}
}

func TestDelayLevelVirtualTime(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b, c := startVirtual(t, broker.Config{MessageDelayLevel: "1s 5s 10s"})
		start := time.Now()
		sendAt(t, c, "delayed", message.SetProperty("", message.PropertyDelay, "2"), "level 2")
		sendAt(t, c, "delayed_far", message.SetProperty("", message.PropertyDelay, "9"), "level 9 = the last, 10s")
		if n := b.Stats().DelayedMessages; n != 2 {
			t.Fatalf("DelayedMessages = %d, want 2", n)
		}
		expectVisibleAt(t, c, "delayed", start, 5*time.Second, "level 2")
		expectVisibleAt(t, c, "delayed_far", start, 10*time.Second, "level 9 = the last, 10s")
		if n := b.Stats().DelayedMessages; n != 0 {
			t.Fatalf("DelayedMessages = %d after delivery, want 0", n)
		}
	})
}

func TestDeliverAtVirtualTime(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b, c := startVirtual(t, broker.Config{})
		start := time.Now()
		at := func(d time.Duration) string {
			return message.SetProperty("", message.PropertyTimerDeliverMS, strconv.FormatInt(start.Add(d).UnixMilli(), 10))
		}
		// Sent out of order: the later one first.
		sendAt(t, c, "timed_late", at(90*time.Minute), "in 90 minutes")
		sendAt(t, c, "timed", at(7*time.Second), "in 7 seconds")
		sendAt(t, c, "timed_now", at(-time.Second), "already due")
		if got := visible(t, c, "timed_now"); len(got) != 1 {
			t.Fatalf("a message due in the past is not stored at once: %q", got)
		}
		if n := b.Stats().TimedMessages; n != 2 {
			t.Fatalf("TimedMessages = %d, want 2", n)
		}
		expectVisibleAt(t, c, "timed", start, 7*time.Second, "in 7 seconds")
		expectVisibleAt(t, c, "timed_late", start, 90*time.Minute, "in 90 minutes")
	})
}

// TestRelativeTimerVirtualTime sends what RocketMQ 5 clients send for
// setDelayTimeSec / setDelayTimeMs: the delay counts from the broker's
// receipt, seconds before milliseconds as Java reads them.
func TestRelativeTimerVirtualTime(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b, c := startVirtual(t, broker.Config{})
		start := time.Now()
		sendAt(t, c, "timer_sec", message.SetProperty("", message.PropertyTimerDelaySec, "3"), "in 3 s")
		sendAt(t, c, "timer_ms", message.SetProperty("", message.PropertyTimerDelayMS, "1500"), "in 1.5 s")
		both := message.SetProperty(message.SetProperty("", message.PropertyTimerDelayMS, "1"), message.PropertyTimerDelaySec, "4")
		sendAt(t, c, "timer_both", both, "seconds win")
		sendAt(t, c, "timer_bad", message.SetProperty("", message.PropertyTimerDelaySec, "soon"), "unreadable: now")
		if got := visible(t, c, "timer_bad"); len(got) != 1 {
			t.Fatalf("an unreadable delay is not delivered at once: %q", got)
		}
		if n := b.Stats().TimedMessages; n != 3 {
			t.Fatalf("TimedMessages = %d, want 3", n)
		}
		expectVisibleAt(t, c, "timer_ms", start, 1500*time.Millisecond, "in 1.5 s")
		expectVisibleAt(t, c, "timer_sec", start, 3*time.Second, "in 3 s")
		expectVisibleAt(t, c, "timer_both", start, 4*time.Second, "seconds win")
	})
}

func TestCheckBackVirtualTime(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cfg := broker.Config{TransactionTimeout: 6 * time.Second, TransactionCheckInterval: 10 * time.Second,
			TransactionCheckMax: 3, ChannelExpiredTimeout: time.Hour}
		b, c := startVirtual(t, cfg)
		start := time.Now()
		props := message.SetProperty("", message.PropertyTransactionPrepared, "true")
		props = message.SetProperty(props, message.PropertyProducerGroup, "pg_raw")
		sendAt(t, c, "tx", props, "half")

		// The first check once the half message is TransactionTimeout old,
		// then one every TransactionCheckInterval, TransactionCheckMax in all.
		for _, want := range []time.Duration{6 * time.Second, 16 * time.Second, 26 * time.Second} {
			req := c.nextRequest(t, time.Minute)
			if req.Code != remoting.CheckTransactionState {
				t.Fatalf("got request %s, want CHECK_TRANSACTION_STATE", remoting.RequestName(req.Code))
			}
			if got := time.Since(start); got != want {
				t.Fatalf("check-back at %v, want at %v", got, want)
			}
		}
		// Unanswered after the last check: discarded one interval later.
		time.Sleep(time.Until(start.Add(36*time.Second - time.Millisecond)))
		synctest.Wait()
		if s := b.Stats(); s.DiscardedTransactions != 0 || s.PendingTransactions["tx"] != 1 {
			t.Fatalf("before 36s: discarded %d, pending %v; want 0 and 1", s.DiscardedTransactions, s.PendingTransactions)
		}
		time.Sleep(time.Millisecond)
		synctest.Wait()
		if s := b.Stats(); s.DiscardedTransactions != 1 || s.PendingTransactions["tx"] != 0 || s.TransactionChecks != 3 {
			t.Fatalf("at 36s: discarded %d, pending %v, checks %d; want 1, 0, 3",
				s.DiscardedTransactions, s.PendingTransactions, s.TransactionChecks)
		}
		if got := visible(t, c, "tx"); len(got) != 0 {
			t.Fatalf("a discarded half message became visible: %q", got)
		}
	})
}

// TestCheckImmunityVirtualTime: a half message sent with
// CHECK_IMMUNITY_TIME_IN_SECONDS longer than TransactionTimeout is first
// checked when that immunity ends, then every TransactionCheckInterval.
func TestCheckImmunityVirtualTime(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cfg := broker.Config{TransactionTimeout: 6 * time.Second, TransactionCheckInterval: 10 * time.Second,
			TransactionCheckMax: 3, ChannelExpiredTimeout: time.Hour}
		_, c := startVirtual(t, cfg)
		start := time.Now()
		props := message.SetProperty("", message.PropertyTransactionPrepared, "true")
		props = message.SetProperty(props, message.PropertyProducerGroup, "pg_raw")
		props = message.SetProperty(props, message.PropertyCheckImmunitySeconds, "20")
		sendAt(t, c, "tx_immune", props, "half")
		for _, want := range []time.Duration{20 * time.Second, 30 * time.Second} {
			req := c.nextRequest(t, time.Minute)
			if req.Code != remoting.CheckTransactionState {
				t.Fatalf("got request %s, want CHECK_TRANSACTION_STATE", remoting.RequestName(req.Code))
			}
			if got := time.Since(start); got != want {
				t.Fatalf("check-back at %v, want at %v (immunity 20s, timeout 6s)", got, want)
			}
		}
	})
}
