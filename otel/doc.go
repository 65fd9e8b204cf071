// Package rkotel instruments RocketKit with OpenTelemetry: traces that
// follow each message from its sender to the listener that handles it,
// through the outbox relay and transaction check-backs, and metrics of
// sends, handler calls, the outbox relay and check-backs. It is a Go
// module of its own (github.com/rocketkit/rocketkit/otel) so that only
// applications that import it get OpenTelemetry; the kit itself calls
// the dependency-free seams starter.Metrics, starter.OutboxMetrics and
// tracing.Tracer, which this package implements.
//
// One fx option wires it into an app that uses starter.Module:
//
//	app := fx.New(
//		starter.Module,
//		rkotel.Module(tp, mp),
//		starter.Listener(NewBillOrders),
//	)
//
// tp and mp are the application's trace.TracerProvider and
// metric.MeterProvider (nil: OpenTelemetry's global ones). Without fx, New
// returns the Instrumentation to pass to the kit's components
// (outbox.WithTracer, outbox.WithMetrics, txcheck.WithTracer,
// listener.WithTracer).
//
// # Traces
//
// The trace context travels in each message's user properties, as W3C
// trace context (traceparent and tracestate; WithPropagator changes the
// propagator), so a consumer instrumented by any OpenTelemetry RocketMQ
// instrumentation that reads user properties continues it. Spans follow
// OpenTelemetry's messaging semantic conventions (semconv v1.43.0):
//
//   - "send <topic>", kind PRODUCER, for each send of the Template (one
//     span per batch), of the outbox relay and of txcheck's transactional
//     sends (covering the half message, the local transaction and the
//     outcome): messaging.system rocketmq, messaging.operation.type send,
//     messaging.destination.name, messaging.message.id,
//     messaging.rocketmq.message.tag, .keys, .type (normal, fifo, delay,
//     transaction), messaging.batch.message_count for batches. Its
//     context is written into the message.
//   - "process <topic>", kind CONSUMER, for each handler call of a
//     listener, with messaging.consumer.group.name,
//     messaging.rocketmq.consumption_model and rocketkit.outcome (success,
//     retry, discard, panic, interrupted); a failed call has status Error.
//     The conventions require a link to each message's creation context
//     and allow it as the parent when one message is processed: a
//     single-message call is a child of the send span and links to it; a
//     batch call starts a trace of its own and links to every message's.
//     Redeliveries are children of the same send span.
//   - The outbox: Publish records the writer's trace context in the row's
//     properties (outbox.WithTracer); the relay's send span of a single
//     row is a child of the writer's span, so that writer, relay send and
//     listener are one trace. A batch of rows is sent in one span that
//     links to each writer's context, and each message keeps its writer's
//     context (its listener's span is then a child of the writer's).
//   - "check <topic>", kind SERVER (the broker's request to the
//     producer), for each transaction check-back, a child of the half
//     message's send span and linked to it, with rocketkit.txcheck.state.
//
// # Metrics
//
// Instruments of the meter "github.com/rocketkit/rocketkit/otel", every
// one with messaging.system rocketmq:
//
//	messaging.client.sent.messages       counter {message}: the Template's
//	                                     sends; messaging.destination.name,
//	                                     rocketkit.send.mode, error.type
//	messaging.client.operation.duration  histogram s: each Template send
//	                                     (messaging.operation.type send)
//	messaging.client.consumed.messages   counter {message}: messages handed
//	                                     to listeners; messaging.consumer.
//	                                     group.name, messaging.destination.
//	                                     name, rocketkit.outcome, error.type
//	messaging.process.duration           histogram s: each handler call
//	rocketkit.outbox.relay.rows          counter {row}: the relay's rows by
//	                                     rocketkit.outbox.state (claimed,
//	                                     sent, found, retried, compensated,
//	                                     failed, released, pruned)
//	rocketkit.outbox.backlog             gauge {row}: rows not sent yet,
//	                                     read on collection (starter.Outbox)
//	rocketkit.txcheck.sends              counter {message}: transactional
//	                                     sends, error.type when they failed
//	rocketkit.txcheck.checks             counter {check}: check-backs by
//	                                     rocketkit.txcheck.state (commit,
//	                                     rollback, unknown), error.type
package rkotel
