package message_test

import (
	"bytes"
	"testing"

	"github.com/rocketkit/rocketkit/protocol/message"
)

// AppendLayoutV2 rewrites exactly the v1 records of topics over 127 bytes,
// byte for byte as a Java 5 broker writes them (toV2), in a batch of
// mixed records, and leaves v2 records alone.
func TestAppendLayoutV2(t *testing.T) {
	short, at127, long := encode(t, longTopicExt(20)), encode(t, longTopicExt(127)), encode(t, longTopicExt(200))
	javaLong := toV2(long)
	records := bytes.Join([][]byte{short, long, at127, javaLong, long}, nil)
	need, err := message.NeedsLayoutV2(records)
	if err != nil || !need {
		t.Fatalf("NeedsLayoutV2 = %v, %v; want true", need, err)
	}
	got, err := message.AppendLayoutV2([]byte("prefix"), records)
	if err != nil {
		t.Fatal(err)
	}
	want := bytes.Join([][]byte{[]byte("prefix"), short, javaLong, at127, javaLong, javaLong}, nil)
	if !bytes.Equal(got, want) {
		t.Fatalf("AppendLayoutV2: %d bytes, want %d as Java writes them", len(got), len(want))
	}
	for _, plain := range [][]byte{bytes.Join([][]byte{short, at127, javaLong}, nil), nil} {
		if need, err := message.NeedsLayoutV2(plain); err != nil || need {
			t.Errorf("NeedsLayoutV2 without long v1 topics = %v, %v", need, err)
		}
	}
	if _, err := message.AppendLayoutV2(nil, long[:len(long)-1]); err == nil {
		t.Errorf("a truncated record converted without error")
	}
}
