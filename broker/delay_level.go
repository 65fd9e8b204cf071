package broker

import (
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/rocketkit/rocketkit/broker/store"
	"github.com/rocketkit/rocketkit/protocol/message"
	"github.com/rocketkit/rocketkit/protocol/payload"
)

// delayLevels delivers messages sent with a delay level (DELAY=n, the
// client's WithDelayTimeLevel and consumer retries). As in RocketMQ, a
// message with delay level L is parked in SCHEDULE_TOPIC_XXXX queue L-1
// with its real topic and queue in REAL_TOPIC / REAL_QID; every level's
// queue is FIFO in due order (same delay), so one goroutine per level reads
// its queue head, sleeps until it is due, stores it under its real topic
// (DELAY removed, new offsets, same UNIQ_KEY) and advances that level's
// offset. Offsets are persisted to delayOffset.json, so pending delayed
// messages survive a restart (one delivered just before a crash may be
// delivered again).
type delayLevels struct {
	levels []time.Duration
	store  *store.Store // reads the schedule queues
	put    putter       // stores the messages that came due
	log    *slog.Logger
	file   *configFile
	wake   []chan struct{} // per level, buffered 1

	mu      sync.Mutex
	offsets []int64 // per level: next schedule-queue offset to deliver; guarded by mu
}

func newDelayLevels(dataDir string, levels []time.Duration, st *store.Store, put putter, log *slog.Logger) (*delayLevels, error) {
	d := &delayLevels{levels: levels, store: st, put: put, log: log,
		file:    newConfigFile(dataDir, "delayOffset.json", "delay offsets"),
		offsets: make([]int64, len(levels)), wake: make([]chan struct{}, len(levels))}
	for i := range d.wake {
		d.wake[i] = make(chan struct{}, 1)
	}
	var stored map[string]int64
	if _, err := d.file.load(&stored); err != nil {
		return nil, err
	}
	for level, off := range stored {
		n, err := strconv.Atoi(level)
		if err == nil && n >= 1 && n <= len(levels) {
			d.offsets[n-1] = off
		}
	}
	return d, nil
}

// delayLevelOf clamps a DELAY property value to a table of levels (0 = not
// delayed).
func delayLevelOf(delay string, levels int) int {
	n, err := strconv.Atoi(delay)
	if err != nil || n <= 0 {
		return 0
	}
	return min(n, levels)
}

// parkAtLevel rewrites ext so it is stored in the schedule queue of level.
func parkAtLevel(ext *message.Ext, level int) {
	props := keepRealDestination(ext.Properties, ext)
	ext.Properties = message.SetProperty(props, message.PropertyDelay, strconv.Itoa(level))
	ext.Topic, ext.QueueID = scheduleTopic, int32(level-1)
}

// start runs one delivery loop per level until done is closed.
func (d *delayLevels) start(done <-chan struct{}, wg *sync.WaitGroup) {
	for i := range d.levels {
		wg.Go(func() { d.run(i, done) })
	}
}

// notify wakes a level's loop after a message was parked in its queue.
func (d *delayLevels) notify(queueID int32) {
	if queueID >= 0 && int(queueID) < len(d.wake) {
		select {
		case d.wake[queueID] <- struct{}{}:
		default:
		}
	}
}

func (d *delayLevels) run(i int, done <-chan struct{}) {
	var timer *time.Timer
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	for {
		wait := d.deliverDue(i)
		var due <-chan time.Time
		if wait > 0 {
			if timer == nil {
				timer = time.NewTimer(wait)
			} else {
				timer.Reset(wait)
			}
			due = timer.C
		}
		select {
		case <-done:
			return
		case <-d.wake[i]:
		case <-due:
		}
	}
}

// deliverDue delivers the level's due messages and returns how long until
// the next one is due (0 = the queue is drained; wait for a wake-up).
func (d *delayLevels) deliverDue(i int) time.Duration {
	for {
		d.mu.Lock()
		off := d.offsets[i]
		d.mu.Unlock()
		res, err := d.store.Get(scheduleTopic, int32(i), off, 32, nil, nil)
		if err != nil {
			d.log.Error("read schedule queue", "level", i+1, "err", err)
			return time.Second
		}
		switch res.Status {
		case store.GetOffsetMoved:
			d.setOffset(i, res.NextBeginOffset)
			continue
		case store.GetFound:
		default:
			return 0
		}
		rest := res.Records
		for len(rest) > 0 {
			m, n, err := message.Decode(rest, false)
			if err != nil {
				d.log.Error("decode scheduled message", "level", i+1, "offset", off, "err", err)
				return time.Second
			}
			rest = rest[n:]
			due := time.UnixMilli(m.StoreTimestamp).Add(d.levels[i])
			if wait := time.Until(due); wait > 0 {
				return wait
			}
			if err := deliverParked(d.put, d.log, &m, message.PropertyDelay); err != nil {
				d.log.Error("deliver delayed message", "level", i+1, "offset", m.QueueOffset, "err", err)
				return time.Second
			}
			d.setOffset(i, m.QueueOffset+1)
		}
	}
}

func (d *delayLevels) setOffset(i int, off int64) {
	d.mu.Lock()
	changed := d.offsets[i] != off
	d.offsets[i] = off
	d.mu.Unlock()
	if changed {
		d.file.markDirty()
	}
}

// pending counts parked messages over all levels (for stats and tests).
func (d *delayLevels) pending() int64 {
	var n int64
	for i := range d.levels {
		_, maxOff := d.store.QueueRange(scheduleTopic, int32(i))
		d.mu.Lock()
		n += max(0, maxOff-d.offsets[i])
		d.mu.Unlock()
	}
	return n
}

// persist writes the per-level offsets if they changed.
func (d *delayLevels) persist() error {
	return d.file.persist(func() any {
		d.mu.Lock()
		defer d.mu.Unlock()
		stored := make(map[string]int64, len(d.offsets))
		for i, off := range d.offsets {
			stored[strconv.Itoa(i+1)] = off
		}
		return stored
	})
}

// table returns the per-level offsets as GET_ALL_DELAY_OFFSET answers them.
func (d *delayLevels) table() payload.DelayOffsetTable {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := payload.DelayOffsetTable{OffsetTable: make(map[int32]int64, len(d.offsets))}
	for i, off := range d.offsets {
		out.OffsetTable[int32(i+1)] = off
	}
	return out
}

// copyFrom takes the master's per-level offsets (a slave's
// SlaveSynchronize); levels beyond this broker's table are ignored.
func (d *delayLevels) copyFrom(master payload.DelayOffsetTable) {
	changed := false
	d.mu.Lock()
	for level, off := range master.OffsetTable {
		if i := int(level) - 1; i >= 0 && i < len(d.offsets) && d.offsets[i] != off {
			d.offsets[i] = off
			changed = true
		}
	}
	d.mu.Unlock()
	if changed {
		d.file.markDirty()
	}
}
