package main

import (
	"context"
	"fmt"
	"slices"
	"sync/atomic"
	"time"

	rocketmq "github.com/apache/rocketmq-client-go/v2"
	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/apache/rocketmq-client-go/v2/producer"
)

// orderTx decides the local transactions of S12 by tag: TagA rolls back,
// TagB commits, TagC stays unknown until the broker checks back, which is
// answered with commit.
type orderTx struct{ checks atomic.Int64 }

// ExecuteLocalTransaction runs the "local transaction" of one message.
func (*orderTx) ExecuteLocalTransaction(m *primitive.Message) primitive.LocalTransactionState {
	switch m.GetTags() {
	case "TagA":
		return primitive.RollbackMessageState
	case "TagB":
		return primitive.CommitMessageState
	}
	return primitive.UnkonwnState
}

// CheckLocalTransaction answers the broker's check-back.
func (t *orderTx) CheckLocalTransaction(*primitive.MessageExt) primitive.LocalTransactionState {
	t.checks.Add(1)
	return primitive.CommitMessageState
}

// s12Transactions: nine transactional sends; rolled back never delivered,
// committed at once, unknown after the check-back commits it.
func s12Transactions(ctx context.Context, e *env) (string, error) {
	const topic = "t_tx"
	tx := &orderTx{}
	p, err := rocketmq.NewTransactionProducer(tx,
		producer.WithNameServer(primitive.NamesrvAddr{e.addr}),
		producer.WithGroupName("p_tx"),
		producer.WithInstanceName(e.name("p_tx")), // a transactional producer needs its own instance
	)
	if err != nil {
		return "", err
	}
	if err := p.Start(); err != nil {
		return "", err
	}
	defer p.Shutdown()
	c, stop, err := e.consume(subscription{group: "c_tx", topic: topic, expr: "*"})
	if err != nil {
		return "", err
	}
	defer stop()

	start := time.Now()
	for i := range 9 {
		tag := []string{"TagA", "TagB", "TagC"}[i%3]
		m := primitive.NewMessage(topic, fmt.Appendf(nil, "%s-%d", tag, i)).WithTag(tag)
		if res, err := p.SendMessageInTransaction(ctx, m); err != nil || res.Status != primitive.SendOK {
			return "", fmt.Errorf("transactional send %d: %v %v", i, res, err)
		}
	}
	got, err := e.waitFor(c, 6)
	if err != nil {
		return "", err
	}
	took := time.Since(start)
	time.Sleep(300 * time.Millisecond) // a rolled-back message would come with the others
	got = c.bodies()
	slices.Sort(got)
	want := []string{"TagB-1", "TagB-4", "TagB-7", "TagC-2", "TagC-5", "TagC-8"}
	if !slices.Equal(got, want) {
		return "", fmt.Errorf("delivered %v, want %v", got, want)
	}
	if tx.checks.Load() < 3 {
		return "", fmt.Errorf("%d check-backs, want at least 3", tx.checks.Load())
	}
	return fmt.Sprintf("TagA rolled back (never delivered), TagB committed (delivered at once), TagC committed after %d check-backs, %v after sending (transactionTimeOut here %v, 6 s by default)",
		tx.checks.Load(), took.Round(10*time.Millisecond), txTimeout), nil
}
