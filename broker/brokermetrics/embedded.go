package brokermetrics

import (
	"bytes"
	"net/http"
	"strconv"
	"strings"

	"github.com/rocketkit/rocketkit/broker"
	"github.com/rocketkit/rocketkit/protocol/message"
)

// Handler serves the embedded broker's metrics in the text exposition
// format 0.0.4, read from b's own counters at each request: nothing is
// cached and no request goes over the network. A scrape costs about a
// microsecond per topic, group-topic pair and consumer queue. Safe for
// concurrent use; mount it at /metrics.
func Handler(b *broker.Broker) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		serve(w, r, collectBroker(b))
	})
}

// serve writes s, or a 500 when it is invalid (a bug: names are fixed in
// this package).
func serve(w http.ResponseWriter, r *http.Request, s *set) {
	var buf bytes.Buffer
	if _, err := s.WriteTo(&buf); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", ContentType)
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	if r.Method == http.MethodHead {
		return
	}
	_, _ = w.Write(buf.Bytes())
}

// collectBroker reads everything the embedded broker exports.
func collectBroker(b *broker.Broker) *set {
	s := newSet()
	cfg := b.Config()
	node := []string{"cluster", cfg.ClusterName, "broker", cfg.BrokerName}
	with := func(pairs ...string) []string { return append(cloneLabels(node), pairs...) }

	traffic := b.Traffic()
	in := s.counter(mMessagesIn, helpMessagesIn)
	inBytes := s.counter(mThroughputIn, helpThroughputIn)
	dlq := s.counter(mDLQ, helpDLQ)
	for topic, t := range traffic.In {
		in.addInt(t.Messages, with("topic", topic)...)
		inBytes.addInt(t.Bytes, with("topic", topic)...)
		if strings.HasPrefix(topic, message.DLQTopic("")) {
			dlq.addInt(t.Messages, with("consumer_group", strings.TrimPrefix(topic, message.DLQTopic("")))...)
		}
	}
	out := s.counter(mMessagesOut, helpMessagesOut)
	outBytes := s.counter(mThroughputOut, helpThroughputOut)
	for k, t := range traffic.Out {
		out.addInt(t.Messages, with("consumer_group", k.Group, "topic", k.Topic)...)
		outBytes.addInt(t.Bytes, with("consumer_group", k.Group, "topic", k.Topic)...)
	}
	sentBack := s.counter(mSendBack, helpSendBack)
	for k, n := range traffic.SentBack {
		sentBack.addInt(n, with("consumer_group", k.Group, "topic", k.Topic)...)
	}

	lag := s.gauge(mLag, helpLag)
	for _, g := range b.ConsumerGroups() {
		for _, q := range b.ConsumeStats(g, "") {
			lag.addInt(q.Lag(), with("consumer_group", g, "topic", q.Topic, "queue_id", strconv.Itoa(int(q.QueueID)))...)
		}
	}

	st := b.Stats()
	s.gauge(mConnections, helpConnections).add(float64(st.Connections), node...)
	s.counter(mRefused, helpRefused).addInt(st.RefusedConnections, node...)
	clients := b.GroupClients()
	consumers := s.gauge(mConsumerConns, helpConsumerConns)
	for g, n := range clients.Consumers {
		consumers.add(float64(n), with("consumer_group", g)...)
	}
	producers := s.gauge(mProducerConns, helpProducerConns)
	for g, n := range clients.Producers {
		producers.add(float64(n), with("producer_group", g)...)
	}
	s.gauge(mHeldPulls, helpHeldPulls).add(float64(st.HeldPulls), node...)
	requests := s.counter(mRequests, helpRequests)
	for name, n := range st.Requests {
		requests.addInt(n, with("request", name)...)
	}

	half := s.gauge(mHalf, helpHalf)
	for topic, n := range st.PendingTransactions {
		half.add(float64(n), with("topic", topic)...)
	}
	s.counter(mTxChecks, helpTxChecks).addInt(st.TransactionChecks, node...)
	s.counter(mTxDiscarded, helpTxDiscarded).addInt(st.DiscardedTransactions, node...)
	s.gauge(mTiming, helpTiming).addInt(st.TimedMessages, node...)
	s.gauge(mDelayLevel, helpDelayLevel).addInt(st.DelayedMessages, node...)

	fp := b.StoreFootprint()
	s.gauge(mStorageSize, helpStorageSize).addInt(fp.CommitLogBytes, node...)
	s.gauge(mSegments, helpSegments).add(float64(fp.Segments), node...)
	s.gauge(mCQEntries, helpCQEntries).addInt(fp.ConsumeQueueEntries, node...)
	lat := b.StoreLatencies()
	s.histogram(mFlushLatency, helpFlushLatency).addHistogram(lat.Flush, node...)
	s.histogram(mFsyncLatency, helpFsyncLatency).addHistogram(lat.Fsync, node...)
	s.histogram(mCheckpointLatency, helpCheckpointLatency).addHistogram(lat.Checkpoint, node...)

	totals := b.StoreCounters()
	s.counter(mBrokerIn, helpBrokerIn).addInt(totals.PutMessages, node...)
	s.counter(mBrokerOut, helpBrokerOut).addInt(totals.GotMessages, node...)
	return s
}

// cloneLabels copies a label list so that appending to it never shares.
func cloneLabels(l []string) []string { return append(make([]string, 0, len(l)+6), l...) }
