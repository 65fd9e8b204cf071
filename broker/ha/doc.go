// Package ha replicates a master broker's commit log to its slaves over
// RocketMQ's HA protocol: Java's HAService, HAConnection and HAClient
// (RocketMQ 4.x, and 5.x's DefaultHAService), on the frames Java uses.
//
// # Roles
//
// A master (brokerRole ASYNC_MASTER or SYNC_MASTER) runs a Master on its
// HA port (haListenPort, by default the broker's port plus one). Every
// slave that connects is streamed the master's log from the offset the
// slave reports. The broker calls Master.Notify from its store's OnAppend
// so that streamers wake at once (they also look every 100 ms, as Java's
// do). A SYNC_MASTER answers a send only after Master.WaitReplicated saw a
// slave acknowledge the write's end offset: Replicated is SEND_OK,
// SlaveNotAvailable is SLAVE_NOT_AVAILABLE (no slave, or the best one is
// more than MaxGapNotInSync behind: Java's isSlaveOK, checked before
// waiting), ReplicationTimeout is FLUSH_SLAVE_TIMEOUT. An ASYNC_MASTER
// never waits.
//
// A slave (brokerRole SLAVE, brokerId > 0) runs a Slave: it connects to
// the master's HA address (asked of SlaveConfig.MasterAddr before every
// attempt: the address the master registered with the name server, or
// haMasterAddress), applies every transfer to its store with
// store.AppendReplica and acknowledges it. The slave's log is the
// master's, byte for byte: the same commit-log offsets, queue offsets and
// store timestamps, so offset message ids and consumer offsets mean the
// same on both, and a consumer can move between them. Its consume queues
// and key index are built from the records as recovery builds them.
//
// # Protocol
//
// One TCP connection per slave; all integers big-endian.
//
// Slave to master, a report of 8 bytes: the slave's max physical offset
// (the end of its log). The slave sends one when it connects, one after
// every transfer it applied, and one every HeartbeatInterval (5 s) in any
// case. The master takes the first as where to start and every later one
// as an acknowledgement: everything below it is on the slave.
//
//	offset int64
//
// Master to slave, a transfer: a 12-byte header and a body of log bytes
// starting at the header's offset.
//
//	offset int64 | size int32 | body (size bytes)
//
// The master streams without waiting for acknowledgements (TCP's flow
// control paces it): each transfer holds the whole records from the next
// offset on, at most TransferBatch bytes (32 KiB, Java's
// haTransferBatchSize), or one record when it is larger. A transfer with
// size 0 is a heartbeat, sent when nothing else was for HeartbeatInterval;
// its offset is where the next transfer will start. The slave checks
// that every header's offset equals its log's end before it reads the
// body, as Java's HAClient does.
//
// # Errors and refusals
//
// Whatever goes wrong closes the connection; the slave reconnects after a
// pause (100 ms doubling to 5 s; back to 100 ms after a connection that
// got anything). Nothing a peer sends causes a panic or a partial write.
//
// The master refuses a slave (logs an error and closes) whose first
// report is above its log's end (ErrDiverged: the slave holds records the
// master does not have, e.g. it followed another master), or below its
// first stored offset (ErrBehindLog: retention deleted what the slave
// still needs). Such a slave's store must be rebuilt (copied from the
// master, or emptied). An empty slave (report 0) of a master whose log no
// longer starts at 0 is streamed the log from its first stored offset,
// where the slave's log then begins (store.AppendReplica; Java starts it
// at the master's last file). It also closes on a
// negative offset, an acknowledgement that goes backwards or past what it
// sent (ErrProtocol), a truncated report, and when no report arrived for
// HousekeepingInterval (20 s, Java's haHousekeepingInterval).
//
// Topic deletion is not in the log. A topic the master deletes and then
// receives again restarts its queue offsets at 0; the slave takes such a
// record (queue offset 0 for a queue that has records) as the master's
// deletion, deletes the topic too at that record, and goes on
// (store.AppendReplica). A slave refuses DELETE_TOPIC_IN_BROKER: a
// deletion on the slave alone would leave it behind the master's queues.
//
// A slave whose log has diverged from the master's but ends at one of the
// master's record boundaries (at or below the master's end) is not
// detected, as in Java: the protocol carries offsets, not checksums or
// epochs.
//
// The slave closes on a header whose offset is not its log's end (an
// empty slave's log begins at the first transfer's), a negative
// offset, a size outside 0..MaxBodySize (64 MiB), a truncated frame, a
// body store.AppendReplica refuses (not whole records, bad size, magic or
// body CRC, an offset not at its position, a queue offset not next:
// store.ErrInvalidReplica, and nothing of it is stored), and when nothing
// arrived for HousekeepingInterval.
//
// # Differences from Java
//
//   - An empty slave gets the master's whole stored log, from its first
//     offset; Java starts it at the master's last commit-log file (so it
//     silently lacks everything before). A slave whose offset the master
//     cannot serve is refused; Java streams nothing, silently, to a slave
//     below the master's first file, and accepts a slave ahead of it, to
//     which it later ships bytes from that offset that no longer line up
//     with the slave's records.
//   - Transfers carry whole records, so the slave validates and indexes
//     each batch as it arrives. Java ships raw byte ranges of its mapped
//     files (a record may be cut between two transfers, and the BLANK
//     padding at the end of each file is shipped too) and checks the
//     header offset only once the slave's log is not empty.
//   - The slave checks every record (size, magic, body CRC, commit-log and
//     queue offsets) before storing any of a transfer; Java appends the
//     bytes and lets its dispatcher skip what does not parse.
//   - The frames are Java's, but the peers must both be RocketKit: this
//     store's log has no per-file padding and its segments are not 1 GiB
//     aligned, so a Java slave cannot lay out what a RocketKit master
//     sends, and a RocketKit slave refuses a Java master's BLANK records
//     and cut records.
//   - A slave counts as available to WaitReplicated once it reported its
//     offset, not when its TCP connection is accepted; the best offset is
//     that of the slaves connected now (Java keeps the highest ever
//     acknowledged).
//   - No HA-over-TLS and no DLedger or 5.x auto-switch (controller) mode.
//
// # Concurrency
//
// A Master runs one goroutine reading each slave's reports and one
// streaming to it; Close stops them all and waits. Notify takes no lock
// (an atomic pointer to the streamers' wake channels, each sent to
// without blocking). WaitReplicated waiters share one channel that is
// closed and replaced whenever the best acknowledged offset grows, so an
// acknowledgement costs one wake-up per waiter whatever their number. A
// Slave runs its connection loop in Run's goroutine plus one goroutine
// sending reports per connection; Run returns after both ended.
//
// Master.mu (listeners, connections) and Master.ackMu (acknowledgements)
// are never held together, and the store is called with neither held.
package ha
