package admin_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/apache/rocketmq-client-go/v2/consumer"
	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/apache/rocketmq-client-go/v2/producer"
	"github.com/rocketkit/rocketkit/admin"
	"github.com/rocketkit/rocketkit/broker/brokertest"
	"github.com/rocketkit/rocketkit/internal/clienttest"
)

func TestMain(m *testing.M) { clienttest.VerifyMain(m) }

func TestAdminAgainstBroker(t *testing.T) {
	b := brokertest.Start(t)
	ctx := t.Context()
	p, err := producer.NewDefaultProducer(producer.WithNameServer(primitive.NamesrvAddr{b.Addr()}),
		producer.WithGroupName("admin-test"), producer.WithInstanceName("admin-test-producer"))
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Start(); err != nil {
		t.Fatal(err)
	}
	defer p.Shutdown()
	var sent *primitive.SendResult
	for i := range 5 {
		msg := primitive.NewMessage("admin-orders", []byte(fmt.Sprintf("order %d", i))).WithKeys([]string{fmt.Sprintf("order-%d", i)})
		if sent, err = p.SendSync(ctx, msg); err != nil {
			t.Fatal(err)
		}
	}

	c, err := admin.New(admin.Config{NameServers: admin.ParseNameServers("127.0.0.1:1;" + b.Addr()), Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	topics, err := c.Topics(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !contains(topics, "admin-orders") {
		t.Errorf("topics %v lack admin-orders", topics)
	}
	info, err := c.Cluster(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got := info.Brokers["broker-a"].Master(); got != b.Addr() {
		t.Errorf("cluster master %q, want %q", got, b.Addr())
	}
	if _, err := c.Route(ctx, "bad topic!"); !errors.Is(err, admin.ErrTopicNotFound) {
		t.Errorf("route of an illegal topic: %v, want ErrTopicNotFound", err)
	}

	found, err := c.QueryByKey(ctx, admin.Query{Topic: "admin-orders", Key: "order-4"})
	if err != nil {
		t.Fatal(err)
	}
	if len(found) != 1 || string(found[0].Body) != "order 4" {
		t.Errorf("query order-4 found %d messages", len(found))
	}
	byID, err := c.QueryByKey(ctx, admin.Query{Topic: "admin-orders", Key: sent.MsgID})
	if err != nil || len(byID) != 1 {
		t.Errorf("query by unique id: %d messages, %v", len(byID), err)
	}
	none, err := c.QueryByKey(ctx, admin.Query{Topic: "admin-orders", Key: "order-99"})
	if err != nil || len(none) != 0 {
		t.Errorf("query of a missing key: %d messages, %v", len(none), err)
	}
	m, err := c.ViewMessage(ctx, sent.OffsetMsgID)
	if err != nil || string(m.Body) != "order 4" {
		t.Errorf("view %s: %v %q", sent.OffsetMsgID, err, m.Body)
	}

	// Shut down at test end once settled (see clienttest.Consumer).
	cons := clienttest.NewConsumer(t, b, consumer.WithNameServer(primitive.NamesrvAddr{b.Addr()}),
		consumer.WithGroupName("admin-billing"), consumer.WithInstance("admin-test-consumer"),
		consumer.WithConsumeFromWhere(consumer.ConsumeFromFirstOffset))
	got := make(chan struct{}, 5)
	_ = cons.Subscribe("admin-orders", consumer.MessageSelector{Type: consumer.TAG, Expression: "*"},
		func(context.Context, ...*primitive.MessageExt) (consumer.ConsumeResult, error) {
			got <- struct{}{}
			return consumer.ConsumeSuccess, nil
		})
	if err := cons.Start(); err != nil {
		t.Fatal(err)
	}
	for range 5 {
		<-got
	}
	members, err := c.GroupMembers(ctx, "admin-billing")
	if err != nil || len(members) != 1 || members[0].Subscriptions["admin-orders"] != "*" ||
		members[0].Language != "GO" || members[0].Version != 317 {
		t.Errorf("members: %+v, %v", members, err)
	}
	if _, err := c.GroupMembers(ctx, "nobody"); !errors.Is(err, admin.ErrGroupOffline) {
		t.Errorf("members of an unknown group: %v, want ErrGroupOffline", err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		stats, err := c.ConsumeStats(ctx, "admin-billing", "admin-orders")
		if err != nil {
			t.Fatal(err)
		}
		var lag int64
		for _, q := range stats {
			lag += q.Lag()
		}
		if len(stats) == 4 && lag == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("lag %d over %d queues, want 0 over 4", lag, len(stats))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
