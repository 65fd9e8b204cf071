package message_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"maps"
	"net/netip"
	"testing"

	"github.com/apache/rocketmq-client-go/v2/primitive"

	"github.com/rocketkit/rocketkit/protocol/message"
)

// decodeSeeds returns hand-picked records for the decoder fuzz targets.
func decodeSeeds(t testing.TB) [][]byte {
	valid := encode(t, sampleExt())
	v6 := sampleExt()
	v6.BornHost = netip.MustParseAddrPort("[2001:db8::1]:1")
	v6.StoreHost = netip.MustParseAddrPort("[::1]:10911")
	empty := message.Ext{}
	badCRC := bytes.Clone(valid)
	binary.BigEndian.PutUint32(badCRC[8:], 0)
	g := goldenExt()
	return [][]byte{
		nil,
		{0, 0, 0, 91},
		valid[:len(valid)/2],
		valid,
		append(bytes.Clone(valid), "garbage"...),
		append(bytes.Clone(valid), valid...),
		encode(t, v6),
		encode(t, empty),
		badCRC,
		message.AppendEncode(nil, &g),
		toV2(valid),
		toV2(encode(t, longTopicExt(200))),
		toV2(encode(t, longTopicExt(255)))[:50],
	}
}

// FuzzDecode checks Decode, PeekHeader and DecodeAll on arbitrary input.
//
// Invariants:
//   - Decode never panics; on error it returns size 0 and an error wrapping
//     ErrMalformed (or ErrBadCRC when verifying).
//   - On success 0 < size <= len(input), PeekHeader agrees with Decode, and
//     every strict prefix of the record (a partial read, cut at the fuzzed
//     position) is rejected with ErrMalformed.
//   - Re-encoding the decoded record yields the identical bytes except for
//     BODYCRC, which is identical exactly when Decode with verifyCRC
//     succeeds; for a layout v2 record (MagicCodeV2), the bytes of its v1
//     form (AppendEncode writes v1 only).
//   - The official client's DecodeMessage accepts every v1 record Decode
//     accepts without panicking and decodes the same field values (it
//     cannot read v2).
//   - DecodeAll either fails or consumes the input exactly.
func FuzzDecode(f *testing.F) {
	for _, s := range decodeSeeds(f) {
		f.Add(s, uint(len(s)/3))
	}
	f.Fuzz(func(t *testing.T, data []byte, cut uint) {
		m, n, err := message.Decode(data, false)
		if err != nil {
			if !errors.Is(err, message.ErrMalformed) || n != 0 {
				t.Fatalf("Decode error %v with size %d", err, n)
			}
			if _, err := message.PeekHeader(data); !errors.Is(err, message.ErrMalformed) {
				t.Fatalf("PeekHeader error = %v where Decode failed", err)
			}
			if _, err := message.DecodeAll(data, false); len(data) > 0 && err == nil {
				t.Fatal("DecodeAll succeeded where Decode failed")
			}
			return
		}
		if n <= 0 || n > len(data) {
			t.Fatalf("size %d outside 1..%d", n, len(data))
		}
		rec := data[:n]

		h, err := message.PeekHeader(data)
		if err != nil || h.Size != n || h.QueueOffset != m.QueueOffset || h.CommitLogOffset != m.CommitLogOffset ||
			h.StoreTimestamp != m.StoreTimestamp || h.SysFlag != m.SysFlag || h.Topic != m.Topic ||
			h.Properties != m.Properties || h.StoreHost != m.StoreHost || h.BodySize != len(m.Body) {
			t.Fatalf("PeekHeader = %+v, %v; Decode = %+v", h, err, m)
		}

		if c := int(cut % uint(n)); true {
			if _, _, err := message.Decode(rec[:c], false); !errors.Is(err, message.ErrMalformed) {
				t.Fatalf("Decode of %d-byte prefix of %d-byte record: %v", c, n, err)
			}
		}

		// Served to a Java client, the record decodes to the same message.
		if java, err := message.AppendLayoutV2(nil, rec); err != nil {
			t.Fatalf("AppendLayoutV2 of a record Decode reads: %v", err)
		} else if jm, jn, err := message.Decode(java, false); err != nil || jn != len(java) || jm.Topic != m.Topic ||
			jm.Properties != m.Properties || !bytes.Equal(jm.Body, m.Body) || jm.CommitLogOffset != m.CommitLogOffset {
			t.Fatalf("AppendLayoutV2 record decodes to %+v (%d of %d bytes), %v; want %+v", jm, jn, len(java), err, m)
		}

		v2 := int32(binary.BigEndian.Uint32(rec[4:])) == message.MagicCodeV2
		if v2 {
			if len(m.Topic) > message.MaxTopicSize {
				return // beyond what v1, and so AppendEncode, can hold
			}
			rec = toV1(rec, len(m.Topic), len(m.Properties))
		}
		again := message.AppendEncode(nil, &m)
		crcOK := bytes.Equal(again[8:12], rec[8:12])
		masked := bytes.Clone(again)
		copy(masked[8:12], rec[8:12])
		if !bytes.Equal(masked, rec) {
			t.Fatalf("re-encoding differs\n got %x\nwant %x", again, rec)
		}
		_, _, verr := message.Decode(rec, true)
		if crcOK != (verr == nil) {
			t.Fatalf("crc match %v but verified Decode error %v", crcOK, verr)
		}
		if verr != nil && !errors.Is(verr, message.ErrBadCRC) {
			t.Fatalf("verified Decode error %v, want ErrBadCRC", verr)
		}

		if !v2 {
			checkClientDecode(t, rec, []message.Ext{m})
		}

		if all, err := message.DecodeAll(data, false); err == nil {
			total := 0
			for range all {
				_, n, _ := message.Decode(data[total:], false)
				total += n
			}
			if total != len(data) {
				t.Fatalf("DecodeAll consumed %d of %d bytes", total, len(data))
			}
		}
	})
}

