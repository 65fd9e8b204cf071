package broker

// The broker's runtime info (GET_BROKER_RUNTIME_INFO): the key/value table
// Java builds in AdminBrokerProcessor.prepareRuntimeInfo from its
// BrokerStats, StoreStatsService and message store, which mqadmin
// brokerStatus prints and rocketmq-dashboard charts.

import (
	"fmt"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/rocketkit/rocketkit/broker/store"
)

// brokerVersionDesc matches remoting.Version (317, V4_5_2), the version
// this broker advertises in every answer.
const brokerVersionDesc = "V4_5_2"

// tpsWindows are the windows, in seconds, of Java's "x y z" TPS strings.
var tpsWindows = [3]int{10, 60, 600}

// runtimeSample is the store's counters at one moment.
type runtimeSample struct {
	at       time.Time
	put, got int64
}

// runtimeStats samples the store's counters once a second, keeping ten
// minutes of samples for the TPS windows, and the totals at the start of
// today and yesterday for the daily counts, as Java's StoreStatsService
// and BrokerStats do.
type runtimeStats struct {
	counters func() store.Counters

	mu      sync.Mutex
	samples []runtimeSample // oldest first, at most tpsWindows[2]+1; guarded by mu
	day     int             // the local day (yyyymmdd) today* belongs to; guarded by mu
	// Totals at the start of today and yesterday; 0 until the broker ran
	// through a midnight, as Java's. Guarded by mu.
	todayPut, todayGot, yesterdayPut, yesterdayGot int64
}

func newRuntimeStats(counters func() store.Counters, now time.Time) *runtimeStats {
	r := &runtimeStats{counters: counters, day: dayOf(now)}
	r.samples = append(r.samples, runtimeSample{at: now})
	return r
}

func dayOf(t time.Time) int {
	y, m, d := t.Date()
	return y*10000 + int(m)*100 + d
}

// run samples every second until done is closed.
func (r *runtimeStats) run(done <-chan struct{}) {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case <-done:
			return
		case now := <-tick.C:
			r.sample(now)
		}
	}
}

// sample records the counters at now and rolls the daily totals over at
// local midnight.
func (r *runtimeStats) sample(now time.Time) {
	c := r.counters()
	r.mu.Lock()
	defer r.mu.Unlock()
	if d := dayOf(now); d != r.day {
		r.day = d
		r.yesterdayPut, r.yesterdayGot = r.todayPut, r.todayGot
		r.todayPut, r.todayGot = c.PutMessages, c.GotMessages
	}
	r.samples = append(r.samples, runtimeSample{at: now, put: c.PutMessages, got: c.GotMessages})
	if over := len(r.samples) - (tpsWindows[2] + 1); over > 0 {
		r.samples = append(r.samples[:0], r.samples[over:]...)
	}
}

// tps returns Java's "x y z" strings for puts and gets: messages per
// second over the last 10, 60 and 600 seconds, measured up to now. A
// broker younger than a window reports the rate since it started (Java
// leaves the field empty, which breaks the dashboard's parsing).
func (r *runtimeStats) tps(now time.Time, c store.Counters) (put, got string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var ps, gs [3]string
	for i, w := range tpsWindows {
		from := now.Add(-time.Duration(w) * time.Second)
		base := r.samples[0]
		for _, s := range r.samples {
			if s.at.After(from) {
				break
			}
			base = s
		}
		ms := float64(now.Sub(base.at).Milliseconds())
		var pr, gr float64
		if ms > 0 {
			pr = float64(c.PutMessages-base.put) / ms * 1000
			gr = float64(c.GotMessages-base.got) / ms * 1000
		}
		ps[i], gs[i] = javaDouble(pr), javaDouble(gr)
	}
	return ps[0] + " " + ps[1] + " " + ps[2], gs[0] + " " + gs[1] + " " + gs[2]
}

// daily returns the totals at the start of yesterday and today.
func (r *runtimeStats) daily() (yesterdayPut, todayPut, yesterdayGot, todayGot int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.yesterdayPut, r.todayPut, r.yesterdayGot, r.todayGot
}

// javaDouble formats v as Java's Double.toString does for the values a
// rate takes: at least one decimal ("12.0", "0.5").
func javaDouble(v float64) string {
	s := strconv.FormatFloat(v, 'f', -1, 64)
	for i := 0; i < len(s); i++ {
		if s[i] == '.' {
			return s
		}
	}
	return s + ".0"
}

