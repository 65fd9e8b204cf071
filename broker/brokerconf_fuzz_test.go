package broker_test

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/rocketkit/rocketkit/broker"
)

// FuzzParseBrokerConf checks that ParseBrokerConf never panics and that:
//   - reading the input in two pieces gives the same result as in one;
//   - on error the base comes back unchanged and every joined error is a
//     *ConfError whose line exists;
//   - every report entry's line exists, entries are in file order, Applied
//     entries name a field and Ignored ones a reason;
//   - on success, writing the Applied entries back out as a properties file
//     (escaped) and parsing that gives the same Config.
func FuzzParseBrokerConf(f *testing.F) {
	for _, seed := range []string{
		"",
		"\n",
		"=",
		`\`,
		"\\\n",
		rocketmqBrokerConf,
		"brokerName=b1\r\nlistenPort: 10911\rbrokerIP1 10.0.0.1\n",
		"bindAddress=0.0.0.0\nbrokerIP1=::1\nlistenPort=0",
		"messageDelayLevel=1s \\\n  5s\\\\\nstorePathRootDir=C:\\\\x\\ ",
		`brokerName=\ud83d\ude00\u00e9\uzzzz`,
		"\uFEFF# c\n! c\nflushDiskType=SYNC_FLUSH # x\ndefaultTopicQueueNums=-1\nmaxMessageSize=99999999999",
		"autoCreateTopicEnable=False\ntransactionTimeOut=1\nmapedFileSizeCommitLog=65536\nbrokerNmae=x",
	} {
		f.Add(seed, uint16(len(seed)/2))
	}
	base := broker.Config{Listen: "127.0.0.1:9876", DataDir: "/base", BrokerName: "base"}
	f.Fuzz(func(t *testing.T, conf string, split uint16) {
		cut := int(split) % (len(conf) + 1)
		cfg, rep, err := broker.ParseBrokerConf(strings.NewReader(conf), base)
		cfg2, rep2, err2 := broker.ParseBrokerConf(io.MultiReader(strings.NewReader(conf[:cut]), strings.NewReader(conf[cut:])), base)
		if cfg != cfg2 || fmt.Sprint(rep) != fmt.Sprint(rep2) || fmt.Sprint(err) != fmt.Sprint(err2) {
			t.Fatalf("split read differs:\n%+v %+v %v\n%+v %+v %v", cfg, rep, err, cfg2, rep2, err2)
		}
		lines := countLines(conf)
		if err != nil {
			if cfg != base {
				t.Fatalf("config changed on error: %+v", cfg)
			}
			errs := []error{err}
			if j, ok := err.(interface{ Unwrap() []error }); ok {
				errs = j.Unwrap()
			}
			for _, e := range errs {
				var ce *broker.ConfError
				if !errors.As(e, &ce) || ce.Line < 1 || ce.Line > lines {
					t.Fatalf("error %q is not a *ConfError with a line in 1..%d", e, lines)
				}
			}
		}
		for _, list := range [][]broker.ConfEntry{rep.Applied, rep.Ignored, rep.Unknown} {
			last := 0
			for _, e := range list {
				if e.Line < last || e.Line < 1 || e.Line > lines {
					t.Fatalf("entry %+v: line out of order or outside 1..%d", e, lines)
				}
				last = e.Line
			}
		}
		for _, e := range rep.Applied {
			if e.Field == "" || e.Reason != "" {
				t.Fatalf("applied entry %+v", e)
			}
		}
		for _, e := range rep.Ignored {
			if e.Field != "" || e.Reason == "" {
				t.Fatalf("ignored entry %+v", e)
			}
		}
		if err != nil {
			return
		}
		var b strings.Builder
		for _, e := range rep.Applied {
			b.WriteString(escapeProp(e.Key) + "=" + escapeProp(e.Value) + "\n")
		}
		again, rep3, err := broker.ParseBrokerConf(strings.NewReader(b.String()), base)
		if err != nil {
			t.Fatalf("re-parse of\n%s: %v", b.String(), err)
		}
		if again != cfg || len(rep3.Applied) != len(rep.Applied) {
			t.Fatalf("re-parse of\n%s\ngives %+v, want %+v", b.String(), again, cfg)
		}
	})
}

// countLines counts lines as ParseBrokerConf does: \r\n, \r and \n end one.
func countLines(s string) int {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	return strings.Count(s, "\n") + strings.Count(s, "\r") + 1
}

// escapeProp escapes s for a properties file, key or value.
func escapeProp(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\', '=', ':', '#', '!', ' ':
			b.WriteByte('\\')
			b.WriteByte(c)
		case '\t':
			b.WriteString(`\t`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\f':
			b.WriteString(`\f`)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}
