package watermill_test

import (
	"strings"
	"testing"
	"time"

	rmqwm "github.com/rocketkit/rocketkit/starter/watermill"
)

func TestNewPublisherValidatesConfig(t *testing.T) {
	tests := []struct {
		name string
		cfg  rmqwm.PublisherConfig
		want string // substring of the error; "" means valid
	}{
		{"minimal", rmqwm.PublisherConfig{NameServer: "127.0.0.1:9876"}, ""},
		{"several name servers", rmqwm.PublisherConfig{NameServer: "127.0.0.1:9876; 10.0.0.2:9876"}, ""},
		{"http name server", rmqwm.PublisherConfig{NameServer: "http://localhost:9876"}, ""},
		{"no name server", rmqwm.PublisherConfig{}, "name-server: is required"},
		{"host name", rmqwm.PublisherConfig{NameServer: "localhost:9876"}, "name-server"},
		{"no port", rmqwm.PublisherConfig{NameServer: "127.0.0.1"}, "name-server"},
		{"bad group", rmqwm.PublisherConfig{NameServer: "127.0.0.1:9876", ProducerGroup: "a b"}, "producer-group"},
		{"bad instance", rmqwm.PublisherConfig{NameServer: "127.0.0.1:9876", InstanceName: "a@b"}, "instance-name"},
		{"negative timeout", rmqwm.PublisherConfig{NameServer: "127.0.0.1:9876", SendTimeout: -time.Second}, "send-timeout"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pub, err := rmqwm.NewPublisher(tt.cfg)
			if pub != nil {
				defer pub.Close()
			}
			checkConfigError(t, err, tt.want)
		})
	}
}

func TestNewSubscriberValidatesConfig(t *testing.T) {
	ok := func(edit func(*rmqwm.SubscriberConfig)) rmqwm.SubscriberConfig {
		c := rmqwm.SubscriberConfig{NameServer: "127.0.0.1:9876", ConsumerGroup: "g-{topic}"}
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
		{"broadcasting", ok(func(c *rmqwm.SubscriberConfig) { c.MessageModel = rmqwm.Broadcasting }), ""},
		{"no group", ok(func(c *rmqwm.SubscriberConfig) { c.ConsumerGroup = "" }), "consumer-group: is required"},
		{"bad group", ok(func(c *rmqwm.SubscriberConfig) { c.ConsumerGroup = "a b" }), "consumer-group"},
		{"no name server", ok(func(c *rmqwm.SubscriberConfig) { c.NameServer = "" }), "name-server"},
		{"model", ok(func(c *rmqwm.SubscriberConfig) { c.MessageModel = "clustered" }), "message-model"},
		{"consume from", ok(func(c *rmqwm.SubscriberConfig) { c.ConsumeFrom = "middle" }), "consume-from"},
		{"nack level", ok(func(c *rmqwm.SubscriberConfig) { c.NackDelayLevel = -1 }), "nack-delay-level"},
		{"reconsume", ok(func(c *rmqwm.SubscriberConfig) { c.MaxReconsumeTimes = -2 }), "max-reconsume-times"},
		{"goroutines", ok(func(c *rmqwm.SubscriberConfig) { c.ConsumeGoroutines = -1 }), "consume-goroutines"},
		{"batch", ok(func(c *rmqwm.SubscriberConfig) { c.PullBatchSize = 2000 }), "pull-batch-size"},
		{"prefetch", ok(func(c *rmqwm.SubscriberConfig) { c.MaxPrefetch = 5000 }), "max-prefetch"},
		{"timeout", ok(func(c *rmqwm.SubscriberConfig) { c.ConsumeTimeout = -time.Second }), "consume-timeout"},
		{"broadcast delay", ok(func(c *rmqwm.SubscriberConfig) { c.BroadcastNackDelay = -time.Second }), "broadcast-nack-delay"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sub, err := rmqwm.NewSubscriber(tt.cfg)
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
	for _, key := range []string{"name-server", "consumer-group", "message-model", "pull-batch-size"} {
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
