package console_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"

	"github.com/rocketkit/rocketkit/admin"
	"github.com/rocketkit/rocketkit/broker"
	"github.com/rocketkit/rocketkit/console"
)

// A console over an embedded broker: the pages are at the server's root,
// their JSON API under /api/.
func Example() {
	dir, err := os.MkdirTemp("", "console-example")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	b, err := broker.Start(ctx, broker.Config{Listen: "127.0.0.1:0", DataDir: dir})
	if err != nil {
		panic(err)
	}
	defer b.Close()

	adm, err := admin.New(admin.Config{NameServers: []string{b.Addr()}})
	if err != nil {
		panic(err)
	}
	con, err := console.New(adm, console.Config{})
	if err != nil {
		panic(err)
	}
	done := make(chan error)
	go func() { done <- con.Run(ctx) }() // samples for the charts until ctx ends
	defer func() { cancel(); <-done }()
	srv := httptest.NewServer(con)
	defer srv.Close()

	resp, err := http.Get(srv.URL + "/api/cluster")
	if err != nil {
		panic(err)
	}
	defer resp.Body.Close()
	var cluster struct {
		Brokers []struct{ Role string }
	}
	if err := json.NewDecoder(resp.Body).Decode(&cluster); err != nil {
		panic(err)
	}
	fmt.Println(len(cluster.Brokers), cluster.Brokers[0].Role)
	// Output: 1 MASTER
}
