package broker

// GET_BROKER_RUNTIME_INFO (28).
//
// Behavior: SUCCESS with Java's KVTable body, {"table":{key:value}}, all
// values strings (runtime_info.go): the message counts since start
// (msgPutTotalTodayNow, msgGetTotalTodayNow, and the totals at the last
// two local midnights), putTps and getTransferredTps as "x y z" rates over
// 10, 60 and 600 seconds (getTransferedTps too, RocketMQ 4's spelling that
// rocketmq-dashboard reads), the commit log's offsets, the earliest stored
// message's time, boot time and uptime, the data directory's disk usage.
//
// Deviations: a rate window longer than the broker's uptime reports the
// rate since start where Java leaves the field empty; putTps and the put
// totals count every message stored (retries and delayed messages coming
// due included), the get counts every message read from the store (the
// broker's own reads of delay, timer and half queues included), where Java
// counts only client sends and pulls for msgPutTotal*/msgGetTotal*. Not
// reported: putMessageEntireTimeMax, putMessageDistributeTime,
// putMessageSizeTotal, putMessageAverageSize, putLatency99/999,
// getFoundTps, getMissTps, getTotalTps, remainHowManyDataToFlush,
// scheduleMessageOffset_N and the thread pool capacities. The thread pool
// queue sizes and waits, dispatchBehindBytes and pageCacheLockTimeMills are
// 0, truthfully (requests run on goroutines, messages are dispatched as
// they are written); the timer keys are Java's values with the timer wheel
// off. brokerVersionDesc is V4_5_2, the version every answer advertises.

import (
	"time"

	"github.com/rocketkit/rocketkit/protocol/remoting"
)

func init() { register(remoting.GetBrokerRuntimeInfo, handleGetBrokerRuntimeInfo) }

func handleGetBrokerRuntimeInfo(b *Broker, _ *conn, req *remoting.Command) *remoting.Command {
	return jsonResponse(req, struct {
		Table map[string]string `json:"table"`
	}{b.runtimeInfo(time.Now())})
}
