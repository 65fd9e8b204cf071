package official

import (
	"context"
	"sync"
	"sync/atomic"
)

// firstSends makes a client object's first sends to a topic take turns.
//
// The official client looks a topic's route up on its first send to it,
// and publishes the topic's queues to the object's other sends before the
// broker's address (TopicPublishInfo before brokerAddressesMap, in
// namesrvs.UpdateTopicRouteInfoWithDefault): a send that finds a queue in
// between fails at once with "route info not found", without a retry.
// Concurrent first sends of a new producer therefore fail now and then.
// Until one send to a topic got through (returned no error, so its lookup
// completed), the sends to the topic go one at a time; afterwards they go
// at once.
type firstSends struct {
	topics sync.Map // topic -> *topicTurns
}

// topicTurns is one topic's turn-taking.
type topicTurns struct {
	ready atomic.Bool   // a send got through
	turn  chan struct{} // holds a token while a send has the turn
}

// do runs send, which sends to topic, in turn until the topic is ready.
// send may call through once its route lookup is over, to let the other
// sends go before it returns (a transaction's half message is through
// before its local transaction runs); a send returning no error is
// through. Cancelling ctx abandons the wait for the turn with ctx's error.
func (f *firstSends) do(ctx context.Context, topic string, send func(through func()) error) error {
	v, ok := f.topics.Load(topic)
	if !ok {
		v, _ = f.topics.LoadOrStore(topic, &topicTurns{turn: make(chan struct{}, 1)})
	}
	t := v.(*topicTurns)
	if t.ready.Load() {
		return send(func() {})
	}
	select {
	case t.turn <- struct{}{}:
	case <-ctx.Done():
		return context.Cause(ctx)
	}
	var once sync.Once
	free := func() { once.Do(func() { <-t.turn }) }
	defer free()
	if t.ready.Load() { // got through while this one waited
		free()
		return send(func() {})
	}
	through := func() {
		t.ready.Store(true)
		free()
	}
	err := send(through)
	if err == nil {
		through()
	}
	return err
}
