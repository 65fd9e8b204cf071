package broker

import (
	"container/heap"
	"log/slog"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/rocketkit/rocketkit/broker/store"
	"github.com/rocketkit/rocketkit/protocol/message"
)

// timerTopic parks messages sent with a delivery time (TIMER_DELIVER_MS).
const timerTopic = "rmq_sys_wheel_timer"

// deliveryTimer delivers messages at an absolute time (TIMER_DELIVER_MS,
// the client's WithDelayTimestamp). Parked messages wait in timerTopic queue 0 with
// REAL_TOPIC/REAL_QID; an in-memory min-heap orders the pending ones by due
// time. Which have been delivered is persisted as a low watermark (every
// queue offset below it is delivered) plus the delivered offsets above it,
// so after a restart the heap is rebuilt from the queue and nothing pending
// is lost (a message delivered just before a crash may be delivered again,
// as with delay levels).
type deliveryTimer struct {
	store *store.Store // reads the timer queue
	put   putter       // stores the messages that came due
	log   *slog.Logger
	file  *configFile
	wake  chan struct{}

	mu        sync.Mutex
	pending   timerHeap      // guarded by mu
	scanned   int64          // next timer-queue offset to read; guarded by mu
	low       int64          // offsets below are delivered; guarded by mu
	delivered map[int64]bool // delivered offsets >= low; guarded by mu
}

type timerEntry struct {
	due         int64 // epoch ms
	queueOffset int64
	offset      int64 // commit-log offset
}

type timerHeap []timerEntry

func (h timerHeap) Len() int { return len(h) }
func (h timerHeap) Less(i, j int) bool {
	return h[i].due < h[j].due || (h[i].due == h[j].due && h[i].queueOffset < h[j].queueOffset)
}
func (h timerHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *timerHeap) Push(x any)   { *h = append(*h, x.(timerEntry)) }
func (h *timerHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// timerState is the persisted form.
type timerState struct {
	Low       int64   `json:"low"`
	Delivered []int64 `json:"delivered"`
}

func newDeliveryTimer(dataDir string, st *store.Store, put putter, log *slog.Logger) (*deliveryTimer, error) {
	t := &deliveryTimer{store: st, put: put, log: log, file: newConfigFile(dataDir, "timer.json", "timer state"),
		wake: make(chan struct{}, 1), delivered: map[int64]bool{}}
	var st0 timerState
	if _, err := t.file.load(&st0); err != nil {
		return nil, err
	}
	t.low = st0.Low
	for _, off := range st0.Delivered {
		t.delivered[off] = true
	}
	t.scanned = t.low
	return t, nil
}

// dueTime returns the delivery time of a message sent with
// TIMER_DELIVER_MS, or false when it is not timed or already due.
func dueTime(props string, now time.Time) (time.Time, bool) {
	v, ok := message.GetProperty(props, message.PropertyTimerDeliverMS)
	if !ok {
		return time.Time{}, false
	}
	ms, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return time.Time{}, false
	}
	due := time.UnixMilli(ms)
	return due, due.After(now)
}

// absoluteDelivery turns the relative delays RocketMQ 5 clients send
// (TIMER_DELAY_SEC, else TIMER_DELAY_MS) into TIMER_DELIVER_MS counted from
// now, as Java's broker does on receipt, so a parked message keeps its
// delivery time across restarts. Unreadable values
// leave props as they are (the message is delivered at once). The relative
// ones win over a TIMER_DELIVER_MS also present, as in Java.
func absoluteDelivery(props string, now time.Time) string {
	for _, p := range []struct {
		key  string
		unit time.Duration
	}{{message.PropertyTimerDelaySec, time.Second}, {message.PropertyTimerDelayMS, time.Millisecond}} {
		v, ok := message.GetProperty(props, p.key)
		if !ok {
			continue
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 || n > int64(maxTimerDelay/p.unit) {
			return props
		}
		due := now.Add(time.Duration(n) * p.unit)
		return message.SetProperty(props, message.PropertyTimerDeliverMS, strconv.FormatInt(due.UnixMilli(), 10))
	}
	return props
}

// maxTimerDelay bounds a relative delay read by absoluteDelivery (Java's
// timerMaxDelaySec default: three days).
const maxTimerDelay = 3 * 24 * time.Hour

// parkTimed rewrites ext so it waits in the timer queue.
func parkTimed(ext *message.Ext) {
	ext.Properties = keepRealDestination(ext.Properties, ext)
	ext.Topic, ext.QueueID = timerTopic, 0
}

// notify wakes the delivery loop after a message was parked.
func (t *deliveryTimer) notify() {
	select {
	case t.wake <- struct{}{}:
	default:
	}
}

// start runs the delivery loop until done is closed.
func (t *deliveryTimer) start(done <-chan struct{}, wg *sync.WaitGroup) {
	wg.Go(func() { t.run(done) })
}

func (t *deliveryTimer) run(done <-chan struct{}) {
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		if err := t.scan(); err != nil {
			t.log.Error("read timer queue", "err", err)
		}
		wait := t.deliverDue()
		if !timer.Stop() {
			select {
			case <-timer.C:
			default:
			}
		}
		timer.Reset(wait)
		select {
		case <-done:
			return
		case <-t.wake:
		case <-timer.C:
		}
	}
}

