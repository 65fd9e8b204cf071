package listener

import "context"

// Handler handles one message at a time. A listener struct implements
// Handler unless its tag sets batch.
//
// Handle is called from several goroutines at once for a concurrent
// listener and from one goroutine per queue for an orderly one. ctx is
// cancelled when the handler's timeout passes or when shutdown gives up
// waiting for it. The returned error decides the message's fate:
//
//   - nil: done; the message is acknowledged.
//   - an error: retried later (concurrent) or after suspending the queue
//     for a moment (orderly), up to the listener's maxReconsume, then
//     dead-lettered.
//   - Discard(err): dead-lettered at once.
//
// A panic is recovered and counts as an error.
type Handler interface {
	Handle(ctx context.Context, m *Message) error
}

// BatchHandler handles up to the tag's batch size of messages at once. The
// result applies to the whole batch, with the same meaning as for Handler.
type BatchHandler interface {
	HandleBatch(ctx context.Context, msgs []*Message) error
}
