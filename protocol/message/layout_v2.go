package message

import "encoding/binary"

// maxV1SignedTopic is the longest topic a Java client reads from a v1
// record: it reads TOPICLENGTH as a signed byte.
const maxV1SignedTopic = 127

// NeedsLayoutV2 reports whether records (back to back, as a pull answer
// carries them) hold a v1 record of a topic longer than 127 bytes, which a
// Java client cannot read. Malformed records report an error.
func NeedsLayoutV2(records []byte) (bool, error) {
	for rest := records; len(rest) > 0; {
		l, err := parse(rest)
		if err != nil {
			return false, err
		}
		if l.topN > maxV1SignedTopic && int32(binary.BigEndian.Uint32(rest[posMagic:])) == MagicCode {
			return true, nil
		}
		rest = rest[l.size:]
	}
	return false, nil
}

// AppendLayoutV2 appends records to dst with each v1 record whose topic is
// longer than 127 bytes rewritten in layout v2 (MagicCodeV2, a two-byte
// TOPICLENGTH, TOTALSIZE one more), as a Java 5 broker stores such
// records; the others are appended unchanged. BODYCRC covers the body
// only, and the offsets are the stored record's, so both stay.
func AppendLayoutV2(dst, records []byte) ([]byte, error) {
	be := binary.BigEndian
	for rest := records; len(rest) > 0; {
		l, err := parse(rest)
		if err != nil {
			return dst, err
		}
		rec := rest[:l.size]
		rest = rest[l.size:]
		if l.topN <= maxV1SignedTopic || int32(be.Uint32(rec[posMagic:])) != MagicCode {
			dst = append(dst, rec...)
			continue
		}
		lenAt := l.topicStart - 1 // the one-byte TOPICLENGTH
		start := len(dst)
		dst = append(dst, rec[:lenAt]...)
		dst = be.AppendUint16(dst, uint16(l.topN))
		dst = append(dst, rec[l.topicStart:]...)
		be.PutUint32(dst[start:], uint32(l.size+1))
		be.PutUint32(dst[start+posMagic:], magicV2)
	}
	return dst, nil
}
