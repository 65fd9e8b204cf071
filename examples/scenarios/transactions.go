package main

import (
	"context"
	"fmt"
	"slices"
	"sync/atomic"
	"time"

	"github.com/rocketkit/rocketkit/client"
)

// localTx is the "local transaction" of S12, decided by the message's tag:
// TagA rolls back, TagB commits, TagC does not know yet (the broker will
// check back).
func localTx(tag string) client.TransactionState {
	switch tag {
	case "TagA":
		return client.RollbackTransaction
	case "TagB":
		return client.CommitTransaction
	}
	return client.UnknownTransaction
}

// s12Transactions: nine transactional sends; rolled back never delivered,
// committed at once, unknown after the check-back commits it.
func s12Transactions(ctx context.Context, e *env) (string, error) {
	const topic = "t_tx"
	var checks atomic.Int64
	// The check-back: the local transaction of a TagC message has
	// committed by now; the others were answered at once (a TagA check
	// would roll back again).
	checker := client.TransactionCheckerFunc(func(_ context.Context, m *client.MessageExt) client.TransactionState {
		checks.Add(1)
		if m.Tag == "TagA" {
			return client.RollbackTransaction
		}
		return client.CommitTransaction
	})
	p, err := e.c.NewTransactionProducer(client.ProducerConfig{Group: "p_tx"}, checker)
	if err != nil {
		return "", err
	}
	defer p.Close()
	if err := e.createTopic(ctx, topic); err != nil {
		return "", err
	}
	c, con, err := e.consume(ctx, nil, client.ConsumerConfig{Group: "c_tx",
		Subscriptions: []client.Subscription{{Topic: topic, Expression: "*"}}, ConsumeFrom: client.ConsumeFromFirstOffset})
	if err != nil {
		return "", err
	}
	defer stop(con)

	start := time.Now()
	for i := range 9 {
		tag := []string{"TagA", "TagB", "TagC"}[i%3]
		m := &client.Message{Topic: topic, Tag: tag, Body: fmt.Appendf(nil, "%s-%d", tag, i)}
		res, state, err := p.SendInTransaction(ctx, m, func(context.Context, *client.SendResult) client.TransactionState {
			return localTx(tag)
		})
		if err != nil || res.Status != client.SendOK || state != localTx(tag) {
			return "", fmt.Errorf("transactional send %d: %v %v %v", i, res, state, err)
		}
	}
	if _, err := e.waitFor(c, 6); err != nil {
		return "", err
	}
	took := time.Since(start)
	// What the topic holds is what was committed: a rolled-back half
	// message never enters it, so nothing else can be delivered later.
	status, err := e.adm.TopicStatus(ctx, topic)
	if err != nil {
		return "", err
	}
	stored := int64(0)
	for _, q := range status {
		stored += q.MaxOffset - q.MinOffset
	}
	if stored != 6 {
		return "", fmt.Errorf("%s holds %d messages, want the 6 committed", topic, stored)
	}
	got := c.bodies()
	slices.Sort(got)
	want := []string{"TagB-1", "TagB-4", "TagB-7", "TagC-2", "TagC-5", "TagC-8"}
	if !slices.Equal(got, want) {
		return "", fmt.Errorf("delivered %v, want %v", got, want)
	}
	if checks.Load() < 3 {
		return "", fmt.Errorf("%d check-backs, want at least 3", checks.Load())
	}
	return fmt.Sprintf("TagA rolled back (never delivered), TagB committed (delivered at once), TagC committed after %d check-backs, %v after sending (transactionTimeOut here %v, 6 s by default)",
		checks.Load(), took.Round(10*time.Millisecond), txTimeout), nil
}
