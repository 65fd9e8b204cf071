package admin_test

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/rocketkit/rocketkit/admin"
	"github.com/rocketkit/rocketkit/broker/brokertest"
	"github.com/rocketkit/rocketkit/client"
	"github.com/rocketkit/rocketkit/protocol/remoting"
)

// aclFile writes a plain_acl.yml with an admin account, a PUB|SUB account
// on topic admin-acl and one allowed nothing, and returns its path.
func aclFile(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "plain_acl.yml")
	const yml = `accounts:
  - accessKey: ops-account
    secretKey: ops-secret
    admin: true
  - accessKey: app-account
    secretKey: app-secret
    defaultTopicPerm: DENY
    defaultGroupPerm: SUB
    topicPerms:
      - admin-acl=PUB|SUB
`
	if err := os.WriteFile(path, []byte(yml), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// wantNoPermission fails unless err is the broker's NO_PERMISSION answer
// with want in its remark.
func wantNoPermission(t *testing.T, what string, err error, want string) {
	t.Helper()
	if !errors.Is(err, &remoting.Error{Code: remoting.NoPermission}) || !strings.Contains(err.Error(), want) {
		t.Fatalf("%s: %v, want NO_PERMISSION with %q", what, err, want)
	}
}

// Config.Credentials signs every request: unsigned and wrongly signed
// requests are refused, an account reads what its permissions allow, and
// only an admin account creates topics.
func TestCredentials(t *testing.T) {
	b := brokertest.Start(t, brokertest.WithACL(aclFile(t)))
	ctx := t.Context()
	newAdmin := func(ak, sk string) *admin.Client {
		t.Helper()
		c, err := admin.New(admin.Config{NameServers: []string{b.Addr()}, Credentials: client.Credentials{AccessKey: ak, SecretKey: sk}})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	ops, app := newAdmin("ops-account", "ops-secret"), newAdmin("app-account", "app-secret")

	// A message with a key, sent by the account with our client.
	c, err := client.New(client.Config{NameServers: []string{b.Addr()}, Credentials: client.Credentials{AccessKey: "app-account", SecretKey: "app-secret"}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	p, err := c.NewProducer(client.ProducerConfig{Group: "admin-acl-pg"})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if _, err := p.Send(ctx, &client.Message{Topic: "admin-acl", Body: []byte("x"), Keys: []string{"order-1"}}); err != nil {
		t.Fatalf("send: %v", err)
	}

	q := admin.Query{Topic: "admin-acl", Key: "order-1"}
	msgs, err := app.QueryByKey(ctx, q)
	if err != nil || len(msgs) != 1 {
		t.Fatalf("query by key as app: %d messages, %v", len(msgs), err)
	}
	_, err = newAdmin("", "").QueryByKey(ctx, q)
	wantNoPermission(t, "unsigned query", err, "QUERY_MESSAGE is not signed")
	_, err = newAdmin("app-account", "not-the-secret").QueryByKey(ctx, q)
	wantNoPermission(t, "query with a wrong secret key", err, "signature mismatch for access key app-account")
	_, err = app.GroupMembers(ctx, "admin-acl-cg")
	if !errors.Is(err, admin.ErrGroupOffline) {
		t.Fatalf("group members as app: %v, want ErrGroupOffline", err)
	}

	_, err = app.UpdateTopic(ctx, admin.TopicSpec{Topic: "by-app"})
	wantNoPermission(t, "topic creation as app", err, "needs an admin account")
	if _, err := ops.UpdateTopic(ctx, admin.TopicSpec{Topic: "by-ops"}); err != nil {
		t.Fatalf("topic creation as ops: %v", err)
	}
	topics, err := app.Topics(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(topics, "by-ops") || slices.Contains(topics, "by-app") {
		t.Errorf("topics %v: want by-ops, not by-app", topics)
	}

	// Subscription groups and the broker's configuration are changed by
	// admin accounts only, as Java's ADMIN_CODE.
	err = app.UpdateSubscriptionGroup(ctx, b.Addr(), admin.NewSubscriptionGroup("by-app"))
	wantNoPermission(t, "subscription group creation as app", err, "needs an admin account")
	err = app.UpdateBrokerConfig(ctx, b.Addr(), map[string]string{"autoCreateSubscriptionGroup": "false"})
	wantNoPermission(t, "broker config update as app", err, "needs an admin account")
	if err := ops.UpdateSubscriptionGroup(ctx, b.Addr(), admin.NewSubscriptionGroup("by-ops")); err != nil {
		t.Fatalf("subscription group creation as ops: %v", err)
	}
	err = app.DeleteSubscriptionGroup(ctx, b.Addr(), "by-ops", false)
	wantNoPermission(t, "subscription group deletion as app", err, "needs an admin account")
}

func TestCredentialsNeedBothKeys(t *testing.T) {
	_, err := admin.New(admin.Config{NameServers: []string{"127.0.0.1:9876"}, Credentials: client.Credentials{AccessKey: "ak"}})
	if err == nil || !strings.Contains(err.Error(), "both an access key and a secret key") {
		t.Fatalf("access key without secret key: %v", err)
	}
}
