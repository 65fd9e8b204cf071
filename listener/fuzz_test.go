package listener

import (
	"errors"
	"strings"
	"testing"

	"github.com/rocketkit/rocketkit/protocol/message"
)

// FuzzParse feeds arbitrary struct tags, and an arbitrary configuration
// value for the placeholder key "k", to the tag parser. Invariants:
//   - it never panics;
//   - it returns exactly one of a spec or an error, and every error is a
//     *TagError matching ErrInvalidTag and naming the listener and field;
//   - an accepted spec is valid: a valid topic, a valid group or none,
//     tags normalised (NormalizeExpression is idempotent on them) or SQL,
//     numbers inside their documented ranges;
//   - an accepted spec has both credentials (accessKey, secretKey) or
//     neither;
//   - parsing is deterministic: the same input gives the same result.
func FuzzParse(f *testing.F) {
	seeds := [][2]string{
		{`topic:"orders"`, ""},
		{`topic:"orders" group:"billing-orders" tags:"created || paid"`, ""},
		{`topic:"${k}" consumers:"${k:4}"`, "orders"},
		{`topic:"t" consumers:"${k}"`, "many"},
		{`topic:"t" batch:"1024" maxReconsume:"-1" timeout:"1s" suspend:"0"`, ""},
		{`topic:"t" sql:"a > ${k}"`, "1"},
		{`topic:"t" tags:"$${k}"`, ""},
		{`topic:"t" model:"broadcasting"`, ""},
		{`topic:"t`, ""},
		{`topic:"\u00e9"`, ""},
		{`  topic:"t"   tags:"*"  `, ""},
		{`topic:"t" tags:"a||b|c"`, ""},
		{"", ""},
		{`topic:"${k:${k}}"`, "x"},
		{`topic:"t" accessKey:"${k}" secretKey:"${k}"`, "ak-and-sk"},
		{`topic:"t" accessKey:"${k:}" secretKey:"${k}"`, ""},
	}
	for _, s := range seeds {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, tag, value string) {
		lookup := func(key string) (string, bool) { return value, key == "k" }
		for _, kind := range []Kind{KindConcurrent, KindOrderly} {
			s, err := parseTag("L", "F", kind, tag, lookup)
			s2, err2 := parseTag("L", "F", kind, tag, lookup)
			if (err == nil) != (err2 == nil) || (err != nil && err.Error() != err2.Error()) {
				t.Fatalf("not deterministic: %v vs %v", err, err2)
			}
			if err != nil {
				var te *TagError
				if s != nil || !errors.As(err, &te) || !errors.Is(err, ErrInvalidTag) ||
					!strings.HasPrefix(err.Error(), "listener L, field F: ") {
					t.Fatalf("bad error %T %v (spec %+v)", err, err, s)
				}
				continue
			}
			if *s != *s2 {
				t.Fatalf("not deterministic: %+v vs %+v", s, s2)
			}
			if message.ValidateTopic(s.Topic) != nil {
				t.Fatalf("accepted bad topic %q", s.Topic)
			}
			if s.Group != "" && message.ValidateGroup(s.Group) != nil {
				t.Fatalf("accepted bad group %q", s.Group)
			}
			if s.SQL == "" && (s.Tags == "" || NormalizeExpression(s.Tags) != s.Tags) {
				t.Fatalf("tags not normalised: %q", s.Tags)
			}
			if s.Consumers < 0 || s.Consumers > 1000 || s.Batch < 0 || s.Batch > 1024 ||
				s.MaxReconsume < -1 || s.MaxReconsume > OrderlyUnlimited || s.Timeout < 0 ||
				(s.Suspend < 0 && s.Suspend != -1) || (kind == KindConcurrent && s.Suspend != -1) {
				t.Fatalf("out of range: %+v", s)
			}
			if (s.AccessKey == "") != (s.SecretKey == "") {
				t.Fatalf("one credential without the other: %q/%q", s.AccessKey, s.SecretKey)
			}
		}
	})
}
