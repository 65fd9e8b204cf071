package main

import (
	"fmt"
	"hash/fnv"
	"slices"
	"sync"
)

// ledger records what the producer service sent and what the consumer
// service's handlers did, and checks one against the other. It is safe for
// concurrent use.
//
// Order, precisely: for every key of the orderly topic the producer sends
// seq 1, 2, 3, … one at a time, repeating a seq until its send returns
// SEND_OK (a failed attempt may still have been stored, so a seq can be
// stored twice, always before the next seq). The orderly handler's
// deliveries of a key, in the order the handler commits them (returns nil
// under the ledger's lock), must make the first delivery of seq n+1 come
// after the first delivery of seq n, for every n: a key's first deliveries
// are exactly 1, 2, 3, … in that order. Redeliveries of a seq already
// delivered (after a rebalance, a dropped consumer or a broker restart) may
// come at any point and are counted, not flagged. A first delivery that
// skips a seq, which is how a lost message shows, is a violation.
type ledger struct {
	mu sync.Mutex

	// Template sends to the concurrent listener, by message id.
	acked     map[string]bool // SEND_OK
	notAcked  map[string]bool // an error or another status: outcome unknown
	delivered map[string]int  // deliveries to the concurrent listener

	// Template orderly sends, by key.
	orderAcked   map[string]int // highest seq acknowledged SEND_OK (all below are too)
	orderTried   map[string]int // highest seq attempted
	orderRetries int            // attempts that did not return SEND_OK
	firstSeen    map[string]int // highest seq delivered; first deliveries are contiguous
	seqSeen      map[string]map[int]bool
	orderFirst   int // first deliveries
	orderAgain   int // redeliveries of a seq already delivered
	violations   []string

	// Handler failures injected: the first delivery of one message in
	// failEvery fails, so retries (concurrent) and queue suspension
	// (orderly) run under the faults too.
	failed map[string]bool

	// Outbox writes and the inbox listener.
	committed     map[int64]bool // orders whose transaction's commit returned nil
	commitUnknown int            // transactions whose commit returned an error
	txFailed      int            // transactions that failed before their commit
	inboxCalls    int            // inbox handler calls
	inboxAbsorbed int            // of them, duplicates the inbox skipped
	inboxFailed   int            // of them, failed (the message is redelivered)
}

func newLedger() *ledger {
	return &ledger{
		acked: map[string]bool{}, notAcked: map[string]bool{}, delivered: map[string]int{},
		orderAcked: map[string]int{}, orderTried: map[string]int{}, firstSeen: map[string]int{},
		seqSeen:   map[string]map[int]bool{},
		committed: map[int64]bool{}, failed: map[string]bool{},
	}
}

// failEvery is how rare an injected handler failure is.
const failEvery = 64

