package store_test

import (
	"context"
	"fmt"
	"log"
	"net/netip"
	"os"

	"github.com/rocketkit/rocketkit/broker/store"
	"github.com/rocketkit/rocketkit/protocol/message"
)

// Append messages and read a queue back; a pull answer is these raw
// records, back to back.
func Example() {
	dir, err := os.MkdirTemp("", "store-example-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	s, err := store.Open(store.Config{Dir: dir})
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()

	host := netip.MustParseAddrPort("127.0.0.1:9876")
	for _, body := range []string{"created", "paid"} {
		m := &message.Ext{Topic: "orders", QueueID: 0, Body: []byte(body), BornHost: host, StoreHost: host,
			Properties: message.SetProperty("", message.PropertyTags, body)}
		if _, err := s.Append(context.Background(), []store.Entry{store.NewEntry(m, nil)}); err != nil {
			log.Fatal(err)
		}
	}
	res, err := s.Get("orders", 0, 0, 32, nil, nil)
	if err != nil {
		log.Fatal(err)
	}
	msgs, _ := message.DecodeAll(res.Records, true)
	for _, m := range msgs {
		fmt.Println(m.QueueOffset, string(m.Body))
	}
	fmt.Println(res.Status, "next", res.NextBeginOffset)
	// Output:
	// 0 created
	// 1 paid
	// FOUND next 2
}
