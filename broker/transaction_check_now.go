package broker

import "time"

// CheckTransactionsNow sends a transaction check-back (CHECK_TRANSACTION_STATE)
// now for every half message of topic awaiting its outcome ("" for every
// topic), to a live producer of the message's group, without waiting for
// TransactionTimeout or TransactionCheckInterval. It returns how many
// checks were sent; a half message whose group has no live producer is
// left for the periodic check. The producer answers asynchronously (with a
// one-way END_TRANSACTION): wait for the outcome, e.g. the message's
// delivery or Stats().PendingTransactions, not for the return.
//
// It is meant for tests of check-back logic (broker/brokertest.CheckBackNow
// wraps it): a forced check counts in Stats().TransactionChecks and
// postpones the next periodic check of the message by
// TransactionCheckInterval, but not toward TransactionCheckMax. It is safe
// for concurrent use.
func (b *Broker) CheckTransactionsNow(topic string) int {
	return b.tx.checkNow(topic, time.Now())
}

// checkNow sends a check for each pending half message of topic ("": all)
// whose group has a live producer, regardless of age and last check.
func (t *transactions) checkNow(topic string, now time.Time) int {
	var due []*halfMessage
	t.mu.Lock()
	for _, h := range t.pending {
		if topic == "" || h.topic == topic {
			due = append(due, h)
		}
	}
	t.mu.Unlock()
	sent := 0
	for _, h := range due {
		c := t.producers.producerConn(h.group)
		if c == nil {
			continue
		}
		if err := t.sendCheck(c, h); err != nil {
			t.log.Error("send transaction check", "msg_id", h.key, "err", err)
			continue
		}
		t.mu.Lock()
		h.lastCheck = now
		t.mu.Unlock()
		t.checked.Add(1)
		sent++
	}
	return sent
}
