package broker_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/apache/rocketmq-client-go/v2/producer"
	"github.com/rocketkit/rocketkit/broker"
	"github.com/rocketkit/rocketkit/broker/brokertest"
)

const goodACL = "accounts:\n  - accessKey: account1\n    secretKey: 12345678\n"

func TestBrokerConfACLEnable(t *testing.T) {
	cfg, rep, err := broker.ParseBrokerConf(strings.NewReader("aclEnable=TRUE\n"), broker.Config{})
	if err != nil || !cfg.ACLEnable || len(rep.Applied) != 1 || rep.Applied[0].Field != "acl-enable" {
		t.Fatalf("aclEnable=TRUE: %+v, %+v, %v", cfg, rep, err)
	}
	if _, _, err := broker.ParseBrokerConf(strings.NewReader("aclEnable=yes\n"), broker.Config{}); err == nil ||
		!strings.Contains(err.Error(), `broker.conf:1: aclEnable: "yes" is neither true nor false`) {
		t.Fatalf("aclEnable=yes: %v", err)
	}

	// LoadBrokerConf finds the plain_acl.yml next to the broker.conf.
	dir := t.TempDir()
	conf := filepath.Join(dir, "broker.conf")
	if err := os.WriteFile(conf, []byte("aclEnable=true\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if cfg, _, err := broker.LoadBrokerConf(conf, broker.Config{}); err != nil || cfg.ACLFile != "" {
		t.Fatalf("no plain_acl.yml yet: ACLFile %q, %v", cfg.ACLFile, err)
	}
	next := filepath.Join(dir, "plain_acl.yml")
	if err := os.WriteFile(next, []byte(goodACL), 0o600); err != nil {
		t.Fatal(err)
	}
	if cfg, _, err := broker.LoadBrokerConf(conf, broker.Config{}); err != nil || !cfg.ACLEnable || cfg.ACLFile != next {
		t.Fatalf("ACLFile %q, want %s (%v)", cfg.ACLFile, next, err)
	}
	if cfg, _, err := broker.LoadBrokerConf(conf, broker.Config{ACLFile: "/etc/given.yml"}); err != nil || cfg.ACLFile != "/etc/given.yml" {
		t.Fatalf("a given ACLFile was replaced by %q (%v)", cfg.ACLFile, err)
	}
}

func TestACLStartChecks(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	start := func(cfg broker.Config) (*broker.Broker, error) {
		cfg.Listen, cfg.DataDir = "127.0.0.1:0", t.TempDir()
		b, err := broker.Start(ctx, cfg)
		if err == nil {
			t.Cleanup(func() { _ = b.Close() })
		}
		return b, err
	}
	if _, err := start(broker.Config{ACLFile: filepath.Join(dir, "x.yml")}); err == nil || !strings.Contains(err.Error(), "acl-enable is false") {
		t.Errorf("ACLFile without ACLEnable: %v", err)
	}
	broken := filepath.Join(dir, "broken.yml")
	if err := os.WriteFile(broken, []byte("accounts:\n  - accessKey: short\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := start(broker.Config{ACLEnable: true, ACLFile: broken}); err == nil || !strings.Contains(err.Error(), broken) {
		t.Errorf("a broken ACL file: %v", err)
	}
	t.Setenv("ROCKETMQ_HOME", "")
	if _, err := start(broker.Config{ACLEnable: true}); err == nil || !strings.Contains(err.Error(), "ROCKETMQ_HOME") {
		t.Errorf("no file, no ROCKETMQ_HOME: %v", err)
	}
	home := t.TempDir()
	t.Setenv("ROCKETMQ_HOME", home)
	if err := os.Mkdir(filepath.Join(home, "conf"), 0o700); err != nil {
		t.Fatal(err)
	}
	want := filepath.Join(home, "conf", "plain_acl.yml")
	if err := os.WriteFile(want, []byte(goodACL), 0o600); err != nil {
		t.Fatal(err)
	}
	b, err := start(broker.Config{ACLEnable: true})
	if err != nil || b.Config().ACLFile != want {
		t.Fatalf("ROCKETMQ_HOME: %v", err)
	}
}

// Without ACL nothing is checked: unsigned and wrongly signed requests
// are served as before.
func TestACLOffByDefault(t *testing.T) {
	b := brokertest.Start(t)
	topic := uniqueName("t_no_acl")
	sendSync(t, startProducer(t, b), primitive.NewMessage(topic, []byte("unsigned")))
	p := startProducer(t, b, producer.WithCredentials(primitive.Credentials{AccessKey: "whoever", SecretKey: "wrong"}))
	sendSync(t, p, primitive.NewMessage(topic, []byte("badly signed")))
}
