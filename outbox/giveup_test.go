package outbox_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rocketkit/rocketkit/broker/brokertest"
	"github.com/rocketkit/rocketkit/client"
	"github.com/rocketkit/rocketkit/outbox"
	"github.com/rocketkit/rocketkit/outbox/outboxtest"
)

// poisonSender wraps a sender and refuses every send that carries the
// message whose outbox key is poison; the others go to the broker. It
// logs every send ("ok" or "refused", then the messages' keys) in the
// order they end. Its holdTry-th refusal (1-based; 0: none) first waits
// until release is closed or the send's context ends.
type poisonSender struct {
	outbox.Sender
	poison  string
	holdTry int
	held    chan struct{} // closed when the held try waits
	release chan struct{}

	mu    sync.Mutex
	tries int      // sends of the poison refused
	log   []string // "ok k1 k2" or "refused k1", as sends end
}

var errPoisoned = errors.New("poisoned message refused")

func (s *poisonSender) Send(ctx context.Context, msg *client.Message, opts ...client.SendOption) (*client.SendResult, error) {
	return s.attempt(ctx, []*client.Message{msg}, func() (*client.SendResult, error) { return s.Sender.Send(ctx, msg, opts...) })
}

func (s *poisonSender) SendBatch(ctx context.Context, msgs []*client.Message, opts ...client.SendOption) (*client.SendResult, error) {
	return s.attempt(ctx, msgs, func() (*client.SendResult, error) { return s.Sender.SendBatch(ctx, msgs, opts...) })
}

func (s *poisonSender) attempt(ctx context.Context, msgs []*client.Message, send func() (*client.SendResult, error)) (*client.SendResult, error) {
	var keys []string
	for _, m := range msgs {
		keys = append(keys, m.Properties[outbox.KeyProperty])
	}
	if slices.Contains(keys, s.poison) {
		s.mu.Lock()
		s.tries++
		try := s.tries
		s.mu.Unlock()
		if try == s.holdTry {
			close(s.held)
			select {
			case <-s.release:
			case <-ctx.Done():
			}
		}
		s.record("refused", keys)
		return nil, fmt.Errorf("try %d: %w", try, errPoisoned)
	}
	res, err := send()
	if err == nil {
		s.record("ok", keys)
	}
	return res, err
}

func (s *poisonSender) record(what string, keys []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.log = append(s.log, what+" "+strings.Join(keys, " "))
}

func (s *poisonSender) snapshot() (int, []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tries, slices.Clone(s.log)
}

