package client

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"

	"github.com/rocketkit/rocketkit/protocol/message"
	"github.com/rocketkit/rocketkit/protocol/payload"
	"github.com/rocketkit/rocketkit/protocol/remoting"
)

// offsetTracker is the committed offset of one queue under consumption: the
// smallest offset pulled and not finished yet, or, when every pulled
// message is finished, the offset after the last one pulled (the pull's
// nextBeginOffset, which also skips messages filtered out). So a commit
// never passes an unprocessed message, however the handlers finish. Not
// safe for concurrent use (pullQueue.mu guards it).
type offsetTracker struct {
	pending []int64 // offsets pulled, ascending from head
	done    []bool  // done[i]: pending[i] finished
	head    int     // first unfinished entry, or len(pending)
	left    int     // unfinished entries
	end     int64   // next offset after everything pulled
}

func newOffsetTracker(start int64) offsetTracker { return offsetTracker{end: start} }

// add records offsets as pulled and unfinished. It reports for each
// whether it was added: an offset already pending (unfinished) is not.
func (t *offsetTracker) add(off int64) bool {
	n := len(t.pending)
	if n == 0 || off > t.pending[n-1] {
		t.pending = append(t.pending, off)
		t.done = append(t.done, false)
		t.left++
		return true
	}
	// Out of order: only after an OFFSET_MOVED took the queue backwards.
	i, found := slices.BinarySearch(t.pending[t.head:], off)
	i += t.head
	if found && !t.done[i] {
		return false
	}
	if found {
		t.done[i] = false
	} else {
		t.pending = slices.Insert(t.pending, i, off)
		t.done = slices.Insert(t.done, i, false)
	}
	t.left++
	t.head = min(t.head, i)
	return true
}

// setEnd sets the offset after everything pulled (a pull's
// nextBeginOffset).
func (t *offsetTracker) setEnd(next int64) { t.end = next }

// finish marks an offset consumed. It reports whether it was pending.
func (t *offsetTracker) finish(off int64) bool {
	i, found := slices.BinarySearch(t.pending[t.head:], off)
	i += t.head
	if !found || t.done[i] {
		return false
	}
	t.done[i] = true
	t.left--
	for t.head < len(t.pending) && t.done[t.head] {
		t.head++
	}
	if t.head == len(t.pending) {
		t.pending, t.done, t.head = t.pending[:0], t.done[:0], 0
	} else if t.head > 1024 && t.head > len(t.pending)/2 {
		t.pending = append(t.pending[:0], t.pending[t.head:]...)
		t.done = append(t.done[:0], t.done[t.head:]...)
		t.head = 0
	}
	return true
}

// committed is the offset to commit: the next one to consume.
func (t *offsetTracker) committed() int64 {
	if t.left == 0 {
		return t.end
	}
	return t.pending[t.head]
}

// inFlight is how many pulled messages are not finished.
func (t *offsetTracker) inFlight() int { return t.left }

// span is the distance from the first unfinished offset to the last one
// pulled: how far the committed offset lags behind while one message is
// slow (what a restart would deliver again).
func (t *offsetTracker) span() int64 {
	if t.left == 0 {
		return 0
	}
	return t.pending[len(t.pending)-1] - t.pending[t.head]
}

// offsetStore keeps a group's committed offsets: the brokers (clustering)
// or a local file (broadcasting). Safe for concurrent use.
type offsetStore interface {
	// read returns the stored offset of a queue; found is false when
	// there is none.
	read(ctx context.Context, mq MessageQueue) (off int64, found bool, err error)
	// write stores the offsets; with wait the call returns once they are
	// stored (the broker answered, the file was written), otherwise it may
	// return before.
	write(ctx context.Context, offsets map[MessageQueue]int64, wait bool) error
	// close writes what is pending and releases the store.
	close() error
}

func (c *Consumer) openOffsetStore() (offsetStore, error) {
	if c.cfg.Broadcasting {
		return openFileOffsets(filepath.Join(c.cfg.OffsetDir, c.group, "offsets.json"))
	}
	return &brokerOffsets{c: c}, nil
}

// brokerOffsets keeps offsets at the brokers (clustering): at the master
// of the queue's group, or while the group has none at a slave, so that
// consumption from the slave keeps committing (Java's
// RemoteBrokerOffsetStore, findBrokerAddressInSubscribe with MASTER_ID).
type brokerOffsets struct{ c *Consumer }

