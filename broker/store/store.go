package store

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rocketkit/rocketkit/protocol/message"
)

// FlushMode selects when Append reports a message as stored.
type FlushMode int

const (
	// FlushAsync acknowledges once the records are written to the page
	// cache; a background flusher syncs the log every FlushInterval.
	FlushAsync FlushMode = iota
	// FlushSync acknowledges only after the records are synced to disk by
	// the group-commit flusher, or reports PutFlushDiskTimeout.
	FlushSync
)

// Config configures a Store. A zero value means the documented default.
type Config struct {
	// Dir is the store root. Required.
	Dir string
	// SegmentSize is the commit-log segment size in bytes. Default 1 GiB.
	SegmentSize int64
	// FlushMode is FlushAsync (default) or FlushSync.
	FlushMode FlushMode
	// FlushInterval is how often the async flusher syncs the log. Default
	// 500ms.
	FlushInterval time.Duration
	// SyncFlushTimeout bounds how long a FlushSync Append waits for its
	// sync. Default 5s.
	SyncFlushTimeout time.Duration
	// CheckpointInterval is how often consume queues and the index are
	// written and the checkpoint advanced. Default 1s.
	CheckpointInterval time.Duration
	// CheckpointBytes starts a checkpoint before CheckpointInterval has
	// passed once this many log bytes were written since the last one, which
	// bounds what crash recovery scans under heavy load. Default 32 MiB.
	CheckpointBytes int64
	// Logger receives recovery and I/O error reports. nil discards.
	Logger *slog.Logger
	// OnAppend is called after records of (topic, queueID) became readable,
	// outside every store lock (long-polling wake-up). It must not block.
	OnAppend func(topic string, queueID int32)
	// TagsCode computes the consume-queue tags code of a record while
	// recovery rebuilds consume queues from the log. nil: TagsHashCode of
	// the TAGS property, 0 without tags. It must agree with the TagsCode
	// the broker passes in Entry.
	TagsCode func(topic, properties string) int64
	// Retention configures the cleaner that deletes old segments (and the
	// consume-queue and index files pointing into them). The zero value
	// is RocketMQ's defaults: segments older than 72h go at 4 am, or
	// sooner when the disk fills.
	Retention Retention

	fsys          fileSystem       // nil: the OS
	now           func() time.Time // nil: time.Now; the SyncFlushTimeout clock
	cqFileEntries int64            // 0: defaultCQFileEntries
	indexSlots    uint32           // 0: defaultIxSlot
	indexEntries  uint32           // 0: defaultIxMax
}

