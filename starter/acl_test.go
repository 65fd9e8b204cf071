package starter_test

// ACL (RocketMQ 4.x plain_acl.yml) through the starter: rocketmq.access-key
// and secret-key sign the Template's sends, the listeners' consumers, the
// subscription check and the outbox's key lookup; a listener's accessKey
// and secretKey tags give its consumer credentials of its own.

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rocketkit/rocketkit/broker"
	"github.com/rocketkit/rocketkit/broker/brokertest"
	"github.com/rocketkit/rocketkit/listener"
	"github.com/rocketkit/rocketkit/starter"
	"github.com/rocketkit/rocketkit/starter/startertest"
)

// The accounts of aclYAML: app-account may send to and consume acl-orders,
// only send to acl-own, nothing on acl-deny; own-account (a listener's
// own keys) may consume acl-own; ops-account is an admin.
const aclYAML = `accounts:
  - accessKey: app-account
    secretKey: app-secret-key
    defaultTopicPerm: DENY
    defaultGroupPerm: SUB
    topicPerms:
      - acl-orders=PUB|SUB
      - acl-own=PUB
      - acl-deny=DENY
      - acl-outbox=${OUTBOX_PERM}
  - accessKey: own-account
    secretKey: own-secret-key
    defaultTopicPerm: DENY
    defaultGroupPerm: SUB
    topicPerms:
      - acl-own=SUB
`

// startACLBroker starts a broker enforcing aclYAML (acl-outbox's
// permission being outboxPerm) and returns it with the file's path.
func startACLBroker(t *testing.T, outboxPerm string) (*broker.Broker, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "plain_acl.yml")
	writeACL(t, path, outboxPerm)
	return brokertest.Start(t, brokertest.WithACL(path)), path
}

