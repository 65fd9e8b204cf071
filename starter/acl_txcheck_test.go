package starter_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/rocketkit/rocketkit/broker"
	"github.com/rocketkit/rocketkit/broker/brokertest"
	"github.com/rocketkit/rocketkit/listener"
	"github.com/rocketkit/rocketkit/outbox/outboxtest"
	"github.com/rocketkit/rocketkit/starter"
	"github.com/rocketkit/rocketkit/starter/startertest"
	"github.com/rocketkit/rocketkit/txcheck"
	"go.uber.org/fx"
)

// aclTxYAML: tx-account may send to and consume acl-tx and use its
// transaction group acl-tx-pg and the listener's group acl-tx-cg;
// everything else is denied.
const aclTxYAML = `accounts:
  - accessKey: tx-account
    secretKey: tx-secret-key
    defaultTopicPerm: DENY
    defaultGroupPerm: DENY
    topicPerms:
      - acl-tx=PUB|SUB
    groupPerms:
      - acl-tx-pg=PUB|SUB
      - acl-tx-cg=SUB
`

// startACLTxBroker starts a broker enforcing aclTxYAML whose periodic
// check-backs never fire during a test: only brokertest.CheckBackNow
// checks back.
func startACLTxBroker(t *testing.T) *broker.Broker {
	t.Helper()
	path := filepath.Join(t.TempDir(), "plain_acl.yml")
	if err := os.WriteFile(path, []byte(aclTxYAML), 0o600); err != nil {
		t.Fatal(err)
	}
	return brokertest.Start(t, brokertest.WithACL(path), brokertest.WithConfig(func(c *broker.Config) {
		c.TransactionTimeout = time.Hour
		c.TransactionCheckInterval = time.Hour
	}))
}

// aclTxConfig is the configuration of a TxCheck app on b signing with
// tx-account and secret sk, its key table being table.
func aclTxConfig(b *broker.Broker, client, sk, table string) map[string]any {
	return map[string]any{
		"rocketmq.name-server": b.Addr(), "rocketmq.client": client,
		"rocketmq.access-key": "tx-account", "rocketmq.secret-key": sk,
		"rocketmq.listener.subscription-check": starter.CheckOff,
		"rocketmq.txcheck.group":               "acl-tx-pg",
		"rocketmq.txcheck.table":               table,
	}
}

type ACLTxListener struct {
	listener.Concurrent `topic:"acl-tx" group:"acl-tx-cg"`
	in                  *inbox
}

func (l *ACLTxListener) Handle(_ context.Context, m *listener.Message) error {
	l.in.add(m)
	return nil
}

// starter.TxCheck on a broker with ACL, on either client: the app's
// credentials sign the half message and its commit (delivered to a
// listener), and a TxFunc returning txcheck.ErrUnknown leaves the half
// message pending until brokertest.CheckBackNow, whose check-back the
// producer answers from its key table, committing it (signed) so it is
// delivered; no other message reaches the topic.
func TestACLTxCheck(t *testing.T) {
	for _, which := range []string{starter.ClientRocketKit, starter.ClientOfficial} {
		t.Run(which, func(t *testing.T) {
			db := outboxtest.Open(t)
			b := startACLTxBroker(t)
			in := newInbox()
			var prod *txcheck.Producer
			startertest.New(t,
				startertest.Config(aclTxConfig(b, which, "tx-secret-key", "acl_tx_keys")),
				startertest.Fx(starter.TxCheck(), fx.Supply(db.DB), fx.Populate(&prod)),
				startertest.Listener(func() *ACLTxListener { return &ACLTxListener{in: in} }),
			)
			ctx := sendCtx(t)
			res, err := prod.SendInTransaction(ctx, "acl-tx", "committed", func(context.Context, *sql.Tx) error { return nil })
			if err != nil || res.State != txcheck.Commit {
				t.Fatalf("committed send: %+v, %v", res, err)
			}
			if got := in.waitFor(t, 1, 30*time.Second); string(got[0].Body) != "committed" {
				t.Fatalf("listener got %q, want the committed message", got[0].Body)
			}

			res, err = prod.SendInTransaction(ctx, "acl-tx", "checked-back", func(context.Context, *sql.Tx) error {
				return fmt.Errorf("awaiting approval: %w", txcheck.ErrUnknown)
			})
			if err != nil || res.State != txcheck.Unknown {
				t.Fatalf("unknown send: %+v, %v; want state unknown and no error", res, err)
			}
			if n := b.Stats().PendingTransactions["acl-tx"]; n != 1 {
				t.Fatalf("%d half messages pending, want 1", n)
			}
			if n := brokertest.CheckBackNow(t, b, "acl-tx"); n != 1 {
				t.Fatalf("CheckBackNow sent %d checks, want 1", n)
			}
			got := in.waitFor(t, 2, 30*time.Second)
			if string(got[1].Body) != "checked-back" || !slices.Equal(got[1].Keys, []string{res.Key}) {
				t.Fatalf("listener got %q (keys %q), want the checked-back message with key %s", got[1].Body, got[1].Keys, res.Key)
			}
			waitUntil(t, 30*time.Second, func() bool { return b.Stats().PendingTransactions["acl-tx"] == 0 })
			if bodies := bodies(in.snapshot()); len(bodies) != 2 {
				t.Errorf("listener got %q, want the two committed messages only", bodies)
			}
		})
	}
}

// With a wrong secret key, on either client, SendInTransaction fails
// with the broker's NO_PERMISSION refusal naming the signature mismatch,
// and nothing is left pending.
func TestACLTxCheckWrongSecret(t *testing.T) {
	for _, which := range []string{starter.ClientRocketKit, starter.ClientOfficial} {
		t.Run(which, func(t *testing.T) {
			db := outboxtest.Open(t)
			b := startACLTxBroker(t)
			var prod *txcheck.Producer
			startertest.New(t,
				startertest.Config(aclTxConfig(b, which, "not-the-secret", "acl_tx_keys")),
				startertest.Fx(starter.TxCheck(), fx.Supply(db.DB), fx.Populate(&prod)),
			)
			_, err := prod.SendInTransaction(sendCtx(t), "acl-tx", "refused", func(context.Context, *sql.Tx) error { return nil })
			wantNoPermission(t, "transaction send with a wrong secret key", err, "signature mismatch for access key tx-account")
			if n := b.Stats().PendingTransactions["acl-tx"]; n != 0 {
				t.Errorf("%d half messages pending after the refusal, want 0", n)
			}
		})
	}
}
