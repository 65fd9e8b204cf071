package admin_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/apache/rocketmq-client-go/v2/producer"
	"github.com/rocketkit/rocketkit/admin"
	"github.com/rocketkit/rocketkit/broker"
	"github.com/rocketkit/rocketkit/broker/brokertest"
)

// A topic's lifecycle through the admin client: created with two queues,
// written to through the official client, inspected, deleted.
func TestTopicLifecycle(t *testing.T) {
	// Without auto-creation, as on a production cluster: a route lookup
	// does not create the topic it asks about.
	b := brokertest.Start(t, brokertest.WithConfig(func(c *broker.Config) { c.DisableAutoCreateTopic = true }))
	ctx := t.Context()
	c, err := admin.New(admin.Config{NameServers: []string{b.Addr()}})
	if err != nil {
		t.Fatal(err)
	}
	const topic = "admin-lifecycle"
	updated, err := c.UpdateTopic(ctx, admin.TopicSpec{Topic: topic, ReadQueues: 2, WriteQueues: 2})
	if err != nil {
		t.Fatal(err)
	}
	if len(updated) != 1 || updated[0] != b.Addr() {
		t.Errorf("updated %v, want [%s]", updated, b.Addr())
	}
	route, err := c.Route(ctx, topic)
	if err != nil {
		t.Fatal(err)
	}
	if len(route.Queues) != 1 || route.Queues[0].WriteQueues != 2 || route.Queues[0].ReadQueues != 2 || route.Queues[0].Perm != 6 {
		t.Errorf("route queues %+v, want 2 read and 2 write queues, perm 6", route.Queues)
	}
	if _, err := c.UpdateTopic(ctx, admin.TopicSpec{Topic: "bad topic!"}); err == nil {
		t.Error("update of an illegal topic name: no error")
	}
	if _, err := c.UpdateTopic(ctx, admin.TopicSpec{Topic: topic, Cluster: "no-such-cluster"}); err == nil {
		t.Error("update on an unknown cluster: no error")
	}

	p, err := producer.NewDefaultProducer(producer.WithNameServer(primitive.NamesrvAddr{b.Addr()}),
		producer.WithGroupName("admin-lifecycle"), producer.WithInstanceName("admin-lifecycle-producer"))
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Start(); err != nil {
		t.Fatal(err)
	}
	defer p.Shutdown()
	for i := range 6 {
		if _, err := p.SendSync(ctx, primitive.NewMessage(topic, fmt.Appendf(nil, "m%d", i))); err != nil {
			t.Fatal(err)
		}
	}
	status, err := c.TopicStatus(ctx, topic)
	if err != nil {
		t.Fatal(err)
	}
	var total int64
	for _, q := range status {
		total += q.MaxOffset - q.MinOffset
		if q.Topic != topic || q.BrokerName == "" {
			t.Errorf("queue status %+v", q)
		}
	}
	if len(status) != 2 || total != 6 {
		t.Errorf("status %+v: want 2 queues holding 6 messages", status)
	}
	if _, err := c.TopicStatus(ctx, "admin-nope"); !errors.Is(err, admin.ErrTopicNotFound) {
		t.Errorf("status of an unknown topic: %v, want ErrTopicNotFound", err)
	}

	if err := c.DeleteTopic(ctx, topic); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Route(ctx, topic); !errors.Is(err, admin.ErrTopicNotFound) {
		t.Errorf("route after delete: %v, want ErrTopicNotFound", err)
	}
	if err := c.DeleteTopic(ctx, topic); !errors.Is(err, admin.ErrTopicNotFound) {
		t.Errorf("second delete: %v, want ErrTopicNotFound", err)
	}
}

// A name server that cannot be reached is reported as a DialError naming it.
func TestUnreachableNameServer(t *testing.T) {
	c, err := admin.New(admin.Config{NameServers: []string{"127.0.0.1:1"}, Timeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Topics(t.Context())
	var dial *admin.DialError
	if !errors.As(err, &dial) || dial.Addr != "127.0.0.1:1" {
		t.Fatalf("error %v (%T), want a DialError for 127.0.0.1:1", err, err)
	}
	if !strings.Contains(err.Error(), "127.0.0.1:1") {
		t.Errorf("message %q does not name the address", err)
	}
}