// FuzzDecodeBatch checks DecodeBatch on arbitrary input.
//
// Invariants:
//   - DecodeBatch never panics; on error it returns no items and an error
//     wrapping ErrMalformed; empty input is an error.
//   - On success the items cover the input exactly: re-encoding them with
//     AppendBatchItem yields the input with each item's MAGICCODE and
//     BODYCRC zeroed (both are ignored on decode).
//   - Decoding a prefix (a partial read) either fails or yields a prefix of
//     the items.
func FuzzDecodeBatch(f *testing.F) {
	one := message.AppendBatchItem(nil, message.BatchItem{Body: []byte("batch-1"), Properties: "TAGS\x01TagA\x02"})
	two := message.AppendBatchItem(bytes.Clone(one), message.BatchItem{Flag: 3, Body: []byte("batch-2")})
	for _, s := range [][]byte{nil, one[:10], one, two, append(bytes.Clone(one), "garbage"...), make([]byte, 22)} {
		f.Add(s, uint(len(s)/2))
	}
	f.Fuzz(func(t *testing.T, data []byte, cut uint) {
		items, err := message.DecodeBatch(data)
		if err != nil {
			if !errors.Is(err, message.ErrMalformed) || items != nil {
				t.Fatalf("DecodeBatch = %d items, %v", len(items), err)
			}
			return
		}
		if len(items) == 0 {
			t.Fatal("no items and no error")
		}
		var again []byte
		want := bytes.Clone(data)
		for _, it := range items {
			clear(want[len(again)+4 : len(again)+12])
			again = message.AppendBatchItem(again, it)
		}
		if !bytes.Equal(again, want) {
			t.Fatalf("re-encoding differs\n got %x\nwant %x", again, want)
		}
		c := int(cut % uint(len(data)))
		prefix, err := message.DecodeBatch(data[:c])
		if err == nil {
			if len(prefix) > len(items) {
				t.Fatalf("prefix decoded to %d items, whole to %d", len(prefix), len(items))
			}
			for i := range prefix {
				if prefix[i].Flag != items[i].Flag || !bytes.Equal(prefix[i].Body, items[i].Body) || prefix[i].Properties != items[i].Properties {
					t.Fatalf("prefix item %d differs", i)
				}
			}
		}
	})
}

// FuzzProperties checks the property-string functions on arbitrary input.
//
// Invariants:
//   - Nothing panics.
//   - ParseProperties equals the official client's UnmarshalProperties, and
//     GetProperty agrees with it for every parsed key and for key.
//   - FormatProperties output parses back to the same map.
//   - If ValidateProperty(key, value) succeeds, SetProperty changes exactly
//     key's value and DeleteProperties removes exactly key, as seen by the
//     parser.
func FuzzProperties(f *testing.F) {
	f.Add("", "TAGS", "TagA")
	f.Add("TAGS\x01TagA\x02", "TAGS", "TagB")
	f.Add("TAGS\x01TagA", "KEYS", "k1 k2")
	f.Add(sampleExt().Properties, "UNIQ_KEY", "x")
	f.Add("A\x011\x02A\x012\x02junk\x02\x02x\x01y\x01z", "A", "")
	f.Add("\x01\x02\x01\x01\x02", "\x01", "\x02")
	f.Fuzz(func(t *testing.T, props, key, value string) {
		parsed := message.ParseProperties(props)
		var cm primitive.Message
		cm.UnmarshalProperties([]byte(props))
		if client := cm.GetProperties(); !maps.Equal(parsed, client) {
			t.Fatalf("ParseProperties = %q, client %q", parsed, client)
		}
		for k, v := range parsed {
			if got, ok := message.GetProperty(props, k); !ok || got != v {
				t.Fatalf("GetProperty(%q) = %q, %v; want %q", k, got, ok, v)
			}
		}
		if got, ok := message.GetProperty(props, key); got != parsed[key] || ok != hasKey(parsed, key) {
			t.Fatalf("GetProperty(%q) = %q, %v; parsed %q", key, got, ok, parsed[key])
		}
		if back := message.ParseProperties(message.FormatProperties(parsed)); !maps.Equal(back, parsed) {
			t.Fatalf("FormatProperties round trip = %q, want %q", back, parsed)
		}

		if message.ValidateProperty(key, value) != nil {
			return
		}
		set := message.SetProperty(props, key, value)
		want := maps.Clone(parsed)
		want[key] = value
		if got := message.ParseProperties(set); !maps.Equal(got, want) {
			t.Fatalf("SetProperty(%q, %q, %q) = %q parses to %q, want %q", props, key, value, set, got, want)
		}
		del := message.DeleteProperties(props, key)
		delete(want, key)
		delete(parsed, key)
		if got := message.ParseProperties(del); !maps.Equal(got, parsed) {
			t.Fatalf("DeleteProperties(%q, %q) = %q parses to %q, want %q", props, key, del, got, parsed)
		}
		if got := message.ParseProperties(message.DeleteProperties(set, key)); !maps.Equal(got, want) {
			t.Fatalf("DeleteProperties after SetProperty parses to %q, want %q", got, want)
		}
	})
}

func hasKey(m map[string]string, k string) bool {
	_, ok := m[k]
	return ok
}