// failFirst reports whether the handler should fail this delivery of the
// message named id: true for the first delivery of one message in
// failEvery (chosen by a hash of id, so the same ones in every run).
func (l *ledger) failFirst(id string) bool {
	h := fnv.New32a()
	_, _ = h.Write([]byte(id))
	if h.Sum32()%failEvery != 0 {
		return false
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.failed[id] {
		return false
	}
	l.failed[id] = true
	return true
}

// sent records a Template send of id to the concurrent listener.
func (l *ledger) sent(id string, ok bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if ok {
		l.acked[id] = true
	} else {
		l.notAcked[id] = true
	}
}

// deliver records a delivery of id to the concurrent listener.
func (l *ledger) deliver(id string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.delivered[id]++
}

// sentOrderly records an orderly send attempt of key's seq.
func (l *ledger) sentOrderly(key string, seq int, ok bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.orderTried[key] = max(l.orderTried[key], seq)
	if !ok {
		l.orderRetries++
		return
	}
	if seq != l.orderAcked[key]+1 {
		l.violations = append(l.violations, fmt.Sprintf("producer: key %s acknowledged seq %d after %d", key, seq, l.orderAcked[key]))
	}
	l.orderAcked[key] = max(l.orderAcked[key], seq)
}

// deliverOrderly records the orderly handler committing key's seq, and
// flags a first delivery that is not the next seq of its key.
func (l *ledger) deliverOrderly(key string, seq int, where string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.seqSeen[key] == nil {
		l.seqSeen[key] = map[int]bool{}
	}
	l.seqSeen[key][seq] = true
	last := l.firstSeen[key]
	switch {
	case seq <= last:
		l.orderAgain++
	case seq == last+1:
		l.orderFirst++
		l.firstSeen[key] = seq
	default:
		l.orderFirst++
		l.firstSeen[key] = seq
		l.violations = append(l.violations, fmt.Sprintf("key %s: seq %d delivered first (%s) before seq %d was ever delivered", key, seq, where, last+1))
	}
}

// wrote records an outbox transaction's outcome for its orders: err nil
// (committed), or whether the commit itself failed (outcome unknown).
func (l *ledger) wrote(orders []int64, commitErr, otherErr error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	switch {
	case otherErr != nil:
		l.txFailed++
	case commitErr != nil:
		l.commitUnknown++
	default:
		for _, id := range orders {
			l.committed[id] = true
		}
	}
}

// inboxCall records an inbox handler call: handled false with a nil error
// is a duplicate the inbox absorbed.
func (l *ledger) inboxCall(handled bool, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.inboxCalls++
	switch {
	case err != nil:
		l.inboxFailed++
	case !handled:
		l.inboxAbsorbed++
	}
}

// templateFigures is the outcome of the Template's sends.
type templateFigures struct {
	Acked, NotAcked       int // concurrent sends: SEND_OK, other outcomes
	Distinct, Deliveries  int // concurrent listener: distinct ids, deliveries
	NotAckedDelivered     int // ids not acknowledged but delivered
	Lost                  []string
	Keys, OrderAcked      int // orderly: keys, seqs acknowledged SEND_OK
	OrderRetries          int
	OrderFirst, OrderSeen int // first deliveries; redeliveries
	OrderLost             []string
	Violations            []string
	Injected              int // handler failures injected (both listeners)
}

// templateCheck compares the Template's sends with the deliveries.
func (l *ledger) templateCheck() templateFigures {
	l.mu.Lock()
	defer l.mu.Unlock()
	f := templateFigures{Acked: len(l.acked), NotAcked: len(l.notAcked), Distinct: len(l.delivered),
		Keys: len(l.orderTried), OrderRetries: l.orderRetries, OrderFirst: l.orderFirst, OrderSeen: l.orderAgain,
		Violations: slices.Clone(l.violations), Injected: len(l.failed)}
	for id, n := range l.delivered {
		f.Deliveries += n
		if !l.acked[id] {
			f.NotAckedDelivered++
		}
	}
	for id := range l.acked {
		if l.delivered[id] == 0 {
			f.Lost = append(f.Lost, id)
		}
	}
	slices.Sort(f.Lost)
	for key, acked := range l.orderAcked {
		f.OrderAcked += acked
		for seq := 1; seq <= acked; seq++ {
			if !l.seqSeen[key][seq] {
				f.OrderLost = append(f.OrderLost, fmt.Sprintf("%s/%d", key, seq))
			}
		}
	}
	for key, seen := range l.firstSeen {
		if tried := l.orderTried[key]; seen > tried {
			f.Violations = append(f.Violations, fmt.Sprintf("key %s: seq %d delivered, only %d ever sent", key, seen, tried))
		}
	}
	slices.Sort(f.OrderLost)
	return f
}

// complete reports whether every acknowledged Template send was delivered.
func (l *ledger) templateComplete() bool {
	f := l.templateCheck()
	return len(f.Lost) == 0 && len(f.OrderLost) == 0
}

// outboxCounts returns the outbox side's counters.
func (l *ledger) outboxCounts() (committed map[int64]bool, commitUnknown, txFailed, calls, absorbed, failed int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	committed = make(map[int64]bool, len(l.committed))
	for id := range l.committed {
		committed[id] = true
	}
	return committed, l.commitUnknown, l.txFailed, l.inboxCalls, l.inboxAbsorbed, l.inboxFailed
}