func (s *brokerOffsets) read(ctx context.Context, mq MessageQueue) (int64, bool, error) {
	c := s.c
	addr, _, err := c.client.subscribeAddr(mq.BrokerName, payload.MasterID)
	if err != nil {
		return 0, false, err
	}
	req := remoting.NewClientRequest(remoting.QueryConsumerOffset, remoting.Fields{
		{Key: "consumerGroup", Value: c.group}, {Key: "topic", Value: mq.Topic},
		{Key: "queueId", Value: strconv.Itoa(mq.QueueID)}, {Key: "bname", Value: mq.BrokerName}}, nil)
	resp, err := c.client.call(ctx, addr, req)
	if err != nil {
		return 0, false, err
	}
	switch resp.Code {
	case remoting.Success:
		off, err := resp.ExtFields.Int64("offset")
		if err != nil {
			return 0, false, fmt.Errorf("client: QUERY_CONSUMER_OFFSET to %s: %w", addr, err)
		}
		return off, off >= 0, nil
	case remoting.QueryNotFound:
		return 0, false, nil
	}
	return 0, false, brokerError(addr, req, resp)
}

func (s *brokerOffsets) write(ctx context.Context, offsets map[MessageQueue]int64, wait bool) error {
	c := s.c
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	for mq, off := range offsets {
		addr, _, err := c.client.subscribeAddr(mq.BrokerName, payload.MasterID)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		req := remoting.NewClientRequest(remoting.UpdateConsumerOffset, remoting.Fields{
			{Key: "consumerGroup", Value: c.group}, {Key: "topic", Value: mq.Topic},
			{Key: "queueId", Value: strconv.Itoa(mq.QueueID)}, {Key: "commitOffset", Value: strconv.FormatInt(off, 10)},
			{Key: "bname", Value: mq.BrokerName}}, nil)
		if !wait {
			if err := c.client.oneway(ctx, addr, req); err != nil {
				errs = append(errs, fmt.Errorf("client: commit offset %d of %s: %w", off, mq, err))
			}
			continue
		}
		wg.Go(func() {
			if _, err := c.client.callOK(ctx, addr, req); err != nil {
				mu.Lock()
				errs = append(errs, fmt.Errorf("client: commit offset %d of %s: %w", off, mq, err))
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

func (s *brokerOffsets) close() error { return nil }

// fileOffsets keeps a broadcasting member's offsets in a JSON file,
// replaced atomically (written to a temporary file, synced, renamed over
// it, directory synced) on every write.
type fileOffsets struct {
	path string

	mu      sync.Mutex
	offsets map[MessageQueue]int64 // guarded by mu
	closed  bool                   // guarded by mu
}

// offsetFile is the file's content.
type offsetFile struct {
	Version int               `json:"version"`
	Offsets []offsetFileEntry `json:"offsets"`
}

type offsetFileEntry struct {
	Topic      string `json:"topic"`
	BrokerName string `json:"brokerName"`
	QueueID    int    `json:"queueId"`
	Offset     int64  `json:"offset"`
}

// openFiles are the offset files in use in this process, so that two
// consumers never share one.
var openFiles = struct {
	sync.Mutex
	paths map[string]bool
}{paths: make(map[string]bool)}

func openFileOffsets(path string) (*fileOffsets, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("client: offset file %s: %w", path, err)
	}
	openFiles.Lock()
	defer openFiles.Unlock()
	if openFiles.paths[abs] {
		return nil, fmt.Errorf("client: offset file %s is used by another consumer of this process; give each member its own OffsetDir", abs)
	}
	s := &fileOffsets{path: abs, offsets: make(map[MessageQueue]int64)}
	b, err := os.ReadFile(abs)
	switch {
	case errors.Is(err, os.ErrNotExist):
		if err := os.MkdirAll(filepath.Dir(abs), 0o755); err != nil {
			return nil, fmt.Errorf("client: offset directory: %w", err)
		}
	case err != nil:
		return nil, fmt.Errorf("client: read offsets: %w", err)
	default:
		var f offsetFile
		if err := json.Unmarshal(b, &f); err != nil {
			return nil, fmt.Errorf("client: offset file %s is corrupt: %w", abs, err)
		}
		if f.Version != 1 {
			return nil, fmt.Errorf("client: offset file %s has version %d, want 1", abs, f.Version)
		}
		for _, e := range f.Offsets {
			s.offsets[MessageQueue{Topic: e.Topic, BrokerName: e.BrokerName, QueueID: e.QueueID}] = e.Offset
		}
	}
	openFiles.paths[abs] = true
	return s, nil
}

func (s *fileOffsets) read(_ context.Context, mq MessageQueue) (int64, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	off, ok := s.offsets[mq]
	return off, ok, nil
}

func (s *fileOffsets) write(_ context.Context, offsets map[MessageQueue]int64, _ bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	changed := false
	for mq, off := range offsets {
		if old, ok := s.offsets[mq]; !ok || old != off {
			s.offsets[mq] = off
			changed = true
		}
	}
	if !changed {
		return nil
	}
	return s.saveLocked()
}

// Lock should be held.
func (s *fileOffsets) saveLocked() error {
	f := offsetFile{Version: 1, Offsets: make([]offsetFileEntry, 0, len(s.offsets))}
	for mq, off := range s.offsets {
		f.Offsets = append(f.Offsets, offsetFileEntry{Topic: mq.Topic, BrokerName: mq.BrokerName, QueueID: mq.QueueID, Offset: off})
	}
	slices.SortFunc(f.Offsets, func(a, b offsetFileEntry) int {
		return cmp.Or(cmp.Compare(a.Topic, b.Topic), cmp.Compare(a.BrokerName, b.BrokerName), cmp.Compare(a.QueueID, b.QueueID))
	})
	b, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return fmt.Errorf("client: encode offsets: %w", err)
	}
	if err := writeFileAtomic(s.path, append(b, '\n')); err != nil {
		return fmt.Errorf("client: write offsets: %w", err)
	}
	return nil
}

func (s *fileOffsets) close() error {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	openFiles.Lock()
	delete(openFiles.paths, s.path)
	openFiles.Unlock()
	return nil
}

// writeFileAtomic replaces path with data: a temporary file in the same
// directory is written and synced, renamed over path, and the directory is
// synced, so a crash leaves the old content or the new, never a mix.
func writeFileAtomic(path string, data []byte) (err error) {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_ = os.Remove(tmp.Name())
		}
	}()
	if _, err = tmp.Write(data); err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if err = os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	return errors.Join(d.Sync(), d.Close())
}

// startOffset is where consumption of a newly assigned queue starts: the
// group's stored offset, or, without one, the ConsumeFrom position (a retry
// topic starts at its beginning, or with ConsumeFromTimestamp at its end,
// as the Java client does).
func (c *Consumer) startOffset(ctx context.Context, mq MessageQueue) (int64, error) {
	off, found, err := c.offsets.read(ctx, mq)
	if err != nil {
		return 0, fmt.Errorf("client: offset of %s: %w", mq, err)
	}
	if found {
		return off, nil
	}
	retry := message.IsRetryTopic(mq.Topic)
	switch {
	case c.cfg.ConsumeFrom == ConsumeFromFirstOffset, c.cfg.ConsumeFrom == ConsumeFromLastOffset && retry:
		return 0, nil
	case c.cfg.ConsumeFrom == ConsumeFromLastOffset, retry:
		return c.queryOffset(ctx, mq, remoting.GetMaxOffset, nil)
	default:
		return c.queryOffset(ctx, mq, remoting.SearchOffsetByTimestamp,
			&remoting.Field{Key: "timestamp", Value: strconv.FormatInt(c.cfg.ConsumeTimestamp.UnixMilli(), 10)})
	}
}

// queryOffset asks a queue's master for GET_MAX_OFFSET or
// SEARCH_OFFSET_BY_TIMESTAMP (the master only, as Java's MQAdminImpl: a
// queue without a stored offset does not start while its master is down,
// unless consumption starts from the first offset).
func (c *Consumer) queryOffset(ctx context.Context, mq MessageQueue, code int16, extra *remoting.Field) (int64, error) {
	addr, err := c.client.masterAddr(mq.BrokerName)
	if err != nil {
		return 0, err
	}
	fields := remoting.Fields{{Key: "topic", Value: mq.Topic}, {Key: "queueId", Value: strconv.Itoa(mq.QueueID)}}
	if extra != nil {
		fields = append(fields, *extra)
	}
	fields = append(fields, remoting.Field{Key: "bname", Value: mq.BrokerName})
	req := remoting.NewClientRequest(code, fields, nil)
	resp, err := c.client.callOK(ctx, addr, req)
	if err != nil {
		return 0, fmt.Errorf("client: start offset of %s: %w", mq, err)
	}
	off, err := resp.ExtFields.Int64("offset")
	if err != nil {
		return 0, fmt.Errorf("client: %s to %s: %w", remoting.RequestName(code), addr, err)
	}
	return off, nil
}

// commitQueues writes the committed offsets of queues whose offset changed
// since it was last written; with wait it waits for the store to confirm.
func (c *Consumer) commitQueues(ctx context.Context, queues []*pullQueue, wait bool) error {
	offsets := make(map[MessageQueue]int64, len(queues))
	for _, q := range queues {
		if off, changed := q.toCommit(); changed || wait {
			offsets[q.mq] = off
		}
	}
	if len(offsets) == 0 {
		return nil
	}
	err := c.offsets.write(ctx, offsets, wait)
	if err == nil {
		for _, q := range queues {
			if off, ok := offsets[q.mq]; ok {
				q.committedAs(off)
			}
		}
	}
	return err
}

// commitOwned commits the offsets of every owned queue that changed,
// without waiting (the periodic commit).
func (c *Consumer) commitOwned() {
	c.mu.Lock()
	queues := make([]*pullQueue, 0, len(c.queues))
	for _, q := range c.queues {
		queues = append(queues, q)
	}
	c.mu.Unlock()
	ctx, cancel := context.WithTimeout(c.life, c.client.cfg.RequestTimeout)
	defer cancel()
	if err := c.commitQueues(ctx, queues, false); err != nil && c.life.Err() == nil {
		c.log.Warn("commit offsets", "err", err)
	}
}
