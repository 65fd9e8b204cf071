package listener

// Orderly marks a listener struct as an orderly listener: messages of one
// queue are handled one delivery at a time, in queue order, by one member
// of the group at a time (S4, S7). Embed it as a field and put the
// listener's annotation in its struct tag:
//
//	type BillOrders struct {
//		listener.Orderly `topic:"orders" group:"billing-orders" tags:"created || paid"`
//	}
//
// A failed delivery suspends its queue for a moment and is retried before
// anything behind it. The tag grammar is in the package documentation.
type Orderly struct{}

// Concurrent marks a listener struct as a concurrent listener: deliveries
// are handled in parallel, without order (S11). Embed it as a field and
// put the listener's annotation in its struct tag:
//
//	type AuditOrders struct {
//		listener.Concurrent `topic:"orders" tags:"*" consumers:"8"`
//	}
//
// A failed delivery is retried later through the group's retry topic. The
// tag grammar is in the package documentation.
type Concurrent struct{}
