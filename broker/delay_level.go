package broker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/rocketkit/rocketkit/protocol/message"
	"github.com/rocketkit/rocketkit/broker/store"
)

// scheduler delivers delayed messages. As in RocketMQ, a message with
// delay level L is parked in SCHEDULE_TOPIC_XXXX queue L-1 with its real
// topic and queue in REAL_TOPIC / REAL_QID; every level's queue is FIFO in
// due order (same delay), so one goroutine per level reads its queue head,
// sleeps until it is due, re-appends it to the real topic (DELAY removed,
// new offsets, same UNIQ_KEY) and advances that level's offset. Offsets
// are persisted, so pending delayed messages survive a restart.
type scheduler struct {
	b      *Broker
	levels []time.Duration
	path   string
	wake   []chan struct{} // per level, buffered 1

	mu      sync.Mutex
	offsets []int64 // per level: next schedule-queue offset to deliver; guarded by mu
	dirty   bool    // guarded by mu
}

func newScheduler(b *Broker, levels []time.Duration, path string) (*scheduler, error) {
	s := &scheduler{b: b, levels: levels, path: path, offsets: make([]int64, len(levels)),
		wake: make([]chan struct{}, len(levels))}
	for i := range s.wake {
		s.wake[i] = make(chan struct{}, 1)
	}
	data, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return nil, fmt.Errorf("broker: read delay offsets: %w", err)
	default:
		var stored map[string]int64
		if err := json.Unmarshal(data, &stored); err != nil {
			return nil, fmt.Errorf("broker: parse %s: %w", path, err)
		}
		for level, off := range stored {
			n, err := strconv.Atoi(level)
			if err == nil && n >= 1 && n <= len(levels) {
				s.offsets[n-1] = off
			}
		}
	}
	return s, nil
}

// start runs one delivery loop per level until the broker closes.
func (s *scheduler) start() {
	for i := range s.levels {
		s.b.wg.Add(1)
		go s.run(i)
	}
}

// notify wakes a level's loop after a message was parked in its queue.
func (s *scheduler) notify(queueID int32) {
	if queueID >= 0 && int(queueID) < len(s.wake) {
		select {
		case s.wake[queueID] <- struct{}{}:
		default:
		}
	}
}

// level clamps a DELAY property value to the table (0 = not delayed).
func (s *scheduler) level(delay string) int {
	n, err := strconv.Atoi(delay)
	if err != nil || n <= 0 {
		return 0
	}
	return min(n, len(s.levels))
}

// park rewrites ext so it is stored in the schedule queue of level.
func (s *scheduler) park(ext *message.Ext, level int) {
	props := message.SetProperty(ext.Properties, message.PropertyRealTopic, ext.Topic)
	props = message.SetProperty(props, message.PropertyRealQueueID, strconv.Itoa(int(ext.QueueID)))
	ext.Properties = message.SetProperty(props, message.PropertyDelay, strconv.Itoa(level))
	ext.Topic, ext.QueueID = scheduleTopic, int32(level-1)
}

func (s *scheduler) run(i int) {
	defer s.b.wg.Done()
	var timer *time.Timer
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	for {
		wait := s.deliverDue(i)
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
		case <-s.b.done:
			return
		case <-s.wake[i]:
		case <-due:
		}
	}
}