// javaRuntime formats an uptime as Java's StoreStatsService does.
func javaRuntime(d time.Duration) string {
	ms := d.Milliseconds()
	const second, minute, hour, day = 1000, 60 * 1000, 3600 * 1000, 24 * 3600 * 1000
	return fmt.Sprintf("[ %d days, %d hours, %d minutes, %d seconds ]",
		ms/day, ms%day/hour, ms%hour/minute, ms%minute/second)
}

// runtimeInfo builds GET_BROKER_RUNTIME_INFO's table.
func (b *Broker) runtimeInfo(now time.Time) map[string]string {
	c := b.store.Counters()
	putTps, getTps := b.runtime.tps(now, c)
	yPut, tPut, yGot, tGot := b.runtime.daily()
	itoa := func(n int64) string { return strconv.FormatInt(n, 10) }
	info := map[string]string{
		"brokerVersionDesc": brokerVersionDesc,
		"brokerVersion":     strconv.Itoa(317),
		"brokerActive":      "true",
		"bootTimestamp":     itoa(b.startedAt.UnixMilli()),
		"runtime":           javaRuntime(now.Sub(b.startedAt)),

		"msgPutTotalYesterdayMorning": itoa(yPut),
		"msgPutTotalTodayMorning":     itoa(tPut),
		"msgPutTotalTodayNow":         itoa(c.PutMessages),
		"msgGetTotalYesterdayMorning": itoa(yGot),
		"msgGetTotalTodayMorning":     itoa(tGot),
		"msgGetTotalTodayNow":         itoa(c.GotMessages),
		"putMessageTimesTotal":        itoa(c.PutMessages),
		"putTps":                      putTps,
		"getTransferredTps":           getTps,
		"getTransferedTps":            getTps, // RocketMQ 4's spelling, which the dashboard reads

		"commitLogMinOffset":       itoa(b.store.MinPhysicalOffset()),
		"commitLogMaxOffset":       itoa(b.store.MaxPhysicalOffset()),
		"earliestMessageTimeStamp": itoa(b.store.EarliestMessageTime()),
		// Messages are dispatched to their queues as they are written and
		// nothing holds a page-cache lock, so both are truly 0.
		"dispatchBehindBytes":    "0",
		"dispatchMaxBuffer":      "0",
		"pageCacheLockTimeMills": "0",
		// Requests run on goroutines: no thread pool queue holds any.
		"sendThreadPoolQueueSize":                  "0",
		"pullThreadPoolQueueSize":                  "0",
		"queryThreadPoolQueueSize":                 "0",
		"sendThreadPoolQueueHeadWaitTimeMills":     "0",
		"pullThreadPoolQueueHeadWaitTimeMills":     "0",
		"queryThreadPoolQueueHeadWaitTimeMills":    "0",
		"startAcceptSendRequestTimeStamp":          "0",
		"remainTransientStoreBufferNumbs":          "2147483647", // Java's value with the transient pool off
		"timerReadBehind":                          "0",
		"timerOffsetBehind":                        "0",
		"timerCongestNum":                          "0",
		"timerEnqueueTps":                          "0.0",
		"timerDequeueTps":                          "0.0",
		"EndTransactionQueueSize":                  "0",
		"litePullThreadPoolQueueSize":              "0",
		"litePullThreadPoolQueueHeadWaitTimeMills": "0",
	}
	b.replicationInfo(info)
	dir := b.cfg.DataDir
	if total, free, ok := diskSpace(dir); ok {
		ratio := javaDouble(float64(total-free) / float64(total))
		info["commitLogDiskRatio"] = ratio
		info["commitLogDiskRatio_"+filepath.Join(dir, "commitlog")] = ratio
		info["consumeQueueDiskRatio"] = ratio
		info["commitLogDirCapacity"] = fmt.Sprintf("Total : %s, Free : %s.", humanBytes(total), humanBytes(free))
	} else {
		info["commitLogDiskRatio"] = "-1.0"
	}
	return info
}

// humanBytes formats n as Java's MixAll.humanReadableByteCount(n, false):
// "512 B", "1.5 KiB", "931.3 GiB".
func humanBytes(n int64) string {
	if n < 1024 {
		return strconv.FormatInt(n, 10) + " B"
	}
	const units = "KMGTPE"
	v, i := float64(n), -1
	for v >= 1024 && i < len(units)-1 {
		v /= 1024
		i++
	}
	return fmt.Sprintf("%.1f %ciB", v, units[i])
}