// writeACL (re)writes aclYAML to path (write and rename, so the broker
// never reads half a file).
func writeACL(t *testing.T, path, outboxPerm string) {
	t.Helper()
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(strings.ReplaceAll(aclYAML, "${OUTBOX_PERM}", outboxPerm)), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

// aclConfig is the configuration of an app on b signing with ak/sk.
func aclConfig(b *broker.Broker, client, ak, sk string) map[string]any {
	return map[string]any{
		"rocketmq.name-server": b.Addr(), "rocketmq.client": client,
		"rocketmq.access-key": ak, "rocketmq.secret-key": sk,
		"own.access-key": "own-account", "own.secret-key": "own-secret-key",
	}
}

// wantNoPermission fails unless err is the broker's NO_PERMISSION refusal
// with remark in it.
func wantNoPermission(t *testing.T, what string, err error, remark string) {
	t.Helper()
	if err == nil {
		t.Fatalf("%s: accepted, want NO_PERMISSION (%s)", what, remark)
	}
	msg := err.Error()
	// The kit's client says NO_PERMISSION (16), the official one CODE: 16, DESC: No permission.
	if !(strings.Contains(msg, "NO_PERMISSION (16): No permission") || strings.Contains(msg, "CODE: 16, DESC: No permission")) || !strings.Contains(msg, remark) {
		t.Fatalf("%s: %v\nwant NO_PERMISSION naming %q", what, err, remark)
	}
}

type ACLOrders struct {
	listener.Concurrent `topic:"acl-orders" group:"acl-orders-cg"`
	in                  *inbox
}

func (l *ACLOrders) Handle(_ context.Context, m *listener.Message) error { l.in.add(m); return nil }

// ACLOwnKeys consumes acl-own, which only own-account may consume.
type ACLOwnKeys struct {
	listener.Concurrent `topic:"acl-own" accessKey:"${own.access-key}" secretKey:"${own.secret-key}"`
	in                  *inbox
}

func (l *ACLOwnKeys) Handle(_ context.Context, m *listener.Message) error { l.in.add(m); return nil }

// An app with rocketmq.access-key and secret-key on a broker with ACL, on
// either client: the subscription check (fail mode) passes, the Template
// sends, a listener consumes with the app's keys and one with its own;
// a DENY topic is refused, NO_PERMISSION in the error.
func TestACLThroughStarter(t *testing.T) {
	for _, which := range []string{starter.ClientRocketKit, starter.ClientOfficial} {
		t.Run(which, func(t *testing.T) {
			b, _ := startACLBroker(t, "DENY")
			orders, own := &ACLOrders{in: newInbox()}, &ACLOwnKeys{in: newInbox()}
			app, err := startertest.Start(t,
				startertest.Config(aclConfig(b, which, "app-account", "app-secret-key")),
				startertest.Listener(func() *ACLOrders { return orders }),
				startertest.Listener(func() *ACLOwnKeys { return own }))
			if err != nil {
				t.Fatalf("start: %v", starter.Cause(err))
			}
			for _, dest := range []string{"acl-orders:created", "acl-own:created"} {
				if _, err := app.Template.Send(sendCtx(t), dest, "signed"); err != nil {
					t.Fatalf("send to %s: %v", dest, err)
				}
			}
			// The topics are created by these sends, after the consumers
			// started: the official client may see them only at its next
			// route refresh (every 30s) and rebalance (every 20s).
			orders.in.waitFor(t, 1, 60*time.Second)
			own.in.waitFor(t, 1, 60*time.Second)

			_, err = app.Template.Send(sendCtx(t), "acl-deny:created", "x")
			wantNoPermission(t, "send to a DENY topic", err, "account app-account has no PUB on topic acl-deny")

			adm, err := app.Endpoint.Admin()
			if err != nil {
				t.Fatal(err)
			}
			if members, err := adm.GroupMembers(sendCtx(t), "acl-orders-cg"); err != nil || len(members) != 1 {
				t.Fatalf("Endpoint.Admin's group members: %v, %v", members, err)
			}
		})
	}
}

// A wrong secret key or none: with a listener, start-up fails in the
// subscription check, naming NO_PERMISSION and why; without one (and the
// check off), the Template's send fails so.
func TestACLThroughStarterRefused(t *testing.T) {
	for _, which := range []string{starter.ClientRocketKit, starter.ClientOfficial} {
		t.Run(which, func(t *testing.T) {
			b, _ := startACLBroker(t, "DENY")
			for _, tc := range []struct{ name, sk, remark string }{
				{"wrong secret key", "not-the-secret", "signature mismatch for access key app-account"},
				{"no credentials", "", "is not signed (no AccessKey)"},
			} {
				ak := "app-account"
				if tc.sk == "" {
					ak = ""
				}
				_, err := startertest.Start(t, startertest.Config(aclConfig(b, which, ak, tc.sk)),
					startertest.Listener(func() *ACLOrders { return &ACLOrders{in: newInbox()} }))
				wantNoPermission(t, tc.name+": start with a listener", starter.Cause(err), tc.remark)
				if !strings.Contains(starter.Cause(err).Error(), "cannot check the live members of group acl-orders-cg") {
					t.Errorf("%s: start-up error does not say what it was doing: %v", tc.name, starter.Cause(err))
				}

				cfg := aclConfig(b, which, ak, tc.sk)
				cfg["rocketmq.listener.subscription-check"] = starter.CheckOff
				app := startertest.New(t, startertest.Config(cfg))
				_, err = app.Template.Send(sendCtx(t), "acl-orders:created", "x")
				wantNoPermission(t, tc.name+": send", err, tc.remark)
			}
		})
	}
}

// The embedded broker enforces ACL with rocketmq.embedded.acl-enable and
// acl-file; the app's own credentials then sign its traffic to it.
func TestACLEmbeddedBroker(t *testing.T) {
	path := filepath.Join(t.TempDir(), "plain_acl.yml")
	writeACL(t, path, "DENY")
	cfg := func(ak, sk string) map[string]any {
		return map[string]any{"rocketmq.embedded.acl-enable": true, "rocketmq.embedded.acl-file": path,
			"rocketmq.access-key": ak, "rocketmq.secret-key": sk}
	}
	orders := &ACLOrders{in: newInbox()}
	app := startertest.New(t, startertest.Config(cfg("app-account", "app-secret-key")),
		startertest.Listener(func() *ACLOrders { return orders }))
	if _, err := app.Template.Send(sendCtx(t), "acl-orders:created", "signed"); err != nil {
		t.Fatalf("send: %v", err)
	}
	orders.in.waitFor(t, 1, 30*time.Second)

	_, err := startertest.Start(t, startertest.Config(cfg("app-account", "not-the-secret")),
		startertest.Listener(func() *ACLOrders { return &ACLOrders{in: newInbox()} }))
	wantNoPermission(t, "start with a wrong secret key", starter.Cause(err), "signature mismatch for access key app-account")
}
