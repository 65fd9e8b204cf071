package starter_test

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"github.com/rocketkit/rocketkit/listener"
	"github.com/rocketkit/rocketkit/outbox"
	"github.com/rocketkit/rocketkit/outbox/outboxtest"
	"github.com/rocketkit/rocketkit/starter"
	"github.com/rocketkit/rocketkit/starter/startertest"
	"go.uber.org/fx"
)

type ACLOutboxListener struct {
	listener.Concurrent `topic:"acl-outbox"`
	in                  *inbox
}

func (l *ACLOutboxListener) Handle(_ context.Context, m *listener.Message) error {
	l.in.add(m)
	return nil
}

// The outbox relay's key lookup signs with the app's credentials: while
// the account may only consume acl-outbox, the relay's send is refused,
// the lookup (QUERY_MESSAGE, which needs SUB) answers "not found" and the
// row is tried again (Failed counts twice; an unsigned lookup would be
// refused and the row never tried again); once the account may send, the
// row is sent after one more lookup and reaches the listener.
func TestACLOutboxKeyLookup(t *testing.T) {
	db := outboxtest.Open(t)
	b, path := startACLBroker(t, "SUB")
	l := &ACLOutboxListener{in: newInbox()}
	var (
		pub *outbox.Publisher
		obs *starter.OutboxRelay
	)
	startertest.New(t,
		startertest.Config(aclConfig(b, starter.ClientRocketKit, "app-account", "app-secret-key")),
		startertest.Fx(
			starter.Outbox(outbox.Config{Table: "outbox_acl", Relay: outbox.RelayConfig{
				PollInterval: 20 * time.Millisecond, RetryBackoff: 20 * time.Millisecond, MaxRetryBackoff: 100 * time.Millisecond}}),
			fx.Supply(db.DB),
			fx.Populate(&pub, &obs),
		),
		startertest.Listener(func() *ACLOutboxListener { return l }),
	)
	ctx := t.Context()
	err := outbox.WithTx(ctx, db.DB, func(ctx context.Context, tx *sql.Tx) error {
		return pub.Publish(ctx, tx, outbox.Message{Destination: "acl-outbox:created", Payload: []byte("from the outbox")})
	})
	if err != nil {
		t.Fatal(err)
	}
	waitUntil(t, 30*time.Second, func() bool { return obs.Stats().Failed >= 2 })
	if got := l.in.count(); got != 0 {
		t.Fatalf("received %d messages while the account may not send", got)
	}
	writeACL(t, path, "PUB|SUB")
	got := l.in.waitFor(t, 1, 30*time.Second)
	if string(got[0].Body) != "from the outbox" {
		t.Errorf("received %q", got[0].Body)
	}
	waitUntil(t, 30*time.Second, func() bool { return obs.Stats().Sent == 1 })
	if s := obs.Stats(); s.Retried != 1 || s.Found != 0 {
		t.Errorf("stats %+v: want the row retried once after a lookup, found never", s)
	}
}
