package javaprops_test

import (
	"fmt"

	"github.com/rocketkit/rocketkit/internal/javaprops"
)

func ExampleRead() {
	src := `# broker.conf
brokerName = broker-a
messageDelayLevel = 1s 5s \
                    10s 30s
storePathRootDir: C:\\rocketmq\\store
brokerClusterName=\u00e9t\u00e9
bad=\u00g1
`
	for _, e := range javaprops.Read(src) {
		if e.Err != nil {
			fmt.Printf("%d: %s: %v\n", e.Line, e.Key, e.Err)
			continue
		}
		fmt.Printf("%d: %s=%q\n", e.Line, e.Key, e.Value)
	}
	// Output:
	// 2: brokerName="broker-a"
	// 3: messageDelayLevel="1s 5s 10s 30s"
	// 5: storePathRootDir="C:\\rocketmq\\store"
	// 6: brokerClusterName="été"
	// 7: bad: malformed \uxxxx escape
}
