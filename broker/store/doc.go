// Package store is the broker's message store, modelled on RocketMQ's
// DefaultMessageStore: an append-only commit log of stored-message records,
// a consume queue per (topic, queue) pointing into it, a hash index by
// message key, a checkpoint and an abort marker that triggers recovery.
//
// This comment is the on-disk format specification. All integers are
// big-endian. CRC32C means CRC-32 with the Castagnoli polynomial.
//
// # Directory
//
//	<dir>/lock                                  flock(2) held while open (ErrLocked)
//	<dir>/abort                                 abort marker (empty file)
//	<dir>/checkpoint                            checkpoint (written atomically)
//	<dir>/commitlog/<20-digit offset>           commit-log segments
//	<dir>/commitlog/<name>.broken[.N]           damaged data set aside by recovery
//	<dir>/consumequeue/<topic>/<queueId>/<20-digit first queue offset>
//	<dir>/index/<20-digit commit-log offset>    key index files
//
// # Commit log
//
// The log is a byte sequence addressed by commit-log offset, split into
// segment files named by the zero-padded decimal offset of their first
// byte. Segment n+1 starts exactly where segment n ends. A writer rolls to
// a new segment when the next Append would take the current one past
// SegmentSize (a single Append larger than that gets a segment of its own);
// nothing is preallocated or padded, so a segment's size is its content.
//
// The log holds records back to back, each exactly one message in the
// stored-message encoding of package message (wire doc §8.1, MAGICCODE
// 0xDAA320A7): TOTALSIZE int32 | MAGICCODE | BODYCRC (CRC32-IEEE of the
// body) | QUEUEID | FLAG | QUEUEOFFSET int64 | PHYSICALOFFSET int64 |
// SYSFLAG | BORNTIMESTAMP | BORNHOST | STORETIMESTAMP | STOREHOST |
// RECONSUMETIMES | PREPAREDTRANSACTIONOFFSET | BODYLENGTH+BODY |
// TOPICLENGTH(u8)+TOPIC | PROPERTIESLENGTH(i16)+PROPERTIES. A record never
// spans segments. PHYSICALOFFSET equals the record's own commit-log offset
// and QUEUEOFFSET its position in its consume queue, so every record is
// self-describing: recovery checks PHYSICALOFFSET == position and rebuilds
// consume queues and the index from records alone. A pull reply is a
// concatenation of log byte ranges; records are never re-encoded.
//
// One Append is one write(2) of all its records; store timestamps never
// decrease within the log.
//
// # Consume queue
//
// Files of 300,000 entries per (topic, queueId), each named by the queue
// offset of its first entry and ending at the next multiple of 300,000
// (a file written before files were split may hold more), holding
// 20-byte entries, entry i for queue offset first+i:
//
//	commitLogOffset int64 | size int32 | tagsCode int64
//
// tagsCode is message.TagsHashCode of the TAGS property, 0 without tags (or
// Config.TagsCode). All entries are also held in memory (20 bytes each);
// the files are written by the checkpointer, not on every Append, and are
// fully derivable from the log.
//
// # Index
//
// Keys (every space-separated key of KEYS, and UNIQ_KEY) are indexed as
// hash = FNV-1a-32(topic + "#" + key). An index file is named by the
// commit-log offset of the first record it indexes and laid out as:
//
//	header  64 bytes: magic "RKIX" u32 | version u32 (1) | slots u32 |
//	        maxEntries u32 | flags u32 (1 = sealed) | slotsValid u32 |
//	        base int64 | zero padding | CRC32C of bytes 0..59 u32
//	slots   slots × u32: 1-based number of the newest entry of the bucket
//	        hash % slots, 0 = empty
//	entries maxEntries × 24 bytes:
//	        hash u32 | prev u32 (1-based previous entry of the same bucket,
//	        0 = none) | commitLogOffset int64 | storeTime u32 (Unix seconds) |
//	        CRC32C of the preceding 20 bytes u32
//
// Entries are appended in log order. The slot table of the active file
// lives in memory (4 MiB for the default 1Mi slots) and is written when the
// file is sealed after reaching maxEntries (default 4Mi entries, 96 MiB); a
// sealed file's header has flags=1 and slotsValid=maxEntries. A clean Close
// also writes the active file's slot table (header with slotsValid=0 and
// fsync, table and fsync, then a header with slotsValid = its entry count
// and fsync): slotsValid=k > 0 on an unsealed file means the table is the
// bucket state after its first k entries.
// A lookup walks the bucket chain of each file (newest file first) with
// pread, collects entries with the full hash and a matching second, and
// verifies every candidate by reading the record and comparing topic, key
// and store time, so hash collisions are never returned.
//
// # Checkpoint
//
// <dir>/checkpoint, replaced atomically (write checkpoint.tmp, fsync,
// rename, fsync dir; see WriteFileAtomic):
//
//	magic "RKCP" u32 | version u32 (2) | dispatched int64 | logFlushed int64 |
//	cqEntries int64 | indexEntries int64 | storeTime int64 (ms) |
//	logMin int64 (version 2; version 1, still read, lacks it) |
//	deletedCount u32 | deletedCount × (topicLen u8 | topic | logOffset int64) |
//	CRC32C of everything before u32
//
// Every record below dispatched (a record boundary) is durable in the log,
// and its consume-queue and index entries are durable too; cqEntries and
// indexEntries count those entries, which lets Open detect consume-queue or
// index files that were deleted or fell behind. A deleted topic's records
// below its logOffset are never dispatched again. The checkpointer writes
// it every CheckpointInterval (1s) when something changed, and sooner once
// CheckpointBytes (32 MiB) of log were written since the last one: sync
// the log, write and fsync consume queues and index, then the checkpoint.
//
// # Abort marker and recovery
//
// Open creates <dir>/abort (and fsyncs the directory); a clean Close
// removes it after the final checkpoint. Close leaves it when a write
// failed. Open always:
//
//  1. opens the contiguous run of segments (a segment not starting where
//     the previous ends is set aside with all later ones);
//  2. loads consume queues, keeping the longest prefix of plausible entries
//     (size >= 91, strictly ascending offsets, inside the log) and cutting
//     torn entries;
//  3. loads index files, dropping entries at or past dispatched and any
//     entry that fails its CRC or chain check, and rebuilds the active slot
//     table from the entries; when the active file saved its table for its
//     first k entries (slotsValid=k, entry k intact and below dispatched,
//     no slot past k) it reads the table and checks only the entries after
//     k;
//  4. scans the log from dispatched to its end (from the first segment if
//     the checkpoint is missing or unreadable, or consume queues or index
//     count fewer entries than the checkpoint says), record by record:
//     TOTALSIZE within bounds, magic, structure, BODYCRC and PHYSICALOFFSET
//     == position. Each valid record is dispatched idempotently (an entry
//     already present at its queue offset is kept if it points at this
//     record); a queue missing earlier entries is rebuilt from the whole
//     log;
//  5. cuts the log at the first bad or partial record: the damaged segment
//     is copied to <name>.broken and truncated, later segments are renamed
//     to <name>.broken; consume-queue entries past the new end are dropped;
//  6. writes a checkpoint.
//
// With a clean shutdown behind it step 4 scans nothing, so the tail check
// is cheap; after a crash it scans what was written since the last
// checkpoint (at most about one CheckpointInterval of traffic or
// CheckpointBytes, whichever is less). Everything repaired
// is logged at Warn.
//
// # Torn writes and durability
//
// A torn or partially written record at the end of the log fails the
// size, structure or CRC check and is cut off with everything after it;
// no torn record is ever served, because readers only see bytes below the
// end of the last completed write, and after a restart only what recovery
// validated. In FlushSync mode Append returns PutOK only after fdatasync
// covered its records (group commit: one flusher goroutine syncs whatever
// was written and wakes every waiter), so acknowledged records survive a
// power loss; otherwise it returns PutFlushDiskTimeout after
// SyncFlushTimeout and the record may or may not survive. In FlushAsync
// mode records survive a process crash (they are in the page cache) and,
// after a power loss, everything up to the last background sync
// (FlushInterval) does. A failed write or sync is sticky: every later
// Append returns ErrWriteFailed, and the abort marker stays so that the
// next Open recovers. After a failed sync no later sync counts (the kernel
// may have dropped the pages whose write-back failed, so a retried fsync
// proves nothing about them): waiters get ErrWriteFailed, and neither the
// checkpoint nor Close claims those records durable. A failure writing
// consume-queue, index or checkpoint files fails only that checkpoint
// (Append goes on; the previous checkpoint stays in place, and the next
// one retries). Store.Recovery reports how the last Open recovered.
//
// The record format has a CRC over the body only. Damage to other fields
// is caught when it breaks the structure, the magic or PHYSICALOFFSET;
// damage that keeps all three (say, a flipped byte inside a property
// value) is not detected. Data below the checkpoint is not re-verified on
// Open: it was synced before the checkpoint was written (this includes the
// index entries covered by a saved slot table).
//
// # Retention
//
// A cleaner (retention.go, Retention) runs every CleanInterval, as Java's
// CleanCommitLogService: in a DeleteHours hour, or when the disk is fuller
// than DiskMaxUsedRatio, it deletes the segments whose last write (bounded
// by the store time of the first record after them) is older than
// ReservedTime, oldest first, at most BatchMax, never the last; above
// CleanForciblyRatio or WarningRatio it deletes them whatever their age.
// With the log it raises each consume queue's min past entries below the
// new log minimum and deletes the queue files wholly below it (never a
// queue's last file, which carries its max offset), and deletes index
// files whose last entry lies below it (never the active one), as
// CleanConsumeQueueService and IndexService.deleteExpiredFile do. A Get
// below a queue's min answers OffsetMoved with its min. Segments and index
// files count their readers: a deleted file is unlinked at once and
// closed when the last read in flight ends.
//
// Order, for crash safety: checkpoint; move queue mins, index and log
// minimum in memory; write a checkpoint with logMin; delete consume-queue
// and index files; delete segments oldest first. Open deletes segments
// below the checkpoint's logMin that a crash left, raises queue mins to
// the first segment, and drops index files below logMin, so a crash at any
// point ends in the old state or the new one.
//
// # Replication
//
// Package broker/ha ships a master's log to slaves (replica.go): ReadLog
// returns whole records from a record boundary, AppendReplica writes them
// on the slave at the same commit-log offsets, keeping each record's
// QUEUEOFFSET and STORETIMESTAMP, and dispatches them to consume queues
// and the index as recovery does. The slave's log is byte-identical to the
// master's; its segment boundaries are its own (it rolls at a record
// boundary when the next record would pass SegmentSize), and its consume
// queue, index and checkpoint files are its own, written and recovered as
// for any store. AppendReplica checks every record of a batch (size,
// magic, structure, BODYCRC, PHYSICALOFFSET == position, QUEUEOFFSET ==
// the queue's next offset) before it writes any, so a refused batch leaves
// nothing behind. A slave store later appended to (promotion) continues
// the queue offsets and never stores an older timestamp than the
// replicated ones.
//
// # Locking
//
// Lock order: Store.ckMu, Store.mu, Store.qmu, consumeQueue.mu, index.mu,
// commitLog.flushMu. Readers (Get, ReadRecord, SearchOffset, QueryByKey)
// take only qmu and a queue's or the index's read lock, never across a
// pread, and never block on a commit-log write.
//
// # Not implemented
//
//   - Disk-full write refusal: above diskSpaceWarningLevelRatio Java also
//     refuses writes; here the forced clean runs but appends go on.
//   - Memory-mapped I/O and transient store pools; reads are pread(2).
//   - The RocketMQ v2 record layout, Java's BLANK padding records, and
//     file-format compatibility with Java's store (the record encoding is
//     compatible, the consume queue and index files are not).
//   - Platforms other than Linux (flock, fdatasync).
//   - A memory implementation behind a store interface, and per-topic
//     queue-count metadata (the broker keeps topics.json via
//     WriteFileAtomic).
package store
