package listener

import "time"

// Outcome is what became of one handler call.
type Outcome int

const (
	// OutcomeSuccess: the handler returned nil; the messages are acknowledged.
	OutcomeSuccess Outcome = iota
	// OutcomeRetry: the handler returned an error; the messages are
	// retried (concurrent: later, through the retry topic; orderly: after
	// suspending the queue), or dead-lettered once maxReconsume is used up.
	OutcomeRetry
	// OutcomeDiscard: the handler returned Discard(err); the messages go
	// to the dead-letter queue.
	OutcomeDiscard
	// OutcomePanic: the handler panicked; handled like OutcomeRetry.
	OutcomePanic
	// OutcomeInterrupted: shutdown stopped the handler (or it was not
	// started); nothing is acknowledged and the messages are delivered
	// again later.
	OutcomeInterrupted
)

var outcomeNames = [...]string{"success", "retry", "discard", "panic", "interrupted"}

func (o Outcome) String() string {
	if int(o) < len(outcomeNames) {
		return outcomeNames[o]
	}
	return "unknown"
}

// Result describes one handler call, for metrics (see WithObserver).
type Result struct {
	Listener string // listener type name
	Group    string
	Topic    string
	Messages int // messages in the call: 1, or up to the batch size
	Outcome  Outcome
	// Latency is the handler's running time; 0 for OutcomeInterrupted
	// deliveries that never reached the handler.
	Latency time.Duration
	Err     error // the handler's error, nil on success
}
