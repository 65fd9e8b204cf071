package watermill_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ThreeDotsLabs/watermill/message"
	"go.uber.org/fx"

	"github.com/rocketkit/rocketkit/broker"
	"github.com/rocketkit/rocketkit/broker/brokertest"
	"github.com/rocketkit/rocketkit/starter"
	"github.com/rocketkit/rocketkit/starter/startertest"
	rmqwm "github.com/rocketkit/rocketkit/starter/watermill"
)

// wmACLYAML: wm-account may send to and consume wm-acl-orders in group
// wm-acl-cg; everything else is denied.
const wmACLYAML = `accounts:
  - accessKey: wm-account
    secretKey: wm-secret-key
    defaultTopicPerm: DENY
    defaultGroupPerm: DENY
    topicPerms:
      - wm-acl-orders=PUB|SUB
    groupPerms:
      - wm-acl-cg=SUB
      - wm-acl-pg=PUB
`

// startWMACLBroker starts a broker enforcing wmACLYAML.
func startWMACLBroker(t *testing.T) *broker.Broker {
	t.Helper()
	path := filepath.Join(t.TempDir(), "plain_acl.yml")
	if err := os.WriteFile(path, []byte(wmACLYAML), 0o600); err != nil {
		t.Fatal(err)
	}
	return brokertest.Start(t, brokertest.WithACL(path))
}

// startWMACLApp starts an app on b, signing as wm-account with secret sk
// on client which, with ProvidePublisher and ProvideSubscriber, and
// returns its publisher and subscriber.
func startWMACLApp(t *testing.T, b *broker.Broker, which, sk string) (message.Publisher, message.Subscriber) {
	t.Helper()
	var (
		pub message.Publisher
		sub message.Subscriber
	)
	startertest.New(t,
		startertest.Config(map[string]any{
			"rocketmq.name-server": b.Addr(), "rocketmq.client": which,
			"rocketmq.access-key": "wm-account", "rocketmq.secret-key": sk,
		}),
		startertest.Fx(
			rmqwm.ProvidePublisher(rmqwm.PublisherConfig{ProducerGroup: "wm-acl-pg"}),
			rmqwm.ProvideSubscriber(rmqwm.SubscriberConfig{ConsumerGroup: "wm-acl-cg"}),
			fx.Populate(&pub, &sub),
		),
	)
	return pub, sub
}

// ProvidePublisher and ProvideSubscriber on a broker with ACL, on either
// client: the app's rocketmq.access-key and secret-key sign the
// publisher's sends and the subscriber's consumer, so a message published
// is received.
func TestProvidePubSubACL(t *testing.T) {
	for _, which := range []string{starter.ClientRocketKit, starter.ClientOfficial} {
		t.Run(which, func(t *testing.T) {
			pub, sub := startWMACLApp(t, startWMACLBroker(t), which, "wm-secret-key")
			if err := pub.Publish("wm-acl-orders:created", message.NewMessage("acl-1", []byte("signed"))); err != nil {
				t.Fatalf("publish: %v", err)
			}
			msgs, err := sub.Subscribe(context.Background(), "wm-acl-orders:created")
			if err != nil {
				t.Fatalf("subscribe: %v", err)
			}
			got := receive(t, msgs)
			if got.UUID != "acl-1" || string(got.Payload) != "signed" {
				t.Errorf("received %s %s, want acl-1 signed", got.UUID, got.Payload)
			}
			got.Ack()
		})
	}
}

// With a wrong secret key, on either client, Publish fails with the
// broker's NO_PERMISSION refusal naming the signature mismatch.
func TestProvidePublisherACLWrongSecret(t *testing.T) {
	for _, which := range []string{starter.ClientRocketKit, starter.ClientOfficial} {
		t.Run(which, func(t *testing.T) {
			pub, _ := startWMACLApp(t, startWMACLBroker(t), which, "not-the-secret")
			err := pub.Publish("wm-acl-orders:created", message.NewMessage("acl-2", []byte("refused")))
			if err == nil {
				t.Fatal("publish with a wrong secret key accepted, want NO_PERMISSION")
			}
			msg := err.Error()
			// The kit's client says NO_PERMISSION (16), the official one CODE: 16, DESC: No permission.
			if !(strings.Contains(msg, "NO_PERMISSION (16): No permission") || strings.Contains(msg, "CODE: 16, DESC: No permission")) ||
				!strings.Contains(msg, "signature mismatch for access key wm-account") {
				t.Fatalf("publish: %v\nwant NO_PERMISSION naming the signature mismatch", err)
			}
		})
	}
}
