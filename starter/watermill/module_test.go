package watermill_test

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"go.uber.org/fx"

	"github.com/rocketkit/rocketkit/client"
	"github.com/rocketkit/rocketkit/internal/clienttest"
	"github.com/rocketkit/rocketkit/starter"
	"github.com/rocketkit/rocketkit/starter/startertest"
	rmqwm "github.com/rocketkit/rocketkit/starter/watermill"
)

// ProvidePublisher and ProvideSubscriber run on the app's endpoint: its
// broker, rocketmq.client's backend and rocketmq.namespace. They refuse
// work before the app starts and after it stops, and the app's stop ends
// the subscriptions.
func TestProvidePubSub(t *testing.T) {
	for _, which := range []string{starter.ClientRocketKit, starter.ClientOfficial} {
		t.Run(which, func(t *testing.T) {
			logs := &clienttest.LockedBuffer{}
			var (
				pub           message.Publisher
				sub           message.Subscriber
				beforeStart   error
				subBeforeStrt error
			)
			app := startertest.New(t,
				startertest.Config(map[string]any{"rocketmq.client": which, "rocketmq.namespace": "wmns"}),
				startertest.Logger(slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))),
				startertest.Fx(
					rmqwm.ProvidePublisher(rmqwm.PublisherConfig{ProducerGroup: "wm-fx-pub"}),
					rmqwm.ProvideSubscriber(rmqwm.SubscriberConfig{ConsumerGroup: "wm-fx-{topic}"}),
					fx.Populate(&pub, &sub),
					fx.Invoke(func(p message.Publisher, s message.Subscriber) {
						beforeStart = p.Publish("wm-fx-orders", message.NewMessage("early", []byte("x")))
						_, subBeforeStrt = s.Subscribe(context.Background(), "wm-fx-orders")
					}),
				),
			)
			if !errors.Is(beforeStart, rmqwm.ErrNotStarted) || !errors.Is(subBeforeStrt, rmqwm.ErrNotStarted) {
				t.Errorf("before start: Publish %v, Subscribe %v; want ErrNotStarted", beforeStart, subBeforeStrt)
			}

			msg := message.NewMessage("order-1", []byte(`{"total":42}`))
			msg.Metadata.Set("customer", "ada")
			if err := pub.Publish("wm-fx-orders:created", msg); err != nil {
				t.Fatalf("publish: %v", err)
			}
			msgs, err := sub.Subscribe(context.Background(), "wm-fx-orders:created")
			if err != nil {
				t.Fatalf("subscribe: %v", err)
			}
			got := receive(t, msgs)
			tag, _ := rmqwm.TagFromCtx(got.Context())
			if got.UUID != "order-1" || string(got.Payload) != `{"total":42}` || tag != "created" || got.Metadata.Get("customer") != "ada" {
				t.Errorf("received %s %s tag=%s metadata=%v", got.UUID, got.Payload, tag, got.Metadata)
			}
			got.Ack()

			// The endpoint's namespace and client were used.
			adm, err := app.Endpoint.Admin()
			if err != nil {
				t.Fatal(err)
			}
			topics, err := adm.Topics(t.Context())
			if err != nil || !slices.Contains(topics, "wmns%wm-fx-orders") {
				t.Errorf("topics %q (%v), want wmns%%wm-fx-orders", topics, err)
			}
			if !strings.Contains(logs.String(), "backend="+which) {
				t.Errorf("no record of a publisher on the %s backend in:\n%s", which, logs)
			}

			app.RequireStop()
			select {
			case m, ok := <-msgs:
				if ok {
					t.Errorf("message %s after stop", m.UUID)
				}
			case <-time.After(receiveTimeout):
				t.Fatal("the subscription's channel is open after the app stopped")
			}
			if err := pub.Publish("wm-fx-orders", message.NewMessage("late", []byte("x"))); !errors.Is(err, rmqwm.ErrPublisherClosed) {
				t.Errorf("Publish after stop: %v, want ErrPublisherClosed", err)
			}
			if _, err := sub.Subscribe(context.Background(), "wm-fx-orders"); !errors.Is(err, rmqwm.ErrSubscriberClosed) {
				t.Errorf("Subscribe after stop: %v, want ErrSubscriberClosed", err)
			}
		})
	}
}

// A Broadcasting subscriber without an OffsetDir keeps its offsets where
// the app's broadcasting listeners do: beside the embedded broker's data.
func TestProvideSubscriberBroadcastingOffsets(t *testing.T) {
	dataDir := t.TempDir()
	var (
		pub message.Publisher
		sub message.Subscriber
	)
	app := startertest.New(t,
		startertest.Config(map[string]any{"rocketmq.embedded.data-dir": dataDir}),
		startertest.Fx(
			rmqwm.ProvidePublisher(rmqwm.PublisherConfig{}),
			rmqwm.ProvideSubscriber(rmqwm.SubscriberConfig{ConsumerGroup: "wm-fx-bc", MessageModel: rmqwm.Broadcasting}),
			fx.Populate(&pub, &sub),
		),
	)
	if err := pub.Publish("wm-fx-news", message.NewMessage("news-1", []byte("hello"))); err != nil {
		t.Fatal(err)
	}
	msgs, err := sub.Subscribe(context.Background(), "wm-fx-news")
	if err != nil {
		t.Fatal(err)
	}
	receive(t, msgs).Ack()
	app.RequireStop()
	path := filepath.Join(dataDir, "client-offsets", "wm-fx-bc", "offsets.json")
	b, err := os.ReadFile(path)
	if err != nil || !strings.Contains(string(b), "wm-fx-news") {
		t.Errorf("offsets file %s: %q, %v", path, b, err)
	}
}

// pubSub makes the app construct whichever of the two it provides.
type pubSub struct {
	fx.In

	Publisher  message.Publisher  `optional:"true"`
	Subscriber message.Subscriber `optional:"true"`
}

// Configurations that cannot work fail the app's construction or start,
// saying which key is wrong.
func TestProvideErrors(t *testing.T) {
	for _, tt := range []struct {
		name   string
		values map[string]any
		opt    fx.Option
		want   string
	}{
		{"publisher client", nil,
			rmqwm.ProvidePublisher(rmqwm.PublisherConfig{Client: client.Config{NameServers: []string{"127.0.0.1:9876"}}}),
			"watermill publisher config client: must be empty with starter.Module"},
		{"subscriber client", nil,
			rmqwm.ProvideSubscriber(rmqwm.SubscriberConfig{ConsumerGroup: "g", Client: client.Config{Namespace: "ns"}}),
			"watermill subscriber config client: must be empty with starter.Module"},
		{"subscriber group", nil,
			rmqwm.ProvideSubscriber(rmqwm.SubscriberConfig{}),
			"watermill subscriber config consumer-group: is required"},
		{"the template's producer group", map[string]any{"rocketmq.producer.group": "wm-fx-shared"},
			rmqwm.ProvidePublisher(rmqwm.PublisherConfig{ProducerGroup: "wm-fx-shared"}),
			`watermill publisher config producer-group: "wm-fx-shared" is used by another producer of this backend`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := startertest.Start(t, startertest.Config(tt.values), startertest.Fx(tt.opt, fx.Invoke(func(used pubSub) {})))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}