// scan moves newly parked messages into the heap.
func (t *deliveryTimer) scan() error {
	for {
		t.mu.Lock()
		from := t.scanned
		t.mu.Unlock()
		res, err := t.store.Get(timerTopic, 0, from, 256, nil, nil)
		if err != nil {
			return err
		}
		if res.Status != store.GetFound {
			if res.Status == store.GetOffsetMoved && res.NextBeginOffset > from {
				t.mu.Lock()
				t.scanned = res.NextBeginOffset
				t.mu.Unlock()
				continue
			}
			return nil
		}
		t.mu.Lock()
		for rest := res.Records; len(rest) > 0; {
			m, n, err := message.Decode(rest, false)
			if err != nil {
				t.mu.Unlock()
				return err
			}
			rest = rest[n:]
			if m.QueueOffset < t.low || t.delivered[m.QueueOffset] {
				continue
			}
			due, _ := dueTime(m.Properties, time.Time{})
			heap.Push(&t.pending, timerEntry{due: due.UnixMilli(), queueOffset: m.QueueOffset, offset: m.CommitLogOffset})
		}
		t.scanned = res.NextBeginOffset
		t.mu.Unlock()
	}
}

// deliverDue delivers every due message and returns the wait until the
// next one (an hour when none is pending).
func (t *deliveryTimer) deliverDue() time.Duration {
	for {
		t.mu.Lock()
		if len(t.pending) == 0 {
			t.mu.Unlock()
			return time.Hour
		}
		next := t.pending[0]
		if wait := time.Until(time.UnixMilli(next.due)); wait > 0 {
			t.mu.Unlock()
			return wait
		}
		heap.Pop(&t.pending)
		t.mu.Unlock()
		if err := t.deliver(next); err != nil {
			t.log.Error("deliver timed message", "offset", next.offset, "err", err)
			t.mu.Lock()
			heap.Push(&t.pending, next)
			t.mu.Unlock()
			return time.Second
		}
		t.markDelivered(next.queueOffset)
	}
}

func (t *deliveryTimer) deliver(e timerEntry) error {
	rec, err := t.store.ReadRecord(e.offset)
	if err != nil {
		return err
	}
	m, _, err := message.Decode(rec, false)
	if err != nil {
		return err
	}
	return deliverParked(t.put, t.log, &m, message.PropertyTimerDeliverMS)
}

func (t *deliveryTimer) markDelivered(queueOffset int64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.delivered[queueOffset] = true
	for t.delivered[t.low] {
		delete(t.delivered, t.low)
		t.low++
	}
	t.file.markDirty()
}

// count is the number of timed messages waiting: those in the heap and
// those parked but not scanned into it yet (the delivery loop scans
// after the send was answered), so it is exact as soon as a send returns.
func (t *deliveryTimer) count() int64 {
	// Every message parked before this read is in the heap or at or after
	// scanned (the store is read with no broker lock held).
	_, parked := t.store.QueueRange(timerTopic, 0)
	t.mu.Lock()
	defer t.mu.Unlock()
	n := int64(len(t.pending)) + max(0, parked-t.scanned)
	for off := range t.delivered { // delivered before a restart, not rescanned yet
		if off >= t.scanned && off < parked {
			n--
		}
	}
	return n
}

// persist writes the delivery state if it changed.
func (t *deliveryTimer) persist() error {
	return t.file.persist(func() any {
		t.mu.Lock()
		st := timerState{Low: t.low}
		for off := range t.delivered {
			st.Delivered = append(st.Delivered, off)
		}
		t.mu.Unlock()
		slices.Sort(st.Delivered)
		return st
	})
}
