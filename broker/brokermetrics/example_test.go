package brokermetrics_test

import (
	"bufio"
	"context"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"time"

	"github.com/rocketkit/rocketkit/admin"
	"github.com/rocketkit/rocketkit/broker"
	"github.com/rocketkit/rocketkit/broker/brokermetrics"
	"github.com/rocketkit/rocketkit/client"
)

// The embedded broker's metrics at /metrics, after one message was sent.
func ExampleHandler() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "example-metrics-")
	defer os.RemoveAll(dir)
	b, err := broker.Start(ctx, broker.Config{Listen: "127.0.0.1:0", DataDir: dir, MaxPullHold: time.Second})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer b.Close()

	mux := http.NewServeMux()
	mux.Handle("/metrics", brokermetrics.Handler(b))
	srv := httptest.NewServer(mux)
	defer srv.Close()

	c, err := client.New(client.Config{NameServers: []string{b.Addr()}})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()
	p, err := c.NewProducer(client.ProducerConfig{Group: "shop"})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer p.Close()
	if _, err := p.Send(ctx, &client.Message{Topic: "orders", Body: []byte("order 42")}); err != nil {
		fmt.Println(err)
		return
	}

	resp, err := http.Get(srv.URL + "/metrics")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if line := sc.Text(); strings.HasPrefix(line, "rocketmq_messages_in_total{") && strings.Contains(line, `topic="orders"`) {
			fmt.Println(line)
		}
	}
	// Output: rocketmq_messages_in_total{cluster="DefaultCluster",broker="broker-a",topic="orders"} 1
}

// Metrics of any cluster, Apache RocketMQ's included, through its name
// server (compiled, not run).
func ExampleNewCluster() {
	adminClient, err := admin.New(admin.Config{NameServers: []string{"127.0.0.1:9876"}})
	if err != nil {
		log.Fatal(err)
	}
	m, err := brokermetrics.NewCluster(adminClient, brokermetrics.ClusterConfig{CacheFor: 10 * time.Second})
	if err != nil {
		log.Fatal(err)
	}
	http.Handle("/metrics", m)
	log.Fatal(http.ListenAndServe(":9100", nil))
}
