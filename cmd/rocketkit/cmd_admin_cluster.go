package main

import (
	"context"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
)

type clusterRow struct {
	Cluster    string `json:"cluster"`
	BrokerName string `json:"brokerName"`
	BrokerID   string `json:"brokerId"`
	Addr       string `json:"addr"`
	// Role, MaxOffset and the HA fields come from each broker's runtime
	// info; empty (and -1) when the broker did not answer.
	Role      string `json:"role"`
	MaxOffset int64  `json:"maxOffset"`
	// Slaves and AckOffset: a master's connected slaves and the furthest
	// one acknowledged. Behind: a slave's bytes behind its master.
	Slaves    int    `json:"slaves,omitempty"`
	AckOffset int64  `json:"haAckOffset,omitempty"`
	Behind    *int64 `json:"behind,omitempty"`
	Error     string `json:"error,omitempty"`
}

func adminClusterList(ctx context.Context, e *adminEnv) error {
	info, err := e.c.Cluster(ctx)
	if err != nil {
		return err
	}
	rows := []clusterRow{}
	for _, cluster := range slices.Sorted(maps.Keys(info.Clusters)) {
		names := slices.Clone(info.Clusters[cluster])
		slices.Sort(names)
		for _, name := range names {
			b := info.Brokers[name]
			ids := slices.SortedFunc(maps.Keys(b.Addrs), func(x, y string) int {
				nx, _ := strconv.Atoi(x)
				ny, _ := strconv.Atoi(y)
				return nx - ny
			})
			first := len(rows)
			for _, id := range ids {
				rows = append(rows, e.clusterRow(ctx, cluster, name, id, b.Addrs[id]))
			}
			markBehind(rows[first:])
		}
	}
	return e.emit(rows, func(w io.Writer) {
		fmt.Fprintln(w, "#Cluster Name\t#Broker Name\t#BID\t#Addr\t#Role\t#MaxOffset\t#HA")
		for _, r := range rows {
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%d\t%s\n", r.Cluster, r.BrokerName, r.BrokerID, r.Addr, r.Role, r.MaxOffset, r.haColumn())
		}
	})
}

// clusterRow reads one broker's role and offsets from its runtime info.
func (e *adminEnv) clusterRow(ctx context.Context, cluster, name, id, addr string) clusterRow {
	r := clusterRow{Cluster: cluster, BrokerName: name, BrokerID: id, Addr: addr, MaxOffset: -1}
	kv, err := e.c.BrokerRuntimeInfo(ctx, addr)
	if err != nil {
		r.Error = err.Error()
		return r
	}
	r.Role = kv["brokerRole"]
	r.MaxOffset, _ = strconv.ParseInt(kv["commitLogMaxOffset"], 10, 64)
	r.Slaves, _ = strconv.Atoi(kv["haSlaveCount"])
	r.AckOffset, _ = strconv.ParseInt(kv["haSlaveAckOffset"], 10, 64)
	return r
}

// markBehind sets each slave's lag behind the master of its group (rows
// of one broker name, master first when it is up).
func markBehind(group []clusterRow) {
	if len(group) == 0 || group[0].BrokerID != "0" || group[0].MaxOffset < 0 {
		return
	}
	for i := 1; i < len(group); i++ {
		if group[i].MaxOffset >= 0 {
			lag := max(0, group[0].MaxOffset-group[i].MaxOffset)
			group[i].Behind = &lag
		}
	}
}

// haColumn is the table's #HA cell.
func (r clusterRow) haColumn() string {
	switch {
	case r.Error != "":
		return "unreachable: " + r.Error
	case r.Behind != nil:
		return "behind " + strconv.FormatInt(*r.Behind, 10) + " bytes"
	case r.BrokerID == "0" && r.Slaves > 0:
		return fmt.Sprintf("%d slave(s), acked to %d", r.Slaves, r.AckOffset)
	case r.BrokerID == "0":
		return "no slave"
	}
	return "-"
}