// deliverDue delivers the level's due messages and returns how long until
// the next one is due (0 = the queue is drained; wait for a wake-up).
func (s *scheduler) deliverDue(i int) time.Duration {
	for {
		s.mu.Lock()
		off := s.offsets[i]
		s.mu.Unlock()
		res, err := s.b.store.Get(scheduleTopic, int32(i), off, 32, nil, nil)
		if err != nil {
			s.b.log.Error("read schedule queue", "level", i+1, "err", err)
			return time.Second
		}
		switch res.Status {
		case store.GetOffsetMoved:
			s.setOffset(i, res.NextBeginOffset)
			continue
		case store.GetFound:
		default:
			return 0
		}
		rest := res.Records
		for len(rest) > 0 {
			m, n, err := message.Decode(rest, false)
			if err != nil {
				s.b.log.Error("decode scheduled message", "level", i+1, "offset", off, "err", err)
				return time.Second
			}
			rest = rest[n:]
			due := time.UnixMilli(m.StoreTimestamp).Add(s.levels[i])
			if wait := time.Until(due); wait > 0 {
				return wait
			}
			if err := s.deliver(&m); err != nil {
				s.b.log.Error("deliver delayed message", "level", i+1, "offset", m.QueueOffset, "err", err)
				return time.Second
			}
			s.setOffset(i, m.QueueOffset+1)
		}
	}
}

// deliver appends a parked message to its real topic.
func (s *scheduler) deliver(m *message.Ext) error {
	return s.b.unpark(m, message.PropertyDelay)
}

func (s *scheduler) setOffset(i int, off int64) {
	s.mu.Lock()
	if s.offsets[i] != off {
		s.offsets[i] = off
		s.dirty = true
	}
	s.mu.Unlock()
}

// pending counts parked messages per level (for stats and tests).
func (s *scheduler) pending() int64 {
	var n int64
	for i := range s.levels {
		_, maxOff := s.b.store.QueueRange(scheduleTopic, int32(i))
		s.mu.Lock()
		n += max(0, maxOff-s.offsets[i])
		s.mu.Unlock()
	}
	return n
}

// persist writes the per-level offsets if they changed.
func (s *scheduler) persist() error {
	s.mu.Lock()
	if !s.dirty {
		s.mu.Unlock()
		return nil
	}
	stored := make(map[string]int64, len(s.offsets))
	for i, off := range s.offsets {
		stored[strconv.Itoa(i+1)] = off
	}
	s.dirty = false
	s.mu.Unlock()
	data, err := json.Marshal(stored)
	if err == nil {
		err = writeConfigFile(s.path, data)
	}
	if err != nil {
		s.mu.Lock()
		s.dirty = true
		s.mu.Unlock()
		return fmt.Errorf("broker: persist delay offsets: %w", err)
	}
	return nil
}

// unpark appends a message parked in a system queue (schedule or timer) to
// its real topic and queue (REAL_TOPIC / REAL_QID), without the property
// that parked it; the copy gets new offsets and keeps everything else,
// UNIQ_KEY included. A message that lost its real topic, or cannot be
// stored, is dropped with a log line rather than blocking its queue.
func (b *Broker) unpark(m *message.Ext, parkedBy string) error {
	topic, _ := message.GetProperty(m.Properties, message.PropertyRealTopic)
	qid, _ := message.GetProperty(m.Properties, message.PropertyRealQueueID)
	q, err := strconv.Atoi(qid)
	if topic == "" || err != nil {
		b.log.Warn("dropping a parked message without its real topic", "topic", m.Topic, "msg_id", m.MsgID())
		return nil
	}
	if _, err := b.topics.ensure(topic, 0); err != nil {
		return err
	}
	out := &message.Ext{
		QueueID: int32(q), Flag: m.Flag, SysFlag: m.SysFlag, BornTimestamp: m.BornTimestamp,
		BornHost: m.BornHost, StoreHost: b.storeHost, ReconsumeTimes: m.ReconsumeTimes,
		PreparedTransactionOffset: m.PreparedTransactionOffset,
		Body:                      m.Body, Topic: topic, Properties: message.DeleteProperties(m.Properties, parkedBy),
	}
	entry, err := b.entryFor(out)
	if err != nil {
		b.log.Warn("dropping a parked message that cannot be stored", "topic", m.Topic, "msg_id", m.MsgID(), "err", err)
		return nil
	}
	_, err = b.store.Append(context.Background(), []store.Entry{entry})
	return err
}
