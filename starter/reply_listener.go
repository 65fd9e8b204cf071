package starter

import (
	"context"
	"fmt"

	"github.com/rocketkit/rocketkit/client"
	"github.com/rocketkit/rocketkit/transport"
)

// replyGroupSuffix names the producer group a reply listener sends its
// replies with: the listener's consumer group plus this.
const replyGroupSuffix = "-reply"

// startReplies makes the producer a reply listener (listener.ReplyHandler)
// sends its replies with, on the listener's backend; nothing for other
// listeners.
func (it *runningListener) startReplies(backend transport.Backend) error {
	if !it.disp.Replies() {
		return nil
	}
	group := it.spec.Group + replyGroupSuffix
	p, err := backend.NewProducer(client.ProducerConfig{Group: group})
	if err != nil {
		return fmt.Errorf("starter: listener %s: new reply producer %s: %w", it.spec.Listener, group, err)
	}
	it.replies.Store(&producerHolder{p: p})
	return nil
}

// stopReplies closes the reply producer, after the consumer.
func (it *runningListener) stopReplies() error {
	h := it.replies.Swap(nil)
	if h == nil {
		return nil
	}
	if err := h.p.Close(); err != nil {
		return fmt.Errorf("starter: listener %s: close reply producer: %w", it.spec.Listener, err)
	}
	return nil
}

// sendReply is the listener's listener.ReplySender; ErrNotStarted once the
// listener stopped.
func (it *runningListener) sendReply(ctx context.Context, reply *client.Message) error {
	h := it.replies.Load()
	if h == nil {
		return ErrNotStarted
	}
	if _, err := h.p.Send(ctx, reply); err != nil {
		return fmt.Errorf("starter: listener %s: send reply: %w", it.spec.Listener, err)
	}
	return nil
}