// A row whose send fails Relay.MaxFailures times is given up: after its
// third failed send (looked up by key before each retry, as any row
// whose outcome is unknown) it is marked failed (state 3, failures 3,
// last_error and sent_at recorded), never sent again, no longer counted
// in the backlog, and its lease is dropped. Until then it holds back the
// later rows of its sharding key: a claim made while its second send is
// held takes only a keyless row published with them. Once given up, its
// key's later rows go, in order.
func TestRelayGivesUpAfterMaxFailures(t *testing.T) {
	ctx := t.Context()
	db := outboxtest.Open(t)
	b := brokertest.Start(t)
	topic := uniqueTopic("ob_giveup")
	createTopic(t, b, topic)
	cfg := testConfig("outbox_giveup")
	cfg.Relay.MaxFailures = 3
	// Room for the held send: the test waits up to 30s (generous: the
	// other worker polls every 20ms) for the other worker's claim.
	cfg.Relay.SendTimeout = time.Minute
	cfg.Relay.Lease = 4 * time.Minute
	pub := migrateAndPublisher(t, db, cfg)
	if err := pub.Publish(ctx, db, outbox.Message{Destination: topic, Key: "poison", ShardingKey: "e", Payload: payload{Entity: "e", Seq: 1}}); err != nil {
		t.Fatal(err)
	}

	ps := &poisonSender{Sender: startProducer(t, b), poison: "poison", holdTry: 2,
		held: make(chan struct{}), release: make(chan struct{})}
	r, err := outbox.NewRelay(cfg, db.DB, ps, outboxtest.KeyLookup(t, b.Addr()))
	if err != nil {
		t.Fatal(err)
	}
	var published atomic.Bool
	laterClaim := make(chan int, 1) // rows of the first claim after the later rows were published
	outbox.SetTestHooks(r, outbox.TestHooks{AfterClaim: func(_ int64, rows int) {
		if published.Load() {
			select {
			case laterClaim <- rows:
			default:
			}
		}
	}})
	if err := r.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := r.Close(); err != nil {
			t.Errorf("close relay: %v", err)
		}
	})

	// While the poison's second send is held, the key's later rows and a
	// keyless one are published; the other worker's next claim may take
	// only the keyless one.
	select {
	case <-ps.held:
	case <-time.After(60 * time.Second):
		t.Fatal("the poison row was not sent a second time")
	}
	later := []outbox.Message{
		{Destination: topic, Key: "e-2", ShardingKey: "e", Payload: payload{Entity: "e", Seq: 2}},
		{Destination: topic, Key: "e-3", ShardingKey: "e", Payload: payload{Entity: "e", Seq: 3}},
		{Destination: topic, Key: "free", Payload: payload{Seq: 4}},
	}
	if err := pub.Publish(ctx, db, later...); err != nil {
		t.Fatal(err)
	}
	published.Store(true)
	select {
	case rows := <-laterClaim:
		if rows != 1 {
			t.Errorf("a claim while the poison row was unsettled took %d rows, want only the keyless one", rows)
		}
	case <-time.After(30 * time.Second):
		t.Error("no claim while the poison row's second send was held")
	}
	close(ps.release)

	waitBacklog(t, r, 60*time.Second)
	eventually(t, 30*time.Second, func() bool { return countRows(t, db.DB, "outbox_giveup_lease", "") == 0 },
		func() string { return fmt.Sprintf("%d leases left", countRows(t, db.DB, "outbox_giveup_lease", "")) })

	tries, log := ps.snapshot()
	t.Logf("sends, as they ended: %q", log)
	if tries != cfg.Relay.MaxFailures {
		t.Errorf("the poison row was sent %d times, want max-failures %d: %q", tries, cfg.Relay.MaxFailures, log)
	}
	lastRefused, firstE2, firstE3 := -1, -1, -1
	for i, l := range log {
		keys := strings.Fields(l)[1:]
		switch {
		case strings.HasPrefix(l, "refused "):
			lastRefused = i
		case slices.Contains(keys, "e-2") && firstE2 < 0:
			firstE2 = i
			if slices.Contains(keys, "e-3") && slices.Index(keys, "e-3") < slices.Index(keys, "e-2") {
				t.Errorf("e-3 before e-2 in one batch: %q", l)
			}
			if slices.Contains(keys, "e-3") {
				firstE3 = i
			}
		case slices.Contains(keys, "e-3") && firstE3 < 0:
			firstE3 = i
		}
	}
	if firstE2 < 0 || firstE3 < 0 || firstE2 < lastRefused || firstE3 < firstE2 {
		t.Errorf("sends %q: want e-2, then e-3, only after the poison's last refusal", log)
	}

	var state, failures int
	var lastErr string
	var setAside bool // sent_at set: when it was given up (pruned after the retention)
	if err := db.QueryRow("SELECT state, failures, last_error, sent_at > '1970-01-02' FROM outbox_giveup WHERE msg_key = 'poison'").
		Scan(&state, &failures, &lastErr, &setAside); err != nil {
		t.Fatal(err)
	}
	if state != 3 || failures != cfg.Relay.MaxFailures || !strings.Contains(lastErr, errPoisoned.Error()) || !setAside {
		t.Errorf("poison row: state %d, failures %d, last error %q, sent_at set %v; want 3 (failed), %d, the send error, set",
			state, failures, lastErr, setAside, cfg.Relay.MaxFailures)
	}
	if n := countRows(t, db.DB, "outbox_giveup", "state = 2 AND failures = 0 AND msg_key IN ('e-2', 'e-3', 'free')"); n != 3 {
		t.Errorf("%d of the later rows sent at the first try, want 3", n)
	}
	s := r.Stats()
	if s.Failed != int64(cfg.Relay.MaxFailures) || s.Sent != 3 || s.Found != 0 {
		t.Errorf("stats %+v: want %d failed sends, 3 sent, none found", s, cfg.Relay.MaxFailures)
	}
}
