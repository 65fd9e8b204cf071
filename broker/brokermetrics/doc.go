// Package brokermetrics serves RocketMQ metrics to Prometheus, in the text
// exposition format 0.0.4 (text/plain; version=0.0.4), written by hand:
// no Prometheus client library is involved. Two sources:
//
//   - Handler(b) reads the embedded broker's own counters at each scrape
//     (package broker: Traffic, ConsumeStats, Stats, StoreFootprint,
//     StoreLatencies); nothing is cached and nothing goes over the
//     network.
//   - NewCluster(adminClient, cfg) reads any cluster, Apache RocketMQ's
//     included, through package admin (cluster info, each master's
//     GET_BROKER_RUNTIME_INFO and subscription groups, each group's
//     consume stats, each topic's stats), within limits and cached (see
//     Cost).
//
// Both are http.Handlers to mount at /metrics; the console serves them on
// its HTTP listener (rocketkit broker --http, rocketkit console --http):
//
//	mux.Handle("/metrics", brokermetrics.Handler(b))
//
// # Names
//
// Names are Apache RocketMQ 5's (its BrokerMetricsConstant and
// DefaultStoreMetricsConstant, exported by its OpenTelemetry Prometheus
// exporter) where it has the metric, and rocketmq_-prefixed names of our
// own in the same style where it has none (marked "kit" below); the
// exporter's own health is rocketkit_scrape_*. Label names are RocketMQ
// 5's: topic, consumer_group. Every per-broker series carries cluster and
// broker (brokerName); queue_id is the queue within its broker. Sizes are
// bytes, latencies seconds. Counters restart from 0 when the broker
// restarts, as Prometheus expects.
//
//	metric                                       type       labels                     E  C  meaning
//	rocketmq_messages_in_total                   counter    topic                      E     records written to the topic's queues
//	rocketmq_throughput_in_total                 counter    topic                      E     their stored bytes
//	rocketmq_messages_out_total                  counter    consumer_group, topic      E     messages pulls returned to the group
//	rocketmq_throughput_out_total                counter    consumer_group, topic      E     their stored bytes
//	rocketmq_consumer_lag_messages               gauge      consumer_group, topic,     E  C  max offset minus committed offset
//	                                                        queue_id
//	rocketmq_send_back_messages_total (kit)      counter    consumer_group, topic      E     messages sent back to retry or dead-letter
//	rocketmq_send_to_dlq_messages_total          counter    consumer_group             E     messages written to %DLQ%<group>
//	rocketmq_connections (kit)                   gauge                                 E     open client connections
//	rocketmq_refused_connections_total (kit)     counter                               E     connections refused at MaxConnections
//	rocketmq_consumer_connections                gauge      consumer_group             E     live members of the group
//	rocketmq_producer_connections                gauge      producer_group             E     connections of the group's producers
//	rocketmq_held_pulls (kit)                    gauge                                 E     pulls held by long polling now
//	rocketmq_requests_total (kit)                counter    request                    E     requests by code name (PULL_MESSAGE, ...)
//	rocketmq_half_messages                       gauge      topic                      E     transactional half messages pending
//	rocketmq_transaction_checks_total (kit)      counter                               E     check-backs sent to producers
//	rocketmq_transaction_discarded_total (kit)   counter                               E     half messages dropped unanswered
//	rocketmq_timing_messages                     gauge                                 E     messages parked until TIMER_DELIVER_MS
//	rocketmq_delay_level_messages (kit)          gauge                                 E     messages parked until their DELAY level
//	rocketmq_storage_size                        gauge                                 E  C  commit-log bytes (end minus first offset)
//	rocketmq_storage_segments (kit)              gauge                                 E     commit-log segment files
//	rocketmq_storage_consume_queue_entries (kit) gauge                                 E     consume-queue entries (20 bytes each)
//	rocketmq_storage_flush_latency_seconds (kit) histogram                             E     commit-log flush rounds
//	rocketmq_storage_fsync_latency_seconds (kit) histogram                             E     fsyncs of a commit-log segment
//	rocketmq_storage_checkpoint_latency_seconds  histogram                             E     checkpoints (kit name)
//	rocketmq_storage_disk_ratio (kit)            gauge                                    C  used fraction of the commit log's disk
//	rocketmq_storage_dispatch_behind_bytes       gauge                                    C  log bytes not dispatched to queues yet
//	rocketmq_broker_messages_in_total (kit)      counter                               E  C  messages stored (msgPutTotalTodayNow)
//	rocketmq_broker_messages_out_total (kit)     counter                               E  C  messages read (msgGetTotalTodayNow)
//	rocketmq_broker_put_tps (kit)                gauge                                    C  putTps, last 10 s
//	rocketmq_broker_get_tps (kit)                gauge                                    C  getTransferredTps, last 10 s
//	rocketmq_broker_up (kit)                     gauge                                    C  1 if the broker answered this scrape
//	rocketmq_topic_max_offset (kit)              gauge      topic                         C  sum of the queues' max offsets
//	rocketmq_topic_messages (kit)                gauge      topic                         C  messages the queues still hold
//	rocketkit_scrape_duration_seconds            gauge      (no cluster, broker)          C  how long the last scrape took
//	rocketkit_scrape_admin_calls                 gauge      (no cluster, broker)          C  admin requests it made
//	rocketkit_scrape_errors                      gauge      (no cluster, broker)          C  admin requests that failed
//	rocketkit_scrape_truncated                   gauge      (no cluster, broker)          C  1 if a limit cut it short
//
// E: served by Handler (the embedded broker); C: by Cluster (any cluster
// through the admin protocol). Details:
//
//   - messages_in counts every record under the topic it is stored in: a
//     delayed or timed message counts in its schedule or timer topic when
//     parked and in its own topic when it comes due; a transactional one
//     in the half topic, and in its own once committed; a consumer's
//     retry in %RETRY%<group> when due; a dead letter in %DLQ%<group>.
//     RocketMQ 5 counts a producer's message once, under the topic it
//     was sent to, with message_type and is_system labels we leave out.
//   - messages_out counts what pulls returned, so a message delivered
//     twice (a retry, a queue handed to another member before its offset
//     was committed) counts twice. RocketMQ 5 labels it is_retry too.
//   - consumer_lag_messages is per queue (RocketMQ 5's is per group and
//     topic: sum by (consumer_group, topic)), for every queue of every
//     topic the group subscribes or has offsets on, its %RETRY% topic
//     included.
//   - send_back_messages counts CONSUMER_SEND_MSG_BACK requests stored,
//     by the message's original topic; send_to_dlq_messages counts the
//     writes to %DLQ%<group>, from a send-back or a retry sent past its
//     maximum (RocketMQ 5 also labels it topic).
//   - The rocketmq-exporter's names map to these: rocketmq_producer_tps
//     to rate(rocketmq_messages_in_total[1m]), rocketmq_producer_offset
//     to rocketmq_topic_max_offset, rocketmq_consumer_tps to
//     rate(rocketmq_messages_out_total[1m]), rocketmq_group_diff to
//     sum by (consumer_group, topic) of rocketmq_consumer_lag_messages,
//     rocketmq_brokeruntime_msg_put_total_today_now to
//     rocketmq_broker_messages_in_total, rocketmq_brokeruntime_put_tps to
//     rocketmq_broker_put_tps, rocketmq_brokeruntime_commitlog_disk_ratio
//     to rocketmq_storage_disk_ratio.
//
// The histograms' buckets are store.LatencyBounds (50µs to 10s).
//
// # Cost
//
// Handler costs about a microsecond per series: the broker's counters are
// atomic adds on the hot paths (one per append and per pull that found
// messages, on a per-topic counter found in a sync.Map), read at scrape.
//
// A Cluster scrape asks the name server for the cluster (1 request), each
// master for its runtime info and subscription groups (2 each), each
// consumer group for its consume stats and each non-system topic for its
// stats (1 route request and 1 per master each), and the name server for
// the topic list (1): about 3 + 2B + (G+T)(1+B) requests for B masters, G
// groups and T topics. ClusterConfig bounds it: MaxBrokers (32), MaxGroups
// (100) and MaxTopics (100), taken in name order, and MaxCalls (500) in
// all, with Timeout (10s) for the whole scrape; whatever a limit cuts is
// left out and rocketkit_scrape_truncated is 1. Broker system groups and
// topics (TOOLS_CONSUMER, TBW102, RMQ_SYS_*, %RETRY%, %DLQ%, ...) are
// skipped. The result is served for CacheFor (5s) to every request, and
// requests arriving during a scrape wait for it, so any number of
// Prometheus servers scraping at any rate cause at most one scrape per
// CacheFor.
//
// # Format
//
// Each family has HELP and TYPE lines, then its samples sorted by label
// values, so the same state always renders the same bytes. Label values
// escape backslash, double quote and line feed (invalid UTF-8 becomes
// U+FFFD); metric names, label names, counter suffixes (_total) and
// duplicate series are checked before anything is written, and a failed
// check is a 500 rather than text a scraper would reject.
package brokermetrics
