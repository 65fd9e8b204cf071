package starter

import (
	"time"

	"github.com/rocketkit/rocketkit/listener"
	"github.com/rocketkit/rocketkit/outbox"
)

// Metrics receives what the module measures. Provide an implementation
// through fx to collect it, e.g.
//
//	fx.Provide(fx.Annotate(newPromMetrics, fx.As(new(starter.Metrics))))
//
// The module does not depend on any metrics library; a Prometheus or
// OpenTelemetry adapter implements this interface (the nested module
// github.com/rocketkit/rocketkit/otel is the OpenTelemetry one). Methods are called
// from many goroutines at once, on the send or consume path: they must be
// safe for concurrent use and must not block.
type Metrics interface {
	// Sent is called after every send attempt of the template.
	Sent(SendEvent)
	// Handled is called after every handler call of a listener and for
	// deliveries that shutdown interrupted. Count consumed, failed
	// (OutcomeRetry, OutcomePanic), dead-lettered (OutcomeDiscard)
	// messages by Outcome; Latency is the handler latency.
	Handled(listener.Result)
}

// OutboxMetrics is implemented by a Metrics that also measures the
// outbox relay Outbox runs; Metrics implementations without it are not
// asked. OutboxRelayed is called from the relay's workers, concurrently,
// after each batch's outcome is committed, with what the batch added to
// the relay's counts (rows sent, retried, compensated, failed, released;
// and after each prune, rows pruned): add them to counters. The backlog
// (rows not sent yet) is a gauge read from the table: call
// OutboxRelay.Backlog from the metrics library's collector.
type OutboxMetrics interface {
	OutboxRelayed(outbox.RelayStats)
}

// SendMode is how a message was sent.
type SendMode string

// Send modes.
const (
	ModeSync    SendMode = "sync"
	ModeAsync   SendMode = "async"
	ModeOneway  SendMode = "oneway"
	ModeOrderly SendMode = "orderly"
	ModeBatch   SendMode = "batch"
	ModeRequest SendMode = "request" // SendAndReceive; Latency until the reply came
)

// SendEvent describes one send.
type SendEvent struct {
	Topic    string
	Mode     SendMode
	Messages int
	// Status is the broker's answer; SendUnknown for oneway sends and
	// failures.
	Status  SendStatus
	Latency time.Duration // until the broker answered (async: until the callback)
	Err     error
}
