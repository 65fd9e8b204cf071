package admin_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/apache/rocketmq-client-go/v2/producer"
	"github.com/rocketkit/rocketkit/admin"
	"github.com/rocketkit/rocketkit/broker"
	"github.com/rocketkit/rocketkit/broker/brokertest"
	"github.com/rocketkit/rocketkit/internal/clienttest"
)

// undecided leaves every local transaction unknown and never answers a
// check-back otherwise.
type undecided struct{}

func (undecided) ExecuteLocalTransaction(*primitive.Message) primitive.LocalTransactionState {
	return primitive.UnkonwnState
}

func (undecided) CheckLocalTransaction(*primitive.MessageExt) primitive.LocalTransactionState {
	return primitive.UnkonwnState
}

// Half messages awaiting their outcome are reported apart from the
// queues' offsets: produced, not visible, not lag (the study's S12; see
// examples/scenarios).
func TestTopicStatsPendingTransactions(t *testing.T) {
	b := brokertest.Start(t, brokertest.WithConfig(func(c *broker.Config) { c.TransactionTimeout = time.Hour }))
	ctx := context.Background()
	const topic = "pending-payments"
	p, err := producer.NewTransactionProducer(undecided{}, producer.WithNameServer(primitive.NamesrvAddr{b.Addr()}),
		producer.WithGroupName("pending-test"), producer.WithInstanceName(clienttest.UniqueName("pending-tx")))
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Start(); err != nil {
		t.Fatal(err)
	}
	defer p.Shutdown()
	for i := range 3 {
		if res, err := p.SendMessageInTransaction(ctx, primitive.NewMessage(topic, fmt.Appendf(nil, "payment %d", i))); err != nil || res.Status != primitive.SendOK {
			t.Fatalf("transactional send %d: %v %v", i, res, err)
		}
	}
	c, err := admin.New(admin.Config{NameServers: []string{b.Addr()}})
	if err != nil {
		t.Fatal(err)
	}
	st, err := c.TopicStats(ctx, topic)
	if err != nil {
		t.Fatal(err)
	}
	var visible int64
	for _, q := range st.Queues {
		visible += q.MaxOffset - q.MinOffset
	}
	if st.PendingTransactions != 3 || visible != 0 {
		t.Errorf("topic stats: %d pending, %d visible; want 3 pending and none visible", st.PendingTransactions, visible)
	}
}
