package console

import (
	"net/http"
	"slices"
	"strings"
)

// brokerView is one broker of the cluster page.
type brokerView struct {
	Cluster   string  `json:"cluster"`
	Name      string  `json:"name"`
	ID        string  `json:"id"`
	Addr      string  `json:"addr"`
	Role      string  `json:"role"`
	Version   string  `json:"version"`
	DiskRatio string  `json:"diskRatio"`
	PutTPS    float64 `json:"putTps"`
	GetTPS    float64 `json:"getTps"`
	PutToday  string  `json:"msgPutTotalTodayNow"`
	GetToday  string  `json:"msgGetTotalTodayNow"`
	Error     string  `json:"error,omitempty"`
}

// handleCluster answers GET /api/cluster: every broker (masters and
// slaves) with its runtime figures, and the sampled cluster TPS.
func (c *Console) handleCluster(w http.ResponseWriter, r *http.Request) {
	info, err := c.adm.Cluster(r.Context())
	if err != nil {
		c.fail(w, r, err)
		return
	}
	clusterOf := map[string]string{}
	for cl, names := range info.Clusters {
		for _, n := range names {
			clusterOf[n] = cl
		}
	}
	var brokers []brokerView
	for name, b := range info.Brokers {
		for id, addr := range b.Addrs {
			v := brokerView{Cluster: clusterOf[name], Name: name, ID: id, Addr: addr, Role: "SLAVE"}
			if id == "0" {
				v.Role = "MASTER"
			}
			rt, err := c.adm.BrokerRuntimeInfo(r.Context(), addr)
			if err != nil {
				v.Error = err.Error()
			} else {
				v.Version, v.DiskRatio = rt["brokerVersionDesc"], rt["commitLogDiskRatio"]
				v.PutTPS, v.GetTPS = firstTPS(rt["putTps"]), firstTPS(rt["getTransferedTps"])
				v.PutToday, v.GetToday = rt["msgPutTotalTodayNow"], rt["msgGetTotalTodayNow"]
			}
			brokers = append(brokers, v)
		}
	}
	slices.SortFunc(brokers, func(a, b brokerView) int {
		if a.Name != b.Name {
			return strings.Compare(a.Name, b.Name)
		}
		return strings.Compare(a.ID, b.ID)
	})
	writeJSON(w, map[string]any{"brokers": brokers,
		"putTps": c.series.get("cluster:putTps"), "getTps": c.series.get("cluster:getTps")})
}
