// Package tracing is the kit's seam for distributed tracing. The kit
// calls a Tracer, when one is given, around every message it sends (the
// starter's Template, the outbox relay, txcheck's transactional sends),
// every delivery a listener handles and every transaction check-back it
// answers, and asks it to carry the writer's trace context in each outbox
// row. The package depends on no tracing library: the nested module
// github.com/rocketkit/rocketkit/otel implements Tracer with OpenTelemetry
// (W3C trace context in message user properties, messaging spans), and
// only applications that import it get OpenTelemetry.
//
// A nil Tracer traces nothing and costs one nil check per call site.
// The starter (package starter) takes a Tracer from the fx graph, when
// one is provided, and passes it to the Template, the listeners, the
// outbox (outbox.WithTracer) and TxCheck (txcheck.WithTracer).
package tracing

import (
	"context"

	"github.com/rocketkit/rocketkit/client"
)

// Tracer is called around the kit's sends, deliveries and check-backs.
// Every method may be called from many goroutines at once, on the send
// or consume path: implementations must be safe for concurrent use and
// must not block. Each Start method returns the context the operation
// runs with (the handler's, the send's, the checker's) and a function
// the kit calls exactly once when the operation ended; neither is nil.
type Tracer interface {
	// StartSend is called before s.Messages are sent. It may add user
	// properties to each message (the trace context: create the map when
	// nil) and must not change anything else. A message that already
	// carries a trace context (an outbox row's, recorded by Inject when
	// it was written) was created in that context.
	StartSend(ctx context.Context, s Send) (context.Context, func(*client.SendResult, error))
	// StartDelivery is called before a listener's handler runs with
	// d.Messages; the returned context is the handler's parent. The end
	// function gets the outcome's name (listener.Outcome's String:
	// "success", "retry", "discard", "panic", "interrupted") and the
	// handler's error.
	StartDelivery(ctx context.Context, d Delivery) (context.Context, func(outcome string, err error))
	// StartCheck is called before a transaction check-back of c.Message
	// is answered; the returned context is the checker's. The end function
	// gets the answer ("commit", "rollback", "unknown") and the checker's
	// error.
	StartCheck(ctx context.Context, c Check) (context.Context, func(state string, err error))
	// Inject adds ctx's trace context to props, the user properties of a
	// message that will be sent later (an outbox row, stored with them).
	Inject(ctx context.Context, props map[string]string)
}

// Send describes a send about to start.
type Send struct {
	// Mode is how the messages are sent: the starter's send modes
	// ("sync", "async", "oneway", "orderly", "batch", "request", "reply"),
	// "outbox" (the outbox relay) or "transaction" (txcheck's half
	// message, which the local transaction's outcome commits or rolls
	// back before the end function is called).
	Mode string
	// Group is the producer group ("" when the sender does not know it).
	Group string
	// Messages are sent in one request: one message, or a batch.
	Messages []*client.Message
}

// Delivery describes the messages of one handler call.
type Delivery struct {
	Listener string // the listener's type name
	Group    string // consumer group
	Topic    string // the subscribed topic
	// Broadcasting is true for broadcasting listeners (every member gets
	// every message), false for clustering ones.
	Broadcasting bool
	// Orderly is true for orderly listeners.
	Orderly  bool
	Messages []*client.MessageExt // one, or a batch
}

// Check describes a transaction check-back.
type Check struct {
	Group   string             // the transactional producer's group
	Message *client.MessageExt // the half message as the broker sent it
}
