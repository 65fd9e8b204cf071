package watermill_test

import (
	"strings"
	"testing"
	"time"

	"github.com/rocketkit/rocketkit/client"
	rmqwm "github.com/rocketkit/rocketkit/starter/watermill"
)

func TestNewPublisherValidatesConfig(t *testing.T) {
	ns := cluster("127.0.0.1:9876")
	tests := []struct {
		name string
		cfg  rmqwm.PublisherConfig
		want string // substring of the error; "" means valid
	}{
		{"minimal", rmqwm.PublisherConfig{Client: ns}, ""},
		{"several name servers", rmqwm.PublisherConfig{Client: client.Config{NameServers: []string{"127.0.0.1:9876", "10.0.0.2:9876"}}}, ""},
		{"host name", rmqwm.PublisherConfig{Client: cluster("localhost:9876")}, ""},
		{"namespace and credentials", rmqwm.PublisherConfig{Client: client.Config{NameServers: ns.NameServers, Namespace: "prod",
			Credentials: client.Credentials{AccessKey: "ak", SecretKey: "sk"}}}, ""},
		{"no name server", rmqwm.PublisherConfig{}, "config client:"},
		{"no port", rmqwm.PublisherConfig{Client: cluster("127.0.0.1")}, "config client:"},
		{"half credentials", rmqwm.PublisherConfig{Client: client.Config{NameServers: ns.NameServers,
			Credentials: client.Credentials{AccessKey: "ak"}}}, "config client:"},
		{"bad namespace", rmqwm.PublisherConfig{Client: client.Config{NameServers: ns.NameServers, Namespace: "a b"}}, "config client:"},
		{"bad group", rmqwm.PublisherConfig{Client: ns, ProducerGroup: "a b"}, "producer-group"},
		{"negative timeout", rmqwm.PublisherConfig{Client: ns, SendTimeout: -time.Second}, "send-timeout"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pub, err := rmqwm.NewPublisher(tt.cfg, nil, nil)
			if pub != nil {
				defer pub.Close()
			}
			checkConfigError(t, err, tt.want)
		})
	}
}

func TestNewSubscriberValidatesConfig(t *testing.T) {
	ok := func(edit func(*rmqwm.SubscriberConfig)) rmqwm.SubscriberConfig {
		c := rmqwm.SubscriberConfig{Client: cluster("127.0.0.1:9876"), ConsumerGroup: "g-{topic}"}
		if edit != nil {
			edit(&c)
		}
		return c
	}
	tests := []struct {
		name string
		cfg  rmqwm.SubscriberConfig
		want string
	}{
		{"minimal", ok(nil), ""},
		{"broadcasting", ok(func(c *rmqwm.SubscriberConfig) {
			c.MessageModel = rmqwm.Broadcasting
			c.OffsetDir = t.TempDir()
		}), ""},
		{"orderly", ok(func(c *rmqwm.SubscriberConfig) { c.Orderly = true }), ""},
		{"broadcasting without offset dir", ok(func(c *rmqwm.SubscriberConfig) { c.MessageModel = rmqwm.Broadcasting }), "offset-dir"},
		{"no group", ok(func(c *rmqwm.SubscriberConfig) { c.ConsumerGroup = "" }), "consumer-group: is required"},
		{"bad group", ok(func(c *rmqwm.SubscriberConfig) { c.ConsumerGroup = "a b" }), "consumer-group"},
		{"retry group", ok(func(c *rmqwm.SubscriberConfig) { c.ConsumerGroup = "%RETRY%g" }), "consumer-group"},
		{"no name server", ok(func(c *rmqwm.SubscriberConfig) { c.Client.NameServers = nil }), "config client:"},
		{"model", ok(func(c *rmqwm.SubscriberConfig) { c.MessageModel = "clustered" }), "message-model"},
		{"consume from", ok(func(c *rmqwm.SubscriberConfig) { c.ConsumeFrom = "middle" }), "consume-from"},
		{"nack level", ok(func(c *rmqwm.SubscriberConfig) { c.NackDelayLevel = -1 }), "nack-delay-level"},
		{"goroutines", ok(func(c *rmqwm.SubscriberConfig) { c.ConsumeGoroutines = -1 }), "consume-goroutines"},
		{"batch", ok(func(c *rmqwm.SubscriberConfig) { c.PullBatchSize = 2000 }), "pull-batch-size"},
		{"threshold", ok(func(c *rmqwm.SubscriberConfig) { c.PullThresholdPerQueue = -5 }), "pull-threshold-per-queue"},
		{"local nack delay", ok(func(c *rmqwm.SubscriberConfig) { c.LocalNackDelay = -time.Second }), "local-nack-delay"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sub, err := rmqwm.NewSubscriber(tt.cfg, nil, nil)
			if sub != nil {
				defer sub.Close()
			}
			checkConfigError(t, err, tt.want)
		})
	}
}

func TestValidateReportsEveryField(t *testing.T) {
	cfg := rmqwm.SubscriberConfig{MessageModel: "x", PullBatchSize: -1}
	err := cfg.Validate()
	for _, key := range []string{"consumer-group", "message-model", "pull-batch-size"} {
		if err == nil || !strings.Contains(err.Error(), key) {
			t.Errorf("Validate() = %v, want it to name %s", err, key)
		}
	}
}

func checkConfigError(t *testing.T, err error, want string) {
	t.Helper()
	switch {
	case want == "" && err != nil:
		t.Fatalf("unexpected error: %v", err)
	case want != "" && err == nil:
		t.Fatalf("no error, want one naming %q", want)
	case want != "" && !strings.Contains(err.Error(), want):
		t.Fatalf("error %q does not name %q", err, want)
	}
}
