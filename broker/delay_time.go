package broker

import (
	"container/heap"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/rocketkit/rocketkit/protocol/message"
	"github.com/rocketkit/rocketkit/broker/store"
)

// timerTopic parks messages sent with a delivery time (TIMER_DELIVER_MS).
const timerTopic = "rmq_sys_wheel_timer"

// timers delivers messages at an absolute time (the client's
// WithDelayTimestamp). Parked messages wait in timerTopic queue 0 with
// REAL_TOPIC/REAL_QID; an in-memory min-heap orders the pending ones by due
// time. Which have been delivered is persisted as a low watermark (every
// queue offset below it is delivered) plus the delivered offsets above it,
// so after a restart the heap is rebuilt from the queue and nothing pending
// is lost (a message delivered just before a crash may be delivered again,
// as with delay levels).
type timers struct {
	b    *Broker
	path string
	wake chan struct{}

	mu        sync.Mutex
	pending   timerHeap      // guarded by mu
	scanned   int64          // next timer-queue offset to read; guarded by mu
	low       int64          // offsets below are delivered; guarded by mu
	delivered map[int64]bool // delivered offsets >= low; guarded by mu
	dirty     bool           // guarded by mu
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

func newTimers(b *Broker, path string) (*timers, error) {
	t := &timers{b: b, path: path, wake: make(chan struct{}, 1), delivered: map[int64]bool{}}
	data, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return nil, fmt.Errorf("broker: read timer state: %w", err)
	default:
		var st timerState
		if err := json.Unmarshal(data, &st); err != nil {
			return nil, fmt.Errorf("broker: parse %s: %w", path, err)
		}
		t.low = st.Low
		for _, off := range st.Delivered {
			t.delivered[off] = true
		}
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

// park rewrites ext so it waits in the timer queue.
func (t *timers) park(ext *message.Ext) {
	props := message.SetProperty(ext.Properties, message.PropertyRealTopic, ext.Topic)
	ext.Properties = message.SetProperty(props, message.PropertyRealQueueID, strconv.Itoa(int(ext.QueueID)))
	ext.Topic, ext.QueueID = timerTopic, 0
}

// notify wakes the delivery loop after a message was parked.
func (t *timers) notify() {
	select {
	case t.wake <- struct{}{}:
	default:
	}
}

func (t *timers) start() {
	t.b.wg.Add(1)
	go t.run()
}

func (t *timers) run() {
	defer t.b.wg.Done()
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		if err := t.scan(); err != nil {
			t.b.log.Error("read timer queue", "err", err)
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
		case <-t.b.done:
			return
		case <-t.wake:
		case <-timer.C:
		}
	}
}

// scan moves newly parked messages into the heap.
func (t *timers) scan() error {
	for {
		t.mu.Lock()
		from := t.scanned
		t.mu.Unlock()
		res, err := t.b.store.Get(timerTopic, 0, from, 256, nil, nil)
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
func (t *timers) deliverDue() time.Duration {
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
			t.b.log.Error("deliver timed message", "offset", next.offset, "err", err)
			t.mu.Lock()
			heap.Push(&t.pending, next)
			t.mu.Unlock()
			return time.Second
		}
		t.markDelivered(next.queueOffset)
	}
}

func (t *timers) deliver(e timerEntry) error {
	rec, err := t.b.store.ReadRecord(e.offset)
	if err != nil {
		return err
	}
	m, _, err := message.Decode(rec, false)
	if err != nil {
		return err
	}
	return t.b.unpark(&m, message.PropertyTimerDeliverMS)
}

func (t *timers) markDelivered(queueOffset int64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.delivered[queueOffset] = true
	for t.delivered[t.low] {
		delete(t.delivered, t.low)
		t.low++
	}
	t.dirty = true
}

// count is the number of timed messages waiting: those in the heap and
// those parked but not scanned into it yet (the delivery loop scans
// after the send was answered), so it is exact as soon as a send returns.
func (t *timers) count() int64 {
	// Every message parked before this read is in the heap or at or after
	// scanned (the store is read with no broker lock held).
	_, parked := t.b.store.QueueRange(timerTopic, 0)
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
func (t *timers) persist() error {
	t.mu.Lock()
	if !t.dirty {
		t.mu.Unlock()
		return nil
	}
	st := timerState{Low: t.low}
	for off := range t.delivered {
		st.Delivered = append(st.Delivered, off)
	}
	t.dirty = false
	t.mu.Unlock()
	slices.Sort(st.Delivered)
	data, err := json.Marshal(st)
	if err == nil {
		err = writeConfigFile(t.path, data)
	}
	if err != nil {
		t.mu.Lock()
		t.dirty = true
		t.mu.Unlock()
		return fmt.Errorf("broker: persist timer state: %w", err)
	}
	return nil
}
