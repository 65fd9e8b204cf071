package brokermetrics

// Metric names and their HELP texts, one place for both handlers: the
// names are Apache RocketMQ 5's (BrokerMetricsConstant,
// DefaultStoreMetricsConstant) where it has the metric, rocketmq_-prefixed
// names of our own where it has none; the package documentation has the
// table.
const (
	mMessagesIn    = "rocketmq_messages_in_total"
	mThroughputIn  = "rocketmq_throughput_in_total"
	mMessagesOut   = "rocketmq_messages_out_total"
	mThroughputOut = "rocketmq_throughput_out_total"
	mLag           = "rocketmq_consumer_lag_messages"
	mSendBack      = "rocketmq_send_back_messages_total"
	mDLQ           = "rocketmq_send_to_dlq_messages_total"

	mConnections   = "rocketmq_connections"
	mRefused       = "rocketmq_refused_connections_total"
	mConsumerConns = "rocketmq_consumer_connections"
	mProducerConns = "rocketmq_producer_connections"
	mHeldPulls     = "rocketmq_held_pulls"
	mRequests      = "rocketmq_requests_total"

	mHalf        = "rocketmq_half_messages"
	mTxChecks    = "rocketmq_transaction_checks_total"
	mTxDiscarded = "rocketmq_transaction_discarded_total"
	mTiming      = "rocketmq_timing_messages"
	mDelayLevel  = "rocketmq_delay_level_messages"

	mStorageSize       = "rocketmq_storage_size"
	mSegments          = "rocketmq_storage_segments"
	mCQEntries         = "rocketmq_storage_consume_queue_entries"
	mFlushLatency      = "rocketmq_storage_flush_latency_seconds"
	mFsyncLatency      = "rocketmq_storage_fsync_latency_seconds"
	mCheckpointLatency = "rocketmq_storage_checkpoint_latency_seconds"
	mDiskRatio         = "rocketmq_storage_disk_ratio"
	mDispatchBehind    = "rocketmq_storage_dispatch_behind_bytes"

	mBrokerIn     = "rocketmq_broker_messages_in_total"
	mBrokerOut    = "rocketmq_broker_messages_out_total"
	mBrokerPutTPS = "rocketmq_broker_put_tps"
	mBrokerGetTPS = "rocketmq_broker_get_tps"
	mBrokerUp     = "rocketmq_broker_up"

	mTopicMaxOffset = "rocketmq_topic_max_offset"
	mTopicMessages  = "rocketmq_topic_messages"

	mScrapeDuration  = "rocketkit_scrape_duration_seconds"
	mScrapeCalls     = "rocketkit_scrape_admin_calls"
	mScrapeErrors    = "rocketkit_scrape_errors"
	mScrapeTruncated = "rocketkit_scrape_truncated"
)

const (
	helpMessagesIn    = "Messages written to the topic's queues since the broker started."
	helpThroughputIn  = "Bytes written to the topic's queues (stored record size) since the broker started."
	helpMessagesOut   = "Messages pulls returned to the consumer group from the topic since the broker started."
	helpThroughputOut = "Bytes pulls returned to the consumer group from the topic since the broker started."
	helpLag           = "Messages in the queue the consumer group has not consumed: the queue's max offset minus the group's committed offset."
	helpSendBack      = "Messages consumers of the group sent back to be retried or dead-lettered, by original topic."
	helpDLQ           = "Messages written to the group's dead-letter topic %DLQ%<group>."

	helpConnections   = "Open client connections."
	helpRefused       = "Connections closed on accept because MaxConnections were open."
	helpConsumerConns = "Live members (client instances) of the consumer group."
	helpProducerConns = "Connections of the producer group's clients."
	helpHeldPulls     = "Pull requests held by long polling, waiting for messages."
	helpRequests      = "Requests received, by request code name."

	helpHalf        = "Transactional half messages awaiting commit or rollback, by real topic."
	helpTxChecks    = "Transaction check-backs (CHECK_TRANSACTION_STATE) sent to producers."
	helpTxDiscarded = "Half messages dropped after the maximum number of unanswered check-backs."
	helpTiming      = "Messages parked until their delivery time (TIMER_DELIVER_MS)."
	helpDelayLevel  = "Messages parked until their delay level (DELAY) is due."

	helpStorageSize       = "Bytes of the commit log (its end minus its first stored offset)."
	helpSegments          = "Commit-log segment files."
	helpCQEntries         = "Entries held by the consume queues (20 bytes each on disk)."
	helpFlushLatency      = "Commit-log flush rounds that had bytes to make durable, in seconds."
	helpFsyncLatency      = "fsync calls on a commit-log segment file, in seconds."
	helpCheckpointLatency = "Checkpoints that wrote consume queues, index and checkpoint file, in seconds."
	helpDiskRatio         = "Used fraction of the disk holding the commit log (commitLogDiskRatio)."
	helpDispatchBehind    = "Commit-log bytes not yet dispatched to consume queues (dispatchBehindBytes)."

	helpBrokerIn     = "Messages the broker stored since it started, its own writes included (msgPutTotalTodayNow)."
	helpBrokerOut    = "Messages the broker read for pulls since it started, its own reads included (msgGetTotalTodayNow)."
	helpBrokerPutTPS = "Messages stored per second over the last 10 seconds (putTps)."
	helpBrokerGetTPS = "Messages read per second over the last 10 seconds (getTransferredTps)."
	helpBrokerUp     = "1 if the broker answered GET_BROKER_RUNTIME_INFO in this scrape, else 0."

	helpTopicMaxOffset = "Sum of the max offsets of the topic's queues on the broker: messages ever written to them."
	helpTopicMessages  = "Messages the topic's queues on the broker still hold (max minus min offset)."

	helpScrapeDuration  = "How long the last scrape of the cluster took, in seconds."
	helpScrapeCalls     = "Admin requests the last scrape of the cluster made."
	helpScrapeErrors    = "Admin requests of the last scrape that failed."
	helpScrapeTruncated = "1 if the last scrape stopped at a limit (MaxCalls, MaxGroups, MaxTopics, MaxBrokers or Timeout), else 0."
)
