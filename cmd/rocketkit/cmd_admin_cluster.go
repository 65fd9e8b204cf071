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
			for _, id := range ids {
				rows = append(rows, clusterRow{Cluster: cluster, BrokerName: name, BrokerID: id, Addr: b.Addrs[id]})
			}
		}
	}
	return e.emit(rows, func(w io.Writer) {
		fmt.Fprintln(w, "#Cluster Name\t#Broker Name\t#BID\t#Addr")
		for _, r := range rows {
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", r.Cluster, r.BrokerName, r.BrokerID, r.Addr)
		}
	})
}
