package starter_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/rocketkit/rocketkit/admin"
	"github.com/rocketkit/rocketkit/broker/brokertest"
	"github.com/rocketkit/rocketkit/starter"
	"github.com/rocketkit/rocketkit/starter/startertest"
)

// Endpoint.Admin signs with the app's credentials: an admin account
// creates a topic, another account is refused.
func TestACLAdminThroughStarter(t *testing.T) {
	path := filepath.Join(t.TempDir(), "plain_acl.yml")
	writeACL(t, path, "DENY")
	yml, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	yml = append(yml, "  - accessKey: ops-account\n    secretKey: ops-secret-key\n    admin: true\n"...)
	if err := os.WriteFile(path, yml, 0o600); err != nil {
		t.Fatal(err)
	}
	b := brokertest.Start(t, brokertest.WithACL(path))
	for _, tc := range []struct{ ak, sk, refusal string }{
		{"app-account", "app-secret-key", "UPDATE_AND_CREATE_TOPIC needs an admin account; account app-account is not admin"},
		{"ops-account", "ops-secret-key", ""},
	} {
		app := startertest.New(t, startertest.Config(aclConfig(b, starter.ClientRocketKit, tc.ak, tc.sk)))
		adm, err := app.Endpoint.Admin()
		if err != nil {
			t.Fatal(err)
		}
		_, err = adm.UpdateTopic(sendCtx(t), admin.TopicSpec{Topic: "created-by-" + tc.ak})
		if tc.refusal != "" {
			wantNoPermission(t, tc.ak+" creates a topic", err, tc.refusal)
		} else if err != nil {
			t.Fatalf("%s creates a topic: %v", tc.ak, err)
		}
	}
}

// A white-listed address needs no credentials; outside the white list an
// app without them is refused.
func TestACLWhiteListThroughStarter(t *testing.T) {
	for _, tc := range []struct{ white, refusal string }{
		{"127.0.0.*", ""},
		{"10.9.*.*", "127.0.0.1 is not in a white list"},
	} {
		path := filepath.Join(t.TempDir(), "plain_acl.yml")
		yml := "globalWhiteRemoteAddresses:\n  - \"" + tc.white + "\"\naccounts:\n  - accessKey: app-account\n    secretKey: app-secret-key\n"
		if err := os.WriteFile(path, []byte(yml), 0o600); err != nil {
			t.Fatal(err)
		}
		b := brokertest.Start(t, brokertest.WithACL(path))
		orders := &ACLOrders{in: newInbox()}
		app, err := startertest.Start(t, startertest.Config(aclConfig(b, starter.ClientRocketKit, "", "")),
			startertest.Listener(func() *ACLOrders { return orders }))
		if tc.refusal != "" {
			wantNoPermission(t, "start outside the white list", starter.Cause(err), tc.refusal)
			continue
		}
		if err != nil {
			t.Fatalf("start on a white-listed address: %v", starter.Cause(err))
		}
		if _, err := app.Template.Send(sendCtx(t), "acl-orders:created", "unsigned"); err != nil {
			t.Fatalf("send from a white-listed address: %v", err)
		}
		orders.in.waitFor(t, 1, 30*time.Second)
	}
}