func (c *Config) setDefaults() {
	if c.SegmentSize <= 0 {
		c.SegmentSize = 1 << 30
	}
	if c.FlushInterval <= 0 {
		c.FlushInterval = 500 * time.Millisecond
	}
	if c.SyncFlushTimeout <= 0 {
		c.SyncFlushTimeout = 5 * time.Second
	}
	if c.CheckpointInterval <= 0 {
		c.CheckpointInterval = time.Second
	}
	if c.CheckpointBytes <= 0 {
		c.CheckpointBytes = 32 << 20
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.fsys == nil {
		c.fsys = osFS{}
	}
	if c.now == nil {
		c.now = time.Now
	}
	if c.indexSlots == 0 {
		c.indexSlots = defaultIxSlot
	}
	if c.indexEntries == 0 {
		c.indexEntries = defaultIxMax
	}
	if c.cqFileEntries <= 0 {
		c.cqFileEntries = defaultCQFileEntries
	}
	c.Retention.setDefaults()
}

// Validate reports whether c can be used.
func (c *Config) Validate() error {
	var errs []error
	if c.Dir == "" {
		errs = append(errs, errors.New("store: Dir is required"))
	}
	if c.FlushMode != FlushAsync && c.FlushMode != FlushSync {
		errs = append(errs, fmt.Errorf("store: unknown FlushMode %d", c.FlushMode))
	}
	if c.SegmentSize < 0 {
		errs = append(errs, fmt.Errorf("store: SegmentSize %d is negative", c.SegmentSize))
	}
	if err := c.Retention.validate(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// Entry is one record to append. Topic, QueueID, TagsCode and Keys come
// from the caller, which parsed the message anyway, so the store does not
// decode the record again.
type Entry struct {
	Topic   string
	QueueID int32
	// TagsCode is message.TagsHashCode of the TAGS property, 0 without
	// tags (or what Config.TagsCode computes).
	TagsCode int64
	// Keys are the index keys: the space-separated KEYS plus UNIQ_KEY.
	Keys []string
	// Record is the message in the stored-message encoding
	// (message.AppendEncode). Append patches QUEUEOFFSET, PHYSICALOFFSET and
	// STORETIMESTAMP into it (in place when it is the only entry).
	Record []byte
}

// NewEntry encodes m (message.AppendEncode, appending to buf, which may be
// nil) and fills Topic, QueueID, TagsCode and Keys the way recovery
// recomputes them from the record. A broker that sets Config.TagsCode must
// set TagsCode itself.
func NewEntry(m *message.Ext, buf []byte) Entry {
	return Entry{
		Topic: m.Topic, QueueID: m.QueueID, TagsCode: recordTagsCode(m.Properties),
		Keys: recordKeys(m.Properties), Record: message.AppendEncode(buf, m),
	}
}

// PutStatus tells which durability guarantee held for an Append.
type PutStatus int

const (
	// PutOK: stored with the configured guarantee.
	PutOK PutStatus = iota
	// PutFlushDiskTimeout: stored and readable, but the sync did not finish
	// within SyncFlushTimeout (or ctx ended first); RocketMQ's
	// FLUSH_DISK_TIMEOUT.
	PutFlushDiskTimeout
)

// AppendResult describes one stored record.
type AppendResult struct {
	CommitLogOffset int64
	QueueOffset     int64
	Size            int32
	StoreTimestamp  int64
	Status          PutStatus
}

// Store is a RocketMQ-style message store: commit log, consume queues,
// key index and checkpoint in one directory. All methods are safe for
// concurrent use.
type Store struct {
	cfg  Config
	log  *slog.Logger
	fsys fileSystem
	dir  string
	lock *os.File

	cl *commitLog
	ix *index

	// mu serialises the write path: Append, segment rolls, queue creation,
	// checkpoint snapshots, DeleteTopic. Order: ckMu, mu, qmu, queue.mu,
	// index.mu, commitLog.flushMu.
	mu          sync.Mutex
	werr        error // sticky write error. Lock mu.
	lastStoreTs int64 // Lock mu.
	closed      atomic.Bool

	qmu    sync.RWMutex // map writes need mu and qmu; reads need either
	queues map[QueueID]*consumeQueue

	ckMu    sync.Mutex       // serialises checkpoints and DeleteTopic
	deleted map[string]int64 // topic -> log end at deletion. Lock mu (write) or ckMu.
	lastCk  checkpoint       // last written. Lock ckMu.
	ckKick  chan struct{}    // capacity 1: a checkpoint is due by volume
	ckDue   int64            // log end at which Append kicks ckKick. Lock mu.
	logMin  int64            // retention's minimum, checkpointed as LogMin. Lock mu.

	flush     flusher
	counts    counters     // stats.go
	recovery  RecoveryInfo // set by Open; recoveryinfo.go
	stop      chan struct{}
	wg        sync.WaitGroup
	closeOnce sync.Once
	closeErr  error
}

// Open opens (creating if needed) the store in cfg.Dir. When the abort
// marker of a crashed run is present, or any file is inconsistent, it
// recovers: the log is truncated to its last whole record, and consume
// queues and the index are rebuilt from the log. Everything it repairs is
// logged at Warn level.
func Open(cfg Config) (*Store, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	s := &Store{
		cfg: cfg, log: cfg.Logger, fsys: cfg.fsys, dir: cfg.Dir,
		queues: make(map[QueueID]*consumeQueue), deleted: make(map[string]int64),
		stop: make(chan struct{}), ckKick: make(chan struct{}, 1),
	}
	for _, d := range []string{s.dir, s.path("commitlog"), s.path("consumequeue"), s.path("index")} {
		if err := s.fsys.MkdirAll(d, 0o755); err != nil {
			return nil, fmt.Errorf("store: open: %w", err)
		}
	}
	lock, err := lockDir(s.path("lock"))
	if err != nil {
		return nil, err
	}
	s.lock = lock
	s.cl = newCommitLog(s.fsys, s.path("commitlog"), cfg.SegmentSize)
	s.ix = newIndex(s.fsys, s.path("index"), cfg.indexSlots, cfg.indexEntries)
	if err := s.recover(); err != nil {
		s.closeFiles()
		return nil, fmt.Errorf("store: open %s: %w", s.dir, err)
	}
	if err := s.createAbortMarker(); err != nil {
		s.closeFiles()
		return nil, fmt.Errorf("store: open: %w", err)
	}
	s.flush.init()
	s.wg.Add(2)
	go s.runFlusher()
	go s.runCheckpointer()
	if !cfg.Retention.Disabled {
		s.wg.Add(1)
		go s.runCleaner()
	}
	return s, nil
}

func (s *Store) path(elem ...string) string {
	return filepath.Join(append([]string{s.dir}, elem...)...)
}

func (s *Store) createAbortMarker() error {
	f, err := s.fsys.OpenFile(s.path("abort"), os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return s.fsys.SyncDir(s.dir)
}

// Close flushes the log, writes consume queues, index and checkpoint and
// removes the abort marker. After a write error it leaves the marker so
// that the next Open recovers. It is idempotent and returns the first
// result on every call.
func (s *Store) Close() error {
	s.closeOnce.Do(func() { s.closeErr = s.doClose() })
	return s.closeErr
}

func (s *Store) doClose() error {
	s.mu.Lock()
	s.closed.Store(true)
	s.mu.Unlock()
	close(s.stop)
	s.wg.Wait()

	var errs []error
	if _, err := s.cl.sync(); err != nil {
		errs = append(errs, fmt.Errorf("store: close: %w", err))
		s.setWriteErr(err)
	}
	s.flush.finish(s.writeErr())
	if err := s.checkpoint(); err != nil {
		errs = append(errs, fmt.Errorf("store: close: %w", err))
	}
	s.ckMu.Lock()
	if len(errs) == 0 && s.writeErr() == nil {
		if err := s.ix.saveActiveSlots(); err != nil {
			errs = append(errs, fmt.Errorf("store: close index: %w", err))
		}
	}
	if err := s.ix.closeFiles(); err != nil {
		errs = append(errs, fmt.Errorf("store: close index: %w", err))
	}
	s.ckMu.Unlock()
	if len(errs) == 0 && s.writeErr() == nil {
		if err := s.fsys.Remove(s.path("abort")); err != nil {
			errs = append(errs, fmt.Errorf("store: close: %w", err))
		} else if err := s.fsys.SyncDir(s.dir); err != nil {
			errs = append(errs, fmt.Errorf("store: close: %w", err))
		}
	} else {
		s.log.Warn("store closed after errors; the next open will recover", "err", errors.Join(append(errs, s.writeErr())...))
	}
	s.closeFiles()
	return errors.Join(errs...)
}

// closeFiles closes every open file and releases the directory lock.
func (s *Store) closeFiles() {
	_ = s.cl.close()
	for _, q := range s.queues {
		_ = q.close()
	}
	_ = s.ix.closeFiles()
	if s.lock != nil {
		unlockDir(s.lock)
		s.lock = nil
	}
}

func (s *Store) writeErr() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.werr
}

// setWriteErr makes err sticky (the first one wins).
func (s *Store) setWriteErr(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.setWriteErrLocked(err)
}

// setWriteErrLocked: mu should be held.
func (s *Store) setWriteErrLocked(err error) {
	if s.werr == nil {
		s.werr = fmt.Errorf("%w: %w", ErrWriteFailed, err)
		s.log.Error("commit log write failed; the store refuses further appends", "err", err)
	}
}

// queueCount is a per-queue tally within one Append.
type queueCount struct {
	q *consumeQueue
	n int64
}

var batchPool = sync.Pool{New: func() any { return new([]byte) }}

// Append stores entries atomically with one write, assigning consecutive
// queue offsets per (topic, queue) in slice order, the commit-log offsets
// and one store timestamp. In FlushSync mode it then waits for the
// group-commit sync (bounded by SyncFlushTimeout and ctx; on either the
// records stay stored and the status is PutFlushDiskTimeout).
//
// ctx is consulted only while waiting for the sync: cancelling it never
// aborts or undoes the write.
//
// Errors: ErrInvalidEntry (nothing stored), ErrClosed, and ErrWriteFailed,
// which is sticky. A failed sync returns the results with ErrWriteFailed:
// the records are readable but may not survive a crash.
func (s *Store) Append(ctx context.Context, entries []Entry) ([]AppendResult, error) {
	if len(entries) == 0 {
		return nil, nil
	}
	for i := range entries {
		if !checkEntry(&entries[i]) {
			return nil, fmt.Errorf("store: append entry %d (topic %q, queue %d): %w",
				i, entries[i].Topic, entries[i].QueueID, ErrInvalidEntry)
		}
	}
	var (
		buf  []byte
		pbuf *[]byte
	)
	if len(entries) == 1 {
		buf = entries[0].Record
	} else {
		pbuf = batchPool.Get().(*[]byte)
		buf = (*pbuf)[:0]
		for i := range entries {
			buf = append(buf, entries[i].Record...)
		}
		defer func() { *pbuf = buf[:0]; batchPool.Put(pbuf) }()
	}
	res := make([]AppendResult, len(entries))
	var tally [4]queueCount
	counts := tally[:0]

	s.mu.Lock()
	if s.closed.Load() {
		s.mu.Unlock()
		return nil, ErrClosed
	}
	if s.werr != nil {
		err := s.werr
		s.mu.Unlock()
		return nil, err
	}
	now := max(time.Now().UnixMilli(), s.lastStoreTs)
	if err := s.cl.reserveLocked(len(buf)); err != nil {
		s.setWriteErrLocked(err)
		err = s.werr
		s.mu.Unlock()
		return nil, err
	}
	pos := s.cl.end
	rel := 0
	for i := range entries {
		e := &entries[i]
		q := s.queueLocked(QueueID{e.Topic, e.QueueID})
		j := 0
		for j < len(counts) && counts[j].q != q {
			j++
		}
		if j == len(counts) {
			counts = append(counts, queueCount{q: q})
		}
		n := len(e.Record)
		res[i] = AppendResult{CommitLogOffset: pos + int64(rel), QueueOffset: q.next + counts[j].n, Size: int32(n), StoreTimestamp: now}
		counts[j].n++
		message.PatchOffsets(buf[rel:rel+n], res[i].QueueOffset, res[i].CommitLogOffset, now)
		rel += n
	}
	if err := s.cl.writeLocked(buf); err != nil {
		s.setWriteErrLocked(err)
		err = s.werr
		s.mu.Unlock()
		return nil, err
	}
	s.lastStoreTs = now
	s.checkpointIfDueLocked()
	for _, c := range counts {
		c.q.next += c.n
	}
	s.counts.put.Add(int64(len(entries)))
	s.counts.appends.Add(1)
	var cur *consumeQueue
	for i := range entries {
		e := &entries[i]
		q := s.queues[QueueID{e.Topic, e.QueueID}]
		if q != cur {
			if cur != nil {
				cur.mu.Unlock()
			}
			cur = q
			cur.mu.Lock()
		}
		q.appendLocked(res[i].CommitLogOffset, res[i].Size, e.TagsCode)
	}
	cur.mu.Unlock()
	for i := range entries {
		s.ix.addLocked(entries[i].Topic, entries[i].Keys, res[i].CommitLogOffset, now)
	}
	s.mu.Unlock()

	if s.cfg.OnAppend != nil {
		for _, c := range counts {
			s.cfg.OnAppend(c.q.id.Topic, c.q.id.QueueID)
		}
	}
	if s.cfg.FlushMode != FlushSync {
		return res, nil
	}
	st, err := s.waitFlushed(ctx, pos+int64(len(buf)))
	if st != PutOK {
		for i := range res {
			res[i].Status = st
		}
	}
	return res, err
}

// queueLocked returns the queue for id, creating it. mu should be held.
func (s *Store) queueLocked(id QueueID) *consumeQueue {
	if q := s.queues[id]; q != nil {
		return q
	}
	q := newConsumeQueue(id, s.dir, s.cfg.cqFileEntries)
	s.qmu.Lock()
	s.queues[id] = q
	s.qmu.Unlock()
	return q
}

// queue returns the queue for id or nil.
func (s *Store) queue(topic string, queueID int32) *consumeQueue {
	s.qmu.RLock()
	defer s.qmu.RUnlock()
	return s.queues[QueueID{topic, queueID}]
}

// MaxPhysicalOffset is the end of the readable commit log.
func (s *Store) MaxPhysicalOffset() int64 { return s.cl.readable.Load() }

// MinPhysicalOffset is the first commit-log offset still stored.
func (s *Store) MinPhysicalOffset() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cl.minOffset()
}

// checkpointIfDueLocked wakes the checkpointer once CheckpointBytes more
// of log were written since it last ran. mu should be held.
func (s *Store) checkpointIfDueLocked() {
	if s.cl.end >= s.ckDue {
		s.ckDue = s.cl.end + s.cfg.CheckpointBytes
		select {
		case s.ckKick <- struct{}{}:
		default:
		}
	}
}
