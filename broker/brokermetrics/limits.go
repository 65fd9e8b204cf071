package brokermetrics

import (
	"context"
	"log/slog"
	"strings"

	"github.com/rocketkit/rocketkit/admin"
	"github.com/rocketkit/rocketkit/protocol/message"
)

// scrapeState is one scrape's budget of admin requests and its outcome.
type scrapeState struct {
	ctx       context.Context
	budget    int // requests left
	log       *slog.Logger
	calls     int  // requests made (estimated for calls that fan out)
	errors    int  // calls that failed
	truncated bool // a limit or the timeout cut the scrape short
}

// call runs f, which makes about cost admin requests, if the budget and
// the deadline allow; it reports whether f ran and succeeded.
func (s *scrapeState) call(cost int, what string, f func() error) bool {
	if s.stopped() || cost > s.budget {
		s.truncated = true
		s.budget = 0 // a later, cheaper call would leave a gap the reader cannot see
		return false
	}
	s.budget -= cost
	s.calls += cost
	if err := f(); err != nil {
		s.errors++
		if s.ctx.Err() != nil {
			s.truncated = true
		}
		s.log.Debug("metrics scrape: admin request failed", "what", what, "err", err)
		return false
	}
	return true
}

// stopped reports whether nothing more may be asked: the budget is spent
// or the deadline passed.
func (s *scrapeState) stopped() bool {
	if s.ctx.Err() != nil {
		s.truncated = true
		return true
	}
	return s.budget <= 0
}

// systemGroups are the groups Apache RocketMQ brokers create for
// themselves (MixAll, and the ONS proxy groups of the default
// subscriptionGroup.json); they never consume users' topics.
var systemGroups = map[string]bool{
	"TOOLS_CONSUMER": true, "FILTERSRV_CONSUMER": true, "__MONITOR_CONSUMER": true,
	"CLIENT_INNER_PRODUCER": true, "SELF_TEST_P_GROUP": true, "SELF_TEST_C_GROUP": true,
	"CID_ONS-HTTP-PROXY": true, "CID_ONSAPI_PERMISSION": true, "CID_ONSAPI_OWNER": true,
	"CID_ONSAPI_PULL": true, "CID_RMQ_SYS_TRANS": true, "CID_SYS_RMQ_TRANS": true,
	"CID_DefaultHeartBeatSyncerTopic": true,
}

func systemGroup(g string) bool {
	return systemGroups[g] || strings.HasPrefix(g, "CID_RMQ_SYS_")
}

// systemTopics are the topics brokers keep for themselves (TopicValidator).
var systemTopics = map[string]bool{
	"TBW102": true, "SCHEDULE_TOPIC_XXXX": true, "BenchmarkTest": true, "OFFSET_MOVED_EVENT": true,
	"SELF_TEST_TOPIC": true, "RMQ_SYS_TRANS_HALF_TOPIC": true, "RMQ_SYS_TRACE_TOPIC": true,
	"RMQ_SYS_TRANS_OP_HALF_TOPIC": true, "TRANS_CHECK_MAX_TIME_TOPIC": true,
	"rmq_sys_REVIVE_LOG_DEFAULT": true, "rmq_sys_wheel_timer": true,
}

// systemTopic reports a topic a scrape leaves out: a broker's own, a
// retry or dead-letter topic (lag covers them), or a topic named after a
// cluster or broker (Java brokers create one each).
func systemTopic(t string, info admin.ClusterInfo) bool {
	if systemTopics[t] || strings.HasPrefix(t, "rmq_sys_") || strings.HasPrefix(t, "RMQ_SYS_") ||
		message.IsRetryTopic(t) || strings.HasPrefix(t, message.DLQTopic("")) {
		return true
	}
	if _, ok := info.Clusters[t]; ok {
		return true
	}
	_, ok := info.Brokers[t]
	return ok
}
