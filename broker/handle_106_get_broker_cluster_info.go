package broker

// GET_BROKER_CLUSTER_INFO (106), a name-server request.
//
// Behavior: one cluster with this one broker as master (id 0):
// {"brokerAddrTable":{name:{cluster,brokerName,brokerAddrs:{"0":addr}}},
// "clusterAddrTable":{cluster:[name]}}.
//
// With Config.NamesrvAddr the broker is not a name server: the request is
// answered REQUEST_CODE_NOT_SUPPORTED naming the name servers, as a Java
// broker answers it.
//
// Deviations: brokerAddrs keys are standard JSON strings, not fastjson's
// bare integers.

import "github.com/rocketkit/rocketkit/protocol/remoting"

func init() { register(remoting.GetBrokerClusterInfo, handleGetBrokerClusterInfo) }

func handleGetBrokerClusterInfo(b *Broker, _ *conn, req *remoting.Command) *remoting.Command {
	if resp := b.notNameServer(req); resp != nil {
		return resp
	}
	body := []byte(`{"brokerAddrTable":{"` + b.cfg.BrokerName + `":`)
	body = b.appendBrokerData(body)
	body = append(body, `},"clusterAddrTable":{"`+b.cfg.ClusterName+`":["`+b.cfg.BrokerName+`"]}}`...)
	resp := remoting.NewResponse(req, remoting.Success, "")
	resp.Body = body
	return resp
}
