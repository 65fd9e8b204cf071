package starter

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func environ(kv ...string) func() []string { return func() []string { return kv } }

func TestLoadDefaults(t *testing.T) {
	s, err := loadSettings(nil, environ())
	if err != nil {
		t.Fatal(err)
	}
	c := s.cfg
	if !c.IsEmbedded() || c.Producer.SendMessageTimeout != 3*time.Second || c.Producer.RetryTimesWhenSendFailed != 2 ||
		c.Consumer.MaxReconsumeTimes != -1 || c.Consumer.PullBatchSize != 32 || c.Listener.SubscriptionCheck != CheckFail ||
		c.ShutdownTimeout != 10*time.Second || c.Embedded.Listen != "127.0.0.1:0" || c.ClientLogLevel != "warn" {
		t.Errorf("defaults: %+v", c)
	}
	if c.Producer.Group != c.ServiceName+"-producer" {
		t.Errorf("producer group %q, service %q", c.Producer.Group, c.ServiceName)
	}
	if d := DefaultConfig(); d != c {
		t.Errorf("DefaultConfig differs from loading nothing:\n%+v\n%+v", d, c)
	}
}

// YAML file, then environment overrides; code values rank lowest.
func TestLoadYAMLThenEnvironment(t *testing.T) {
	path := filepath.Join(t.TempDir(), "app.yaml")
	yaml := `
rocketmq:
  name-server: "10.0.0.1:9876;10.0.0.2:9876"
  service-name: billing
  producer:
    group: from-yaml
    send-message-timeout: 5000      # rocketmq-spring style: milliseconds
    retry-times-when-send-failed: 0
  consumer:
    consume-timeout: 30m
  listener:
    subscription-check: warn
billing:
  consumers: 6
`
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	sources := []configSource{
		{seq: 1, values: map[string]any{"rocketmq.strict-send": true, "rocketmq.service-name": "from-code"}},
		{seq: 2, file: path},
	}
	s, err := loadSettings(sources, environ(
		"ROCKETMQ_PRODUCER_GROUP=from-env",
		"ROCKETMQ_CONSUMER_PULL_BATCH_SIZE=64",
		"ROCKETMQ_GO_LOG_LEVEL=error", // the client's own variable: not ours, ignored
		"PATH=/bin",
	))
	if err != nil {
		t.Fatal(err)
	}
	c := s.cfg
	if got := c.NameServer; got != "10.0.0.1:9876;10.0.0.2:9876" {
		t.Errorf("name-server %q", got)
	}
	if c.ServiceName != "billing" || !c.StrictSend {
		t.Errorf("service-name %q (file over code), strict-send %v (code)", c.ServiceName, c.StrictSend)
	}
	if c.Producer.Group != "from-env" || c.Consumer.PullBatchSize != 64 {
		t.Errorf("environment did not override: group %q, pull-batch-size %d", c.Producer.Group, c.Consumer.PullBatchSize)
	}
	if c.Producer.SendMessageTimeout != 5*time.Second || c.Producer.RetryTimesWhenSendFailed != 0 ||
		c.Consumer.ConsumeTimeout != 30*time.Minute || c.Listener.SubscriptionCheck != CheckWarn {
		t.Errorf("file values: %+v", c)
	}
	if v, ok := s.lookup("billing.consumers"); !ok || v != "6" {
		t.Errorf("lookup billing.consumers = %q, %v", v, ok)
	}
	t.Setenv("BILLING_TOPIC", "orders-env")
	if v, ok := s.lookup("billing.topic"); !ok || v != "orders-env" {
		t.Errorf("lookup falls back to the environment: %q, %v", v, ok)
	}
	if _, ok := s.lookup("rocketmq"); ok {
		t.Errorf("a map is not a placeholder value")
	}

	// ROCKETKIT_CONFIG replaces the files given in code.
	other := filepath.Join(t.TempDir(), "other.yaml")
	if err := os.WriteFile(other, []byte("rocketmq:\n  service-name: other\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	s, err = loadSettings(sources, environ(ConfigEnv+"="+other))
	if err != nil || s.cfg.ServiceName != "other" || !s.cfg.IsEmbedded() {
		t.Errorf("ROCKETKIT_CONFIG: %v, %+v", err, s)
	}
}

func TestLoadErrorsNameTheKey(t *testing.T) {
	tests := []struct {
		name   string
		values map[string]any
		env    []string
		want   []string
	}{
		{"duration", map[string]any{"rocketmq.producer.send-message-timeout": "abc"}, nil,
			[]string{`rocketmq.producer.send-message-timeout: "abc" is not a duration`}},
		{"env duration", nil, []string{"ROCKETMQ_SHUTDOWN_TIMEOUT=soon"},
			[]string{`rocketmq.shutdown-timeout: "soon" is not a duration`}},
		{"number", map[string]any{"rocketmq": map[string]any{"consumer": map[string]any{"pull-batch-size": "lots"}}}, nil,
			[]string{`rocketmq.consumer.pull-batch-size: "lots" is not a number`}},
		{"boolean", map[string]any{"rocketmq.strict-send": "maybe"}, nil,
			[]string{`rocketmq.strict-send: "maybe" is not a boolean`}},
		{"range", map[string]any{"rocketmq.consumer.pull-batch-size": 5000}, nil,
			[]string{"rocketmq.consumer.pull-batch-size: 5000 is outside 1..1024"}},
		{"enum", map[string]any{"rocketmq.listener.subscription-check": "sometimes"}, nil,
			[]string{`rocketmq.listener.subscription-check: "sometimes" is not one of fail, warn, off`}},
		{"unknown key", map[string]any{"rocketmq.producer.grup": "x"}, nil,
			[]string{"rocketmq.producer.grup: unknown key (did you mean rocketmq.producer.group?)"}},
		{"name server", map[string]any{"rocketmq.name-server": "10.0.0.1"}, nil,
			[]string{`rocketmq.name-server: "10.0.0.1" is not host:port`}},
		{"embedded broker key", map[string]any{"rocketmq.embedded.message-delay-level": "1s 2parsecs"}, nil,
			[]string{"rocketmq.embedded.message-delay-level: level 2"}},
		{"credentials", map[string]any{"rocketmq.access-key": "ak"}, nil,
			[]string{"rocketmq.secret-key: access-key and secret-key go together"}},
		{"tls-ca without tls", map[string]any{"rocketmq.tls-ca": "ca.pem"}, nil,
			[]string{"rocketmq.tls: tls-ca and tls-insecure-skip-verify need tls: true"}},
		{"tls-ca with the official client", map[string]any{"rocketmq.tls": true, "rocketmq.tls-ca": "ca.pem", "rocketmq.client": "official"}, nil,
			[]string{"rocketmq.tls-ca: the official client does not verify certificates"}},
		{"map for a value", map[string]any{"rocketmq.producer.group": map[string]any{"a": 1}}, nil,
			[]string{"rocketmq.producer.group"}},
		{"two errors", map[string]any{"rocketmq.producer.send-message-timeout": "abc", "rocketmq.consumer.consume-thread-max": "x"}, nil,
			[]string{"send-message-timeout", "consume-thread-max"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var src []configSource
			if tt.values != nil {
				src = append(src, configSource{values: tt.values})
			}
			_, err := loadSettings(src, environ(tt.env...))
			if err == nil || !errors.Is(err, ErrInvalidConfig) {
				t.Fatalf("err = %v, want an invalid configuration", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("err = %q, want it to contain %q", err, w)
				}
			}
		})
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, err := loadSettings([]configSource{{file: filepath.Join(t.TempDir(), "nope.yaml")}}, environ())
	if err == nil || !strings.Contains(err.Error(), "nope.yaml") {
		t.Errorf("err = %v", err)
	}
}

func TestEnvNamesAreUnique(t *testing.T) {
	seen := map[string]string{}
	for _, k := range Keys() {
		e := EnvName(k)
		if other, dup := seen[e]; dup {
			t.Errorf("%s and %s share %s", k, other, e)
		}
		seen[e] = k
	}
	if got := EnvName("rocketmq.producer.send-message-timeout"); got != "ROCKETMQ_PRODUCER_SEND_MESSAGE_TIMEOUT" {
		t.Errorf("EnvName = %s", got)
	}
	if envKeys["ROCKETMQ_NAME_SERVER"] != "rocketmq.name-server" || envKeys["ROCKETMQ_PRODUCER_GROUP"] != "rocketmq.producer.group" {
		t.Errorf("env mapping broken")
	}
}

func TestParseNameServers(t *testing.T) {
	got, err := ParseNameServers(" 10.0.0.1:9876; http://ns.example:9876 ;")
	if err != nil || strings.Join(got, ",") != "10.0.0.1:9876,ns.example:9876" {
		t.Errorf("= %v, %v", got, err)
	}
	for _, bad := range []string{"", ";", "x", "h:0", "h:99999"} {
		if _, err := ParseNameServers(bad); err == nil {
			t.Errorf("ParseNameServers(%q) accepted", bad)
		}
	}
}
